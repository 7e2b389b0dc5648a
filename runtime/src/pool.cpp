// pool_q8 entry points: window geometry and argument checks, the average's multiplier table, then
// the generated kernel.
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "checks.h"
#include "halide_call.h"
#include "haqm/kernels.h"
#include "kernel_registry.h"

namespace haqm {
namespace {

constexpr const char* kWhat = "pool_q8";

void require(bool condition, const std::string& message) {
    if (!condition) {
        throw Error(std::string(kWhat) + ": " + message);
    }
}

// The window of one spatial axis after the checks: a global pool's is the whole axis.
struct AxisWindow {
    int64_t kernel, stride, pad_begin, out;
};

AxisWindow plan_axis(const char* name, int64_t in, int kernel, int stride, int pad_begin, int pad_end) {
    require(kernel >= 1, std::string("kernel ") + name + " = " + std::to_string(kernel) + " must be >= 1");
    require(stride >= 1, std::string("stride ") + name + " = " + std::to_string(stride) + " must be >= 1");
    require(pad_begin >= 0 && pad_end >= 0, std::string("negative padding on ") + name);
    // A pad as large as the kernel would let a window lie entirely in padding: no tap to pool.
    require(pad_begin < kernel && pad_end < kernel, std::string("padding on ") + name + " (" +
                                                        std::to_string(pad_begin) + ", " + std::to_string(pad_end) +
                                                        ") must be smaller than the kernel (" +
                                                        std::to_string(kernel) + ")");
    const int64_t padded = in + pad_begin + pad_end;
    require(kernel <= padded, std::string("kernel ") + name + " = " + std::to_string(kernel) +
                                  " is larger than the padded input (" + std::to_string(padded) + ")");
    return {kernel, stride, pad_begin, (padded - kernel) / stride + 1};
}

struct PoolPlan {
    Shape output;
    AxisWindow rows, cols;
};

PoolPlan plan_pool(const Shape& in, const Pool2dSpec& spec) {
    require(in.size() == 4, "input (NHWC) must have rank 4, has " + std::to_string(in.size()));
    for (size_t i = 0; i < 4; ++i) {
        require(in[i] > 0, "input (NHWC) dimension " + std::to_string(i) + " is " + std::to_string(in[i]));
        require(in[i] <= std::numeric_limits<int32_t>::max(), "input (NHWC) dimension " + std::to_string(i) +
                                                                  " exceeds 2^31 - 1");
    }
    AxisWindow rows{}, cols{};
    if (spec.kind == PoolKind::global_average) {
        rows = {in[1], 1, 0, 1};
        cols = {in[2], 1, 0, 1};
    } else {
        rows = plan_axis("h", in[1], spec.kernel_h, spec.stride_h, spec.pad_top, spec.pad_bottom);
        cols = plan_axis("w", in[2], spec.kernel_w, spec.stride_w, spec.pad_left, spec.pad_right);
    }
    require(rows.kernel * cols.kernel <= kMaxPoolWindow,
            "window of " + std::to_string(rows.kernel * cols.kernel) + " taps exceeds " +
                std::to_string(kMaxPoolWindow) + ", beyond which int32 sums may overflow");
    return {{in[0], rows.out, cols.out, in[3]}, rows, cols};
}

int64_t element_count(const Shape& shape) { return detail::checked_elements(shape, kWhat); }

// M[count - 1] = input_scale / (output_scale * count) for every window count up to `taps`.
void average_multipliers(const Pool2dSpec& spec, int64_t taps, std::vector<int32_t>& multipliers,
                         std::vector<int32_t>& shifts) {
    check_scale(spec.input_scale, "pool_q8: input scale");
    check_scale(spec.output_scale, "pool_q8: output scale");
    for (int64_t count = 1; count <= taps; ++count) {
        const double real = static_cast<double>(spec.input_scale) / (static_cast<double>(spec.output_scale) * count);
        FixedPointMultiplier m{};
        try {
            m = quantize_multiplier(real);
        } catch (const Error& e) {
            throw Error(std::string(kWhat) + ": input scale / output scale: " + e.what());
        }
        multipliers.push_back(m.multiplier);
        shifts.push_back(m.shift);
    }
}

template <class T>
KernelPlan plan_pool_kernel(const Shape& in, const Pool2dSpec& spec, const KernelChoice& choice) {
    const PoolPlan plan = plan_pool(in, spec);
    element_count(in);
    element_count(plan.output);
    const IntegerRange clamp = detail::output_clamp<T>(spec.output_zero_point, spec.output_min, spec.output_max, kWhat);
    const bool is_max = spec.kind == PoolKind::max;
    // The max kernel reads no multipliers: one unused entry keeps the buffers valid.
    std::vector<int32_t> multipliers, shifts;
    if (is_max) {
        multipliers = {0};
        shifts = {0};
    } else {
        check_zero_point(spec.input_zero_point, integer_range(8, std::is_signed_v<T>), "pool_q8: input zero point");
        average_multipliers(spec, plan.rows.kernel * plan.cols.kernel, multipliers, shifts);
    }
    const detail::KernelKey key{detail::KernelFamily::pool_q8, dtype_of<T>(), dtype_of<T>(), Requantization::fixed,
                                is_max ? PoolKind::max : PoolKind::average};
    const auto& entry = detail::find_kernel(key, choice);
    const auto fn = detail::kernel_function<detail::pool_q8_fn>(entry);
    auto call = [in, plan, spec, clamp, fn, multipliers = std::move(multipliers), shifts = std::move(shifts)](
                    const void* const* inputs, void* output) {
        const Shape& out = plan.output;
        detail::BufferRef in_buf(static_cast<const T*>(inputs[0]), {in[3], in[2], in[1], in[0]});
        detail::BufferRef multiplier_buf(multipliers.data(), {static_cast<int64_t>(multipliers.size())});
        detail::BufferRef shift_buf(shifts.data(), {static_cast<int64_t>(shifts.size())});
        detail::BufferRef out_buf(static_cast<T*>(output), {out[3], out[2], out[1], out[0]});
        auto arg = [](int64_t v) { return static_cast<int32_t>(v); };
        detail::run_kernel(kWhat, [&] {
            return fn(in_buf.get(), multiplier_buf.get(), shift_buf.get(), arg(plan.cols.kernel), arg(plan.rows.kernel),
                      arg(plan.cols.stride), arg(plan.rows.stride), arg(plan.cols.pad_begin), arg(plan.rows.pad_begin),
                      spec.count_include_pad ? 1 : 0, spec.input_zero_point, spec.output_zero_point, clamp.min,
                      clamp.max, out_buf.get());
        });
    };
    return KernelPlan(kWhat, {{dtype_of<T>(), in}}, {dtype_of<T>(), plan.output}, entry.schedule, std::move(call));
}

template <class T>
void pool(Span<const T> input, const Shape& in, const Pool2dSpec& spec, Span<T> output, const KernelChoice& choice) {
    const PoolPlan geometry = plan_pool(in, spec);
    detail::check_span(input, element_count(in), kWhat, "input");
    detail::check_span(output, element_count(geometry.output), kWhat, "output");
    const KernelPlan plan = plan_pool_kernel<T>(in, spec, choice);
    const void* inputs[] = {input.data()};
    plan.run(inputs, output.data());
}

}  // namespace

Shape pool_output_shape(const Shape& input_nhwc, const Pool2dSpec& spec) {
    return plan_pool(input_nhwc, spec).output;
}

void pool_q8(Span<const uint8_t> input, const Shape& input_nhwc, const Pool2dSpec& spec, Span<uint8_t> output,
             const KernelChoice& choice) {
    pool(input, input_nhwc, spec, output, choice);
}
void pool_q8(Span<const int8_t> input, const Shape& input_nhwc, const Pool2dSpec& spec, Span<int8_t> output,
             const KernelChoice& choice) {
    pool(input, input_nhwc, spec, output, choice);
}

KernelPlan plan_pool_q8(const Shape& input_nhwc, DType type, const Pool2dSpec& spec, const KernelChoice& choice) {
    if (type == DType::uint8) return plan_pool_kernel<uint8_t>(input_nhwc, spec, choice);
    if (type == DType::int8) return plan_pool_kernel<int8_t>(input_nhwc, spec, choice);
    throw Error(std::string(kWhat) + ": no kernel for " + dtype_name(type) + " (uint8, int8)");
}

}  // namespace haqm
