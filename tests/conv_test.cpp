// conv2d_q8: every schedule x ISA x type variant against the reference oracle on odd shapes
// (1x1 images, channels 1/3/5/17, kernels 1/3/5/7, stride 1/2, dilation 2, groups, SAME padding),
// extreme values, and bad parameters.
#include <gtest/gtest.h>

#include "reference/reference_ops.h"
#include "test_support.h"

namespace haqm {
namespace {

using testing::random_int;
using testing::random_ints;

struct ConvCase {
    Shape input, weights;  // NHWC, HWIO
    Conv2dSpec spec;
};

// The leading paddings the API uses (explicit, or SAME_UPPER's), derived here independently.
std::pair<int64_t, int64_t> leading_pads(const ConvCase& c, const Shape& out) {
    if (!c.spec.same_padding) {
        return {c.spec.pad_top, c.spec.pad_left};
    }
    auto pad = [](int64_t in, int64_t out_extent, int64_t kernel, int stride, int dilation) {
        const int64_t total = std::max<int64_t>(0, (out_extent - 1) * stride + dilation * (kernel - 1) + 1 - in);
        return total / 2;
    };
    return {pad(c.input[1], out[1], c.weights[0], c.spec.stride_h, c.spec.dilation_h),
            pad(c.input[2], out[2], c.weights[1], c.spec.stride_w, c.spec.dilation_w)};
}

GemmSpec requantization_of(const Conv2dSpec& s) {
    GemmSpec g;
    g.requantization = s.requantization;
    g.output_multipliers = s.output_multipliers;
    g.output_scales = s.output_scales;
    g.output_zero_point = s.output_zero_point;
    g.output_min = s.output_min;
    g.output_max = s.output_max;
    g.output_table = s.output_table;
    return g;
}

// The two algorithms of a convolution: direct (conv2d_q8) and im2col + gemm_q8.
enum class Algorithm { direct, im2col };

template <class A, class Out>
void expect_conv_matches(ConvCase c, const std::vector<A>& input, const std::vector<int8_t>& weights,
                         const KernelChoice& choice, Algorithm algorithm = Algorithm::direct) {
    if (std::is_same_v<Out, int32_t>) c.spec.output_table.clear();  // tables are for 8-bit outputs
    const Shape out = conv2d_output_shape(c.input, c.weights, c.spec);
    SCOPED_TRACE("in " + std::to_string(c.input[1]) + "x" + std::to_string(c.input[2]) + "x" +
                 std::to_string(c.input[3]) + " kernel " + std::to_string(c.weights[0]) + "x" +
                 std::to_string(c.weights[1]) + " out channels " + std::to_string(c.weights[3]) + " stride " +
                 std::to_string(c.spec.stride_h) + " dilation " + std::to_string(c.spec.dilation_h) + " groups " +
                 std::to_string(c.spec.groups) + (c.spec.same_padding ? " same" : "") +
                 (c.spec.output_table.empty() ? "" : " table") + " schedule " +
                 choice.schedule + " isa " + choice.isa);
    std::vector<Out> result(out[0] * out[1] * out[2] * out[3]);
    if (algorithm == Algorithm::direct) {
        conv2d_q8(Span<const A>(input), c.input, Span<const int8_t>(weights), c.weights, c.spec, Span<Out>(result),
                  choice);
    } else {
        const PackedConvWeights packed(Span<const int8_t>(weights), c.weights, c.spec.groups, c.spec.weight_zero_point);
        conv2d_q8_im2col(Span<const A>(input), c.input, packed, c.spec, Span<Out>(result), choice);
    }
    const auto [pad_top, pad_left] = leading_pads(c, out);
    const auto acc = reference::conv2d_accumulators(input, c.input, weights, c.weights, c.spec, out, pad_top, pad_left);
    std::vector<int64_t> expected(acc.begin(), acc.end());
    if constexpr (!std::is_same_v<Out, int32_t>) {
        const auto q = reference::requantize_gemm(acc, out[3], requantization_of(c.spec), std::is_signed_v<Out>);
        expected.assign(q.begin(), q.end());
    }
    int failures = 0;
    for (size_t i = 0; i < result.size() && failures < 5; ++i) {
        if (static_cast<int64_t>(result[i]) != expected[i]) {
            ADD_FAILURE() << "element " << i << ": got " << int64_t(result[i]) << ", expected " << expected[i];
            ++failures;
        }
    }
}

ConvCase random_conv_case(int64_t size, int64_t in_channels, int64_t out_channels, int64_t kernel, int stride,
                          int dilation, int groups, bool same) {
    ConvCase c;
    c.input = {random_int(1, 2), size, size + random_int(0, 2), in_channels};
    c.weights = {kernel, kernel, in_channels / groups, out_channels};
    c.spec.stride_h = c.spec.stride_w = stride;
    c.spec.dilation_h = c.spec.dilation_w = dilation;
    c.spec.groups = groups;
    c.spec.same_padding = same;
    if (!same) {
        c.spec.pad_top = random_int(0, 2);
        c.spec.pad_left = random_int(0, 2);
        c.spec.pad_bottom = random_int(0, 2);
        c.spec.pad_right = random_int(0, 2);
        // Keep the kernel inside the padded input.
        const int64_t span = dilation * (kernel - 1) + 1;
        c.spec.pad_bottom += static_cast<int>(std::max<int64_t>(0, span - (size + c.spec.pad_top + c.spec.pad_bottom)));
        c.spec.pad_right += static_cast<int>(std::max<int64_t>(0, span - (size + c.spec.pad_left + c.spec.pad_right)));
    }
    c.spec.weight_zero_point = random_int(0, 3) == 0 ? random_int(-128, 127) : 0;
    if (random_int(0, 1)) {
        c.spec.bias = random_ints<int32_t>(out_channels, -50000, 50000);
    }
    c.spec.requantization = random_int(0, 1) ? Requantization::float32 : Requantization::fixed;
    if (random_int(0, 1)) c.spec.output_table = random_ints<uint8_t>(kLutEntries, 0, 255);  // fused activation
    const double typical = 128.0 * 128.0 * std::sqrt(static_cast<double>(kernel * kernel * in_channels / groups));
    for (int64_t i = 0; i < out_channels; ++i) {
        const double real = (0.3 + 3.0 * random_int(0, 1000) / 1000.0) * 100.0 / typical;
        c.spec.output_multipliers.push_back(quantize_multiplier(real));
        c.spec.output_scales.push_back(static_cast<float>(real));
    }
    return c;
}

class ConvTest : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
protected:
    KernelChoice choice() const { return {std::get<0>(GetParam()), std::get<1>(GetParam())}; }
};

template <class A>
void run_all_outputs(ConvCase c, const KernelChoice& choice, Algorithm algorithm = Algorithm::direct) {
    const IntegerRange range = std::is_signed_v<A> ? IntegerRange{-128, 127} : IntegerRange{0, 255};
    c.spec.input_zero_point = random_int(range.min, range.max);
    c.spec.output_zero_point = random_int(range.min, range.max);
    const auto input = random_ints<A>(c.input[0] * c.input[1] * c.input[2] * c.input[3], range.min, range.max);
    const auto weights = random_ints<int8_t>(c.weights[0] * c.weights[1] * c.weights[2] * c.weights[3], -128, 127);
    expect_conv_matches<A, A>(c, input, weights, choice, algorithm);
    expect_conv_matches<A, int32_t>(c, input, weights, choice, algorithm);
}

struct ConvShapeCase {
    int64_t size, in_channels, out_channels, kernel;
    int stride, dilation, groups;
    bool same;
};

// Odd shapes for the (non-depthwise) convolution algorithms.
const std::vector<ConvShapeCase>& odd_conv_shapes() {
    static const std::vector<ConvShapeCase> shapes = {
        {1, 1, 1, 1, 1, 1, 1, false},  {1, 3, 5, 1, 1, 1, 1, false},   {5, 3, 17, 3, 1, 1, 1, false},
        {7, 17, 5, 3, 2, 1, 1, true},  {9, 5, 3, 5, 1, 2, 1, false},   {8, 6, 9, 3, 2, 1, 3, true},
        {6, 4, 4, 3, 1, 1, 2, false},  {11, 3, 17, 7, 2, 1, 1, true},  {4, 17, 17, 1, 1, 1, 1, false},
        {3, 4, 6, 5, 1, 2, 2, false},  {10, 16, 32, 3, 1, 1, 1, true}, {5, 1, 3, 3, 2, 2, 1, true},
    };
    return shapes;
}

void run_odd_shapes(const KernelChoice& choice, Algorithm algorithm) {
    for (const auto& s : odd_conv_shapes()) {
        const ConvCase c = random_conv_case(s.size, s.in_channels, s.out_channels, s.kernel, s.stride, s.dilation,
                                            s.groups, s.same);
        run_all_outputs<uint8_t>(c, choice, algorithm);
        run_all_outputs<int8_t>(c, choice, algorithm);
    }
}

TEST_P(ConvTest, MatchesReferenceOnOddShapes) {
    run_odd_shapes(choice(), Algorithm::direct);
}

// 1x1, unit stride, no padding: the pointwise fast path (gemm_q8's kernels for the schedules it
// has, the direct kernels for the loop interchanges).
TEST_P(ConvTest, PointwiseMatchesReference) {
    const std::vector<std::pair<int64_t, int64_t>> channels = {{1, 1}, {3, 5}, {5, 17}, {17, 70}, {64, 24}};
    for (const auto& [in_channels, out_channels] : channels) {
        ConvCase c = random_conv_case(random_int(1, 9), in_channels, out_channels, 1, 1, 1, 1, false);
        c.spec.pad_top = c.spec.pad_left = c.spec.pad_bottom = c.spec.pad_right = 0;
        run_all_outputs<uint8_t>(c, choice());
        run_all_outputs<int8_t>(c, choice());
    }
}

// Every input at one end of its range and the zero point at the other, with padding: the
// padded taps must still contribute exactly nothing.
TEST_P(ConvTest, MatchesReferenceAtExtremeValues) {
    ConvCase c = random_conv_case(5, 8, 8, 3, 1, 1, 1, true);
    c.spec.input_zero_point = 0;
    c.spec.weight_zero_point = 127;
    c.spec.output_zero_point = 0;
    const std::vector<uint8_t> input(1 * 5 * 7 * 8 * 2, 255);
    c.input[0] = 2;
    c.input[2] = 7;
    const std::vector<int8_t> weights(3 * 3 * 8 * 8, -128);
    expect_conv_matches<uint8_t, uint8_t>(c, input, weights, choice());
    expect_conv_matches<uint8_t, int32_t>(c, input, weights, choice());
}

std::vector<std::tuple<std::string, std::string>> all_conv_variants() {
    std::vector<std::tuple<std::string, std::string>> variants;
    for (const auto& v : kernel_variants("conv2d_q8")) {
        variants.emplace_back(v.schedule, v.isa);
    }
    return variants;
}

INSTANTIATE_TEST_SUITE_P(AllSchedulesAndIsas, ConvTest, ::testing::ValuesIn(all_conv_variants()),
                         [](const auto& info) {
                             return testing::param_name(std::get<0>(info.param) + "_" + std::get<1>(info.param));
                         });

// im2col + gemm_q8 on every gemm schedule x ISA.
class Im2colTest : public ConvTest {};

TEST_P(Im2colTest, MatchesReferenceOnOddShapes) {
    run_odd_shapes(choice(), Algorithm::im2col);
}

std::vector<std::tuple<std::string, std::string>> all_gemm_variants() {
    std::vector<std::tuple<std::string, std::string>> variants;
    for (const auto& v : kernel_variants("gemm_q8")) {
        variants.emplace_back(v.schedule, v.isa);
    }
    return variants;
}

INSTANTIATE_TEST_SUITE_P(AllGemmSchedulesAndIsas, Im2colTest, ::testing::ValuesIn(all_gemm_variants()),
                         [](const auto& info) {
                             return testing::param_name(std::get<0>(info.param) + "_" + std::get<1>(info.param));
                         });

TEST(Im2colErrors, DepthwiseIsRefused) {
    Conv2dSpec spec;
    spec.groups = 4;
    const std::vector<int8_t> weights(3 * 3 * 4);
    const PackedConvWeights packed(Span<const int8_t>(weights), {3, 3, 1, 4}, 4);
    std::vector<uint8_t> input(5 * 5 * 4);
    std::vector<int32_t> output(5 * 5 * 4);
    testing::expect_error(
        [&] { conv2d_q8_im2col(Span<const uint8_t>(input), {1, 5, 5, 4}, packed, spec, Span<int32_t>(output)); },
        "depthwise convolutions have their own kernels");
}

// Depthwise convolutions (one input channel per group, channel multiplier 1 to 3) on the
// depthwise kernels' schedules.
class DepthwiseTest : public ConvTest {};

TEST_P(DepthwiseTest, MatchesReferenceOnOddShapes) {
    struct DepthwiseShape {
        int64_t size, channels, multiplier, kernel;
        int stride, dilation;
        bool same;
    };
    const std::vector<DepthwiseShape> shapes = {
        {1, 1, 1, 1, 1, 1, false}, {1, 3, 2, 3, 1, 1, true},  {5, 5, 1, 3, 1, 1, true},  {7, 17, 1, 3, 2, 1, true},
        {9, 3, 3, 5, 1, 2, false}, {11, 16, 1, 7, 2, 1, true}, {4, 17, 2, 1, 1, 1, false}, {12, 32, 1, 3, 1, 1, true},
        {6, 24, 1, 3, 2, 1, false},
    };
    for (const auto& s : shapes) {
        const ConvCase c = random_conv_case(s.size, s.channels, s.channels * s.multiplier, s.kernel, s.stride,
                                            s.dilation, static_cast<int>(s.channels), s.same);
        run_all_outputs<uint8_t>(c, choice());
        run_all_outputs<int8_t>(c, choice());
    }
}

TEST_P(DepthwiseTest, MatchesReferenceAtExtremeValues) {
    ConvCase c = random_conv_case(5, 8, 8, 3, 1, 1, 8, true);
    c.spec.input_zero_point = 0;
    c.spec.weight_zero_point = 127;
    c.spec.output_zero_point = 0;
    c.input[0] = 2;
    c.input[2] = 7;
    const std::vector<uint8_t> input(2 * 5 * 7 * 8, 255);
    const std::vector<int8_t> weights(3 * 3 * 1 * 8, -128);
    expect_conv_matches<uint8_t, uint8_t>(c, input, weights, choice());
    expect_conv_matches<uint8_t, int32_t>(c, input, weights, choice());
}

std::vector<std::tuple<std::string, std::string>> all_depthwise_variants() {
    std::vector<std::tuple<std::string, std::string>> variants{{"", ""}};  // the default choice
    for (const auto& v : kernel_variants("depthwise_conv2d_q8")) {
        variants.emplace_back(v.schedule, v.isa);
    }
    return variants;
}

INSTANTIATE_TEST_SUITE_P(AllSchedulesAndIsas, DepthwiseTest, ::testing::ValuesIn(all_depthwise_variants()),
                         [](const auto& info) {
                             const std::string name = std::get<0>(info.param) + "_" + std::get<1>(info.param);
                             return testing::param_name(name == "_" ? "default" : name);
                         });

TEST(ConvErrors, BadParametersAreClearErrors) {
    Conv2dSpec spec;
    spec.output_multipliers = {quantize_multiplier(0.01)};
    const Shape in = {1, 4, 4, 6}, w = {3, 3, 6, 4};
    testing::expect_error([&] { conv2d_output_shape(in, {7, 7, 6, 4}, spec); }, "kernel h spans 7 inputs");
    Conv2dSpec zero_stride = spec;
    zero_stride.stride_h = 0;
    testing::expect_error([&] { conv2d_output_shape(in, w, zero_stride); }, "stride h = 0");
    testing::expect_error([&] { conv2d_output_shape(in, {3, 3, 5, 4}, spec); }, "weights hold 5 input channels");
    Conv2dSpec groups = spec;
    groups.groups = 4;
    testing::expect_error([&] { conv2d_output_shape(in, {3, 3, 1, 4}, groups); }, "groups = 4 must divide");
    testing::expect_error([&] { conv2d_output_shape({1, 4, 4}, w, spec); }, "rank 4");
    std::vector<uint8_t> input(1 * 4 * 4 * 6), output(1 * 2 * 2 * 4);
    std::vector<int8_t> weights(3 * 3 * 6 * 4);
    testing::expect_error(
        [&] {
            conv2d_q8(Span<const uint8_t>(input.data(), 10), in, Span<const int8_t>(weights), w, spec,
                      Span<uint8_t>(output));
        },
        "input holds 10 elements");
    testing::expect_error(
        [&] {
            conv2d_q8(Span<const uint8_t>(input), in, Span<const int8_t>(weights), w, spec,
                      Span<uint8_t>(output.data(), 3));
        },
        "output holds 3 elements");
    Conv2dSpec short_table = spec;
    short_table.output_table.assign(100, 0);
    testing::expect_error(
        [&] {
            conv2d_q8(Span<const uint8_t>(input), in, Span<const int8_t>(weights), w, short_table, Span<uint8_t>(output));
        },
        "output table has 100 entries, needs 256");
    Conv2dSpec int32_table = spec;
    int32_table.output_table.assign(256, 0);
    std::vector<int32_t> accumulators(output.size());
    testing::expect_error(
        [&] {
            conv2d_q8(Span<const uint8_t>(input), in, Span<const int8_t>(weights), w, int32_table,
                      Span<int32_t>(accumulators));
        },
        "an output table needs an 8-bit output");
}

}  // namespace
}  // namespace haqm
