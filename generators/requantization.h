// The two requantization rules as Halide expressions (docs/arithmetic.md):
//  fixed: gemmlowp / TFLite, real_multiplier = multiplier * 2^(shift - 31), multiplier a Q31 value,
//         shift in [-30, 30]; integer only, the same on every target.
//  float: ONNX / XNNPACK, round_half_even(float(acc) * scale) in float32.
#pragma once
#include <stdexcept>
#include <string>

#include "Halide.h"

namespace haqm {

// round(x * 2^-exponent), ties away from zero (gemmlowp RoundingDivideByPOT); exponent in [0, 30].
inline Halide::Expr rounding_divide_by_pot(const Halide::Expr& x, const Halide::Expr& exponent) {
    using Halide::select;
    Halide::Expr mask = (Halide::Expr(1) << exponent) - 1;
    Halide::Expr remainder = x & mask;
    Halide::Expr threshold = (mask >> 1) + select(x < 0, 1, 0);
    return (x >> exponent) + select(remainder > threshold, 1, 0);
}

// x * multiplier * 2^(shift - 31) with the rounding of TFLite's MultiplyByQuantizedMultiplier:
// a saturating left shift, the saturating rounding doubling high multiply (round half up),
// then a rounding right shift (ties away from zero).
inline Halide::Expr multiply_by_quantized_multiplier(const Halide::Expr& x, const Halide::Expr& multiplier,
                                                     const Halide::Expr& shift) {
    Halide::Expr left = Halide::max(shift, 0);
    Halide::Expr right = Halide::max(-shift, 0);
    // Saturating x << left in int32 (cheaper than widening): anything beyond the range that
    // survives the shift clamps to the end of int32.
    const Halide::Expr int32_max = Halide::Int(32).max(), int32_min = Halide::Int(32).min();
    Halide::Expr shifted = Halide::select(x > (int32_max >> left), int32_max,
                                          Halide::select(x < (int32_min >> left), int32_min, x << left));
    // Written out (Halide's lowering finds the rounding_mul_shift_right / vqrdmulh pattern in it).
    Halide::Expr product = Halide::cast<int64_t>(shifted) * Halide::cast<int64_t>(multiplier);
    Halide::Expr high = Halide::saturating_cast<int32_t>((product + Halide::Expr(int64_t(1) << 30)) >> 31);
    return rounding_divide_by_pot(high, right);
}

// Requantized value plus zero point, clamped to [lo, hi] and narrowed to `type`.
// The pre-clamp to +-2^16 keeps the zero-point add inside int32 without changing the result,
// because lo and hi are 8-bit values. (Clamping to [lo - zp, hi - zp] instead looks equivalent,
// but Halide assumes int32 adds never overflow and rewrites it into clamp(x + zp, lo, hi).)
inline Halide::Expr requantize_to(const Halide::Type& type, const Halide::Expr& acc, const Halide::Expr& multiplier,
                                  const Halide::Expr& shift, const Halide::Expr& zero_point,
                                  const Halide::Expr& lo, const Halide::Expr& hi) {
    Halide::Expr scaled = Halide::clamp(multiply_by_quantized_multiplier(acc, multiplier, shift), -65536, 65536);
    return Halide::cast(type, Halide::clamp(scaled + zero_point, lo, hi));
}

// float(acc) * scale rounded half to even, plus zero point, clamped to [lo, hi], narrowed to `type`.
// The clamp happens in float before the zero point is added, so nothing can overflow int32.
inline Halide::Expr requantize_float_to(const Halide::Type& type, const Halide::Expr& acc, const Halide::Expr& scale,
                                        const Halide::Expr& zero_point, const Halide::Expr& lo,
                                        const Halide::Expr& hi) {
    // Clamping before rounding gives the same result (the bounds are integers) and keeps the value
    // within +-2^9, where adding 1.5 * 2^23 rounds it half to even into the low mantissa bits (the
    // float spacing there is 1): two integer-friendly instructions instead of a rounding
    // instruction (split in two halves on AVX-512) and a conversion.
    Halide::Expr scaled = Halide::cast<float>(acc) * scale;
    Halide::Expr clamped = Halide::clamp(scaled, Halide::cast<float>(lo - zero_point), Halide::cast<float>(hi - zero_point));
    const float round_magic = 12582912.0f;  // 1.5 * 2^23
    Halide::Expr rounded = Halide::reinterpret<int32_t>(clamped + round_magic) - Halide::reinterpret<int32_t>(Halide::Expr(round_magic));
    return Halide::cast(type, rounded + zero_point);
}

// The end of every accumulating kernel: int32 accumulators out as they are, or requantized to the
// 8-bit output type by the rule the generator parameter `requantization` names.
struct OutputStage {
    Halide::Expr multiplier, shift, scale, zero_point, lo, hi;
};
inline Halide::Expr epilogue(const Halide::Type& type, const std::string& requantization, const Halide::Expr& acc,
                             const OutputStage& o) {
    if (type == Halide::Int(32)) {
        return acc;
    }
    if (requantization == "float") {
        return requantize_float_to(type, acc, o.scale, o.zero_point, o.lo, o.hi);
    }
    if (requantization == "fixed") {
        return requantize_to(type, acc, o.multiplier, o.shift, o.zero_point, o.lo, o.hi);
    }
    throw std::invalid_argument("requantization must be fixed or float, not " + requantization);
}

}  // namespace haqm
