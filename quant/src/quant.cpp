#include "haqm/quant.h"

#include <cmath>
#include <string>

#include "haqm/error.h"

namespace haqm {

IntegerRange integer_range(int bits, bool is_signed) {
    if (bits < 2 || bits > 8) {
        throw Error("bit width " + std::to_string(bits) + " is out of range [2, 8]");
    }
    if (is_signed) {
        return {-(1 << (bits - 1)), (1 << (bits - 1)) - 1};
    }
    return {0, (1 << bits) - 1};
}

FixedPointMultiplier quantize_multiplier(double real_multiplier) {
    if (!std::isfinite(real_multiplier) || real_multiplier <= 0.0 || real_multiplier >= std::ldexp(1.0, 30)) {
        throw Error("requantization multiplier " + std::to_string(real_multiplier) +
                    " must be finite and in (0, 2^30)");
    }
    int exponent = 0;
    const double fraction = std::frexp(real_multiplier, &exponent);  // real = fraction * 2^exponent
    int64_t q = std::llround(fraction * (1LL << 31));                 // fraction in [0.5, 1)
    if (q == (1LL << 31)) {                                           // rounding reached 1.0
        q /= 2;
        ++exponent;
    }
    if (exponent < kMinMultiplierShift) {
        // Denormalize: keep the smallest shift and let the multiplier carry the rest.
        q = std::llround(std::ldexp(real_multiplier, 31 - kMinMultiplierShift));
        exponent = kMinMultiplierShift;
    }
    if (exponent > kMaxMultiplierShift) {
        throw Error("requantization multiplier " + std::to_string(real_multiplier) + " is too large");
    }
    return {static_cast<int32_t>(q), exponent};
}

FixedPointMultiplier requantization_multiplier(double input_scale, double weight_scale, double output_scale) {
    return quantize_multiplier(input_scale * weight_scale / output_scale);
}

void check_scale(float scale, const char* what) {
    if (!std::isfinite(scale) || !(scale > 0.0f)) {
        throw Error(std::string(what) + " " + std::to_string(scale) + " must be finite and > 0");
    }
}

void check_zero_point(int32_t zero_point, IntegerRange range, const char* what) {
    if (zero_point < range.min || zero_point > range.max) {
        throw Error(std::string(what) + " " + std::to_string(zero_point) + " is outside [" +
                    std::to_string(range.min) + ", " + std::to_string(range.max) + "]");
    }
}

}  // namespace haqm
