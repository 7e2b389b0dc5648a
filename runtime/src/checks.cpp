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

int64_t checked_elements(const Shape& shape, const char* what) {
    int64_t count = 1;
    for (int64_t d : shape) {
        if (d <= 0 || count > std::numeric_limits<int32_t>::max() / d) {
            throw Error(std::string(what) + (d <= 0 ? ": a dimension is " + std::to_string(d)
                                                    : std::string(": tensor has more than 2^31 - 1 elements")));
        }
        count *= d;
    }
    return count;
}

}  // namespace haqm::detail

namespace haqm {
using detail::checked_elements;

void KernelPlan::check(size_t index, DType dtype, const void* data, size_t size, size_t count) const {
    const std::string what(what_);
    if (count != inputs_.size()) {
        throw Error(what + ": the plan takes " + std::to_string(inputs_.size()) + " inputs, run was given " +
                    std::to_string(count));
    }
    const Operand& operand = inputs_[index];
    if (dtype != operand.dtype) {
        throw Error(what + ": input " + std::to_string(index) + " is " + dtype_name(dtype) + ", the plan takes " +
                    dtype_name(operand.dtype));
    }
    const int64_t needed = checked_elements(operand.shape, what_);
    const std::string name = "input " + std::to_string(index);
    detail::check_span(Span<const uint8_t>(static_cast<const uint8_t*>(data), size), needed, what_, name.c_str());
}

void KernelPlan::check_output(DType dtype, const void* data, size_t size) const {
    const std::string what(what_);
    if (dtype != output_.dtype) {
        throw Error(what + ": the output is " + std::string(dtype_name(dtype)) + ", the plan makes " +
                    dtype_name(output_.dtype));
    }
    const int64_t needed = checked_elements(output_.shape, what_);
    detail::check_span(Span<const uint8_t>(static_cast<const uint8_t*>(data), size), needed, what_, "output");
}

}  // namespace haqm
