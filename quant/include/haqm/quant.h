// Quantization parameters and the rules that turn real scales into integer arithmetic.
// Plain C++ (no Halide): shared by the runtime, the tests and the tools.
#pragma once
#include <cstdint>

namespace haqm {

// Integer range of a `bits`-wide value stored one per byte: [-2^(b-1), 2^(b-1)-1] signed,
// [0, 2^b - 1] unsigned. bits must be in [2, 8].
struct IntegerRange {
    int32_t min;
    int32_t max;
};
IntegerRange integer_range(int bits, bool is_signed);

// A real multiplier as a Q31 fixed-point value and a power-of-two exponent:
//   real ~= multiplier * 2^(shift - 31), multiplier in [2^30, 2^31), shift in [-30, 30].
// Multipliers too small for shift -30 keep shift -30 and a smaller (possibly zero) multiplier.
struct FixedPointMultiplier {
    int32_t multiplier;
    int32_t shift;
};
inline constexpr int32_t kMinMultiplierShift = -30;
inline constexpr int32_t kMaxMultiplierShift = 30;

// Throws haqm::Error unless real_multiplier is finite and > 0 and below 2^30.
FixedPointMultiplier quantize_multiplier(double real_multiplier);

// The requantization multiplier of an integer product: input_scale * weight_scale / output_scale.
FixedPointMultiplier requantization_multiplier(double input_scale, double weight_scale, double output_scale);

// Throws haqm::Error naming `what` unless the scale is finite and > 0.
void check_scale(float scale, const char* what);
// Throws haqm::Error naming `what` unless the zero point lies in range.
void check_zero_point(int32_t zero_point, IntegerRange range, const char* what);

}  // namespace haqm
