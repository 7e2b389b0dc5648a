// Prepare-time fusion (runtime/src/passes/fuse_activations.h): each rule leaves the results bit
// for bit those of the unfused graph (a Model that keeps every tensor fuses nothing), and the
// cases a rule excludes stay unfused.
#include <gtest/gtest.h>

#include "graph_fixtures.h"
#include "haqm/model.h"
#include "haqm/model_format.h"
#include "test_support.h"

namespace haqm {
namespace {

using testing::activation;
using testing::constant;
using testing::node;
using testing::random_float;
using testing::random_ints;

struct Outcome {
    std::vector<uint8_t> fused, unfused;
    size_t fused_nodes, unfused_nodes;
};

// Runs the graph fused and unfused on the same random input bytes and returns both outputs' bytes.
Outcome run_both(const Graph& g) {
    const TensorInfo& in = g.tensors[static_cast<size_t>(g.inputs[0])];
    std::vector<uint8_t> input(in.bytes());
    if (in.dtype == DType::float32) {
        for (size_t i = 0; i < input.size() / 4; ++i) reinterpret_cast<float*>(input.data())[i] = random_float(-3.0f, 3.0f);
    } else {
        input = random_ints<uint8_t>(input.size(), 0, 255);
    }
    const std::vector<TensorView> views{{input.data(), in.dtype, in.shape, {}}};
    ModelOptions keep;
    keep.keep_all_tensors = true;
    const Model fused(g), unfused(g, keep);
    Session a(fused), b(unfused);
    a.run(views);
    b.run(views);
    const auto bytes = [](const Session& s) {
        const TensorView out = s.output();
        const auto n = static_cast<size_t>(dtype_storage_bytes(out.dtype, out.shape));
        return std::vector<uint8_t>(static_cast<const uint8_t*>(out.data), static_cast<const uint8_t*>(out.data) + n);
    };
    return {bytes(a), bytes(b), fused.graph().nodes.size(), unfused.graph().nodes.size()};
}

// x -> conv 3x3 (pad 1) -> [activation] -> add(x-shaped residual) -> [activation] -> output, in
// float32 or uint8 (activations with the given parameters after each product).
Graph conv_add_graph(DType dtype, Activation first, Activation second, bool same_parameters) {
    Graph g;
    const bool q = dtype != DType::float32;
    const auto tensor = [&](const char* name, float scale, int32_t zp) {
        return g.add_tensor(activation(name, dtype, {1, 6, 5, 8}, q ? scale : 0, zp));
    };
    const int32_t x = tensor("x", 0.05f, 120);
    const int32_t c = tensor("c", 0.04f, 110);
    const int32_t c_act = same_parameters ? tensor("c_act", 0.04f, 110) : tensor("c_act", 0.02f, 0);
    const int32_t s = tensor("s", 0.06f, 100);
    const int32_t s_act = same_parameters ? tensor("s_act", 0.06f, 100) : tensor("s_act", 0.03f, 0);
    int32_t w = -1;
    if (q) {
        TensorInfo weights = constant("w", DType::int8, {3, 3, 8, 8}, random_ints<int8_t>(576, -127, 127));
        weights.quant = {{0.01f}, {0}, 0, 8};
        w = g.add_tensor(weights);
    } else {
        std::vector<float> values(576);
        for (auto& v : values) v = random_float(-0.3f, 0.3f);
        w = g.add_tensor(constant("w", DType::float32, {3, 3, 8, 8}, values));
    }
    Node conv = node("conv", OpKind::conv, {x, w, -1}, c);
    conv.attrs.pad_top = conv.attrs.pad_left = conv.attrs.pad_bottom = conv.attrs.pad_right = 1;
    g.nodes.push_back(conv);
    Node a1 = node("act1", OpKind::activation, {c}, c_act);
    a1.attrs.activation = first;
    a1.attrs.clip_min = -0.5f, a1.attrs.clip_max = 1.0f;
    g.nodes.push_back(a1);
    g.nodes.push_back(node("add", OpKind::add, {c_act, x}, s));
    Node a2 = node("act2", OpKind::activation, {s}, s_act);
    a2.attrs.activation = second;
    a2.attrs.clip_min = 0.0f, a2.attrs.clip_max = 2.0f;
    g.nodes.push_back(a2);
    g.inputs = {x};
    g.outputs = {s_act};
    return g;
}

TEST(Fusion, FloatActivationsFoldIntoConvAndAddBitExactly) {
    for (Activation first : {Activation::relu, Activation::clip, Activation::hard_swish, Activation::sigmoid, Activation::tanh}) {
        const Outcome o = run_both(conv_add_graph(DType::float32, first, Activation::clip, true));
        EXPECT_EQ(o.unfused_nodes, 4u);
        EXPECT_EQ(o.fused_nodes, 2u) << activation_name(first);
        EXPECT_EQ(o.fused, o.unfused) << activation_name(first);
    }
}

TEST(Fusion, QuantizedReluAndClipBecomeTheEpiloguesClamp) {
    for (Activation first : {Activation::relu, Activation::clip}) {
        for (Activation second : {Activation::relu, Activation::clip}) {
            const Outcome o = run_both(conv_add_graph(DType::uint8, first, second, true));
            EXPECT_EQ(o.fused_nodes, 2u);
            EXPECT_EQ(o.fused, o.unfused) << activation_name(first) << " then " << activation_name(second);
        }
    }
}

// Rule 3: table activations (and relu / clip that change the parameters) after conv run in the
// conv kernel's epilogue; after add they stay apart (add_q8 has no table).
TEST(Fusion, QuantizedTableActivationsRunInTheConvEpilogue) {
    for (DType dtype : {DType::uint8, DType::int8}) {
        for (Activation first : {Activation::hard_swish, Activation::sigmoid, Activation::tanh, Activation::hard_sigmoid,
                                 Activation::relu, Activation::clip}) {
            const Outcome o = run_both(conv_add_graph(dtype, first, Activation::relu, false));
            EXPECT_EQ(o.unfused_nodes, 4u);
            EXPECT_EQ(o.fused_nodes, 3u) << activation_name(first);  // conv + table; add; relu (new parameters)
            EXPECT_EQ(o.fused, o.unfused) << dtype_name(dtype) << " " << activation_name(first);
        }
    }
}

// x -> depthwise 3x3 conv -> hard_swish -> fully connected -> sigmoid -> output (uint8): the
// depthwise and gemm_q8 (fully connected) plans take the table too.
Graph depthwise_fc_graph() {
    Graph g;
    const int32_t x = g.add_tensor(activation("x", DType::uint8, {1, 4, 4, 8}, 0.05f, 120));
    const int32_t d = g.add_tensor(activation("d", DType::uint8, {1, 4, 4, 8}, 0.04f, 128));
    const int32_t d_act = g.add_tensor(activation("d_act", DType::uint8, {1, 4, 4, 8}, 0.03f, 20));
    const int32_t flat = g.add_tensor(activation("flat", DType::uint8, {1, 128}, 0.03f, 20));
    const int32_t f = g.add_tensor(activation("f", DType::uint8, {1, 10}, 0.1f, 128));
    const int32_t f_act = g.add_tensor(activation("f_act", DType::uint8, {1, 10}, 1.0f / 256, 0));
    TensorInfo dw = constant("dw", DType::int8, {3, 3, 1, 8}, random_ints<int8_t>(72, -127, 127));
    dw.quant = {{0.02f}, {0}, 0, 8};
    TensorInfo fw = constant("fw", DType::int8, {128, 10}, random_ints<int8_t>(1280, -127, 127));
    fw.quant = {{0.003f}, {0}, 0, 8};
    const int32_t dw_id = g.add_tensor(dw), fw_id = g.add_tensor(fw);
    Node conv = node("dw", OpKind::conv, {x, dw_id, -1}, d);
    conv.attrs.groups = 8;
    conv.attrs.pad_top = conv.attrs.pad_left = conv.attrs.pad_bottom = conv.attrs.pad_right = 1;
    g.nodes.push_back(conv);
    Node a1 = node("hswish", OpKind::activation, {d}, d_act);
    a1.attrs.activation = Activation::hard_swish;
    g.nodes.push_back(a1);
    g.nodes.push_back(node("flatten", OpKind::reshape, {d_act}, flat));
    g.nodes.push_back(node("fc", OpKind::fully_connected, {flat, fw_id, -1}, f));
    Node a2 = node("sigmoid", OpKind::activation, {f}, f_act);
    a2.attrs.activation = Activation::sigmoid;
    g.nodes.push_back(a2);
    g.inputs = {x};
    g.outputs = {f_act};
    return g;
}

TEST(Fusion, QuantizedTableActivationsRunInDepthwiseAndFullyConnectedEpilogues) {
    for (int trial = 0; trial < 3; ++trial) {
        const Outcome o = run_both(depthwise_fc_graph());
        EXPECT_EQ(o.unfused_nodes, 5u);
        EXPECT_EQ(o.fused_nodes, 3u);
        EXPECT_EQ(o.fused, o.unfused);
    }
}

// Every conv schedule's plan applies the fused table (product_call.h apply_output_table).
TEST(Fusion, EveryConvScheduleAppliesTheTable) {
    const Graph g = conv_add_graph(DType::uint8, Activation::hard_swish, Activation::relu, false);
    const TensorInfo& in = g.tensors[static_cast<size_t>(g.inputs[0])];
    const std::vector<uint8_t> input = random_ints<uint8_t>(in.bytes(), 0, 255);
    const std::vector<TensorView> views{{input.data(), in.dtype, in.shape, {}}};
    ModelOptions keep;
    keep.keep_all_tensors = true;
    const Model unfused(g, keep);
    Session reference(unfused);
    reference.run(views);
    const TensorView expected = reference.output();
    const size_t n = static_cast<size_t>(dtype_storage_bytes(expected.dtype, expected.shape));
    const auto* want = static_cast<const uint8_t*>(expected.data);
    for (const std::string& schedule : schedules("conv2d_q8")) {
        ModelOptions options;
        options.schedules["conv"] = schedule;
        const Model fused(g, options);
        ASSERT_EQ(fused.graph().nodes.size(), 3u);
        Session s(fused);
        s.run(views);
        const auto* got = static_cast<const uint8_t*>(s.output().data);
        EXPECT_EQ(std::vector<uint8_t>(got, got + n), std::vector<uint8_t>(want, want + n)) << schedule;
    }
}

// A prepared graph with a fused table cannot be written: its file would lose the parameters between
// the product and the table.
TEST(Fusion, APreparedGraphWithATableIsNotSaved) {
    const Model fused(conv_add_graph(DType::uint8, Activation::sigmoid, Activation::relu, false));
    testing::expect_error([&] { serialize_model(fused.graph()); }, "has an activation table fused in at prepare time");
}

TEST(Fusion, WhatARuleExcludesStaysApart) {
    // Quantized activations after add that change the parameters or need a table keep their nodes.
    EXPECT_EQ(run_both(conv_add_graph(DType::uint8, Activation::relu, Activation::relu, false)).fused_nodes, 3u);
    const Outcome table = run_both(conv_add_graph(DType::uint8, Activation::hard_swish, Activation::sigmoid, true));
    EXPECT_EQ(table.fused_nodes, 3u);  // the conv takes hard_swish, the add not sigmoid
    EXPECT_EQ(table.fused, table.unfused);
    // A product output that something else reads too, or that is a graph output, is not rewritten.
    Graph shared = conv_add_graph(DType::float32, Activation::relu, Activation::relu, true);
    shared.nodes[2].inputs = {shared.find_tensor("c_act"), shared.find_tensor("c")};  // add reads c as well
    EXPECT_EQ(run_both(shared).fused_nodes, 3u);  // only the add's relu
    Graph exposed = conv_add_graph(DType::float32, Activation::relu, Activation::relu, true);
    exposed.outputs = {exposed.find_tensor("s_act"), exposed.find_tensor("c")};
    EXPECT_EQ(run_both(exposed).fused_nodes, 3u);
}

}  // namespace
}  // namespace haqm
