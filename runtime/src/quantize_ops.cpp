// quantize, dequantize and requantize entry points.
#include <limits>
#include <type_traits>
#include <vector>

#include "halide_call.h"
#include "haqm/kernels.h"
#include "kernel_registry.h"
#include "checks.h"

namespace haqm {
namespace {

template <class T>
IntegerRange storage_range(int bits) {
    if constexpr (std::is_same_v<T, int32_t>) {
        return {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
    } else {
        return integer_range(bits, std::is_signed_v<T>);
    }
}

// Scales and zero points checked against the integer type; returns the channel view.
template <class Q>
detail::ChannelView check_spec(const Shape& shape, const QuantizationSpec& spec, const char* what) {
    if (spec.scales.size() != spec.zero_points.size()) {
        throw Error(std::string(what) + ": " + std::to_string(spec.scales.size()) + " scales but " +
                    std::to_string(spec.zero_points.size()) + " zero points");
    }
    const IntegerRange range = storage_range<Q>(spec.bits);
    // The names once, not per channel: this runs on every call.
    const std::string scale_name = std::string(what) + ": scale", zero_point_name = std::string(what) + ": zero point";
    for (float scale : spec.scales) {
        check_scale(scale, scale_name.c_str());
    }
    for (int32_t zero_point : spec.zero_points) {
        check_zero_point(zero_point, range, zero_point_name.c_str());
    }
    return detail::channel_view(shape, spec.scales.size(), spec.axis, what);
}

template <class Q>
KernelPlan plan_quantize_to(const Shape& shape, const QuantizationSpec& spec, const KernelChoice& choice) {
    const auto view = check_spec<Q>(shape, spec, "quantize");
    const IntegerRange range = integer_range(spec.bits, std::is_signed_v<Q>);
    const auto& entry = detail::find_kernel({detail::KernelFamily::quantize, DType::float32, dtype_of<Q>()}, choice);
    const auto fn = detail::kernel_function<detail::quantize_fn>(entry);
    auto call = [view, range, fn, scales = spec.scales, zero_points = spec.zero_points](const void* const* inputs,
                                                                                       void* output) {
        detail::BufferRef in(static_cast<const float*>(inputs[0]), {view.inner, view.channels, view.outer});
        detail::BufferRef scale(scales.data(), {view.channels});
        detail::BufferRef zero_point(zero_points.data(), {view.channels});
        detail::BufferRef out(static_cast<Q*>(output), {view.inner, view.channels, view.outer});
        detail::run_kernel("quantize", [&] {
            return fn(in.get(), scale.get(), zero_point.get(), range.min, range.max, out.get());
        });
    };
    return KernelPlan("quantize", {{DType::float32, shape}}, {dtype_of<Q>(), shape}, entry.schedule, std::move(call));
}

template <class Q>
void quantize_to(Span<const float> input, const Shape& shape, const QuantizationSpec& spec, Span<Q> output,
                 const KernelChoice& choice) {
    const auto view = check_spec<Q>(shape, spec, "quantize");
    detail::check_span(input, view.elements(), "quantize", "input");
    detail::check_span(output, view.elements(), "quantize", "output");
    const KernelPlan plan = plan_quantize_to<Q>(shape, spec, choice);
    const void* inputs[] = {input.data()};
    plan.run(inputs, output.data());
}

template <class Q>
KernelPlan plan_dequantize_from(const Shape& shape, const QuantizationSpec& spec, const KernelChoice& choice) {
    const auto view = check_spec<Q>(shape, spec, "dequantize");
    const auto& entry = detail::find_kernel({detail::KernelFamily::dequantize, dtype_of<Q>(), DType::float32}, choice);
    const auto fn = detail::kernel_function<detail::dequantize_fn>(entry);
    auto call = [view, fn, scales = spec.scales, zero_points = spec.zero_points](const void* const* inputs,
                                                                                 void* output) {
        detail::BufferRef in(static_cast<const Q*>(inputs[0]), {view.inner, view.channels, view.outer});
        detail::BufferRef scale(scales.data(), {view.channels});
        detail::BufferRef zero_point(zero_points.data(), {view.channels});
        detail::BufferRef out(static_cast<float*>(output), {view.inner, view.channels, view.outer});
        detail::run_kernel("dequantize", [&] { return fn(in.get(), scale.get(), zero_point.get(), out.get()); });
    };
    return KernelPlan("dequantize", {{dtype_of<Q>(), shape}}, {DType::float32, shape}, entry.schedule, std::move(call));
}

template <class Q>
void dequantize_from(Span<const Q> input, const Shape& shape, const QuantizationSpec& spec, Span<float> output,
                     const KernelChoice& choice) {
    const auto view = check_spec<Q>(shape, spec, "dequantize");
    detail::check_span(input, view.elements(), "dequantize", "input");
    detail::check_span(output, view.elements(), "dequantize", "output");
    const KernelPlan plan = plan_dequantize_from<Q>(shape, spec, choice);
    const void* inputs[] = {input.data()};
    plan.run(inputs, output.data());
}

template <class Q>
void requantize_to(Span<const int32_t> input, const Shape& shape, const RequantizationSpec& spec, Span<Q> output,
                   const KernelChoice& choice) {
    const auto view = detail::channel_view(shape, spec.multipliers.size(), spec.axis, "requantize");
    detail::check_span(input, view.elements(), "requantize", "input");
    detail::check_span(output, view.elements(), "requantize", "output");
    const IntegerRange clamp = detail::output_clamp<Q>(spec.output_zero_point, spec.output_min, spec.output_max,
                                                       "requantize");
    std::vector<int32_t> multipliers, shifts;
    detail::split_multipliers(spec.multipliers, multipliers, shifts, "requantize");
    const auto& entry = detail::find_kernel({detail::KernelFamily::requantize, DType::int32, dtype_of<Q>()}, choice);
    const auto fn = detail::kernel_function<detail::requantize_fn>(entry);
    detail::BufferRef in(input.data(), {view.inner, view.channels, view.outer});
    detail::BufferRef multiplier(multipliers.data(), {view.channels});
    detail::BufferRef shift(shifts.data(), {view.channels});
    detail::BufferRef out(output.data(), {view.inner, view.channels, view.outer});
    detail::run_kernel("requantize", [&] {
        return fn(in.get(), multiplier.get(), shift.get(), spec.output_zero_point, clamp.min, clamp.max, out.get());
    });
}

}  // namespace

void quantize(Span<const float> input, const Shape& shape, const QuantizationSpec& spec, Span<int8_t> output,
              const KernelChoice& choice) {
    quantize_to(input, shape, spec, output, choice);
}
void quantize(Span<const float> input, const Shape& shape, const QuantizationSpec& spec, Span<uint8_t> output,
              const KernelChoice& choice) {
    quantize_to(input, shape, spec, output, choice);
}
void dequantize(Span<const int8_t> input, const Shape& shape, const QuantizationSpec& spec, Span<float> output,
                const KernelChoice& choice) {
    dequantize_from(input, shape, spec, output, choice);
}
void dequantize(Span<const uint8_t> input, const Shape& shape, const QuantizationSpec& spec, Span<float> output,
                const KernelChoice& choice) {
    dequantize_from(input, shape, spec, output, choice);
}
void dequantize(Span<const int32_t> input, const Shape& shape, const QuantizationSpec& spec, Span<float> output,
                const KernelChoice& choice) {
    dequantize_from(input, shape, spec, output, choice);
}
void requantize(Span<const int32_t> input, const Shape& shape, const RequantizationSpec& spec, Span<int8_t> output,
                const KernelChoice& choice) {
    requantize_to(input, shape, spec, output, choice);
}
void requantize(Span<const int32_t> input, const Shape& shape, const RequantizationSpec& spec, Span<uint8_t> output,
                const KernelChoice& choice) {
    requantize_to(input, shape, spec, output, choice);
}

KernelPlan plan_quantize(const Shape& shape, DType output, const QuantizationSpec& spec, const KernelChoice& choice) {
    if (output == DType::uint8) return plan_quantize_to<uint8_t>(shape, spec, choice);
    if (output == DType::int8) return plan_quantize_to<int8_t>(shape, spec, choice);
    throw Error(std::string("quantize: no kernel for ") + dtype_name(output) + " outputs (uint8, int8)");
}

KernelPlan plan_dequantize(const Shape& shape, DType input, const QuantizationSpec& spec, const KernelChoice& choice) {
    if (input == DType::uint8) return plan_dequantize_from<uint8_t>(shape, spec, choice);
    if (input == DType::int8) return plan_dequantize_from<int8_t>(shape, spec, choice);
    if (input == DType::int32) return plan_dequantize_from<int32_t>(shape, spec, choice);
    throw Error(std::string("dequantize: no kernel for ") + dtype_name(input) + " inputs (uint8, int8, int32)");
}

}  // namespace haqm
