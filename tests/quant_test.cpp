// quant/: integer ranges and the Q31 multiplier rule, against hand-derived values and properties.
#include <gtest/gtest.h>

#include <cmath>

#include "haqm/quant.h"
#include "test_support.h"

namespace haqm {
namespace {

TEST(IntegerRange, MatchesTheTwoComplementAndUnsignedRanges) {
    EXPECT_EQ(integer_range(8, true).min, -128);
    EXPECT_EQ(integer_range(8, true).max, 127);
    EXPECT_EQ(integer_range(8, false).max, 255);
    EXPECT_EQ(integer_range(4, true).min, -8);
    EXPECT_EQ(integer_range(4, true).max, 7);
    EXPECT_EQ(integer_range(2, false).max, 3);
    EXPECT_EQ(integer_range(3, false).min, 0);
}

TEST(QuantizeMultiplier, HandDerivedValues) {
    // 0.5 = 2^30 * 2^(0 - 31); 0.75 = 0.75 * 2^31 * 2^(0 - 31); 1.0 = 2^30 * 2^(1 - 31).
    EXPECT_EQ(quantize_multiplier(0.5).multiplier, 1 << 30);
    EXPECT_EQ(quantize_multiplier(0.5).shift, 0);
    EXPECT_EQ(quantize_multiplier(0.75).multiplier, 1610612736);
    EXPECT_EQ(quantize_multiplier(1.0).multiplier, 1 << 30);
    EXPECT_EQ(quantize_multiplier(1.0).shift, 1);
    EXPECT_EQ(quantize_multiplier(0.001).shift, -9);  // 0.001 = 0.512 * 2^-9
}

TEST(QuantizeMultiplier, ReconstructsTheRealWithinHalfAnUlpOfQ31) {
    for (int i = 0; i < 10000; ++i) {
        const double real = std::exp(testing::random_float(std::log(1e-9f), std::log(1e8f)));
        const auto q = quantize_multiplier(real);
        ASSERT_GE(q.shift, kMinMultiplierShift);
        ASSERT_LE(q.shift, kMaxMultiplierShift);
        const double reconstructed = std::ldexp(static_cast<double>(q.multiplier), q.shift - 31);
        if (q.shift > kMinMultiplierShift) {
            ASSERT_GE(q.multiplier, 1 << 30) << real;
            ASSERT_LE(std::abs(reconstructed - real), std::ldexp(1.0, q.shift - 32)) << real;
        } else {  // denormalized: absolute error of half a step of 2^-61
            ASSERT_LE(std::abs(reconstructed - real), std::ldexp(1.0, -62)) << real;
        }
    }
}

TEST(QuantizeMultiplier, TinyMultipliersDenormalize) {
    const auto q = quantize_multiplier(std::ldexp(1.0, -40));
    EXPECT_EQ(q.shift, kMinMultiplierShift);
    EXPECT_EQ(q.multiplier, 1 << 21);  // 2^-40 = 2^21 * 2^(-30 - 31)
}

TEST(RequantizationMultiplier, IsTheProductOfScalesOverOutputScale) {
    const auto a = requantization_multiplier(0.02, 0.005, 0.1);
    const auto b = quantize_multiplier(0.02 * 0.005 / 0.1);
    EXPECT_EQ(a.multiplier, b.multiplier);
    EXPECT_EQ(a.shift, b.shift);
}

}  // namespace
}  // namespace haqm
