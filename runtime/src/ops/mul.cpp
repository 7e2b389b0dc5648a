// mul: a * b of the same shape, or b [N, 1, 1, C] broadcast over a NHWC (squeeze-excite's
// channel scale). Quantized: the float rule of docs/arithmetic.md, run by mul_q8 (a plain C++ loop
// before: 1.2-1.6 ns per element, GCC's vectors of 8-bit values widened badly).
#include <memory>

#include "../float_ops.h"
#include "node_helpers.h"

namespace haqm::ops {
namespace {

void check(const NodeRef& node) {
    const Shape& x = node.input(0).shape;
    const Shape& b = node.input(1).shape;
    if (!mul_shapes_supported(x, b)) {
        node.fail("input shapes " + shape_text(x) + " and " + shape_text(b) + " are neither equal nor [N,1,1,C] over NHWC");
    }
}

std::unique_ptr<PreparedNode> prepare(const PrepareContext& context) {
    const NodeRef& node = context.node;
    const TensorInfo& a = node.input(0);
    const TensorInfo& b = node.input(1);
    const TensorInfo& out = node.output();
    if (!quantized_input(node)) {
        const Shape a_shape = a.shape, b_shape = b.shape;
        return function_node([a_shape, b_shape](const uint8_t* const* in, uint8_t* o) {
            detail::mul_f32(reinterpret_cast<const float*>(in[0]), a_shape, reinterpret_cast<const float*>(in[1]), b_shape,
                            reinterpret_cast<float*>(o));
        });
    }
    if (b.dtype != a.dtype || out.dtype != a.dtype) node.fail("inputs and output must have the same 8-bit type");
    if (node.attrs().activation != Activation::none) node.fail("a quantized mul takes no fused activation");
    MulSpec spec = binary_spec(node);
    const IntegerRange levels = levels_of(out);
    spec.output_min = levels.min, spec.output_max = levels.max;
    return kernel_node(plan_mul_q8(a.shape, b.shape, a.dtype, spec, context.choice));
}

const char* kernel_family(const NodeRef& node) { return quantized_input(node) ? "mul_q8" : ""; }

}  // namespace

extern const OpDefinition mul_op = {
    "mul", 2, 2, -1, {TypeRule::same_type, true}, same_shape, check, output_elements, kernel_family, op_name_only,
    HAQM_PREPARE(prepare),
};

}  // namespace haqm::ops
