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
    expect_rejected([](Graph& g) {
        TensorInfo& w = tensor(g, "w");
        w.dtype = DType::int4_packed;  // 4 bits per value: the float weights' bytes are 8x too many
        w.quant = {{0.1f}, {0}, 0, 4};
    }, "holds 432 bytes, its shape [3,3,2,6] needs 54");
    expect_rejected([](Graph& g) {
        TensorInfo& x = tensor(g, "x");
        x.dtype = DType::uint4_packed;
        x.quant = {{0.1f}, {16}, 0, 4};
    }, "zero point 16 outside uint4_packed");
    expect_rejected([](Graph& g) { tensor(g, "x").shape = {0, int64_t(1) << 62, 1, 4}; }, "too large");
}

TEST(Graph, PackedTypesPadEachRowToWholeBytes) {
    const auto bytes = [](DType dtype, Shape shape) { return TensorInfo{"t", dtype, std::move(shape), {}, std::nullopt}.bytes(); };
    EXPECT_EQ(bytes(DType::int3_packed, {2, 5}), 4u);    // 15 bits per row -> 2 bytes
    EXPECT_EQ(bytes(DType::uint1_packed, {3, 9}), 6u);   // 9 bits -> 2 bytes
    EXPECT_EQ(bytes(DType::int4_packed, {7}), 4u);
    EXPECT_EQ(bytes(DType::uint7_packed, {1, 1, 8}), 7u);
    EXPECT_EQ(bytes(DType::int2_packed, {}), 1u);        // a scalar
    for (int bits = 1; bits <= 7; ++bits) {
        for (bool is_signed : {false, true}) {
            const DTypeInfo& info = dtype_info(packed_dtype(bits, is_signed));
            EXPECT_TRUE(info.packed);
            EXPECT_EQ(info.bits, bits);
            EXPECT_EQ(info.is_signed, is_signed);
            EXPECT_EQ(dtype_from_file_code(info.file_code), packed_dtype(bits, is_signed));
        }
    }
    EXPECT_THROW(packed_dtype(8, true), Error);
    EXPECT_THROW(dtype_bytes(DType::int4_packed), Error);
    EXPECT_THROW(dtype_from_file_code(200), Error);
}

TEST(Graph, NoOpReadsPackedTensorsYet) {
    Graph g = float_graph(6, 5);
    TensorInfo& x = tensor(g, "x");
    x.dtype = DType::int4_packed;
    x.quant = {{0.1f}, {0}, 0, 4};
    try {
        validate(g);
        ADD_FAILURE() << "a conv accepted a packed input";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("input 0 is int4_packed in a quantized op"), std::string::npos) << e.what();
    }
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
