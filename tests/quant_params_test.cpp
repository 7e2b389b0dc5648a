// quant_params.h: ranges, parameter layouts, parameters from observed ranges and round trips,
// against hand-derived values and properties over random ranges.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "haqm/error.h"
#include "haqm/quant_params.h"

namespace haqm {
namespace {

std::mt19937& rng() {
    static std::mt19937 engine(20261125);
    return engine;
}

float random_float(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng()); }

QuantScheme per_channel(int axis) {
    QuantScheme scheme;
    scheme.granularity = Granularity::per_channel;
    scheme.axis = axis;
    return scheme;
}

QuantScheme per_group(int64_t group_size) {
    QuantScheme scheme;
    scheme.granularity = Granularity::per_group;
    scheme.group_size = group_size;
    return scheme;
}

TEST(QuantRange, HandDerivedRanges) {
    const struct {
        int bits;
        bool is_signed;
        int32_t min, max;
    } cases[] = {
        {1, true, -1, 0},          {1, false, 0, 1},       {4, true, -8, 7},
        {4, false, 0, 15},         {8, true, -128, 127},   {8, false, 0, 255},
        {16, true, -32768, 32767}, {16, false, 0, 65535},
    };
    for (const auto& c : cases) {
        const IntegerRange range = quant_range(c.bits, c.is_signed);
        EXPECT_EQ(range.min, c.min) << c.bits << (c.is_signed ? " signed" : " unsigned");
        EXPECT_EQ(range.max, c.max) << c.bits << (c.is_signed ? " signed" : " unsigned");
    }
}

TEST(QuantRange, UnsupportedWidthsAreErrors) {
    for (const int bits : {-1, 0, 9, 15, 17, 32}) {
        EXPECT_THROW(quant_range(bits, true), Error) << bits;
        EXPECT_THROW(quant_range(bits, false), Error) << bits;
    }
}

const std::vector<int64_t> kShape = {2, 3, 4};

TEST(ParameterLayout, PerTensorHasOneSet) {
    EXPECT_EQ(parameter_count(QuantScheme{}, kShape), 1u);
    for (int64_t i = 0; i < 24; ++i) {
        EXPECT_EQ(parameter_index(QuantScheme{}, kShape, i), 0u);
    }
}

TEST(ParameterLayout, PerChannelCountsAndIndicesOnEveryAxis) {
    EXPECT_EQ(parameter_count(per_channel(0), kShape), 2u);
    EXPECT_EQ(parameter_count(per_channel(1), kShape), 3u);
    EXPECT_EQ(parameter_count(per_channel(2), kShape), 4u);
    EXPECT_EQ(parameter_count(per_channel(-1), kShape), 4u);
    EXPECT_EQ(parameter_count(per_channel(-3), kShape), 2u);
    // Element (i, j, k) is at row-major index 12 i + 4 j + k; its channel is its coordinate.
    for (int64_t i = 0; i < 2; ++i) {
        for (int64_t j = 0; j < 3; ++j) {
            for (int64_t k = 0; k < 4; ++k) {
                const int64_t index = 12 * i + 4 * j + k;
                EXPECT_EQ(parameter_index(per_channel(0), kShape, index), static_cast<size_t>(i)) << index;
                EXPECT_EQ(parameter_index(per_channel(1), kShape, index), static_cast<size_t>(j)) << index;
                EXPECT_EQ(parameter_index(per_channel(-1), kShape, index), static_cast<size_t>(k)) << index;
            }
        }
    }
    // Spot checks: element 23 is (1, 2, 3), element 13 is (1, 0, 1).
    EXPECT_EQ(parameter_index(per_channel(1), kShape, 23), 2u);
    EXPECT_EQ(parameter_index(per_channel(1), kShape, 13), 0u);
    EXPECT_EQ(parameter_index(per_channel(-1), kShape, 13), 1u);
}

TEST(ParameterLayout, PerGroupRoundsGroupsPerRowUp) {
    // Last dimension 4 in groups of 3: groups {0, 1, 2} and {3} in each of the 6 rows.
    EXPECT_EQ(parameter_count(per_group(3), kShape), 12u);
    const size_t expected[24] = {0, 0, 0, 1, 2, 2, 2, 3, 4,  4,  4,  5,
                                 6, 6, 6, 7, 8, 8, 8, 9, 10, 10, 10, 11};
    for (int64_t index = 0; index < 24; ++index) {
        EXPECT_EQ(parameter_index(per_group(3), kShape, index), expected[index]) << index;
    }
    EXPECT_EQ(parameter_count(per_group(4), kShape), 6u);
    EXPECT_EQ(parameter_count(per_group(1), kShape), 24u);
    EXPECT_EQ(parameter_count(per_group(100), kShape), 6u);  // one group per row
}

TEST(ParameterLayout, InvalidSchemesAndShapesAreErrors) {
    for (const int axis : {3, -4}) {
        EXPECT_THROW(parameter_count(per_channel(axis), kShape), Error) << axis;
        EXPECT_THROW(parameter_index(per_channel(axis), kShape, 0), Error) << axis;
    }
    EXPECT_THROW(parameter_count(per_group(0), kShape), Error);
    EXPECT_THROW(parameter_index(per_group(0), kShape, 5), Error);
    EXPECT_THROW(parameter_count(per_group(-2), kShape), Error);
    EXPECT_THROW(parameter_count(per_group(2), {}), Error);
    EXPECT_THROW(parameter_count(per_channel(0), {}), Error);
    for (const auto& scheme : {QuantScheme{}, per_channel(1), per_group(2)}) {
        EXPECT_THROW(parameter_count(scheme, {2, 0, 4}), Error);
        EXPECT_THROW(parameter_index(scheme, {2, 0, 4}, 0), Error);
        EXPECT_THROW(parameter_index(scheme, {2, 3, 0}, 0), Error);
        EXPECT_THROW(parameter_index(scheme, kShape, -1), Error);
        EXPECT_THROW(parameter_index(scheme, kShape, 24), Error);
    }
}

TEST(ParamsFromRanges, SymmetricStepIsTwiceTheLargestMagnitudeOverLevels) {
    // [-1, 2]: the largest magnitude is 2, so the step is 4 / 255 and the zero point 0 (signed)
    // or 128 (unsigned, the middle of [0, 255]).
    const QuantParams s8 = params_from_ranges(QuantScheme{8, true, true}, {-1.0f}, {2.0f});
    EXPECT_FLOAT_EQ(s8.scales[0], 4.0f / 255.0f);
    EXPECT_EQ(s8.zero_points[0], 0);
    const QuantParams u8 = params_from_ranges(QuantScheme{8, false, true}, {-1.0f}, {2.0f});
    EXPECT_FLOAT_EQ(u8.scales[0], 4.0f / 255.0f);
    EXPECT_EQ(u8.zero_points[0], 128);
    // 4 bits, [-3, 1.5]: 6 / 15; one scale per range, in order.
    const QuantParams s4 = params_from_ranges(QuantScheme{4, true, true}, {-3.0f, -0.5f}, {1.5f, 0.25f});
    ASSERT_EQ(s4.scales.size(), 2u);
    EXPECT_FLOAT_EQ(s4.scales[0], 6.0f / 15.0f);
    EXPECT_FLOAT_EQ(s4.scales[1], 1.0f / 15.0f);
    EXPECT_EQ(s4.scheme.bits, 4);
}

TEST(ParamsFromRanges, AsymmetricHandDerivedValues) {
    // [-1, 2] in 8 unsigned bits: step 3 / 255, zero point 0 - round(-1 / (3/255)) = round(85) = 85.
    const QuantParams u8 = params_from_ranges(QuantScheme{8, false, false}, {-1.0f}, {2.0f});
    EXPECT_FLOAT_EQ(u8.scales[0], 3.0f / 255.0f);
    EXPECT_EQ(u8.zero_points[0], 85);
    // The same range signed: -128 + 85 = -43.
    const QuantParams s8 = params_from_ranges(QuantScheme{8, true, false}, {-1.0f}, {2.0f});
    EXPECT_EQ(s8.zero_points[0], -43);
    // [1, 3] does not contain 0 and widens to [0, 3]: step 3 / 15, zero point at qmin.
    const QuantParams u4 = params_from_ranges(QuantScheme{4, false, false}, {1.0f}, {3.0f});
    EXPECT_FLOAT_EQ(u4.scales[0], 3.0f / 15.0f);
    EXPECT_EQ(u4.zero_points[0], 0);
    // [-4, -2] widens to [-4, 0]: the zero point is qmax.
    const QuantParams s4 = params_from_ranges(QuantScheme{4, true, false}, {-4.0f}, {-2.0f});
    EXPECT_FLOAT_EQ(s4.scales[0], 4.0f / 15.0f);
    EXPECT_EQ(s4.zero_points[0], 7);
}

TEST(ParamsFromRanges, ZeroWidthRangesGetScaleOne) {
    for (const bool symmetric : {true, false}) {
        for (const bool is_signed : {true, false}) {
            const QuantParams params = params_from_ranges(QuantScheme{8, is_signed, symmetric}, {0.0f}, {0.0f});
            EXPECT_EQ(params.scales[0], 1.0f);
            const auto q = quantize_tensor({0.0f}, {1}, params);
            EXPECT_EQ(q[0], params.zero_points[0]);
            EXPECT_EQ(dequantize_tensor(q, {1}, params)[0], 0.0f);
        }
    }
    // A single nonzero value is a zero-width range too, but widening to 0 gives it a real step.
    const QuantParams widened = params_from_ranges(QuantScheme{8, false, false}, {2.55f}, {2.55f});
    EXPECT_FLOAT_EQ(widened.scales[0], 0.01f);
}

TEST(ParamsFromRanges, RangesTooNarrowForAFloatStepQuantizeToTheZeroPoint) {
    // 1e-44 / 255 underflows float: the range is empty at float resolution, like [0, 0].
    const float tiny = 1e-44f;
    for (const bool symmetric : {true, false}) {
        const QuantParams params = params_from_ranges(QuantScheme{8, false, symmetric}, {-tiny}, {tiny});
        EXPECT_GT(params.scales[0], 0.0f);
        const auto q = quantize_tensor({-tiny, 0.0f, tiny}, {3}, params);
        for (const int32_t value : q) {
            EXPECT_EQ(value, params.zero_points[0]);
        }
    }
}

TEST(ParamsFromRanges, InvalidRangesAreErrors) {
    const QuantScheme scheme = QuantScheme{8, true, false};
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    EXPECT_THROW(params_from_ranges(scheme, {1.0f}, {-1.0f}), Error);  // inverted
    EXPECT_THROW(params_from_ranges(scheme, {nan}, {1.0f}), Error);
    EXPECT_THROW(params_from_ranges(scheme, {-1.0f}, {nan}), Error);
    EXPECT_THROW(params_from_ranges(scheme, {-inf}, {1.0f}), Error);
    EXPECT_THROW(params_from_ranges(scheme, {0.0f, 1.0f}, {1.0f}), Error);  // size mismatch
    EXPECT_THROW(params_from_ranges(scheme, {}, {}), Error);
    EXPECT_THROW(params_from_ranges(QuantScheme{9, true, false}, {0.0f}, {1.0f}), Error);
    // A range whose step overflows float (1-bit symmetric: step 2 * 3e38).
    EXPECT_THROW(params_from_ranges(QuantScheme{1, true, true}, {-3e38f}, {3e38f}), Error);
}

// Quantizes `x` with per-tensor parameters for [lo, hi] and checks the round trip: error within
// half a step inside the (widened) range, 0.0 exact, saturation outside, monotonic in x.
void check_round_trip(const QuantScheme& scheme, float lo, float hi) {
    SCOPED_TRACE(::testing::Message() << "bits " << scheme.bits << (scheme.is_signed ? " signed" : " unsigned")
                                      << (scheme.symmetric ? " symmetric" : " asymmetric") << " [" << lo << ", "
                                      << hi << "]");
    const QuantParams params = params_from_ranges(scheme, {lo}, {hi});
    const IntegerRange range = quant_range(scheme.bits, scheme.is_signed);
    const float scale = params.scales[0];
    ASSERT_GT(scale, 0.0f);
    ASSERT_GE(params.zero_points[0], range.min);
    ASSERT_LE(params.zero_points[0], range.max);

    // The interval the parameters must cover: widened to 0, and symmetric around 0 if symmetric.
    const float bound = std::max(std::fabs(lo), std::fabs(hi));
    const float covered_lo = scheme.symmetric ? -bound : std::min(lo, 0.0f);
    const float covered_hi = scheme.symmetric ? bound : std::max(hi, 0.0f);
    // Half a step, plus float rounding of the division and of the product in the round trip.
    const float tolerance = scale / 2 + 4 * std::numeric_limits<float>::epsilon() * bound;

    std::vector<float> x;
    for (int i = 0; i <= 1000; ++i) {
        x.push_back(covered_lo + (covered_hi - covered_lo) * static_cast<float>(i) / 1000.0f);
    }
    x.push_back(0.0f);
    const std::vector<int64_t> shape = {static_cast<int64_t>(x.size())};
    const auto q = quantize_tensor(x, shape, params);
    const auto y = dequantize_tensor(q, shape, params);
    for (size_t i = 0; i < x.size(); ++i) {
        ASSERT_LE(std::fabs(y[i] - x[i]), tolerance) << x[i] << " -> " << q[i];
    }
    EXPECT_EQ(q.back(), params.zero_points[0]);
    EXPECT_EQ(y.back(), 0.0f);
    for (size_t i = 1; i + 1 < x.size(); ++i) {
        ASSERT_LE(q[i - 1], q[i]) << x[i - 1] << " then " << x[i];
    }

    const float far = 4 * std::max(bound, scale) + 1.0f;
    const auto outside = quantize_tensor({-far, far, -std::numeric_limits<float>::max(),
                                          std::numeric_limits<float>::max()},
                                         {4}, params);
    EXPECT_EQ(outside[0], range.min);
    EXPECT_EQ(outside[1], range.max);
    EXPECT_EQ(outside[2], range.min);
    EXPECT_EQ(outside[3], range.max);
}

TEST(RoundTrip, HandPickedRanges) {
    for (const int bits : {2, 4, 8, 16}) {
        for (const bool is_signed : {true, false}) {
            for (const bool symmetric : {true, false}) {
                const QuantScheme scheme = QuantScheme{bits, is_signed, symmetric};
                check_round_trip(scheme, -1.0f, 2.0f);
                check_round_trip(scheme, 0.5f, 3.0f);      // widened down to 0
                check_round_trip(scheme, -7.0f, -0.25f);   // widened up to 0
                check_round_trip(scheme, -1e-3f, 1e-3f);
                check_round_trip(scheme, -2e4f, 1e4f);
            }
        }
    }
}

TEST(RoundTrip, RandomRangesKeepZeroExactAndErrorsWithinHalfAStep) {
    for (int i = 0; i < 400; ++i) {
        const int bits = std::uniform_int_distribution<int>(1, 9)(rng());
        const QuantScheme scheme = QuantScheme{bits == 9 ? 16 : bits, i % 2 == 0, i % 4 < 2};
        const float magnitude = std::exp(random_float(std::log(1e-4f), std::log(1e4f)));
        float lo = random_float(-magnitude, magnitude), hi = random_float(-magnitude, magnitude);
        if (lo > hi) {
            std::swap(lo, hi);
        }
        check_round_trip(scheme, lo, hi);
        if (::testing::Test::HasFatalFailure()) {
            return;
        }
    }
}

TEST(RoundTrip, PerChannelUsesEachChannelsParameters) {
    // Channels on axis 1 of [2, 2]: column 0 in [-1, 2] (step 1/85, zero point 85), column 1 in
    // [0, 100] (step 100/255, zero point 0).
    QuantScheme scheme = per_channel(1);
    scheme.symmetric = false;
    scheme.is_signed = false;
    const QuantParams params = params_from_ranges(scheme, {-1.0f, 0.0f}, {2.0f, 100.0f});
    EXPECT_EQ(params.zero_points, (std::vector<int32_t>{85, 0}));
    const auto q = quantize_tensor({2.0f, 100.0f, 0.0f, 0.0f}, {2, 2}, params);
    EXPECT_EQ(q, (std::vector<int32_t>{255, 255, 85, 0}));
}

TEST(RoundTrip, InvalidInputsAreErrors) {
    const QuantParams params = params_from_ranges(QuantScheme{8, true, false}, {-1.0f}, {1.0f});
    EXPECT_THROW(quantize_tensor({1.0f, 2.0f}, {3}, params), Error);
    EXPECT_THROW(dequantize_tensor({1, 2}, {3}, params), Error);
    EXPECT_THROW(quantize_tensor({std::numeric_limits<float>::quiet_NaN()}, {1}, params), Error);
    EXPECT_THROW(dequantize_tensor({128}, {1}, params), Error);  // not an 8-bit signed value
    // Parameters that do not match the scheme and shape.
    QuantParams per_channel_params = params;
    per_channel_params.scheme = per_channel(0);
    EXPECT_THROW(quantize_tensor({0.0f, 0.0f}, {2, 1}, per_channel_params), Error);
    EXPECT_THROW(dequantize_tensor({0, 0}, {2, 1}, per_channel_params), Error);
    QuantParams bad_scale = params;
    bad_scale.scales[0] = 0.0f;
    EXPECT_THROW(quantize_tensor({0.0f}, {1}, bad_scale), Error);
    EXPECT_THROW(dequantize_tensor({0}, {1}, bad_scale), Error);
    QuantParams bad_zero_point = params;
    bad_zero_point.zero_points[0] = 200;
    EXPECT_THROW(quantize_tensor({0.0f}, {1}, bad_zero_point), Error);
}

TEST(Sqnr, HandDerivedValue) {
    // Signal 1 + 1 = 2, noise 0.1^2 = 0.01 (0.9f is 0.9 to within 3e-8).
    EXPECT_NEAR(sqnr_db({1.0f, 1.0f}, {1.0f, 0.9f}), 10.0 * std::log10(2.0 / 0.01), 1e-5);
    // Exact binary values: signal 3^2 + 4^2 = 25, noise 0.5^2 + 0.25^2 = 0.3125.
    EXPECT_DOUBLE_EQ(sqnr_db({3.0f, 4.0f}, {2.5f, 4.25f}), 10.0 * std::log10(25.0 / 0.3125));
}

TEST(Sqnr, IdenticalSignalsAreInfinite) {
    EXPECT_EQ(sqnr_db({1.0f, -2.0f, 0.0f}, {1.0f, -2.0f, 0.0f}), std::numeric_limits<double>::infinity());
}

TEST(Sqnr, MismatchedOrEmptySignalsAreErrors) {
    EXPECT_THROW(sqnr_db({1.0f, 2.0f}, {1.0f}), Error);
    EXPECT_THROW(sqnr_db({}, {}), Error);
}

}  // namespace
}  // namespace haqm
