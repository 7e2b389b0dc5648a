// Small graphs built by hand for the executor, memory planner and quantizer tests.
#pragma once
#include <string>
#include <vector>

#include "haqm/graph.h"
#include "test_support.h"

namespace haqm::testing {

inline TensorInfo activation(const std::string& name, DType dtype, Shape shape, float scale = 0, int32_t zp = 0) {
    TensorInfo t{name, dtype, std::move(shape), {}, std::nullopt};
    if (scale > 0) t.quant = {{scale}, {zp}, 0, 8};
    return t;
}

template <class T>
inline TensorInfo constant(const std::string& name, DType dtype, Shape shape, std::vector<T> values) {
    TensorInfo t{name, dtype, std::move(shape), {}, std::nullopt};
    t.constant = ConstantData::from_vector(std::move(values));
    return t;
}

inline Node node(const std::string& name, OpKind op, std::vector<int32_t> in, int32_t out) {
    Node n;
    n.name = name;
    n.op = op;
    n.inputs = std::move(in);
    n.outputs = {out};
    return n;
}

// A float graph: conv (grouped, strided, padded, fused clip) -> depthwise conv -> fully connected
// -> global average pool -> fully connected -> softmax, random weights.
inline Graph float_graph(int64_t height, int64_t width) {
    Graph g;
    const int32_t x = g.add_tensor(activation("x", DType::float32, {1, height, width, 4}));
    std::vector<float> w(3 * 3 * 2 * 6), b(6), dw(3 * 3 * 1 * 6), fw(6 * 3);
    for (auto* v : {&w, &b, &dw, &fw}) {
        for (auto& e : *v) e = random_float(-1.0f, 1.0f);
    }
    const int32_t iw = g.add_tensor(constant("w", DType::float32, {3, 3, 2, 6}, w));
    const int32_t ib = g.add_tensor(constant("b", DType::float32, {6}, b));
    const int32_t idw = g.add_tensor(constant("dw", DType::float32, {3, 3, 1, 6}, dw));
    const int32_t ifw = g.add_tensor(constant("fw", DType::float32, {6, 3}, fw));
    const int64_t oh = (height + 2 - 3) / 2 + 1, ow = (width + 2 - 3) / 2 + 1;
    const int32_t c = g.add_tensor(activation("c", DType::float32, {1, oh, ow, 6}));
    const int32_t d = g.add_tensor(activation("d", DType::float32, {1, oh, ow, 6}));
    const int32_t p = g.add_tensor(activation("p", DType::float32, {1, 1, 1, 6}));
    const int32_t f = g.add_tensor(activation("f", DType::float32, {1, 3}));
    const int32_t s = g.add_tensor(activation("s", DType::float32, {1, 3}));
    Node conv = node("conv", OpKind::conv, {x, iw, ib}, c);
    conv.attrs.groups = 2;
    conv.attrs.stride_h = conv.attrs.stride_w = 2;
    conv.attrs.pad_top = conv.attrs.pad_left = conv.attrs.pad_bottom = conv.attrs.pad_right = 1;
    conv.attrs.activation = Activation::clip;
    conv.attrs.clip_min = -0.5f;
    conv.attrs.clip_max = 1.5f;
    Node depthwise = node("dw", OpKind::conv, {c, idw, -1}, d);
    depthwise.attrs.groups = 6;
    depthwise.attrs.pad_top = depthwise.attrs.pad_left = depthwise.attrs.pad_bottom = depthwise.attrs.pad_right = 1;
    g.nodes = {conv, depthwise, node("gap", OpKind::global_average_pool, {d}, p), node("fc", OpKind::fully_connected, {p, ifw, -1}, f)};
    Node softmax = node("softmax", OpKind::softmax, {f}, s);
    softmax.attrs.axis = 1;
    g.nodes.push_back(softmax);
    g.inputs = {x};
    g.outputs = {s};
    return g;
}

}  // namespace haqm::testing
