// add_q8 entry points: the TFLite Add multipliers from the scales, argument checks, the kernel.
#include <algorithm>
#include <string>
#include <type_traits>

#include "checks.h"
#include "halide_call.h"
#include "haqm/kernels.h"
#include "kernel_registry.h"

namespace haqm {
namespace {

constexpr const char* kWhat = "add_q8";
// TFLite's reference Add for 8-bit inputs: the headroom the inputs get before rescaling.
constexpr int kLeftShift = 20;

FixedPointMultiplier multiplier_of(double real, const char* name) {
    try {
        return quantize_multiplier(real);
    } catch (const Error& e) {
        throw Error(std::string(kWhat) + ": " + name + " multiplier from the scales: " + e.what());
    }
}

// Ma, Mb and Mout of the TFLite rule, computed in double as TFLite does.
struct AddMultipliers {
    FixedPointMultiplier a, b, output;
};

AddMultipliers add_multipliers(const AddSpec& spec) {
    check_scale(spec.a_scale, "add_q8: a scale");
    check_scale(spec.b_scale, "add_q8: b scale");
    check_scale(spec.output_scale, "add_q8: output scale");
    const double twice_max = 2.0 * std::max<double>(spec.a_scale, spec.b_scale);
    return {multiplier_of(spec.a_scale / twice_max, "a"), multiplier_of(spec.b_scale / twice_max, "b"),
            multiplier_of(twice_max / (static_cast<double>(1 << kLeftShift) * spec.output_scale), "output")};
}

template <class T>
KernelPlan plan_add(const Shape& shape, const AddSpec& spec, const KernelChoice& choice) {
    const int64_t elements = detail::channel_view(shape, 1, 0, kWhat).elements();
    const IntegerRange type = integer_range(8, std::is_signed_v<T>);
    check_zero_point(spec.a_zero_point, type, "add_q8: a zero point");
    check_zero_point(spec.b_zero_point, type, "add_q8: b zero point");
    const IntegerRange clamp = detail::output_clamp<T>(spec.output_zero_point, spec.output_min, spec.output_max, kWhat);
    const AddMultipliers m = add_multipliers(spec);
    const auto& entry = detail::find_kernel({detail::KernelFamily::add_q8, dtype_of<T>(), dtype_of<T>()}, choice);
    const auto fn = detail::kernel_function<detail::add_q8_fn>(entry);
    auto call = [elements, spec, clamp, m, fn](const void* const* inputs, void* output) {
        detail::BufferRef a_buf(static_cast<const T*>(inputs[0]), {elements});
        detail::BufferRef b_buf(static_cast<const T*>(inputs[1]), {elements});
        detail::BufferRef out_buf(static_cast<T*>(output), {elements});
        detail::run_kernel(kWhat, [&] {
            return fn(a_buf.get(), b_buf.get(), spec.a_zero_point, m.a.multiplier, m.a.shift, spec.b_zero_point,
                      m.b.multiplier, m.b.shift, m.output.multiplier, m.output.shift, spec.output_zero_point,
                      clamp.min, clamp.max, out_buf.get());
        });
    };
    return KernelPlan(kWhat, {{dtype_of<T>(), shape}, {dtype_of<T>(), shape}}, {dtype_of<T>(), shape}, entry.schedule,
                      std::move(call));
}

template <class T>
void add(Span<const T> a, Span<const T> b, const Shape& shape, const AddSpec& spec, Span<T> output,
         const KernelChoice& choice) {
    const int64_t elements = detail::channel_view(shape, 1, 0, kWhat).elements();
    detail::check_span(a, elements, kWhat, "a");
    detail::check_span(b, elements, kWhat, "b");
    detail::check_span(output, elements, kWhat, "output");
    const KernelPlan plan = plan_add<T>(shape, spec, choice);
    const void* inputs[] = {a.data(), b.data()};
    plan.run(inputs, output.data());
}

}  // namespace

void add_q8(Span<const uint8_t> a, Span<const uint8_t> b, const Shape& shape, const AddSpec& spec,
            Span<uint8_t> output, const KernelChoice& choice) {
    add(a, b, shape, spec, output, choice);
}
void add_q8(Span<const int8_t> a, Span<const int8_t> b, const Shape& shape, const AddSpec& spec, Span<int8_t> output,
            const KernelChoice& choice) {
    add(a, b, shape, spec, output, choice);
}

KernelPlan plan_add_q8(const Shape& shape, DType type, const AddSpec& spec, const KernelChoice& choice) {
    if (type == DType::uint8) return plan_add<uint8_t>(shape, spec, choice);
    if (type == DType::int8) return plan_add<int8_t>(shape, spec, choice);
    throw Error(std::string(kWhat) + ": no kernel for " + dtype_name(type) + " (uint8, int8)");
}

}  // namespace haqm
