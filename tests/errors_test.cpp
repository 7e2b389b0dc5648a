// Bad input gets a clear haqm::Error naming the problem, never a crash.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "haqm/kernels.h"
#include "test_support.h"
#include "../runtime/src/halide_call.h"
#include "../runtime/src/kernel_registry.h"

namespace haqm {
namespace {

using testing::expect_error;

const QuantizationSpec kPerTensor{{0.5f}, {0}, 0, 8};

TEST(QuantizeErrors, BufferTooSmallOrNull) {
    std::vector<float> x(6, 1.0f);
    std::vector<int8_t> y(5);
    expect_error([&] { quantize(Span<const float>(x), {2, 3}, kPerTensor, Span<int8_t>(y)); }, "output holds 5");
    expect_error([&] { quantize(Span<const float>(x.data(), 4), {2, 3}, kPerTensor, Span<int8_t>(y)); },
                 "input holds 4");
    expect_error([&] { quantize(Span<const float>(nullptr, 6), {2, 3}, kPerTensor, Span<int8_t>(y)); },
                 "input is null");
}

TEST(QuantizeErrors, BadShapeAndAxis) {
    std::vector<float> x(6);
    std::vector<uint8_t> y(6);
    expect_error([&] { quantize(Span<const float>(x), {2, -3}, kPerTensor, Span<uint8_t>(y)); }, "dimension 1");
    expect_error([&] { quantize(Span<const float>(x), {2, 0}, kPerTensor, Span<uint8_t>(y)); }, "dimension 1");
    const QuantizationSpec per_channel{{1.0f, 1.0f, 1.0f}, {0, 0, 0}, 5, 8};
    expect_error([&] { quantize(Span<const float>(x), {2, 3}, per_channel, Span<uint8_t>(y)); }, "axis 5");
    const QuantizationSpec wrong_count{{1.0f, 1.0f}, {0, 0}, 1, 8};
    expect_error([&] { quantize(Span<const float>(x), {2, 3}, wrong_count, Span<uint8_t>(y)); },
                 "2 per-channel parameters for axis 1 of size 3");
    const QuantizationSpec mismatched{{1.0f, 1.0f, 1.0f}, {0, 0}, 1, 8};
    expect_error([&] { quantize(Span<const float>(x), {2, 3}, mismatched, Span<uint8_t>(y)); },
                 "3 scales but 2 zero points");
}

TEST(QuantizeErrors, BadScalesZeroPointsAndBits) {
    std::vector<float> x(4);
    std::vector<int8_t> y(4);
    for (float scale : {0.0f, -1.0f, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
        expect_error([&] { quantize(Span<const float>(x), {4}, {{scale}, {0}, 0, 8}, Span<int8_t>(y)); }, "scale");
    }
    expect_error([&] { quantize(Span<const float>(x), {4}, {{1.0f}, {128}, 0, 8}, Span<int8_t>(y)); },
                 "zero point 128 is outside [-128, 127]");
    expect_error([&] { quantize(Span<const float>(x), {4}, {{1.0f}, {8}, 0, 4}, Span<int8_t>(y)); },
                 "zero point 8 is outside [-8, 7]");
    for (int bits : {0, 1, 9, 16}) {
        expect_error([&] { quantize(Span<const float>(x), {4}, {{1.0f}, {0}, 0, bits}, Span<int8_t>(y)); },
                     "bit width " + std::to_string(bits));
    }
    std::vector<uint8_t> u(4);
    expect_error([&] { dequantize(Span<const uint8_t>(u), {4}, {{1.0f}, {-1}, 0, 8}, Span<float>(x)); },
                 "zero point -1 is outside [0, 255]");
}

TEST(KernelChoiceErrors, UnknownScheduleOrIsa) {
    std::vector<float> x(4);
    std::vector<int8_t> y(4);
    expect_error([&] { quantize(Span<const float>(x), {4}, kPerTensor, Span<int8_t>(y), {"fastest", ""}); },
                 "unknown schedule 'fastest' for quantize (known: default)");
    expect_error([&] { quantize(Span<const float>(x), {4}, kPerTensor, Span<int8_t>(y), {"", "avx9000"}); },
                 "instruction set 'avx9000' is not compiled in");
    const PackedWeights b(std::vector<int8_t>(4, 1), 2, 2);
    std::vector<int32_t> out(4);
    expect_error(
        [&] { gemm_q8(Span<const uint8_t>(std::vector<uint8_t>(4)), 2, b, {}, Span<int32_t>(out), {"blocked", ""}); },
        "unknown schedule 'blocked' for gemm_q8 (known: naive, interchange, tiled, tiled_vec, tiled_vec_par, auto)");
}

TEST(RequantizeErrors, BadMultipliersAndClamp) {
    std::vector<int32_t> x(4);
    std::vector<int8_t> y(4);
    RequantizationSpec spec{{{1 << 30, 31}}, 0, 0, std::nullopt, std::nullopt};
    expect_error([&] { requantize(Span<const int32_t>(x), {4}, spec, Span<int8_t>(y)); }, "shift 31 is out of range");
    spec.multipliers = {{-5, 0}};
    expect_error([&] { requantize(Span<const int32_t>(x), {4}, spec, Span<int8_t>(y)); }, "multiplier -5");
    spec.multipliers = {{1 << 30, 0}};
    spec.output_min = 10;
    spec.output_max = 5;
    expect_error([&] { requantize(Span<const int32_t>(x), {4}, spec, Span<int8_t>(y)); }, "output clamp [10, 5]");
    spec.output_min = std::nullopt;
    spec.output_max = 300;
    expect_error([&] { requantize(Span<const int32_t>(x), {4}, spec, Span<int8_t>(y)); }, "is empty or outside");
    spec.output_max = std::nullopt;
    spec.output_zero_point = 200;
    expect_error([&] { requantize(Span<const int32_t>(x), {4}, spec, Span<int8_t>(y)); }, "output zero point 200");
}

TEST(GemmErrors, BadShapesAndParameters) {
    expect_error([] { PackedWeights(std::vector<int8_t>(4), 0, 4); }, "K = 0");
    expect_error([] { PackedWeights(std::vector<int8_t>(3), 2, 2); }, "weights holds 3 elements, needs 4");
    expect_error([] { PackedWeights(std::vector<int8_t>(40000), kMaxGemmDepth + 1, 1); }, "exceeds");
    expect_error([] { PackedWeights(std::vector<int8_t>(4), 2, 2, 128); }, "zero point 128");

    const PackedWeights b(std::vector<int8_t>(6, 1), 2, 3);  // K = 2, N = 3
    std::vector<uint8_t> a(4);                               // M = 2
    std::vector<uint8_t> out(6);
    GemmSpec spec;
    spec.output_multipliers = {quantize_multiplier(0.01)};
    expect_error([&] { gemm_q8(Span<const uint8_t>(a), 3, b, spec, Span<uint8_t>(out)); },
                 "activations holds 4 elements, needs 6");
    expect_error([&] { gemm_q8(Span<const uint8_t>(a), 0, b, spec, Span<uint8_t>(out)); }, "M = 0");
    expect_error([&] { gemm_q8(Span<const uint8_t>(a), 2, b, spec, Span<uint8_t>(out.data(), 5)); },
                 "output holds 5 elements, needs 6");
    GemmSpec bad_bias = spec;
    bad_bias.bias = {1, 2};
    expect_error([&] { gemm_q8(Span<const uint8_t>(a), 2, b, bad_bias, Span<uint8_t>(out)); },
                 "bias has 2 entries, needs 3");
    GemmSpec bad_multipliers = spec;
    bad_multipliers.output_multipliers = {spec.output_multipliers[0], spec.output_multipliers[0]};
    expect_error([&] { gemm_q8(Span<const uint8_t>(a), 2, b, bad_multipliers, Span<uint8_t>(out)); },
                 "2 output multipliers, needs 1 or 3");
    GemmSpec bad_zero_point = spec;
    bad_zero_point.a_zero_point = 256;
    expect_error([&] { gemm_q8(Span<const uint8_t>(a), 2, b, bad_zero_point, Span<uint8_t>(out)); },
                 "activation zero point 256");
}

TEST(QuantErrors, MultiplierAndThreadRanges) {
    for (double real : {0.0, -1.0, std::nan(""), double(INFINITY), 1.0e12}) {
        expect_error([&] { quantize_multiplier(real); }, "requantization multiplier");
    }
    expect_error([] { set_num_threads(0); }, "thread count 0");
}

// A failure inside a generated kernel (here a parameter buffer smaller than the data needs,
// which the public API would have rejected) comes back as haqm::Error carrying Halide's message.
TEST(HalideErrors, RuntimeErrorsBecomeExceptions) {
    const auto& entry = detail::find_kernel({detail::KernelFamily::quantize, DType::float32, DType::int8}, {});
    const auto fn = detail::kernel_function<detail::quantize_fn>(entry);
    std::vector<float> x(12), scale(1, 1.0f);
    std::vector<int32_t> zero_point(1, 0);
    std::vector<int8_t> y(12);
    detail::BufferRef in(x.data(), {4, 3, 1});
    detail::BufferRef scale_buf(scale.data(), {1});
    detail::BufferRef zero_point_buf(zero_point.data(), {1});
    detail::BufferRef out(y.data(), {4, 3, 1});
    expect_error(
        [&] {
            detail::run_kernel("quantize", [&] {
                return fn(in.get(), scale_buf.get(), zero_point_buf.get(), -128, 127, out.get());
            });
        },
        "scale");
}

}  // namespace
}  // namespace haqm
