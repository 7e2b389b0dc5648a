// add: a + b of the same shape, with a fused activation (relu / clip when quantized).
// Quantized: runs add_q8 (the TFLite integer rule, docs/arithmetic.md).
#include <memory>

#include "../float_ops.h"
#include "node_helpers.h"

namespace haqm::ops {
namespace {

void check(const NodeRef& node) {
    if (node.input(0).shape != node.input(1).shape) {
        node.fail("input shapes " + shape_text(node.input(0).shape) + " and " + shape_text(node.input(1).shape) + " differ");
    }
}

std::unique_ptr<PreparedNode> prepare(const PrepareContext& context) {
    const NodeRef& node = context.node;
    const TensorInfo& a = node.input(0);
    const TensorInfo& b = node.input(1);
    const TensorInfo& out = node.output();
    if (!quantized_input(node)) {
        const int64_t n = a.elements();
        const NodeAttributes attrs = node.attrs();
        return function_node([n, attrs](const uint8_t* const* in, uint8_t* o) {
            const float* x = reinterpret_cast<const float*>(in[0]);
            const float* y = reinterpret_cast<const float*>(in[1]);
            float* z = reinterpret_cast<float*>(o);
            for (int64_t i = 0; i < n; ++i) z[i] = detail::activate(x[i] + y[i], attrs);
        });
    }
    if (b.dtype != a.dtype || out.dtype != a.dtype) node.fail("inputs and output must have the same 8-bit type");
    AddSpec spec = binary_spec(node);
    std::tie(spec.output_min, spec.output_max) = fused_range(node, out);
    return kernel_node(plan_add_q8(a.shape, a.dtype, spec, context.choice));
}

const char* kernel_family(const NodeRef& node) { return quantized_input(node) ? "add_q8" : ""; }

std::string describe(const NodeRef& node) { return "add" + fused_text(node); }

}  // namespace

extern const OpDefinition add_op = {
    "add", 2, 2, -1, {TypeRule::same_type, true}, same_shape, check, output_elements, kernel_family, describe,
    HAQM_PREPARE(prepare),
};

}  // namespace haqm::ops
