// validate(): every rule it enforces rejects a graph that breaks it, with a message naming the
// node or tensor.
#include <gtest/gtest.h>

#include <functional>

#include "graph_fixtures.h"

namespace haqm {
namespace {

using testing::float_graph;

void expect_rejected(const std::function<void(Graph&)>& breakage, const std::string& words) {
    Graph g = float_graph(6, 5);
    validate(g);  // the fixture itself is valid
    breakage(g);
    try {
        validate(g);
        ADD_FAILURE() << "accepted a graph that should fail with: " << words;
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
}

int32_t id(const Graph& g, const char* name) { return g.find_tensor(name); }
TensorInfo& tensor(Graph& g, const char* name) { return g.tensors[static_cast<size_t>(g.find_tensor(name))]; }

TEST(Graph, ValidateRejectsEachBrokenRule) {
    expect_rejected([](Graph& g) { g.nodes[1].inputs[0] = 999; }, "refers to tensor 999");
    expect_rejected([](Graph& g) { std::swap(g.nodes[0], g.nodes[1]); }, "before it is produced");
    expect_rejected([](Graph& g) { g.nodes[1].outputs[0] = g.nodes[0].outputs[0]; }, "a second time");
    expect_rejected([](Graph& g) { tensor(g, "c").shape = {1, 3, 3, 7}; }, "'conv' (conv)");
    expect_rejected([](Graph& g) { g.nodes[0].attrs.groups = 3; }, "groups 3");
    expect_rejected([](Graph& g) { g.nodes[0].attrs.stride_h = 0; }, "stride");
    expect_rejected([](Graph& g) { g.nodes[0].attrs.pad_left = -1; }, "negative padding");
    expect_rejected([](Graph& g) { tensor(g, "b").shape = {5}; tensor(g, "b").constant->size = 20; }, "bias");
    expect_rejected([](Graph& g) { tensor(g, "w").constant->size -= 4; }, "holds");
    expect_rejected([](Graph& g) { tensor(g, "w").shape[3] = -6; }, "negative dimension");
    expect_rejected([](Graph& g) { tensor(g, "w").dtype = static_cast<DType>(42); }, "unknown dtype");
    expect_rejected([](Graph& g) { g.nodes[1].op = static_cast<OpKind>(200); }, "unknown op");
    expect_rejected([](Graph& g) { g.nodes[4].attrs.axis = 0; }, "last axis");
    expect_rejected([](Graph& g) { g.outputs = {id(g, "w") + 100}; }, "an output");
    expect_rejected([](Graph& g) { g.inputs.clear(); }, "at least one input");
    expect_rejected([](Graph& g) { g.nodes[0].attrs.activation = Activation::clip, g.nodes[0].attrs.clip_min = 2.0f; }, "clip minimum");
    expect_rejected([](Graph& g) { tensor(g, "c").dtype = DType::uint8; }, "without quantization parameters");
    expect_rejected([](Graph& g) {
        TensorInfo& c = tensor(g, "c");
        c.dtype = DType::uint8;
        c.quant = {{0.1f}, {300}, 0, 8};
    }, "zero point 300");
    expect_rejected([](Graph& g) {
        TensorInfo& w = tensor(g, "w");
        w.quant = {{0.1f, 0.2f}, {0, 0}, 3, 8};
    }, "per-channel scales");
    expect_rejected([](Graph& g) {
        TensorInfo& w = tensor(g, "w");
        w.quant = {{-1.0f}, {0}, 0, 8};
    }, "positive finite");
    expect_rejected([](Graph& g) { tensor(g, "w").dtype = DType::int4x2; }, "packed sub-byte");
    expect_rejected([](Graph& g) { tensor(g, "x").shape = {0, int64_t(1) << 62, 1, 4}; }, "too large");
}

TEST(Graph, DequantizeReadsInt32Accumulators) {
    Graph g;
    TensorInfo acc{"acc", DType::int32, {1, 4}, {{0.5f}, {0}, 0, 32}, std::nullopt};
    const int32_t in = g.add_tensor(acc);
    const int32_t out = g.add_tensor({"y", DType::float32, {1, 4}, {}, std::nullopt});
    g.nodes.push_back(testing::node("dequantize", OpKind::dequantize, {in}, out));
    g.inputs = {in};
    g.outputs = {out};
    EXPECT_NO_THROW(validate(g));
}

TEST(Graph, ShapeInferenceFollowsTheWindowArithmetic) {
    const Graph g = float_graph(16, 9);  // 3x3, stride 2, pad 1: ceil(16 / 2) x ceil(9 / 2)
    EXPECT_EQ(infer_output_shape(g, g.nodes[0]), (Shape{1, 8, 5, 6}));
    EXPECT_EQ(infer_output_shape(g, g.nodes[2]), (Shape{1, 1, 1, 6}));
    EXPECT_EQ(infer_output_shape(g, g.nodes[3]), (Shape{1, 3}));
}

TEST(Graph, ConstantViewsCheckSizeAndAlignment) {
    ConstantData c = ConstantData::from_vector(std::vector<float>{1, 2, 3});
    EXPECT_EQ(c.as<float>().size(), 3u);
    EXPECT_EQ(c.as<int8_t>().size(), 12u);
    ConstantData odd = c;
    odd.size = 11;
    EXPECT_THROW(odd.as<float>(), Error);
    ConstantData shifted = c;
    shifted.data += 1;
    shifted.size = 8;
    EXPECT_THROW(shifted.as<float>(), Error);
}

}  // namespace
}  // namespace haqm
