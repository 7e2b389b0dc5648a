// Qm.n fixed-point numbers with saturating arithmetic, for reference computations and tests of
// fixed-point kernels. Plain C++, header only.
//
// Convention (one for every type here): in Qm.n, m counts the integer bits INCLUDING the sign bit
// and n the fraction bits, so a Qm.n value is an (m + n)-bit two's-complement integer `raw`
// standing for raw * 2^-n, with range [-2^(m-1), 2^(m-1) - 2^-n] in steps of 2^-n. The value lives
// sign-extended in a signed Storage type at least m + n bits wide; a narrower value (Q7.8 in
// int16) saturates at its own m + n bits, not at the storage limits.
//
//   alias   bits  storage  range                                   step
//   Q4_4    8     int8     [-8, 7.9375]                            2^-4
//   Q7_8    15    int16    [-64, 63.99609375]                      2^-8
//   Q1_15   16    int16    [-1, 1 - 2^-15]                         2^-15
//   Q1_31   32    int32    [-1, 1 - 2^-31]                         2^-31
//
// Q7_8 is Q7.8 in this convention (sign inside the 7 integer bits). The other common reading of
// "Q7.8", sign + 7 integer + 8 fraction bits with range [-128, 128), is Fixed<8, 8, int16_t> here.
//
// Rounding: every conversion and product rounds to nearest with ties to even, like the rest of
// the library (quantize_tensor), so rounding has no bias on either side of zero. Every result that
// does not fit saturates to the nearest end of the range. All arithmetic is done exactly in int64:
// an (m + n)-bit product plus an accumulator shifted by n bits stays below 2^63 for m + n <= 32.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "haqm/error.h"

namespace haqm {

template <int IntegerBits, int FractionBits, class Storage>
class Fixed {
    static_assert(std::is_integral_v<Storage> && std::is_signed_v<Storage>, "Storage must be a signed integer");
    static_assert(IntegerBits >= 1, "the integer bits include the sign bit, so there is at least one");
    static_assert(FractionBits >= 0, "the fraction bit count cannot be negative");
    static_assert(IntegerBits + FractionBits <= std::numeric_limits<Storage>::digits + 1,
                  "the value does not fit in Storage");
    static_assert(IntegerBits + FractionBits <= 32, "products must be exact in int64");

public:
    static constexpr int kIntegerBits = IntegerBits;
    static constexpr int kFractionBits = FractionBits;
    static constexpr int kBits = IntegerBits + FractionBits;
    static constexpr int64_t kMinRaw = -(int64_t{1} << (kBits - 1));
    static constexpr int64_t kMaxRaw = (int64_t{1} << (kBits - 1)) - 1;

    // Zero.
    constexpr Fixed() = default;

    // The value raw * 2^-n. Throws haqm::Error if raw does not fit in m + n bits.
    static Fixed from_raw(int64_t raw) {
        if (raw < kMinRaw || raw > kMaxRaw) {
            throw Error("fixed point: raw value " + std::to_string(raw) + " is outside [" +
                        std::to_string(kMinRaw) + ", " + std::to_string(kMaxRaw) + "]");
        }
        return Fixed(static_cast<Storage>(raw));
    }

    // The nearest value (ties to even), saturated; infinities saturate. Takes a double so that
    // every Q1.31 value converts exactly. Throws haqm::Error for NaN, which has no nearest value.
    static Fixed from_float(double value) {
        if (std::isnan(value)) {
            throw Error("fixed point: cannot convert NaN");
        }
        // Clamping first keeps the rounding inside the range; the bounds are integers, so
        // clamping and rounding commute. nearbyint rounds ties to even in the default mode.
        const double scaled = std::clamp(std::ldexp(value, FractionBits), static_cast<double>(kMinRaw),
                                         static_cast<double>(kMaxRaw));
        return Fixed(static_cast<Storage>(std::nearbyint(scaled)));
    }

    static constexpr Fixed lowest() { return Fixed(static_cast<Storage>(kMinRaw)); }
    static constexpr Fixed highest() { return Fixed(static_cast<Storage>(kMaxRaw)); }

    // Exact: a double holds every value of up to 32 bits.
    double to_float() const { return std::ldexp(static_cast<double>(raw_), -FractionBits); }
    constexpr Storage raw() const { return raw_; }

    friend constexpr bool operator==(Fixed a, Fixed b) { return a.raw_ == b.raw_; }
    friend constexpr bool operator!=(Fixed a, Fixed b) { return a.raw_ != b.raw_; }

    // a + b and a - b, saturated (exact when in range).
    friend Fixed saturating_add(Fixed a, Fixed b) { return saturate(int64_t{a.raw_} + b.raw_); }
    friend Fixed saturating_sub(Fixed a, Fixed b) { return saturate(int64_t{a.raw_} - b.raw_); }

    // a * b: the exact 2n-fraction-bit product, rounded once to n fraction bits, saturated.
    friend Fixed saturating_mul(Fixed a, Fixed b) {
        return saturate(round_shift(int64_t{a.raw_} * b.raw_));
    }

    // acc + a * b with a single rounding: the accumulator is aligned to the product's 2n fraction
    // bits, so neither the product alone nor the sum is rounded or saturated before the end.
    friend Fixed saturating_mac(Fixed acc, Fixed a, Fixed b) {
        const int64_t aligned_acc = int64_t{acc.raw_} * (int64_t{1} << FractionBits);
        return saturate(round_shift(aligned_acc + int64_t{a.raw_} * b.raw_));
    }

private:
    constexpr explicit Fixed(Storage raw) : raw_(raw) {}

    static Fixed saturate(int64_t raw) { return Fixed(static_cast<Storage>(std::clamp(raw, kMinRaw, kMaxRaw))); }

    // value / 2^n rounded to nearest, ties to even. Floor division by hand: right shifts of
    // negative numbers are implementation-defined before C++20.
    static int64_t round_shift(int64_t value) {
        constexpr int64_t divisor = int64_t{1} << FractionBits;
        int64_t quotient = value / divisor;
        int64_t remainder = value % divisor;
        if (remainder < 0) {
            quotient -= 1;
            remainder += divisor;
        }
        const int64_t twice_remainder = 2 * remainder;  // compared with the divisor: no halving of 1
        if (twice_remainder > divisor || (twice_remainder == divisor && quotient % 2 != 0)) {
            quotient += 1;
        }
        return quotient;
    }

    Storage raw_ = 0;
};

using Q4_4 = Fixed<4, 4, int8_t>;
using Q7_8 = Fixed<7, 8, int16_t>;
using Q1_15 = Fixed<1, 15, int16_t>;
using Q1_31 = Fixed<1, 31, int32_t>;

}  // namespace haqm
