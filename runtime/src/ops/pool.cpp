// max_pool, average_pool, global_average_pool: 2-D pooling of x NHWC (attributes: kernel,
// strides, pads, count_include_pad; global: out [N, 1, 1, C]). Quantized: pool_q8; the output
// keeps its input's parameters (the quantizer's rule; max pooling requires it).
#include <memory>

#include "../float_ops.h"
#include "node_helpers.h"

namespace haqm::ops {
namespace {

void check(const NodeRef& node) {
    check_window(node);
    if (node.input(0).shape.size() != 4) node.fail("needs an NHWC input, got " + shape_text(node.input(0).shape));
}

Shape window_shape(const NodeRef& node) {
    const Shape& x = node.input(0).shape;
    const NodeAttributes& a = node.attrs();
    if (x.size() != 4) node.fail("pooling needs an NHWC input");
    return {x[0], window_output(x[1], a.kernel_h, a.stride_h, 1, a.pad_top, a.pad_bottom),
            window_output(x[2], a.kernel_w, a.stride_w, 1, a.pad_left, a.pad_right), x[3]};
}

Shape global_shape(const NodeRef& node) {
    const Shape& x = node.input(0).shape;
    if (x.size() != 4) node.fail("global pooling needs an NHWC input");
    return {x[0], 1, 1, x[3]};
}

const char* kernel_family(const NodeRef& node) { return quantized_input(node) ? "pool_q8" : ""; }

PoolKind kind_of(OpKind op) {
    if (op == OpKind::max_pool) return PoolKind::max;
    return op == OpKind::average_pool ? PoolKind::average : PoolKind::global_average;
}

std::unique_ptr<PreparedNode> prepare(const PrepareContext& context) {
    const NodeRef& node = context.node;
    const TensorInfo& in = node.input(0);
    const TensorInfo& out = node.output();
    const NodeAttributes& a = node.attrs();
    if (!quantized_input(node)) {
        const OpKind op = node.node().op;
        const Shape in_shape = in.shape, out_shape = out.shape;
        const NodeAttributes attrs = a;
        return function_node([=](const uint8_t* const* x, uint8_t* o) {
            detail::pool2d_f32(op, reinterpret_cast<const float*>(x[0]), in_shape, attrs, reinterpret_cast<float*>(o), out_shape);
        });
    }
    if (out.dtype != in.dtype) node.fail("input and output must have the same 8-bit type");
    if (a.activation != Activation::none) node.fail("pools take no fused activation");
    Pool2dSpec p;
    p.kind = kind_of(node.node().op);
    p.kernel_h = a.kernel_h, p.kernel_w = a.kernel_w, p.stride_h = a.stride_h, p.stride_w = a.stride_w;
    p.pad_top = a.pad_top, p.pad_left = a.pad_left, p.pad_bottom = a.pad_bottom, p.pad_right = a.pad_right;
    p.count_include_pad = a.count_include_pad;
    p.input_zero_point = in.quant.zero_points[0];
    p.input_scale = in.quant.scales[0];
    p.output_scale = out.quant.scales[0];
    p.output_zero_point = out.quant.zero_points[0];
    std::tie(p.output_min, p.output_max) = fused_range(node, out);
    if (p.kind == PoolKind::max &&
        (in.quant.scales[0] != out.quant.scales[0] || in.quant.zero_points[0] != out.quant.zero_points[0])) {
        node.fail("quantized max pooling keeps its input's scale and zero point");
    }
    return kernel_node(plan_pool_q8(in.shape, in.dtype, p, context.choice));
}

std::string describe_window(const NodeRef& node) {
    return op_name(node.node().op) + window_text(node, node.attrs().kernel_h, node.attrs().kernel_w);
}

constexpr OpTraits kPoolTraits{TypeRule::same_type, false, false, true};

}  // namespace

extern const OpDefinition max_pool_op = {
    "max_pool", 1, 1, -1, kPoolTraits, window_shape, check, input_elements, kernel_family, describe_window,
    HAQM_PREPARE(prepare),
};
extern const OpDefinition average_pool_op = {
    "average_pool", 1, 1, -1, kPoolTraits, window_shape, check, input_elements, kernel_family, describe_window,
    HAQM_PREPARE(prepare),
};
extern const OpDefinition global_average_pool_op = {
    "global_average_pool", 1, 1, -1, kPoolTraits, global_shape, check, input_elements, kernel_family, op_name_only,
    HAQM_PREPARE(prepare),
};

}  // namespace haqm::ops
