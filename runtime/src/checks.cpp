#include "checks.h"

#include <limits>

namespace haqm::detail {

ChannelView channel_view(const Shape& shape, size_t parameter_count, int axis, const char* what) {
    const std::string op(what);
    int64_t elements = 1;
    for (size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] <= 0) {
            throw Error(op + ": dimension " + std::to_string(i) + " is " + std::to_string(shape[i]) + ", must be > 0");
        }
        if (elements > std::numeric_limits<int32_t>::max() / shape[i]) {
            throw Error(op + ": tensor has more than 2^31 - 1 elements");
        }
        elements *= shape[i];
    }
    if (parameter_count == 0) {
        throw Error(op + ": no quantization parameters given");
    }
    if (parameter_count == 1) {
        return {elements, 1, 1};
    }
    const int rank = static_cast<int>(shape.size());
    const int a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) {
        throw Error(op + ": axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
    }
    if (static_cast<int64_t>(parameter_count) != shape[a]) {
        throw Error(op + ": " + std::to_string(parameter_count) + " per-channel parameters for axis " +
                    std::to_string(axis) + " of size " + std::to_string(shape[a]));
    }
    ChannelView view{1, shape[a], 1};
    for (int i = 0; i < a; ++i) {
        view.outer *= shape[i];
    }
    for (int i = a + 1; i < rank; ++i) {
        view.inner *= shape[i];
    }
    return view;
}

void split_multipliers(const std::vector<FixedPointMultiplier>& multipliers, std::vector<int32_t>& values,
                       std::vector<int32_t>& shifts, const char* what) {
    for (const auto& m : multipliers) {
        if (m.multiplier < 0 || m.shift < kMinMultiplierShift || m.shift > kMaxMultiplierShift) {
            throw Error(std::string(what) + ": fixed-point multiplier " + std::to_string(m.multiplier) + " with shift " +
                        std::to_string(m.shift) + " is out of range (multiplier >= 0, shift in [" +
                        std::to_string(kMinMultiplierShift) + ", " + std::to_string(kMaxMultiplierShift) + "])");
        }
        values.push_back(m.multiplier);
        shifts.push_back(m.shift);
    }
}

}  // namespace haqm::detail
