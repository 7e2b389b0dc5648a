#include "function_table.h"

#include <algorithm>
#include <cmath>

namespace haqm::detail {

int32_t quantize_level(float v, float scale, int32_t zero_point, IntegerRange range) {
    // std::nearbyint rounds half to even in the default rounding mode; the clamp in double
    // saturates before the conversion, which could not represent out-of-range values.
    const double level = std::nearbyint(static_cast<double>(v / scale)) + zero_point;
    return static_cast<int32_t>(std::clamp<double>(level, range.min, range.max));
}

std::vector<uint8_t> function_table(const std::function<float(float)>& f, bool is_signed, float in_scale,
                                    int32_t in_zero_point, float out_scale, int32_t out_zero_point,
                                    IntegerRange out_range) {
    const IntegerRange in_range = integer_range(8, is_signed);
    std::vector<uint8_t> table(kLutEntries);
    for (int32_t q = in_range.min; q <= in_range.max; ++q) {
        const float x = static_cast<float>(q - in_zero_point) * in_scale;
        const int32_t level = quantize_level(f(x), out_scale, out_zero_point, out_range);
        table[static_cast<size_t>(q - in_range.min)] = static_cast<uint8_t>(level);
    }
    return table;
}

}  // namespace haqm::detail
