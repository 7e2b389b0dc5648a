// conv2d_q8 entry points: shape rules and argument checks, then the generated kernel.
#include <algorithm>
#include <array>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "checks.h"
#include "halide_call.h"
#include "haqm/kernels.h"
#include "gemm_layout.h"
#include "kernel_registry.h"
#include "product_call.h"

namespace haqm {
namespace {

constexpr const char* kWhat = "conv2d_q8";

int64_t round_up(int64_t value, int64_t multiple) {
    return (value + multiple - 1) / multiple * multiple;
}

// Input channels per tap in the packed weights (HWIO shape): rounded up to whole depth groups so
// every tap starts a group, except for a single tap, where K = C exactly is the same bytes and
// what gemm_q8 takes.
int64_t packed_channels(const Shape& w) {
    return w[0] * w[1] == 1 ? w[2] : round_up(w[2], gemm_layout::kDepthGroup);
}

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

int64_t product(const Shape& shape) { return detail::checked_elements(shape, kWhat); }

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

// The epilogue settings of one group's output channels as a GemmSpec.
GemmSpec group_gemm_spec(const Conv2dSpec& spec, int64_t first, int64_t count) {
    auto slice = [&](const auto& values) {
        using Values = std::decay_t<decltype(values)>;
        return values.size() <= 1 ? values : Values(values.begin() + first, values.begin() + first + count);
    };
    GemmSpec g;
    g.a_zero_point = spec.input_zero_point;
    g.bias = slice(spec.bias);
    g.requantization = spec.requantization;
    g.output_multipliers = slice(spec.output_multipliers);
    g.output_scales = slice(spec.output_scales);
    g.output_zero_point = spec.output_zero_point;
    g.output_min = spec.output_min;
    g.output_max = spec.output_max;
    g.output_table = spec.output_table;
    return g;
}

// Pointwise convolutions run gemm_q8's kernels for the schedules both families have (the loop
// interchanges of the direct convolution stay direct).
bool runs_as_gemm(const KernelChoice& choice) {
    const std::string schedule = choice.schedule.empty() ? default_schedule(kWhat) : choice.schedule;
    static const auto gemm_schedules = schedules("gemm_q8");  // the compiled table: fixed, read once
    return std::find(gemm_schedules.begin(), gemm_schedules.end(), schedule) != gemm_schedules.end();
}

template <class A, class Out>
KernelPlan::Call depthwise_call(const Shape& in, const PackedConvWeights& weights, const ConvPlan& plan,
                                const Conv2dSpec& spec, detail::PreparedOutput prepared, const detail::KernelEntry& entry) {
    constexpr const char* what = "depthwise_conv2d_q8";
    const auto fn = detail::kernel_function<detail::depthwise_conv2d_q8_fn>(entry);
    const std::array<int32_t, 2> zero_points{spec.input_zero_point, spec.weight_zero_point};
    return [in, &weights, plan, spec, prepared = std::move(prepared), fn, zero_points](const void* const* inputs,
                                                                                      void* output) {
        const Shape& w = weights.shape();
        const Shape& out = plan.output;
        detail::BufferRef in_buf(static_cast<const A*>(inputs[0]), {in[3], in[2], in[1], in[0]});
        detail::BufferRef zero_points_buf(zero_points.data(), {2});
        detail::BufferRef w_buf(weights.depthwise_weights().data(), {w[3], w[1], w[0]});
        detail::BufferRef bias_buf(prepared.bias.data(), {w[3]});
        detail::BufferRef multiplier_buf(prepared.multipliers.data(), {w[3]});
        detail::BufferRef shift_buf(prepared.shifts.data(), {w[3]});
        detail::BufferRef scale_buf(prepared.scales.data(), {w[3]});
        detail::BufferRef out_buf(static_cast<Out*>(output), {out[3], out[2], out[1], out[0]});
        detail::run_kernel(what, [&] {
            return fn(in_buf.get(), zero_points_buf.get(), w_buf.get(), bias_buf.get(), multiplier_buf.get(),
                      shift_buf.get(), scale_buf.get(), static_cast<int32_t>(w[3] / in[3]), spec.stride_w,
                      spec.stride_h, spec.dilation_w, spec.dilation_h, static_cast<int32_t>(plan.pad_left),
                      static_cast<int32_t>(plan.pad_top), spec.output_zero_point, prepared.clamp.min,
                      prepared.clamp.max, out_buf.get());
        });
        detail::apply_output_table(prepared, static_cast<Out*>(output), out[0] * out[1] * out[2] * out[3]);
    };
}

template <class A, class Out>
KernelPlan::Call direct_call(const Shape& in, const PackedConvWeights& weights, const ConvPlan& plan,
                             const Conv2dSpec& spec, detail::PreparedOutput prepared, const detail::KernelEntry& entry) {
    const auto fn = detail::kernel_function<detail::conv2d_q8_fn>(entry);
    const bool autoscheduled = std::string(entry.schedule) == "auto";
    const std::array<int32_t, 2> zero_points{spec.input_zero_point, spec.weight_zero_point};
    return [in, &weights, plan, spec, prepared = std::move(prepared), fn, autoscheduled, zero_points](
               const void* const* inputs, void* output) {
        const Shape& w = weights.shape();
        const Shape& out_shape = plan.output;
        const A* input = static_cast<const A*>(inputs[0]);
        const int64_t out_channels = w[3], in_channels = in[3], group_in = w[2], group_out = out_channels / spec.groups;
        const int64_t pixels = out_shape[0] * out_shape[1] * out_shape[2];
        // Each group is an ungrouped convolution on a channel slice of the input and the output.
        for (int g = 0; g < spec.groups; ++g) {
            const PackedWeights& packed = weights.per_group()[g];
            detail::run_product(
                autoscheduled, pixels, packed.padded_n(),
                detail::column_arrays(packed.column_sums().data(), prepared, g * group_out, group_out),
                static_cast<Out*>(output) + g * group_out, out_channels,
                [&](int64_t m_run, const detail::ColumnArrays& columns, Out* out_data, int64_t row_stride) {
                    detail::BufferRef in_buf(input + g * group_in, {group_in, in[2], in[1], in[0]},
                                             {1, in_channels, in_channels * in[2], in_channels * in[2] * in[1]});
                    detail::BufferRef zero_points_buf(zero_points.data(), {2});
                    detail::ProductBuffers product(packed, columns);
                    detail::BufferRef out_buf(out_data, {columns.count, m_run}, {1, row_stride});
                    detail::run_kernel(kWhat, [&] {
                        return fn(in_buf.get(), zero_points_buf.get(), product.weights.get(),
                                  product.weight_sums.get(), product.bias.get(), product.multipliers.get(),
                                  product.shifts.get(), product.scales.get(), static_cast<int32_t>(w[1]),
                                  static_cast<int32_t>(w[0]), spec.stride_w, spec.stride_h, spec.dilation_w,
                                  spec.dilation_h, static_cast<int32_t>(plan.pad_left),
                                  static_cast<int32_t>(plan.pad_top), static_cast<int32_t>(out_shape[2]),
                                  static_cast<int32_t>(out_shape[1]), spec.output_zero_point, prepared.clamp.min,
                                  prepared.clamp.max, out_buf.get());
                    });
                });
        }
        detail::apply_output_table(prepared, static_cast<Out*>(output), pixels * out_channels);
    };
}

// Everything but the data: checks, the padding plan, the epilogue arrays and the kernel.
template <class A, class Out>
KernelPlan plan_conv(const Shape& in, const PackedConvWeights& weights, const Conv2dSpec& spec,
                     const KernelChoice& choice) {
    const Shape& w = weights.shape();
    require(spec.groups == weights.groups(), "the spec has groups = " + std::to_string(spec.groups) +
                                                 ", the weights were packed for " + std::to_string(weights.groups()));
    require(spec.weight_zero_point == weights.zero_point(),
            "the spec's weight zero point differs from the packed weights'");
    const ConvPlan plan = plan_conv(in, w, spec);
    product(in);
    product(plan.output);
    check_zero_point(spec.input_zero_point, integer_range(8, std::is_signed_v<A>), "conv2d_q8: input zero point");
    if (conv2d_is_pointwise(w, spec) && runs_as_gemm(choice)) {
        // The NHWC input is already the M x C activation matrix of gemm_q8: no padded copy, no
        // window sums.
        const int64_t pixels = plan.output[0] * plan.output[1] * plan.output[2];
        KernelPlan gemm = plan_gemm_q8(pixels, dtype_of<A>(), dtype_of<Out>(), weights.per_group()[0],
                                       group_gemm_spec(spec, 0, w[3]), choice);
        const std::string schedule = gemm.schedule();
        return KernelPlan(kWhat, {{dtype_of<A>(), in}}, {dtype_of<Out>(), plan.output}, schedule,
                          [gemm = std::move(gemm)](const void* const* inputs, void* output) { gemm.run(inputs, output); });
    }
    detail::PreparedOutput prepared = detail::prepare_output<A, Out>(spec, w[3], kWhat);
    const auto family = weights.depthwise() ? detail::KernelFamily::depthwise_conv2d_q8 : detail::KernelFamily::conv2d_q8;
    const auto& entry = detail::find_kernel({family, dtype_of<A>(), dtype_of<Out>(), spec.requantization}, choice);
    KernelPlan::Call call = weights.depthwise()
                                ? depthwise_call<A, Out>(in, weights, plan, spec, std::move(prepared), entry)
                                : direct_call<A, Out>(in, weights, plan, spec, std::move(prepared), entry);
    return KernelPlan(kWhat, {{dtype_of<A>(), in}}, {dtype_of<Out>(), plan.output}, entry.schedule, std::move(call));
}

template <class A, class Out>
void conv(Span<const A> input, const Shape& in, const PackedConvWeights& weights, const Conv2dSpec& spec,
          Span<Out> output, const KernelChoice& choice) {
    const KernelPlan plan = plan_conv<A, Out>(in, weights, spec, choice);
    detail::check_span(input, product(in), kWhat, "input");
    detail::check_span(output, product(plan.output().shape), kWhat, "output");
    const void* inputs[] = {input.data()};
    plan.run(inputs, output.data());
}

template <class A, class Out>
void conv_im2col(Span<const A> input, const Shape& in, const PackedConvWeights& weights, const Conv2dSpec& spec,
                 Span<Out> output, const KernelChoice& gemm_choice) {
    constexpr const char* what = "conv2d_q8_im2col";
    const Shape& w = weights.shape();
    require(!weights.depthwise(), "depthwise convolutions have their own kernels: use conv2d_q8");
    require(spec.groups == weights.groups() && spec.weight_zero_point == weights.zero_point(),
            "the spec's groups and weight zero point must be those the weights were packed with");
    const ConvPlan plan = plan_conv(in, w, spec);
    const Shape& out = plan.output;
    detail::check_span(input, product(in), what, "input");
    detail::check_span(output, product(out), what, "output");
    check_zero_point(spec.input_zero_point, integer_range(8, std::is_signed_v<A>), "conv2d_q8_im2col: input zero point");
    const auto& entry = detail::find_kernel({detail::KernelFamily::im2col_q8, dtype_of<A>(), dtype_of<A>()}, {"", gemm_choice.isa});
    const auto im2col = detail::kernel_function<detail::im2col_q8_fn>(entry);

    const int64_t pixels = out[0] * out[1] * out[2], out_channels = w[3];
    const int64_t group_in = w[2], group_out = out_channels / spec.groups;
    const int64_t padded_in = packed_channels(w);
    std::vector<A> patches(pixels * w[0] * w[1] * padded_in);
    std::vector<Out> group_output(spec.groups > 1 ? pixels * group_out : 0);
    for (int g = 0; g < spec.groups; ++g) {
        detail::BufferRef in_buf(input.data() + g * group_in, {group_in, in[2], in[1], in[0]},
                                 {1, in[3], in[3] * in[2], in[3] * in[2] * in[1]});
        detail::BufferRef patches_buf(patches.data(), {padded_in, w[1], w[0], pixels});
        detail::run_kernel(what, [&] {
            return im2col(in_buf.get(), spec.input_zero_point, spec.stride_w, spec.stride_h, spec.dilation_w,
                          spec.dilation_h, static_cast<int32_t>(plan.pad_left), static_cast<int32_t>(plan.pad_top),
                          static_cast<int32_t>(out[2]), static_cast<int32_t>(out[1]), patches_buf.get());
        });
        const GemmSpec gemm_spec = group_gemm_spec(spec, g * group_out, group_out);
        if (spec.groups == 1) {
            gemm_q8(Span<const A>(patches), pixels, weights.per_group()[0], gemm_spec, output, gemm_choice);
            return;
        }
        gemm_q8(Span<const A>(patches), pixels, weights.per_group()[g], gemm_spec, Span<Out>(group_output),
                gemm_choice);
        for (int64_t p = 0; p < pixels; ++p) {
            std::copy(group_output.begin() + p * group_out, group_output.begin() + (p + 1) * group_out,
                      output.data() + p * out_channels + g * group_out);
        }
    }
}

template <class A, class Out>
void conv(Span<const A> input, const Shape& in, Span<const int8_t> weights, const Shape& w, const Conv2dSpec& spec,
          Span<Out> output, const KernelChoice& choice) {
    plan_conv(in, w, spec);  // shape errors before packing
    conv(input, in, PackedConvWeights(weights, w, spec.groups, spec.weight_zero_point), spec, output, choice);
}

}  // namespace

PackedConvWeights::PackedConvWeights(Span<const int8_t> weights, const Shape& w, int groups, int32_t zero_point)
    : shape_(w), groups_(groups), zero_point_(zero_point) {
    check_rank(w, "weights (HWIO)");
    require(groups >= 1 && w[3] % groups == 0, "groups = " + std::to_string(groups) +
                                                   " must be >= 1 and divide the output channels (" +
                                                   std::to_string(w[3]) + ")");
    detail::check_span(weights, product(w), kWhat, "weights");
    check_zero_point(zero_point, integer_range(8, true), "conv2d_q8: weight zero point");
    // Rows (tap, channel) with the channels rounded up to whole depth groups, columns the group's
    // output channels.
    const int64_t taps = w[0] * w[1], group_in = w[2], padded_in = packed_channels(w);
    const int64_t group_out = w[3] / groups;
    require(taps * padded_in <= kMaxGemmDepth, "kernel taps x input channels (" + std::to_string(taps * padded_in) +
                                                   ") exceeds " + std::to_string(kMaxGemmDepth) +
                                                   ", beyond which int32 accumulators may overflow");
    if (depthwise()) {
        depthwise_weights_.assign(weights.data(), weights.data() + product(w));
        return;
    }
    std::vector<int8_t> matrix(taps * padded_in * group_out);
    for (int g = 0; g < groups; ++g) {
        std::fill(matrix.begin(), matrix.end(), int8_t{0});
        for (int64_t tap = 0; tap < taps; ++tap) {
            for (int64_t c = 0; c < group_in; ++c) {
                const int8_t* row = weights.data() + (tap * group_in + c) * w[3] + g * group_out;
                std::copy(row, row + group_out, matrix.begin() + (tap * padded_in + c) * group_out);
            }
        }
        per_group_.emplace_back(Span<const int8_t>(matrix), taps * padded_in, group_out, zero_point);
    }
}

Shape conv2d_output_shape(const Shape& in, const Shape& w, const Conv2dSpec& spec) {
    return plan_conv(in, w, spec).output;
}

void conv2d_q8(Span<const uint8_t> input, const Shape& input_nhwc, const PackedConvWeights& weights,
               const Conv2dSpec& spec, Span<uint8_t> output, const KernelChoice& choice) {
    conv(input, input_nhwc, weights, spec, output, choice);
}
void conv2d_q8(Span<const int8_t> input, const Shape& input_nhwc, const PackedConvWeights& weights,
               const Conv2dSpec& spec, Span<int8_t> output, const KernelChoice& choice) {
    conv(input, input_nhwc, weights, spec, output, choice);
}
void conv2d_q8(Span<const uint8_t> input, const Shape& input_nhwc, const PackedConvWeights& weights,
               const Conv2dSpec& spec, Span<int32_t> output, const KernelChoice& choice) {
    conv(input, input_nhwc, weights, spec, output, choice);
}
void conv2d_q8(Span<const int8_t> input, const Shape& input_nhwc, const PackedConvWeights& weights,
               const Conv2dSpec& spec, Span<int32_t> output, const KernelChoice& choice) {
    conv(input, input_nhwc, weights, spec, output, choice);
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

namespace haqm {

void conv2d_q8_im2col(Span<const uint8_t> input, const Shape& input_nhwc, const PackedConvWeights& weights,
                      const Conv2dSpec& spec, Span<uint8_t> output, const KernelChoice& gemm_choice) {
    conv_im2col(input, input_nhwc, weights, spec, output, gemm_choice);
}
void conv2d_q8_im2col(Span<const int8_t> input, const Shape& input_nhwc, const PackedConvWeights& weights,
                      const Conv2dSpec& spec, Span<int8_t> output, const KernelChoice& gemm_choice) {
    conv_im2col(input, input_nhwc, weights, spec, output, gemm_choice);
}
void conv2d_q8_im2col(Span<const uint8_t> input, const Shape& input_nhwc, const PackedConvWeights& weights,
                      const Conv2dSpec& spec, Span<int32_t> output, const KernelChoice& gemm_choice) {
    conv_im2col(input, input_nhwc, weights, spec, output, gemm_choice);
}
void conv2d_q8_im2col(Span<const int8_t> input, const Shape& input_nhwc, const PackedConvWeights& weights,
                      const Conv2dSpec& spec, Span<int32_t> output, const KernelChoice& gemm_choice) {
    conv_im2col(input, input_nhwc, weights, spec, output, gemm_choice);
}

}  // namespace haqm

namespace haqm {

KernelPlan plan_conv2d_q8(const Shape& input_nhwc, DType input, DType output, const PackedConvWeights& weights,
                          const Conv2dSpec& spec, const KernelChoice& choice) {
    if (input == DType::uint8 && output == DType::uint8) return plan_conv<uint8_t, uint8_t>(input_nhwc, weights, spec, choice);
    if (input == DType::int8 && output == DType::int8) return plan_conv<int8_t, int8_t>(input_nhwc, weights, spec, choice);
    if (input == DType::uint8 && output == DType::int32) return plan_conv<uint8_t, int32_t>(input_nhwc, weights, spec, choice);
    if (input == DType::int8 && output == DType::int32) return plan_conv<int8_t, int32_t>(input_nhwc, weights, spec, choice);
    throw Error(std::string(kWhat) + ": no kernel for " + dtype_name(input) + " inputs and " + dtype_name(output) +
                " outputs (uint8/int8 inputs, the same type or int32 out)");
}

}  // namespace haqm
