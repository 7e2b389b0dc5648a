// mul_q8 plans: the shapes seen as rows of channels, the scale product, the kernel.
#include <string>
#include <type_traits>

#include "checks.h"
#include "halide_call.h"
#include "haqm/kernels.h"
#include "kernel_registry.h"

namespace haqm {
namespace {

constexpr const char* kWhat = "mul_q8";

template <class T>
KernelPlan plan_mul(const Shape& a_shape, const Shape& b_shape, const MulSpec& spec, const KernelChoice& choice) {
    const int64_t elements = detail::checked_elements(a_shape, kWhat);
    const bool same_shape = a_shape == b_shape;
    if (!mul_shapes_supported(a_shape, b_shape)) {
        throw Error(std::string(kWhat) + ": b must have a's shape or be [N, 1, 1, C] over an NHWC a");
    }
    const IntegerRange type = integer_range(8, std::is_signed_v<T>);
    check_zero_point(spec.a_zero_point, type, "mul_q8: a zero point");
    check_zero_point(spec.b_zero_point, type, "mul_q8: b zero point");
    check_scale(spec.a_scale, "mul_q8: a scale");
    check_scale(spec.b_scale, "mul_q8: b scale");
    check_scale(spec.output_scale, "mul_q8: output scale");
    const IntegerRange clamp = detail::output_clamp<T>(spec.output_zero_point, spec.output_min, spec.output_max, kWhat);
    const float scale = spec.a_scale * spec.b_scale / spec.output_scale;  // in float32, as the oracle
    check_scale(scale, "mul_q8: a scale * b scale / output scale");
    // Rows of `channels` values; b holds one row per image.
    const int64_t channels = same_shape ? elements : a_shape[3];
    const int64_t rows = elements / channels, images = same_shape ? 1 : a_shape[0];
    const auto rows_per_image = static_cast<int32_t>(rows / images);
    const auto& entry = detail::find_kernel({detail::KernelFamily::mul_q8, dtype_of<T>(), dtype_of<T>()}, choice);
    const auto fn = detail::kernel_function<detail::mul_q8_fn>(entry);
    auto call = [channels, rows, images, rows_per_image, spec, scale, clamp, fn](const void* const* inputs, void* output) {
        detail::BufferRef a_buf(static_cast<const T*>(inputs[0]), {channels, rows});
        detail::BufferRef b_buf(static_cast<const T*>(inputs[1]), {channels, images});
        detail::BufferRef out_buf(static_cast<T*>(output), {channels, rows});
        detail::run_kernel(kWhat, [&] {
            return fn(a_buf.get(), b_buf.get(), spec.a_zero_point, spec.b_zero_point, scale, rows_per_image,
                      spec.output_zero_point, clamp.min, clamp.max, out_buf.get());
        });
    };
    return KernelPlan(kWhat, {{dtype_of<T>(), a_shape}, {dtype_of<T>(), b_shape}}, {dtype_of<T>(), a_shape},
                      entry.schedule, std::move(call));
}

}  // namespace

KernelPlan plan_mul_q8(const Shape& a_shape, const Shape& b_shape, DType type, const MulSpec& spec,
                       const KernelChoice& choice) {
    if (type == DType::uint8) return plan_mul<uint8_t>(a_shape, b_shape, spec, choice);
    if (type == DType::int8) return plan_mul<int8_t>(a_shape, b_shape, spec, choice);
    throw Error(std::string(kWhat) + ": no kernel for " + dtype_name(type) + " (uint8, int8)");
}

}  // namespace haqm
