// Qm.n fixed-point types: hand-derived values, ties to even, saturation at both ends, round trips,
// and products checked against an independent double-precision reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "haqm/error.h"
#include "haqm/fixed_point_types.h"

namespace haqm {
namespace {

std::mt19937& rng() {
    static std::mt19937 engine(20261125);
    return engine;
}

TEST(FixedPoint, RangesFollowTheSignInsideTheIntegerBitsConvention) {
    EXPECT_EQ(Q4_4::lowest().to_float(), -8.0);
    EXPECT_EQ(Q4_4::highest().to_float(), 7.9375);  // 127 / 16
    EXPECT_EQ(Q7_8::lowest().to_float(), -64.0);
    EXPECT_EQ(Q7_8::highest().to_float(), 63.99609375);  // 16383 / 256
    EXPECT_EQ(Q1_15::lowest().raw(), -32768);
    EXPECT_EQ(Q1_15::highest().raw(), 32767);
    EXPECT_EQ(Q1_31::lowest().raw(), std::numeric_limits<int32_t>::min());
    EXPECT_EQ(Q1_31::highest().raw(), std::numeric_limits<int32_t>::max());
    EXPECT_EQ(Q1_15().raw(), 0);
}

TEST(FixedPoint, FromFloatHandDerivedValues) {
    EXPECT_EQ(Q1_15::from_float(0.5).raw(), 16384);
    EXPECT_EQ(Q1_15::from_float(-1.0).raw(), -32768);
    EXPECT_EQ(Q1_15::from_float(-0.25).raw(), -8192);
    EXPECT_EQ(Q4_4::from_float(1.0).raw(), 16);
    EXPECT_EQ(Q4_4::from_float(-2.5).raw(), -40);
    EXPECT_EQ(Q7_8::from_float(1.0).raw(), 256);
    EXPECT_EQ(Q7_8::from_float(-3.75).raw(), -960);
    EXPECT_EQ(Q1_31::from_float(0.5).raw(), 1 << 30);
    EXPECT_EQ(Q1_31::from_float(std::ldexp(1.0, -31)).raw(), 1);
}

TEST(FixedPoint, FromFloatRoundsTiesToEven) {
    // Q4.4 steps are 1/16: 1/32 is half a step, 3/32 one and a half steps.
    EXPECT_EQ(Q4_4::from_float(1.0 / 32).raw(), 0);
    EXPECT_EQ(Q4_4::from_float(3.0 / 32).raw(), 2);
    EXPECT_EQ(Q4_4::from_float(5.0 / 32).raw(), 2);
    EXPECT_EQ(Q4_4::from_float(-1.0 / 32).raw(), 0);
    EXPECT_EQ(Q4_4::from_float(-3.0 / 32).raw(), -2);
    // Off the tie it rounds to nearest.
    EXPECT_EQ(Q4_4::from_float(1.0 / 32 + 1e-9).raw(), 1);
    EXPECT_EQ(Q4_4::from_float(-3.0 / 32 + 1e-9).raw(), -1);
    EXPECT_EQ(Q1_15::from_float(std::ldexp(1.0, -16)).raw(), 0);
    EXPECT_EQ(Q1_15::from_float(std::ldexp(3.0, -16)).raw(), 2);
}

TEST(FixedPoint, FromFloatSaturatesAtBothEnds) {
    EXPECT_EQ(Q4_4::from_float(8.0).raw(), 127);
    EXPECT_EQ(Q4_4::from_float(1e30).raw(), 127);
    EXPECT_EQ(Q4_4::from_float(-8.03125).raw(), -128);  // half a step below the minimum
    EXPECT_EQ(Q4_4::from_float(-1e30).raw(), -128);
    EXPECT_EQ(Q1_15::from_float(1.0).raw(), 32767);
    EXPECT_EQ(Q7_8::from_float(64.0).raw(), 16383);
    EXPECT_EQ(Q7_8::from_float(-100.0).raw(), -16384);
    EXPECT_EQ(Q1_31::from_float(1.0).raw(), std::numeric_limits<int32_t>::max());
    EXPECT_EQ(Q1_31::from_float(-2.0).raw(), std::numeric_limits<int32_t>::min());
    EXPECT_EQ(Q1_15::from_float(std::numeric_limits<double>::infinity()).raw(), 32767);
    EXPECT_EQ(Q1_15::from_float(-std::numeric_limits<double>::infinity()).raw(), -32768);
}

TEST(FixedPoint, NanAndOutOfRangeRawValuesAreErrors) {
    EXPECT_THROW(Q1_15::from_float(std::nan("")), Error);
    EXPECT_THROW(Q7_8::from_raw(16384), Error);  // Q7.8 is 15 bits wide
    EXPECT_THROW(Q7_8::from_raw(-16385), Error);
    EXPECT_THROW(Q4_4::from_raw(128), Error);
    EXPECT_EQ(Q7_8::from_raw(-16384).to_float(), -64.0);
}

template <class Q>
void expect_every_raw_value_round_trips() {
    for (int64_t raw = Q::kMinRaw; raw <= Q::kMaxRaw; ++raw) {
        const Q value = Q::from_raw(raw);
        ASSERT_EQ(value.to_float(), std::ldexp(static_cast<double>(raw), -Q::kFractionBits)) << raw;
        ASSERT_EQ(Q::from_float(value.to_float()).raw(), raw);
    }
}

TEST(FixedPoint, RoundTripsAreExactOnRepresentableValues) {
    expect_every_raw_value_round_trips<Q4_4>();
    expect_every_raw_value_round_trips<Q7_8>();
    expect_every_raw_value_round_trips<Q1_15>();
    std::uniform_int_distribution<int32_t> any_int32(std::numeric_limits<int32_t>::min(),
                                                     std::numeric_limits<int32_t>::max());
    for (int i = 0; i < 100000; ++i) {
        const int32_t raw = any_int32(rng());
        ASSERT_EQ(Q1_31::from_float(Q1_31::from_raw(raw).to_float()).raw(), raw);
    }
    for (const int64_t raw : {Q1_31::kMinRaw, Q1_31::kMinRaw + 1, int64_t{-1}, int64_t{0}, Q1_31::kMaxRaw}) {
        EXPECT_EQ(Q1_31::from_float(Q1_31::from_raw(raw).to_float()).raw(), raw);
    }
}

TEST(FixedPoint, FromFloatIsMonotonicAndWithinHalfAStepInRange) {
    int64_t previous_raw = Q4_4::kMinRaw;
    for (double x = -9.0; x <= 9.0; x += 0.0007) {
        const Q4_4 q = Q4_4::from_float(x);
        ASSERT_GE(q.raw(), previous_raw) << x;
        previous_raw = q.raw();
        if (x >= Q4_4::lowest().to_float() && x <= Q4_4::highest().to_float()) {
            ASSERT_LE(std::abs(q.to_float() - x), 1.0 / 32) << x;
        }
    }
}

TEST(FixedPoint, AddAndSubAreExactInRangeAndSaturateAtBothEnds) {
    const Q4_4 one = Q4_4::from_float(1.0);
    EXPECT_EQ(saturating_add(Q4_4::from_float(2.5), Q4_4::from_float(-0.75)).raw(), 28);  // 1.75
    EXPECT_EQ(saturating_sub(Q4_4::from_float(2.5), Q4_4::from_float(3.0)).raw(), -8);    // -0.5
    EXPECT_EQ(saturating_add(Q4_4::highest(), one), Q4_4::highest());
    EXPECT_EQ(saturating_add(Q4_4::lowest(), Q4_4::from_float(-1.0)), Q4_4::lowest());
    EXPECT_EQ(saturating_sub(Q4_4::lowest(), one), Q4_4::lowest());
    EXPECT_EQ(saturating_sub(Q4_4::highest(), Q4_4::from_float(-1.0)), Q4_4::highest());
    // 0 - (-1) is +1, one step above the Q1.15 maximum.
    EXPECT_EQ(saturating_sub(Q1_15(), Q1_15::lowest()), Q1_15::highest());
    EXPECT_EQ(saturating_add(Q1_31::highest(), Q1_31::highest()), Q1_31::highest());
    EXPECT_EQ(saturating_add(Q1_31::lowest(), Q1_31::lowest()), Q1_31::lowest());
    EXPECT_EQ(saturating_sub(Q1_31::highest(), Q1_31::lowest()), Q1_31::highest());
    EXPECT_EQ(saturating_sub(Q1_31::lowest(), Q1_31::highest()), Q1_31::lowest());
    // Q7.8 saturates at its own 15 bits, not at int16's.
    EXPECT_EQ(saturating_add(Q7_8::from_float(60.0), Q7_8::from_float(10.0)).raw(), 16383);
    EXPECT_EQ(saturating_sub(Q7_8::from_float(-60.0), Q7_8::from_float(10.0)).raw(), -16384);
}

TEST(FixedPoint, MulHandDerivedValues) {
    const Q1_15 half = Q1_15::from_float(0.5);
    EXPECT_EQ(saturating_mul(half, half).raw(), 8192);  // 0.25
    EXPECT_EQ(saturating_mul(half, Q1_15::from_float(-0.5)).raw(), -8192);
    EXPECT_EQ(saturating_mul(Q1_15::lowest(), half).raw(), -16384);  // -1 * 0.5
    EXPECT_EQ(saturating_mul(Q4_4::from_float(2.5), Q4_4::from_float(-1.5)).raw(), -60);  // -3.75
    EXPECT_EQ(saturating_mul(Q7_8::from_float(-3.0), Q7_8::from_float(-4.0)).raw(), 3072);  // 12
    const Q1_31 q31_half = Q1_31::from_float(0.5);
    EXPECT_EQ(saturating_mul(q31_half, q31_half).raw(), 1 << 29);  // 2^30 * 2^30 / 2^31
}

TEST(FixedPoint, MulRoundsTiesToEven) {
    // raw * 16384 / 32768 is raw / 2: odd raws are ties.
    const Q1_15 half = Q1_15::from_float(0.5);
    EXPECT_EQ(saturating_mul(Q1_15::from_raw(1), half).raw(), 0);    // 0.5 -> 0
    EXPECT_EQ(saturating_mul(Q1_15::from_raw(3), half).raw(), 2);    // 1.5 -> 2
    EXPECT_EQ(saturating_mul(Q1_15::from_raw(5), half).raw(), 2);    // 2.5 -> 2
    EXPECT_EQ(saturating_mul(Q1_15::from_raw(-1), half).raw(), 0);   // -0.5 -> 0
    EXPECT_EQ(saturating_mul(Q1_15::from_raw(-3), half).raw(), -2);  // -1.5 -> -2
    EXPECT_EQ(saturating_mul(Q1_15::from_raw(-5), half).raw(), -2);  // -2.5 -> -2
    // 3/4 of a step rounds up, 1/4 rounds down: raw 3 * 0.25 and raw 1 * 0.25.
    const Q1_15 quarter = Q1_15::from_float(0.25);
    EXPECT_EQ(saturating_mul(Q1_15::from_raw(3), quarter).raw(), 1);
    EXPECT_EQ(saturating_mul(Q1_15::from_raw(-3), quarter).raw(), -1);
    EXPECT_EQ(saturating_mul(Q1_15::from_raw(1), quarter).raw(), 0);
    // Q1.31: raw 3 * 0.5 is the tie 1.5 -> 2.
    EXPECT_EQ(saturating_mul(Q1_31::from_raw(3), Q1_31::from_float(0.5)).raw(), 2);
}

TEST(FixedPoint, MulSaturatesAtBothEnds) {
    // -1 * -1 = +1 is one step above the maximum of every Q1.n.
    EXPECT_EQ(saturating_mul(Q1_15::lowest(), Q1_15::lowest()).raw(), 32767);
    EXPECT_EQ(saturating_mul(Q1_31::lowest(), Q1_31::lowest()).raw(), std::numeric_limits<int32_t>::max());
    EXPECT_EQ(saturating_mul(Q4_4::from_float(4.0), Q4_4::from_float(4.0)), Q4_4::highest());
    EXPECT_EQ(saturating_mul(Q4_4::from_float(4.0), Q4_4::from_float(-4.0)), Q4_4::lowest());
    EXPECT_EQ(saturating_mul(Q7_8::from_float(-10.0), Q7_8::from_float(10.0)), Q7_8::lowest());
}

TEST(FixedPoint, MacRoundsOnceAfterAddingTheExactProduct) {
    const Q1_15 half = Q1_15::from_float(0.5);
    // raw 1 * 0.5 is half a step. Rounded alone it would vanish (tie to 0); added to an odd
    // accumulator first, 1 + 0.5 = 1.5 is a tie that goes to 2.
    EXPECT_EQ(saturating_mac(Q1_15::from_raw(1), Q1_15::from_raw(1), half).raw(), 2);
    EXPECT_EQ(saturating_mac(Q1_15::from_raw(2), Q1_15::from_raw(1), half).raw(), 2);  // 2.5 -> 2
    EXPECT_EQ(saturating_mac(Q1_15::from_raw(-1), Q1_15::from_raw(-1), half).raw(), -2);
    // -1 + (-1) * (-1) = 0: the product +1 is out of range alone but the sum is exact.
    EXPECT_EQ(saturating_mac(Q1_15::lowest(), Q1_15::lowest(), Q1_15::lowest()).raw(), 0);
    EXPECT_EQ(saturating_mac(Q1_31::lowest(), Q1_31::lowest(), Q1_31::lowest()).raw(), 0);
    EXPECT_EQ(saturating_mac(Q4_4::from_float(1.0), Q4_4::from_float(2.5), Q4_4::from_float(-1.5)).raw(), -44);
}

TEST(FixedPoint, MacSaturatesAtBothEnds) {
    const Q1_15 half = Q1_15::from_float(0.5);
    const Q1_15 minus_half = Q1_15::from_float(-0.5);
    EXPECT_EQ(saturating_mac(Q1_15::highest(), half, half), Q1_15::highest());
    EXPECT_EQ(saturating_mac(Q1_15::lowest(), half, minus_half), Q1_15::lowest());
    // The extreme exact sums of Q1.31, (2^31 - 1) * 2^31 + 2^62 and -2^62 - (2^31 - 1) * 2^31,
    // are within int64 and saturate.
    EXPECT_EQ(saturating_mac(Q1_31::highest(), Q1_31::lowest(), Q1_31::lowest()), Q1_31::highest());
    EXPECT_EQ(saturating_mac(Q1_31::lowest(), Q1_31::lowest(), Q1_31::highest()), Q1_31::lowest());
    EXPECT_EQ(saturating_mac(Q4_4::from_float(7.0), Q4_4::from_float(2.0), Q4_4::from_float(2.0)), Q4_4::highest());
}

// Reference: the exact product (below 2^53 for Q1.15, so exact in a double) scaled by 2^-15 and
// rounded by the FPU in its default ties-to-even mode, then clamped.
int64_t reference_q15(double exact_times_2_15) {
    const double rounded = std::nearbyint(std::ldexp(exact_times_2_15, -15));
    return static_cast<int64_t>(std::clamp(rounded, -32768.0, 32767.0));
}

TEST(FixedPoint, Q15MulAndMacMatchADoubleReference) {
    std::uniform_int_distribution<int32_t> any_raw(-32768, 32767);
    for (int i = 0; i < 200000; ++i) {
        const Q1_15 a = Q1_15::from_raw(any_raw(rng()));
        const Q1_15 b = Q1_15::from_raw(any_raw(rng()));
        const Q1_15 acc = Q1_15::from_raw(any_raw(rng()));
        const double product = static_cast<double>(a.raw()) * b.raw();
        ASSERT_EQ(saturating_mul(a, b).raw(), reference_q15(product)) << a.raw() << " * " << b.raw();
        ASSERT_EQ(saturating_mul(a, b), saturating_mul(b, a));
        ASSERT_EQ(saturating_mac(acc, a, b).raw(), reference_q15(std::ldexp(acc.raw(), 15) + product))
            << acc.raw() << " + " << a.raw() << " * " << b.raw();
        ASSERT_EQ(saturating_mac(Q1_15(), a, b), saturating_mul(a, b));
    }
}

TEST(FixedPoint, MulIsMonotonicInEachFactor) {
    // For a fixed positive factor, a larger other factor never gives a smaller product.
    const Q4_4 factor = Q4_4::from_float(1.3125);
    for (int64_t raw = Q4_4::kMinRaw; raw < Q4_4::kMaxRaw; ++raw) {
        ASSERT_LE(saturating_mul(Q4_4::from_raw(raw), factor).raw(),
                  saturating_mul(Q4_4::from_raw(raw + 1), factor).raw())
            << raw;
    }
}

}  // namespace
}  // namespace haqm
