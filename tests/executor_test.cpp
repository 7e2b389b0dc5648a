// The executor on a small quantized graph (every quantized op kind, u8 and s8, both requantization
// rules) against the reference oracle composed by hand, the float path against direct formulas,
// the memory plan's invariants, and two threads sharing one model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "haqm/model.h"
#include "reference/reference_ops.h"
#include "graph_fixtures.h"
#include "test_support.h"

namespace haqm {
namespace {

using testing::activation;
using testing::constant;
using testing::float_graph;
using testing::node;
using testing::random_float;
using testing::random_ints;

std::vector<float> per_channel_scales(size_t n) {
    std::vector<float> s(n);
    for (auto& v : s) v = random_float(0.002f, 0.02f);
    return s;
}

template <class T>
std::vector<T> as_values(const std::vector<int32_t>& v) {
    return std::vector<T>(v.begin(), v.end());
}

template <class T>
std::vector<T> bytes_as(Span<const uint8_t> bytes) {
    const T* p = reinterpret_cast<const T*>(bytes.data());
    return std::vector<T>(p, p + bytes.size() / sizeof(T));
}

struct QuantizedCase {
    DType dtype;
    Requantization rule;
};

class QuantizedGraphTest : public ::testing::TestWithParam<QuantizedCase> {};

// The graph: quantize -> conv 3x3 (+ReLU) -> conv 1x1 -> add -> hard-swish -> squeeze-excite style
// mul by its own global average -> max pool -> average pool -> reshape -> fully connected ->
// dequantize. Each step's output is compared bit-exactly with the oracle fed the same input.
TEST_P(QuantizedGraphTest, EveryQuantizedOpMatchesTheOracle) {
    const auto [dtype, rule] = GetParam();
    const bool is_signed = dtype == DType::int8;
    const int32_t qmin = is_signed ? -128 : 0, qmax = is_signed ? 127 : 255;
    const int32_t zp = is_signed ? -3 : 125;
    const Shape in_shape{1, 7, 6, 3};

    Graph g;
    g.requantization = rule;
    const int32_t x = g.add_tensor(activation("x", DType::float32, in_shape));
    const int32_t q = g.add_tensor(activation("q", dtype, in_shape, 0.02f, zp));
    const std::vector<float> w1_scales = per_channel_scales(8), w2_scales = per_channel_scales(8), w3_scales = per_channel_scales(5);
    TensorInfo w1 = constant("w1", DType::int8, {3, 3, 3, 8}, random_ints<int8_t>(3 * 3 * 3 * 8, -127, 127));
    w1.quant = {w1_scales, std::vector<int32_t>(8, 0), 3, 8};
    TensorInfo b1 = constant("b1", DType::int32, {8}, random_ints<int32_t>(8, -2000, 2000));
    TensorInfo w2 = constant("w2", DType::int8, {1, 1, 8, 8}, random_ints<int8_t>(64, -127, 127));
    w2.quant = {w2_scales, std::vector<int32_t>(8, 0), 3, 8};
    TensorInfo w3 = constant("w3", DType::int8, {72, 5}, random_ints<int8_t>(72 * 5, -127, 127));
    w3.quant = {w3_scales, std::vector<int32_t>(5, 0), 1, 8};
    TensorInfo b3 = constant("b3", DType::int32, {5}, random_ints<int32_t>(5, -500, 500));
    const int32_t iw1 = g.add_tensor(w1), ib1 = g.add_tensor(b1), iw2 = g.add_tensor(w2), iw3 = g.add_tensor(w3), ib3 = g.add_tensor(b3);
    const Shape fm{1, 7, 6, 8};
    const int32_t c1 = g.add_tensor(activation("c1", dtype, fm, 0.05f, is_signed ? -128 : 0));
    const int32_t c2 = g.add_tensor(activation("c2", dtype, fm, 0.04f, zp));
    const int32_t sum = g.add_tensor(activation("sum", dtype, fm, 0.07f, zp));
    const int32_t hs = g.add_tensor(activation("hs", dtype, fm, 0.06f, is_signed ? -100 : 20));
    const int32_t gap = g.add_tensor(activation("gap", dtype, {1, 1, 1, 8}, 0.03f, is_signed ? -110 : 10));
    const int32_t se = g.add_tensor(activation("se", dtype, fm, 0.05f, zp));
    const int32_t mp = g.add_tensor(activation("mp", dtype, {1, 3, 3, 8}, 0.05f, zp));
    const int32_t ap = g.add_tensor(activation("ap", dtype, {1, 3, 3, 8}, 0.04f, zp + 2));
    const int32_t flat = g.add_tensor(activation("flat", dtype, {1, 72}, 0.04f, zp + 2));
    const int32_t fc = g.add_tensor(activation("fc", dtype, {1, 5}, 0.1f, zp));
    const int32_t y = g.add_tensor(activation("y", DType::float32, {1, 5}));
    g.inputs = {x};
    g.outputs = {y};
    g.nodes.push_back(node("quantize", OpKind::quantize, {x}, q));
    Node conv1 = node("conv1", OpKind::conv, {q, iw1, ib1}, c1);
    conv1.attrs.pad_top = conv1.attrs.pad_left = conv1.attrs.pad_bottom = conv1.attrs.pad_right = 1;
    conv1.attrs.activation = Activation::relu;
    g.nodes.push_back(conv1);
    g.nodes.push_back(node("conv2", OpKind::conv, {c1, iw2, -1}, c2));
    g.nodes.push_back(node("add", OpKind::add, {c1, c2}, sum));
    Node hswish = node("hswish", OpKind::activation, {sum}, hs);
    hswish.attrs.activation = Activation::hard_swish;
    g.nodes.push_back(hswish);
    g.nodes.push_back(node("gap", OpKind::global_average_pool, {hs}, gap));
    g.nodes.push_back(node("se", OpKind::mul, {hs, gap}, se));
    Node maxpool = node("maxpool", OpKind::max_pool, {se}, mp);
    maxpool.attrs.kernel_h = maxpool.attrs.kernel_w = maxpool.attrs.stride_h = maxpool.attrs.stride_w = 2;
    g.tensors[static_cast<size_t>(mp)].quant = g.tensors[static_cast<size_t>(se)].quant;  // max keeps parameters
    g.nodes.push_back(maxpool);
    Node avgpool = node("avgpool", OpKind::average_pool, {mp}, ap);
    avgpool.attrs.kernel_h = avgpool.attrs.kernel_w = 3;
    avgpool.attrs.pad_top = avgpool.attrs.pad_left = avgpool.attrs.pad_bottom = avgpool.attrs.pad_right = 1;
    g.nodes.push_back(avgpool);
    g.nodes.push_back(node("flatten", OpKind::reshape, {ap}, flat));
    g.nodes.push_back(node("fc", OpKind::fully_connected, {flat, iw3, ib3}, fc));
    g.nodes.push_back(node("dequantize", OpKind::dequantize, {fc}, y));

    ModelOptions options;
    options.keep_all_tensors = true;
    const Model model(g, options);
    Session session(model);
    std::vector<float> input(7 * 6 * 3);
    for (auto& v : input) v = random_float(-3.0f, 3.0f);
    input[0] = 1e6f;  // saturates
    input[1] = -1e6f;
    const std::vector<float> result = session.run(input);

    const auto ints = [&](int32_t id) {
        const auto b = session.tensor_bytes(id);
        std::vector<int32_t> v(b.size());
        for (size_t i = 0; i < b.size(); ++i) v[i] = is_signed ? int32_t(int8_t(b.data()[i])) : int32_t(b.data()[i]);
        return v;
    };
    const auto info = [&](int32_t id) -> const TensorInfo& { return g.tensors[static_cast<size_t>(id)]; };
    const auto sc = [&](int32_t id) { return info(id).quant.scales[0]; };
    const auto zpo = [&](int32_t id) { return info(id).quant.zero_points[0]; };

    // quantize
    const auto q_expected = reference::quantize(input, in_shape, {{sc(q)}, {zpo(q)}, 0, 8}, is_signed);
    ASSERT_EQ(ints(q), q_expected);

    // The two convolutions: exact accumulators, then the chosen rule per channel.
    const auto conv_check = [&](int32_t in_id, const TensorInfo& w, int32_t bias_id, int32_t out_id, int pad, bool relu) {
        Conv2dSpec spec;
        spec.pad_top = spec.pad_left = spec.pad_bottom = spec.pad_right = pad;
        spec.input_zero_point = zpo(in_id);
        if (bias_id >= 0) spec.bias = bytes_as<int32_t>(session.tensor_bytes(bias_id));
        const auto in_values = ints(in_id);
        const auto weights = bytes_as<int8_t>(session.tensor_bytes(g.find_tensor(w.name)));
        const auto acc = is_signed ? reference::conv2d_accumulators(as_values<int8_t>(in_values), info(in_id).shape, weights, w.shape, spec, info(out_id).shape, pad, pad)
                                   : reference::conv2d_accumulators(as_values<uint8_t>(in_values), info(in_id).shape, weights, w.shape, spec, info(out_id).shape, pad, pad);
        const int32_t lo = relu ? std::max(qmin, zpo(out_id)) : qmin;
        const auto got = ints(out_id);
        const size_t channels = static_cast<size_t>(w.shape[3]);
        for (size_t i = 0; i < acc.size(); ++i) {
            const size_t c = i % channels;
            const int32_t a = static_cast<int32_t>(acc[i]);
            const int32_t want = rule == Requantization::fixed
                ? reference::requantize_value(a, requantization_multiplier(sc(in_id), w.quant.scales[c], sc(out_id)), zpo(out_id), lo, qmax)
                : reference::requantize_float_value(a, static_cast<float>(double(sc(in_id)) * w.quant.scales[c] / sc(out_id)), zpo(out_id), lo, qmax);
            ASSERT_EQ(got[i], want) << w.name << " element " << i;
        }
    };
    conv_check(q, w1, ib1, c1, 1, true);
    conv_check(c1, w2, -1, c2, 0, false);

    // add (TFLite rule)
    const AddSpec add_spec{sc(c1), zpo(c1), sc(c2), zpo(c2), sc(sum), zpo(sum), std::nullopt, std::nullopt};
    const auto add_expected = is_signed ? reference::add(as_values<int8_t>(ints(c1)), as_values<int8_t>(ints(c2)), add_spec)
                                        : reference::add(as_values<uint8_t>(ints(c1)), as_values<uint8_t>(ints(c2)), add_spec);
    ASSERT_EQ(ints(sum), add_expected);

    // hard-swish: each level through the float function, quantized (float32 division, ties to
    // even, saturated)
    const auto sum_values = ints(sum), hs_values = ints(hs);
    for (size_t i = 0; i < sum_values.size(); ++i) {
        const float v = sc(sum) * static_cast<float>(sum_values[i] - zpo(sum));
        const float f = v * std::max(0.0f, std::min(1.0f, v / 6.0f + 0.5f));
        const int32_t want = reference::quantize_value(f, sc(hs), zpo(hs), qmin, qmax);
        ASSERT_EQ(hs_values[i], want) << "hard-swish element " << i;
    }

    // global average pool, then the channel-broadcast product with the float rule
    Pool2dSpec gap_spec;
    gap_spec.kind = PoolKind::global_average;
    gap_spec.input_zero_point = zpo(hs);
    gap_spec.input_scale = sc(hs);
    gap_spec.output_scale = sc(gap);
    gap_spec.output_zero_point = zpo(gap);
    const auto gap_expected = is_signed ? reference::pool2d(as_values<int8_t>(hs_values), fm, gap_spec)
                                        : reference::pool2d(as_values<uint8_t>(hs_values), fm, gap_spec);
    ASSERT_EQ(ints(gap), gap_expected);
    const auto se_values = ints(se);
    ASSERT_EQ(se_values, reference::channel_mul(hs_values, fm, ints(gap), {sc(hs), zpo(hs), sc(gap), zpo(gap), sc(se), zpo(se)},
                                                is_signed));

    // pools
    Pool2dSpec max_spec;
    max_spec.kind = PoolKind::max;
    max_spec.kernel_h = max_spec.kernel_w = max_spec.stride_h = max_spec.stride_w = 2;
    max_spec.input_zero_point = max_spec.output_zero_point = zpo(se);
    const auto mp_expected = is_signed ? reference::pool2d(as_values<int8_t>(se_values), fm, max_spec)
                                       : reference::pool2d(as_values<uint8_t>(se_values), fm, max_spec);
    ASSERT_EQ(ints(mp), mp_expected);
    Pool2dSpec avg_spec;
    avg_spec.kind = PoolKind::average;
    avg_spec.kernel_h = avg_spec.kernel_w = 3;
    avg_spec.pad_top = avg_spec.pad_left = avg_spec.pad_bottom = avg_spec.pad_right = 1;
    avg_spec.input_zero_point = zpo(mp);
    avg_spec.input_scale = sc(mp);
    avg_spec.output_scale = sc(ap);
    avg_spec.output_zero_point = zpo(ap);
    const auto ap_expected = is_signed ? reference::pool2d(as_values<int8_t>(ints(mp)), {1, 3, 3, 8}, avg_spec)
                                       : reference::pool2d(as_values<uint8_t>(ints(mp)), {1, 3, 3, 8}, avg_spec);
    ASSERT_EQ(ints(ap), ap_expected);
    ASSERT_EQ(ints(flat), ap_expected);  // reshape keeps the bytes

    // fully connected, then dequantize
    GemmSpec gemm;
    gemm.a_zero_point = zpo(flat);
    gemm.bias = bytes_as<int32_t>(session.tensor_bytes(ib3));
    gemm.requantization = rule;
    for (float s : w3_scales) {
        if (rule == Requantization::fixed) gemm.output_multipliers.push_back(requantization_multiplier(sc(flat), s, sc(fc)));
        else gemm.output_scales.push_back(static_cast<float>(double(sc(flat)) * s / sc(fc)));
    }
    gemm.output_zero_point = zpo(fc);
    const auto w3_values = bytes_as<int8_t>(session.tensor_bytes(iw3));
    const auto fc_acc = is_signed ? reference::gemm_accumulators(as_values<int8_t>(ints(flat)), w3_values, 1, 72, 5, zpo(flat), 0, gemm.bias)
                                  : reference::gemm_accumulators(as_values<uint8_t>(ints(flat)), w3_values, 1, 72, 5, zpo(flat), 0, gemm.bias);
    const auto fc_expected = reference::requantize_gemm(fc_acc, 5, gemm, is_signed);
    ASSERT_EQ(ints(fc), fc_expected);
    for (size_t i = 0; i < 5; ++i) EXPECT_EQ(result[i], reference::dequantize_value(fc_expected[i], sc(fc), zpo(fc)));
}

INSTANTIATE_TEST_SUITE_P(Executor, QuantizedGraphTest,
                         ::testing::Values(QuantizedCase{DType::uint8, Requantization::float32},
                                           QuantizedCase{DType::uint8, Requantization::fixed},
                                           QuantizedCase{DType::int8, Requantization::float32},
                                           QuantizedCase{DType::int8, Requantization::fixed}));

// The squeeze-excite mul over several images: each image takes its own row of channel scales.
TEST(QuantizedMul, ChannelScalesFollowTheirImage) {
    for (DType dtype : {DType::uint8, DType::int8}) {
        const bool is_signed = dtype == DType::int8;
        const Shape a_shape{3, 5, 4, 21}, b_shape{3, 1, 1, 21};
        Graph g;
        const int32_t a = g.add_tensor(activation("a", dtype, a_shape, 0.06f, is_signed ? -3 : 120));
        const int32_t b = g.add_tensor(activation("b", dtype, b_shape, 0.01f, is_signed ? -128 : 0));
        const int32_t y = g.add_tensor(activation("y", dtype, a_shape, 0.05f, is_signed ? 2 : 125));
        g.nodes.push_back(node("se", OpKind::mul, {a, b}, y));
        g.inputs = {a, b};
        g.outputs = {y};
        const auto a_bytes = random_ints<uint8_t>(3 * 5 * 4 * 21, 0, 255), b_bytes = random_ints<uint8_t>(3 * 21, 0, 255);
        const Model model(g);
        Session session(model);
        session.run(std::vector<TensorView>{{a_bytes.data(), dtype, a_shape, {}}, {b_bytes.data(), dtype, b_shape, {}}});
        const auto values = [&](const uint8_t* p, size_t n) {
            std::vector<int32_t> v(n);
            for (size_t i = 0; i < n; ++i) v[i] = is_signed ? int32_t(int8_t(p[i])) : int32_t(p[i]);
            return v;
        };
        const TensorView out = session.output();
        EXPECT_EQ(values(static_cast<const uint8_t*>(out.data), a_bytes.size()),
                  reference::channel_mul(values(a_bytes.data(), a_bytes.size()), a_shape,
                                         values(b_bytes.data(), b_bytes.size()),
                                         {0.06f, is_signed ? -3 : 120, 0.01f, is_signed ? -128 : 0, 0.05f, is_signed ? 2 : 125},
                                         is_signed))
            << dtype_name(dtype);
    }
}

// Plain convolution sum, NHWC x HWIO, for the float check.
std::vector<float> direct_conv(const std::vector<float>& x, const Shape& xs, const std::vector<float>& w, const Shape& ws,
                               const float* bias, const NodeAttributes& a, const Shape& os) {
    std::vector<float> out(static_cast<size_t>(os[1] * os[2] * os[3]));
    const int64_t group_in = ws[2], group_out = ws[3] / a.groups;
    for (int64_t oy = 0; oy < os[1]; ++oy)
        for (int64_t ox = 0; ox < os[2]; ++ox)
            for (int64_t co = 0; co < os[3]; ++co) {
                double acc = bias ? bias[co] : 0.0;
                const int64_t g = co / group_out;
                for (int64_t ky = 0; ky < ws[0]; ++ky)
                    for (int64_t kx = 0; kx < ws[1]; ++kx)
                        for (int64_t ci = 0; ci < group_in; ++ci) {
                            const int64_t iy = oy * a.stride_h - a.pad_top + ky, ix = ox * a.stride_w - a.pad_left + kx;
                            if (iy < 0 || iy >= xs[1] || ix < 0 || ix >= xs[2]) continue;
                            acc += double(x[static_cast<size_t>((iy * xs[2] + ix) * xs[3] + g * group_in + ci)]) *
                                   w[static_cast<size_t>(((ky * ws[1] + kx) * group_in + ci) * ws[3] + co)];
                        }
                float v = static_cast<float>(acc);
                if (a.activation == Activation::clip) v = std::min(std::max(v, a.clip_min), a.clip_max);
                out[static_cast<size_t>((oy * os[2] + ox) * os[3] + co)] = v;
            }
    return out;
}

TEST(FloatGraph, MatchesDirectFormulas) {
    for (auto [h, w] : {std::pair<int64_t, int64_t>{1, 1}, {5, 7}, {16, 9}}) {
        const Graph g = float_graph(h, w);
        ModelOptions options;
        options.keep_all_tensors = true;
        const Model model(g, options);
        Session session(model);
        std::vector<float> input(static_cast<size_t>(h * w * 4));
        for (auto& v : input) v = random_float(-2.0f, 2.0f);
        const auto probabilities = session.run(input);
        const auto tensor = [&](const char* name) { return session.tensor_as_float(g.find_tensor(name)); };
        const auto& t = [&](const char* name) -> const TensorInfo& { return g.tensors[static_cast<size_t>(g.find_tensor(name))]; };
        const auto c = direct_conv(input, t("x").shape, tensor("w"), t("w").shape, tensor("b").data(), g.nodes[0].attrs, t("c").shape);
        const auto got_c = tensor("c");
        for (size_t i = 0; i < c.size(); ++i) ASSERT_NEAR(got_c[i], c[i], 1e-5f) << i;
        const auto d = direct_conv(got_c, t("c").shape, tensor("dw"), t("dw").shape, nullptr, g.nodes[1].attrs, t("d").shape);
        const auto got_d = tensor("d");
        for (size_t i = 0; i < d.size(); ++i) ASSERT_NEAR(got_d[i], d[i], 1e-5f) << i;
        double total = 0;
        for (float p : probabilities) total += p;
        EXPECT_NEAR(total, 1.0, 1e-6);
    }
}

// No two buffers that are alive at the same step overlap; the arena is at least the lower bound.
void expect_valid_plan(const Graph& g, const MemoryPlan& plan) {
    const int steps = static_cast<int>(g.nodes.size());
    std::vector<int> first(g.tensors.size(), steps), last(g.tensors.size(), -1);
    for (int32_t id : g.inputs) first[static_cast<size_t>(id)] = -1;
    for (int s = 0; s < steps; ++s) {
        for (int32_t id : g.nodes[static_cast<size_t>(s)].inputs)
            if (id >= 0) last[static_cast<size_t>(id)] = s;
        first[static_cast<size_t>(g.nodes[static_cast<size_t>(s)].outputs[0])] = s;
    }
    for (int32_t id : g.outputs) last[static_cast<size_t>(id)] = steps;
    EXPECT_GE(plan.arena_bytes, plan.lower_bound_bytes);
    for (size_t a = 0; a < g.tensors.size(); ++a) {
        if (plan.offsets[a] < 0) continue;
        EXPECT_LE(plan.offsets[a] + static_cast<int64_t>(g.tensors[a].bytes()), plan.arena_bytes);
        for (size_t b = a + 1; b < g.tensors.size(); ++b) {
            if (plan.offsets[b] < 0 || plan.offsets[a] == plan.offsets[b]) continue;  // same offset: an alias
            const bool overlap_time = first[a] <= last[b] && first[b] <= last[a];
            const bool overlap_bytes = plan.offsets[a] < plan.offsets[b] + int64_t(g.tensors[b].bytes()) &&
                                       plan.offsets[b] < plan.offsets[a] + int64_t(g.tensors[a].bytes());
            EXPECT_FALSE(overlap_time && overlap_bytes) << g.tensors[a].name << " and " << g.tensors[b].name;
        }
    }
}

TEST(MemoryPlan, BuffersNeverOverlapWhileAliveAndElementwiseOpsRunInPlace) {
    const Graph g = float_graph(16, 9);
    const MemoryPlan plan = plan_memory(g);
    expect_valid_plan(g, plan);
    const MemoryPlan all = plan_memory(g, true);
    expect_valid_plan(g, all);
    EXPECT_LE(plan.arena_bytes, all.arena_bytes);

    // A chain of elementwise ops reuses one buffer.
    Graph chain;
    int32_t prev = chain.add_tensor(activation("x", DType::float32, {1, 8, 8, 16}));
    chain.inputs = {prev};
    for (int i = 0; i < 4; ++i) {
        const int32_t next = chain.add_tensor(activation("t" + std::to_string(i), DType::float32, {1, 8, 8, 16}));
        Node relu = node("relu" + std::to_string(i), OpKind::activation, {prev}, next);
        relu.attrs.activation = Activation::relu;
        chain.nodes.push_back(relu);
        prev = next;
    }
    chain.outputs = {prev};
    const MemoryPlan chained = plan_memory(chain);
    expect_valid_plan(chain, chained);
    EXPECT_EQ(chained.in_place_count, 4);  // the first one overwrites the (copied) graph input
    EXPECT_EQ(chained.arena_bytes, chained.lower_bound_bytes);
}

TEST(Session, TwoThreadsOnOneModelMatchOneThread) {
    const Graph g = float_graph(16, 9);
    const Model model(g);
    std::vector<std::vector<float>> inputs(8, std::vector<float>(16 * 9 * 4));
    for (auto& in : inputs)
        for (auto& v : in) v = random_float(-2.0f, 2.0f);
    std::vector<std::vector<float>> single;
    Session one(model);
    for (const auto& in : inputs) single.push_back(one.run(in));
    std::vector<std::vector<float>> a(inputs.size()), b(inputs.size());
    std::thread first([&] { Session s(model); for (size_t i = 0; i < inputs.size(); ++i) a[i] = s.run(inputs[i]); });
    std::thread second([&] { Session s(model); for (size_t i = inputs.size(); i-- > 0;) b[i] = s.run(inputs[i]); });
    first.join();
    second.join();
    EXPECT_EQ(a, single);
    EXPECT_EQ(b, single);
}

TEST(Session, GraphsWithTwoInputsTakeOneSpanEach) {
    Graph g;
    const int32_t a = g.add_tensor(activation("a", DType::float32, {1, 2, 2, 3}));
    const int32_t b = g.add_tensor(activation("b", DType::float32, {1, 2, 2, 3}));
    const int32_t y = g.add_tensor(activation("y", DType::float32, {1, 2, 2, 3}));
    Node add = node("add", OpKind::add, {a, b}, y);
    add.attrs.activation = Activation::relu;
    g.nodes = {add};
    g.inputs = {a, b};
    g.outputs = {y};
    const Model model(g);
    Session session(model);
    std::vector<float> x(12), z(12);
    for (size_t i = 0; i < 12; ++i) {
        x[i] = random_float(-1.0f, 1.0f);
        z[i] = random_float(-1.0f, 1.0f);
    }
    const auto out = session.run({Span<const float>(x), Span<const float>(z)});
    for (size_t i = 0; i < 12; ++i) EXPECT_EQ(out[i], std::max(0.0f, x[i] + z[i]));
    EXPECT_THROW(session.run(Span<const float>(x)), Error);  // one input for two
}

// An NCHW buffer described as the NHWC tensor the graph takes (strides, no copy by the caller)
// gives the same result as the dense NHWC input.
TEST(Session, StridedInputViewsAreGathered) {
    const Graph g = float_graph(5, 7);  // input [1, 5, 7, 4]
    const Model model(g);
    Session session(model);
    std::vector<float> nchw(4 * 5 * 7), nhwc(4 * 5 * 7);
    for (auto& v : nchw) v = random_float(-2.0f, 2.0f);
    for (int64_t c = 0; c < 4; ++c)
        for (int64_t y = 0; y < 5; ++y)
            for (int64_t x = 0; x < 7; ++x) nhwc[static_cast<size_t>((y * 7 + x) * 4 + c)] = nchw[static_cast<size_t>((c * 5 + y) * 7 + x)];
    const auto dense = session.run(nhwc);
    const TensorView view{nchw.data(), DType::float32, {1, 5, 7, 4}, {4 * 5 * 7, 7, 1, 5 * 7}};
    EXPECT_EQ(session.run(std::vector<TensorView>{view}), dense);
    const TensorView out = session.output();
    ASSERT_EQ(out.shape, (Shape{1, 3}));
    EXPECT_EQ(out.element_strides(), (Shape{3, 1}));
    const float* probabilities = static_cast<const float*>(out.data);
    EXPECT_EQ(std::vector<float>(probabilities, probabilities + 3), dense);

    TensorView wrong = view;
    wrong.dtype = DType::uint8;
    EXPECT_THROW(session.run(std::vector<TensorView>{wrong}), Error);
    wrong = view;
    wrong.shape = {1, 7, 5, 4};
    EXPECT_THROW(session.run(std::vector<TensorView>{wrong}), Error);
    wrong = view;
    wrong.strides = {1, -7, 1, 35};
    EXPECT_THROW(session.run(std::vector<TensorView>{wrong}), Error);
    wrong = view;
    wrong.strides = {1, 1};
    EXPECT_THROW(session.run(std::vector<TensorView>{wrong}), Error);
    wrong = view;
    wrong.data = nullptr;
    EXPECT_THROW(session.run(std::vector<TensorView>{wrong}), Error);
    EXPECT_THROW(session.output(1), Error);
    EXPECT_EQ(dense_strides({2, 3, 4}), (Shape{12, 4, 1}));
    EXPECT_EQ(dense_strides({}), Shape{});
}

// A graph that takes and gives integers (as an ONNX model with uint8 inputs imports): uint8 in,
// a quantized conv with int32 accumulators out, no quantize or dequantize node. Compared with the
// oracle's accumulators.
TEST(Session, IntegerInputsAndOutputs) {
    for (bool is_signed : {false, true}) {
        const DType dtype = is_signed ? DType::int8 : DType::uint8;
        const int32_t lo = is_signed ? -128 : 0;
        const Shape in_shape{1, 5, 6, 3}, w_shape{3, 3, 3, 7};
        Graph g;
        const int32_t x = g.add_tensor(activation("x", dtype, in_shape, 0.1f, lo + 3));
        const std::vector<int8_t> w = random_ints<int8_t>(3 * 3 * 3 * 7, -127, 127);
        TensorInfo weights = constant("w", DType::int8, w_shape, w);
        weights.quant = {{0.02f}, {0}, 0, 8};
        const int32_t iw = g.add_tensor(weights);
        TensorInfo acc = activation("acc", DType::int32, {1, 5, 6, 7});
        acc.quant = {{0.002f}, {0}, 0, 32};
        const int32_t y = g.add_tensor(acc);
        Node conv = node("conv", OpKind::conv, {x, iw}, y);
        conv.attrs.pad_top = conv.attrs.pad_left = conv.attrs.pad_bottom = conv.attrs.pad_right = 1;
        g.nodes.push_back(conv);
        g.inputs = {x};
        g.outputs = {y};
        const Model model(g);
        Session session(model);
        const auto input = random_ints<uint8_t>(5 * 6 * 3, 0, 255);
        session.run(std::vector<TensorView>{{input.data(), dtype, in_shape, {}}});
        const TensorView out = session.output();
        ASSERT_EQ(out.dtype, DType::int32);
        Conv2dSpec spec;
        spec.pad_top = spec.pad_left = spec.pad_bottom = spec.pad_right = 1;
        spec.input_zero_point = lo + 3;
        std::vector<int64_t> expected;
        if (is_signed) {
            const std::vector<int8_t> values(input.begin(), input.end());
            expected = reference::conv2d_accumulators(values, in_shape, w, w_shape, spec, {1, 5, 6, 7}, 1, 1);
        } else {
            expected = reference::conv2d_accumulators(input, in_shape, w, w_shape, spec, {1, 5, 6, 7}, 1, 1);
        }
        const int32_t* got = static_cast<const int32_t*>(out.data);
        for (size_t i = 0; i < expected.size(); ++i) ASSERT_EQ(got[i], expected[i]) << "element " << i;
        // A float view of an integer input is refused with both types named.
        const std::vector<float> floats(90);
        try {
            session.run(std::vector<TensorView>{{floats.data(), DType::float32, in_shape, {}}});
            ADD_FAILURE() << "a float32 view was taken for an integer input";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(std::string("is float32, the model takes ") + dtype_name(dtype)), std::string::npos)
                << e.what();
        }
    }
}

TEST(Session, BadInputsAreClearErrors) {
    const Graph g = float_graph(5, 5);
    const Model model(g);
    Session session(model);
    std::vector<float> wrong(7);
    EXPECT_THROW(session.run(wrong), Error);
    ModelOptions options;
    options.schedules["conv"] = "no_such_schedule";
    Graph quantized_like = g;
    EXPECT_NO_THROW(Model(quantized_like, options));  // float convs have no schedules to choose
    Graph broken = g;
    broken.nodes[1].inputs[0] = 99;
    EXPECT_THROW(Model{broken}, Error);
    Graph mismatch = g;
    mismatch.tensors[static_cast<size_t>(mismatch.find_tensor("d"))].shape = {1, 2, 2, 6};
    EXPECT_THROW(Model{mismatch}, Error);
}

}  // namespace
}  // namespace haqm
