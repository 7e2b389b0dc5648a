// Argument checks shared by the kernel entry points: shapes, buffers, requantization settings.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "haqm/kernels.h"

namespace haqm::detail {

// A tensor seen as (inner, channel, outer) around its quantization axis; per-tensor parameters
// make one channel holding every element.
struct ChannelView {
    int64_t inner, channels, outer;
    int64_t elements() const { return inner * channels * outer; }
};

// Validates the shape (positive dimensions, element count within int32) and the parameter count
// (1, or shape[axis]); `what` names the operation in messages.
ChannelView channel_view(const Shape& shape, size_t parameter_count, int axis, const char* what);

// Throws unless the span is non-null and holds at least `needed` elements.
template <class T>
void check_span(Span<T> span, int64_t needed, const char* what, const char* name) {
    if (needed > 0 && span.data() == nullptr) {
        throw Error(std::string(what) + ": " + name + " is null");
    }
    if (static_cast<int64_t>(span.size()) < needed) {
        throw Error(std::string(what) + ": " + name + " holds " + std::to_string(span.size()) +
                    " elements, needs " + std::to_string(needed));
    }
}

// The output clamp range of an 8-bit result: unset bounds take the type's range; the zero point
// and the bounds must lie in the type and min <= max.
template <class Q>
IntegerRange output_clamp(int32_t zero_point, std::optional<int32_t> min, std::optional<int32_t> max,
                          const char* what) {
    const IntegerRange type = integer_range(8, std::is_signed_v<Q>);
    check_zero_point(zero_point, type, (std::string(what) + ": output zero point").c_str());
    const IntegerRange clamp{min.value_or(type.min), max.value_or(type.max)};
    if (clamp.min < type.min || clamp.max > type.max || clamp.min > clamp.max) {
        throw Error(std::string(what) + ": output clamp [" + std::to_string(clamp.min) + ", " +
                    std::to_string(clamp.max) + "] is empty or outside [" + std::to_string(type.min) + ", " +
                    std::to_string(type.max) + "]");
    }
    return clamp;
}

// Splits fixed-point multipliers into the kernels' multiplier and shift arrays, checking each.
void split_multipliers(const std::vector<FixedPointMultiplier>& multipliers, std::vector<int32_t>& values,
                       std::vector<int32_t>& shifts, const char* what);

}  // namespace haqm::detail
