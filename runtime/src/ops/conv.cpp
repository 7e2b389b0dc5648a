// conv: 2-D convolution. Inputs: x NHWC, weights HWIO (kernel h, kernel w, input channels per
// group, output channels; constant), optional bias [C_out]. Attributes: strides, dilations, pads,
// groups, a fused activation. Quantized: 8-bit x, int8 weights (per tensor or per output
// channel), int32 bias, 8-bit or int32 output; runs conv2d_q8 (depthwise_conv2d_q8 when every
// group holds one input channel).
#include <memory>

#include "../float_ops.h"
#include "node_helpers.h"

namespace haqm::ops {
namespace {

void check(const NodeRef& node) {
    check_window(node);
    const NodeAttributes& a = node.attrs();
    const Shape& x = node.input(0).shape;
    const Shape& w = node.input(1).shape;
    if (x.size() != 4 || w.size() != 4) {
        node.fail("needs an NHWC input and HWIO weights, got " + shape_text(x) + " and " + shape_text(w));
    }
    if (a.groups < 1 || x[3] % a.groups != 0 || w[3] % a.groups != 0) {
        node.fail("groups " + std::to_string(a.groups) + " do not divide the channels");
    }
    if (x[3] / a.groups != w[2]) {
        node.fail("input has " + std::to_string(x[3]) + " channels, weights expect " + std::to_string(w[2] * a.groups));
    }
    if (node.has_input(2) && node.input(2).elements() != w[3]) node.fail("bias needs one value per output channel");
}

Shape infer_shape(const NodeRef& node) {
    const NodeAttributes& a = node.attrs();
    const Shape& x = node.input(0).shape;
    const Shape& w = node.input(1).shape;
    if (x.size() != 4 || w.size() != 4) node.fail("needs an NHWC input and HWIO weights");
    return {x[0], window_output(x[1], w[0], a.stride_h, a.dilation_h, a.pad_top, a.pad_bottom),
            window_output(x[2], w[1], a.stride_w, a.dilation_w, a.pad_left, a.pad_right), w[3]};
}

double work(const NodeRef& node) {
    const Shape& w = node.input(1).shape;
    return output_elements(node) * static_cast<double>(w[0] * w[1] * w[2]);
}

bool is_depthwise(const NodeRef& node) { return conv2d_is_depthwise(node.input(1).shape, node.attrs().groups); }

// The node's window as the kernel API's spec (no requantization yet).
Conv2dSpec geometry_of(const NodeRef& node) {
    const NodeAttributes& a = node.attrs();
    Conv2dSpec s;
    s.stride_h = a.stride_h, s.stride_w = a.stride_w, s.dilation_h = a.dilation_h, s.dilation_w = a.dilation_w;
    s.pad_top = a.pad_top, s.pad_left = a.pad_left, s.pad_bottom = a.pad_bottom, s.pad_right = a.pad_right;
    s.groups = a.groups;
    return s;
}

// Convolutions with 16 or 32 output channels per group take the narrow register tiles made for them
// on AVX-512 (3x3, 28x28x16 -> 16: 25 us against 31 with the 64-wide tile), except pointwise ones,
// which run gemm_q8's tiles as matrix products (14x14x48 -> 16: 3.2 us against 8.3 with the
// narrow direct tile). (bench_model's rows and docs/performance.md are the measurements.)
std::string default_schedule(const NodeRef& node, const std::string& family) {
    if (family != "conv2d_q8" || conv2d_is_pointwise(node.input(1).shape, geometry_of(node))) return "";
    const auto& isas = supported_isas();
    const bool wide_tiles = !isas.empty() && isas.front().rfind("avx512", 0) == 0;
    const int64_t group_out = node.input(1).shape[3] / node.attrs().groups;
    if (wide_tiles && group_out <= 16) return "tiled_vec_c16";
    if (wide_tiles && group_out <= 32) return "tiled_vec_c32";
    return "";
}

const char* kernel_family(const NodeRef& node) {
    if (!quantized_input(node)) return "";
    return is_depthwise(node) ? "depthwise_conv2d_q8" : "conv2d_q8";
}

std::unique_ptr<PreparedNode> prepare_float(const NodeRef& node) {
    const Shape x = node.input(0).shape, w = node.input(1).shape, out = node.output().shape;
    const NodeAttributes attrs = node.attrs();
    const bool has_bias = node.has_input(2);
    return function_node([=](const uint8_t* const* in, uint8_t* o) {
        detail::conv2d_f32(reinterpret_cast<const float*>(in[0]), x, reinterpret_cast<const float*>(in[1]), w,
                           has_bias ? reinterpret_cast<const float*>(in[2]) : nullptr, attrs,
                           reinterpret_cast<float*>(o), out);
    });
}

std::unique_ptr<PreparedNode> prepare_quantized(const PrepareContext& context) {
    const NodeRef& node = context.node;
    const TensorInfo& in = node.input(0);
    const TensorInfo& w = node.input(1);
    const TensorInfo& out = node.output();
    check_weight_zero_points(node, w);
    if (out.dtype != in.dtype && out.dtype != DType::int32) node.fail("input and output must have the same 8-bit type");
    auto weights = std::make_shared<PackedConvWeights>(w.constant->as<int8_t>(), w.shape, node.attrs().groups,
                                                       w.quant.zero_points[0]);
    Conv2dSpec s = geometry_of(node);
    s.input_zero_point = in.quant.zero_points[0];
    s.weight_zero_point = w.quant.zero_points[0];
    if (node.has_input(2)) s.bias = constant_int32(node.input(2));
    set_requantization(s, node, context.requantization, w, w.shape[3]);
    return kernel_node(plan_conv2d_q8(in.shape, in.dtype, out.dtype, *weights, s, context.choice), weights);
}

std::unique_ptr<PreparedNode> prepare(const PrepareContext& context) {
    if (!quantized_input(context.node)) return prepare_float(context.node);
    return prepare_quantized(context);
}

std::string describe(const NodeRef& node) {
    const Shape& w = node.input(1).shape;
    std::string text = "conv" + window_text(node, w[0], w[1]);
    if (node.attrs().groups > 1) text += is_depthwise(node) ? " depthwise" : " g" + std::to_string(node.attrs().groups);
    return text + fused_text(node);
}

}  // namespace

extern const OpDefinition conv_op = {
    "conv", 2, 3, 2, {TypeRule::product}, infer_shape, check, work, kernel_family, describe, HAQM_PREPARE(prepare),
    HAQM_PREPARE(default_schedule),
};

}  // namespace haqm::ops
