// conv2d_q8 entry points: shape rules and argument checks, then the generated kernel.
#include <algorithm>
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

constexpr const char* kWhat = "conv2d_q8";

void require(bool condition, const std::string& message) {
    if (!condition) {
        throw Error(std::string(kWhat) + ": " + message);
    }
}

// Output extent of one spatial dimension, and its leading/trailing padding (SAME_UPPER: the extra
// pad goes at the end, as ONNX specifies).
struct AxisPlan {
    int64_t out, pad_begin;
};

AxisPlan plan_axis(const char* name, int64_t in, int64_t kernel, int stride, int dilation, int pad_begin,
                   int pad_end, bool same) {
    require(stride >= 1, std::string("stride ") + name + " = " + std::to_string(stride) + " must be >= 1");
    require(dilation >= 1, std::string("dilation ") + name + " = " + std::to_string(dilation) + " must be >= 1");
    require(pad_begin >= 0 && pad_end >= 0, std::string("negative padding on ") + name);
    const int64_t span = dilation * (kernel - 1) + 1;
    if (same) {
        const int64_t out = (in + stride - 1) / stride;
        const int64_t total = std::max<int64_t>(0, (out - 1) * stride + span - in);
        return {out, total / 2};
    }
    const int64_t padded = in + pad_begin + pad_end;
    require(span <= padded, std::string("kernel ") + name + " spans " + std::to_string(span) +
                                " inputs, more than the padded input (" + std::to_string(padded) + ")");
    return {(padded - span) / stride + 1, pad_begin};
}

void check_rank(const Shape& shape, const char* name) {
    require(shape.size() == 4, std::string(name) + " must have rank 4, has " + std::to_string(shape.size()));
    for (size_t i = 0; i < 4; ++i) {
        require(shape[i] > 0, std::string(name) + " dimension " + std::to_string(i) + " is " +
                                  std::to_string(shape[i]));
    }
}

int64_t product(const Shape& shape) {
    int64_t p = 1;
    for (int64_t d : shape) {
        require(p <= std::numeric_limits<int32_t>::max() / d, "tensor has more than 2^31 - 1 elements");
        p *= d;
    }
    return p;
}

// The checked geometry of one convolution: output shape and the leading paddings.
struct ConvPlan {
    Shape output;
    int64_t pad_top, pad_left;
};

ConvPlan plan_conv(const Shape& in, const Shape& w, const Conv2dSpec& spec) {
    check_rank(in, "input (NHWC)");
    check_rank(w, "weights (HWIO)");
    require(spec.groups >= 1, "groups = " + std::to_string(spec.groups) + " must be >= 1");
    require(in[3] % spec.groups == 0 && w[3] % spec.groups == 0,
            "groups = " + std::to_string(spec.groups) + " must divide the input channels (" + std::to_string(in[3]) +
                ") and the output channels (" + std::to_string(w[3]) + ")");
    require(in[3] / spec.groups == w[2], "weights hold " + std::to_string(w[2]) +
                                             " input channels per group, the input has " +
                                             std::to_string(in[3] / spec.groups));
    const AxisPlan rows = plan_axis("h", in[1], w[0], spec.stride_h, spec.dilation_h, spec.pad_top, spec.pad_bottom,
                                    spec.same_padding);
    const AxisPlan cols = plan_axis("w", in[2], w[1], spec.stride_w, spec.dilation_w, spec.pad_left, spec.pad_right,
                                    spec.same_padding);
    return {{in[0], rows.out, cols.out, w[3]}, rows.pad_begin, cols.pad_begin};
}

template <class A, class Out>
void conv(Span<const A> input, const Shape& in, Span<const int8_t> weights, const Shape& w, const Conv2dSpec& spec,
          Span<Out> output, const KernelChoice& choice) {
    const ConvPlan plan = plan_conv(in, w, spec);
    const Shape& out_shape = plan.output;
    detail::check_span(input, product(in), kWhat, "input");
    detail::check_span(weights, product(w), kWhat, "weights");
    detail::check_span(output, product(out_shape), kWhat, "output");
    check_zero_point(spec.input_zero_point, integer_range(8, std::is_signed_v<A>), "conv2d_q8: input zero point");
    check_zero_point(spec.weight_zero_point, integer_range(8, true), "conv2d_q8: weight zero point");
    const int64_t out_channels = w[3];
    const auto prepared = detail::prepare_output<A, Out>(spec, out_channels, kWhat);

    const auto& entry = detail::find_kernel(kWhat, prepared.variant, choice);
    const auto fn = detail::kernel_function<detail::conv2d_q8_fn>(entry);
    const int32_t zero_points[2] = {spec.input_zero_point, spec.weight_zero_point};
    detail::BufferRef in_buf(input.data(), {in[3], in[2], in[1], in[0]});
    detail::BufferRef zero_points_buf(zero_points, {2});
    detail::BufferRef w_buf(weights.data(), {w[3], w[2], w[1], w[0]});
    detail::BufferRef bias_buf(prepared.bias.data(), {out_channels});
    detail::BufferRef multiplier_buf(prepared.multipliers.data(), {out_channels});
    detail::BufferRef shift_buf(prepared.shifts.data(), {out_channels});
    detail::BufferRef scale_buf(prepared.scales.data(), {out_channels});
    detail::BufferRef out_buf(output.data(), {out_shape[3], out_shape[2], out_shape[1], out_shape[0]});
    detail::run_kernel(kWhat, [&] {
        return fn(in_buf.get(), zero_points_buf.get(), w_buf.get(), bias_buf.get(), multiplier_buf.get(),
                  shift_buf.get(), scale_buf.get(), spec.stride_w, spec.stride_h, spec.dilation_w, spec.dilation_h,
                  static_cast<int32_t>(plan.pad_left), static_cast<int32_t>(plan.pad_top), spec.groups,
                  spec.output_zero_point, prepared.clamp.min, prepared.clamp.max, out_buf.get());
    });
}

}  // namespace

Shape conv2d_output_shape(const Shape& in, const Shape& w, const Conv2dSpec& spec) {
    return plan_conv(in, w, spec).output;
}

void conv2d_q8(Span<const uint8_t> input, const Shape& input_nhwc, Span<const int8_t> weights,
               const Shape& weights_hwio, const Conv2dSpec& spec, Span<uint8_t> output, const KernelChoice& choice) {
    conv(input, input_nhwc, weights, weights_hwio, spec, output, choice);
}
void conv2d_q8(Span<const int8_t> input, const Shape& input_nhwc, Span<const int8_t> weights,
               const Shape& weights_hwio, const Conv2dSpec& spec, Span<int8_t> output, const KernelChoice& choice) {
    conv(input, input_nhwc, weights, weights_hwio, spec, output, choice);
}
void conv2d_q8(Span<const uint8_t> input, const Shape& input_nhwc, Span<const int8_t> weights,
               const Shape& weights_hwio, const Conv2dSpec& spec, Span<int32_t> output, const KernelChoice& choice) {
    conv(input, input_nhwc, weights, weights_hwio, spec, output, choice);
}
void conv2d_q8(Span<const int8_t> input, const Shape& input_nhwc, Span<const int8_t> weights,
               const Shape& weights_hwio, const Conv2dSpec& spec, Span<int32_t> output, const KernelChoice& choice) {
    conv(input, input_nhwc, weights, weights_hwio, spec, output, choice);
}

}  // namespace haqm
