// Writes small valid .haqm files, the seed corpus of fuzz_model_format: between them they use every
// op, dtype, quantization layout and metadata field, so mutations start from files that reach deep
// into the loader and validate(). Usage: make_model_seeds OUTPUT_DIR
// (tests/fuzz/corpus/model_format/ holds its committed output; scripts/fuzz.sh also runs it so the
// fuzzer's copy of the corpus always has files of the current format.)
#include <cstdio>
#include <string>
#include <vector>

#include "haqm/model_format.h"

namespace {

using haqm::Activation;
using haqm::ConstantData;
using haqm::DType;
using haqm::Graph;
using haqm::Node;
using haqm::OpKind;
using haqm::Shape;
using haqm::TensorInfo;

int32_t add(Graph& g, const std::string& name, DType dtype, Shape shape, float scale = 0.0f, int32_t zero_point = 0) {
    TensorInfo t;
    t.name = name;
    t.dtype = dtype;
    t.shape = std::move(shape);
    if (scale > 0.0f) {
        t.quant.scales = {scale};
        t.quant.zero_points = {zero_point};
    }
    return g.add_tensor(std::move(t));
}

template <class T>
int32_t add_constant(Graph& g, const std::string& name, DType dtype, Shape shape, size_t count, T first, T step) {
    std::vector<T> values(count);
    for (size_t i = 0; i < count; ++i) values[i] = static_cast<T>(first + step * static_cast<T>(i % 7));
    const int32_t id = add(g, name, dtype, std::move(shape));
    g.tensors[static_cast<size_t>(id)].constant = ConstantData::from_vector(std::move(values));
    return id;
}

Node node(const std::string& name, OpKind op, std::vector<int32_t> inputs, int32_t output) {
    Node n;
    n.name = name;
    n.op = op;
    n.inputs = std::move(inputs);
    n.outputs = {output};
    return n;
}

// Input [1,4,4,3] float, HWIO weights [3,3,3,8], bias [8], pads 1, ReLU.
Graph float_conv() {
    Graph g;
    const int32_t x = add(g, "input", DType::float32, {1, 4, 4, 3});
    const int32_t w = add_constant<float>(g, "conv1.weight", DType::float32, {3, 3, 3, 8}, 216, -0.5f, 0.125f);
    const int32_t b = add_constant<float>(g, "conv1.bias", DType::float32, {8}, 8, 0.0f, 0.25f);
    const int32_t y = add(g, "conv1.out", DType::float32, {1, 4, 4, 8});
    Node conv = node("conv1", OpKind::conv, {x, w, b}, y);
    conv.attrs.pad_top = conv.attrs.pad_left = conv.attrs.pad_bottom = conv.attrs.pad_right = 1;
    conv.attrs.activation = Activation::relu;
    g.nodes.push_back(conv);
    g.inputs = {x};
    g.outputs = {y};
    return g;
}

// quantize -> int8 conv (per-channel weights, int32 bias, clip, stride 2, no bias pad) -> dequantize,
// with labels and normalization metadata.
Graph quantized_conv() {
    Graph g;
    const int32_t x = add(g, "image", DType::float32, {1, 5, 5, 2});
    const int32_t xq = add(g, "image.q", DType::int8, {1, 5, 5, 2}, 0.03f, -3);
    const int32_t w = add_constant<int8_t>(g, "conv.w", DType::int8, {3, 3, 2, 4}, 72, -60, 20);
    TensorInfo& wt = g.tensors[static_cast<size_t>(w)];
    wt.quant.scales = {0.01f, 0.02f, 0.015f, 0.005f};
    wt.quant.zero_points = {0, 0, 0, 0};
    wt.quant.axis = 3;
    const int32_t b = add_constant<int32_t>(g, "conv.b", DType::int32, {4}, 4, -1000, 700);
    const int32_t yq = add(g, "conv.q", DType::int8, {1, 2, 2, 4}, 0.05f, 10);
    const int32_t y = add(g, "scores", DType::float32, {1, 2, 2, 4});
    g.nodes.push_back(node("quantize", OpKind::quantize, {x}, xq));
    Node conv = node("conv", OpKind::conv, {xq, w, b}, yq);
    conv.attrs.stride_h = conv.attrs.stride_w = 2;
    conv.attrs.activation = Activation::clip;
    conv.attrs.clip_min = 0.0f;
    conv.attrs.clip_max = 6.0f;
    conv.schedule = "tiled_vec";
    g.nodes.push_back(conv);
    g.nodes.push_back(node("dequantize", OpKind::dequantize, {yq}, y));
    g.inputs = {x};
    g.outputs = {y};
    g.requantization = haqm::Requantization::fixed;
    g.metadata.mean = {0.5f, 0.25f};
    g.metadata.std = {0.2f, 0.3f};
    g.metadata.labels = {"zero", "one", "two", "three"};
    g.metadata.source = "seeds/quantized_conv.onnx";
    return g;
}

// max pool -> reshape -> fully connected -> softmax.
Graph classifier() {
    Graph g;
    const int32_t x = add(g, "input", DType::float32, {1, 4, 4, 3});
    const int32_t p = add(g, "pool", DType::float32, {1, 2, 2, 3});
    const int32_t r = add(g, "flat", DType::float32, {1, 12});
    const int32_t w = add_constant<float>(g, "fc.w", DType::float32, {12, 5}, 60, 0.1f, -0.05f);
    const int32_t b = add_constant<float>(g, "fc.b", DType::float32, {5}, 5, 0.0f, 1.0f);
    const int32_t f = add(g, "logits", DType::float32, {1, 5});
    const int32_t s = add(g, "probabilities", DType::float32, {1, 5});
    Node pool = node("pool", OpKind::max_pool, {x}, p);
    pool.attrs.kernel_h = pool.attrs.kernel_w = 2;
    pool.attrs.stride_h = pool.attrs.stride_w = 2;
    g.nodes.push_back(pool);
    g.nodes.push_back(node("flatten", OpKind::reshape, {p}, r));
    g.nodes.push_back(node("fc", OpKind::fully_connected, {r, w, b}, f));
    Node softmax = node("softmax", OpKind::softmax, {f}, s);
    softmax.attrs.axis = 1;
    g.nodes.push_back(softmax);
    g.inputs = {x};
    g.outputs = {s};
    g.metadata.labels = {"a", "b", "c", "d", "e"};
    return g;
}

// A squeeze-excite style block: hard-swish, 1x1 conv without bias, add with ReLU, global pool,
// sigmoid, channel-broadcast mul, concat, transpose, average pool.
Graph squeeze_excite() {
    Graph g;
    const int32_t x = add(g, "x", DType::float32, {1, 4, 4, 4});
    const int32_t a = add(g, "hswish", DType::float32, {1, 4, 4, 4});
    const int32_t w = add_constant<float>(g, "pw.w", DType::float32, {1, 1, 4, 4}, 16, -1.0f, 0.5f);
    const int32_t c = add(g, "pw", DType::float32, {1, 4, 4, 4});
    const int32_t s = add(g, "sum", DType::float32, {1, 4, 4, 4});
    const int32_t gp = add(g, "squeeze", DType::float32, {1, 1, 1, 4});
    const int32_t e = add(g, "excite", DType::float32, {1, 1, 1, 4});
    const int32_t m = add(g, "scaled", DType::float32, {1, 4, 4, 4});
    const int32_t cat = add(g, "cat", DType::float32, {1, 4, 4, 8});
    const int32_t avg = add(g, "avg", DType::float32, {1, 2, 2, 8});
    const int32_t t = add(g, "nchw", DType::float32, {1, 8, 2, 2});
    Node hs = node("hswish", OpKind::activation, {x}, a);
    hs.attrs.activation = Activation::hard_swish;
    g.nodes.push_back(hs);
    g.nodes.push_back(node("pw", OpKind::conv, {a, w, -1}, c));
    Node sum = node("sum", OpKind::add, {a, c}, s);
    sum.attrs.activation = Activation::relu;
    g.nodes.push_back(sum);
    g.nodes.push_back(node("squeeze", OpKind::global_average_pool, {s}, gp));
    Node sig = node("excite", OpKind::activation, {gp}, e);
    sig.attrs.activation = Activation::hard_sigmoid;
    sig.attrs.alpha = 1.0f / 6.0f;
    g.nodes.push_back(sig);
    g.nodes.push_back(node("scale", OpKind::mul, {s, e}, m));
    Node concat = node("cat", OpKind::concat, {m, s}, cat);
    concat.attrs.axis = 3;
    g.nodes.push_back(concat);
    Node pool = node("avg", OpKind::average_pool, {cat}, avg);
    pool.attrs.kernel_h = pool.attrs.kernel_w = 3;
    pool.attrs.stride_h = pool.attrs.stride_w = 2;
    pool.attrs.pad_bottom = pool.attrs.pad_right = 1;
    pool.attrs.count_include_pad = true;
    g.nodes.push_back(pool);
    Node transpose = node("to_nchw", OpKind::transpose, {avg}, t);
    transpose.attrs.perm = {0, 3, 1, 2};
    g.nodes.push_back(transpose);
    g.inputs = {x};
    g.outputs = {t};
    return g;
}

// uint8 fully connected with 4-bit weights, dequantized. (An int32 output dequantized would be
// closer to ONNX MatMulInteger, but validate() refuses int32 into dequantize at the moment.)
Graph quantized_fc() {
    Graph g;
    const int32_t x = add(g, "x", DType::float32, {2, 6});
    const int32_t xq = add(g, "x.q", DType::uint8, {2, 6}, 0.1f, 128);
    const int32_t w = add_constant<int8_t>(g, "fc.w", DType::int8, {6, 3}, 18, -3, 1);
    g.tensors[static_cast<size_t>(w)].quant.scales = {0.25f};
    g.tensors[static_cast<size_t>(w)].quant.zero_points = {0};
    g.tensors[static_cast<size_t>(w)].quant.bits = 4;
    const int32_t acc = add(g, "fc.out", DType::uint8, {2, 3}, 0.025f, 100);
    const int32_t y = add(g, "y", DType::float32, {2, 3});
    g.nodes.push_back(node("quantize", OpKind::quantize, {x}, xq));
    g.nodes.push_back(node("fc", OpKind::fully_connected, {xq, w}, acc));
    g.nodes.push_back(node("dequantize", OpKind::dequantize, {acc}, y));
    g.inputs = {x};
    g.outputs = {y};
    return g;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    const std::vector<std::pair<std::string, Graph>> seeds = {
        {"float_conv", float_conv()},   {"quantized_conv", quantized_conv()}, {"classifier", classifier()},
        {"squeeze_excite", squeeze_excite()}, {"quantized_fc", quantized_fc()},
    };
    try {
        for (const auto& [name, graph] : seeds) {
            const std::string path = dir + "/" + name + ".haqm";
            haqm::save_model(graph, path);
            haqm::load_model(path);  // a seed that does not load would waste the fuzzer's time
            std::printf("%s\n", path.c_str());
        }
    } catch (const haqm::Error& e) {
        std::fprintf(stderr, "make_model_seeds: %s\n", e.what());
        return 1;
    }
    return 0;
}
