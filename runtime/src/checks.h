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

// The element count of a kernel operand's shape; throws "<what>: tensor has more than 2^31 - 1
// elements" beyond what the kernels index with int32 (the dimensions must be positive).
int64_t checked_elements(const Shape& shape, const char* what);

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

// The per-output-channel arrays a kernel's epilogue reads, from a spec with the fields of
// GemmSpec / Conv2dSpec (bias, requantization, output_multipliers, output_scales,
// output_zero_point, output_min, output_max), checked and broadcast to `channels` entries.
struct PreparedOutput {
    std::vector<int32_t> bias, multipliers, shifts;
    std::vector<float> scales;
    IntegerRange clamp{0, 0};
    std::vector<uint8_t> table;  // the fused activation table (kLutEntries), or empty
};

template <class A, class Out, class Spec>
PreparedOutput prepare_output(const Spec& spec, int64_t channels, const char* what) {
    const std::string op(what);
    if (!spec.bias.empty() && static_cast<int64_t>(spec.bias.size()) != channels) {
        throw Error(op + ": bias has " + std::to_string(spec.bias.size()) + " entries, needs " +
                    std::to_string(channels));
    }
    PreparedOutput out;
    out.bias = spec.bias.empty() ? std::vector<int32_t>(channels, 0) : spec.bias;
    out.multipliers.assign(channels, 0);
    out.shifts.assign(channels, 0);
    out.scales.assign(channels, 0.0f);
    if (!spec.output_table.empty()) {
        if (spec.output_table.size() != kLutEntries) {
            throw Error(op + ": the output table has " + std::to_string(spec.output_table.size()) + " entries, needs " +
                        std::to_string(kLutEntries));
        }
        if constexpr (std::is_same_v<Out, int32_t>) {
            throw Error(op + ": an output table needs an 8-bit output, not int32");
        }
        out.table = spec.output_table;
    }
    if constexpr (!std::is_same_v<Out, int32_t>) {
        static_assert(std::is_same_v<A, Out>, "8-bit outputs have the activations' type");
        out.clamp = output_clamp<Out>(spec.output_zero_point, spec.output_min, spec.output_max, what);
        auto broadcast = [&](auto& values, const char* name) {
            if (values.size() == 1) {
                values.assign(channels, values[0]);
            } else if (static_cast<int64_t>(values.size()) != channels) {
                throw Error(op + ": " + std::to_string(values.size()) + " " + name + ", needs 1 or " +
                            std::to_string(channels));
            }
        };
        if (spec.requantization == Requantization::fixed) {
            out.multipliers.clear();
            out.shifts.clear();
            split_multipliers(spec.output_multipliers, out.multipliers, out.shifts, what);
            broadcast(out.multipliers, "output multipliers");
            broadcast(out.shifts, "output multipliers");
        } else {
            const std::string name = op + ": output scale";  // once, not per channel: this runs on every call
            for (float scale : spec.output_scales) {
                check_scale(scale, name.c_str());
            }
            out.scales = spec.output_scales;
            broadcast(out.scales, "output scales");
        }
    }
    return out;
}

}  // namespace haqm::detail
