// activation: a unary function (relu, clip, sigmoid, hard_sigmoid, hard_swish, tanh) of its
// input. Quantized: a 256-entry table built once from the float function, run by lut_q8.
#include <memory>

#include "../float_ops.h"
#include "node_helpers.h"

namespace haqm::ops {
namespace {

void check(const NodeRef& node) {
    if (node.attrs().activation == Activation::none) node.fail("activation is none");
}

std::unique_ptr<PreparedNode> prepare(const PrepareContext& context) {
    const NodeRef& node = context.node;
    const TensorInfo& in = node.input(0);
    const TensorInfo& out = node.output();
    if (!quantized_input(node)) {
        const int64_t n = in.elements();
        const NodeAttributes attrs = node.attrs();
        return function_node([n, attrs](const uint8_t* const* x, uint8_t* o) {
            const float* v = reinterpret_cast<const float*>(x[0]);
            float* y = reinterpret_cast<float*>(o);
            for (int64_t i = 0; i < n; ++i) y[i] = detail::activate(v[i], attrs);
        });
    }
    if (out.dtype != in.dtype) node.fail("input and output must have the same 8-bit type");
    const std::vector<uint8_t> table = activation_table(node.attrs(), in, out);
    return kernel_node(plan_lut_q8(in.shape, in.dtype, table, context.choice));
}

const char* kernel_family(const NodeRef& node) { return quantized_input(node) ? "lut_q8" : ""; }

std::string describe(const NodeRef& node) { return activation_name(node.attrs().activation); }

}  // namespace

extern const OpDefinition activation_op = {
    "activation", 1, 1, -1, {TypeRule::same_type, true}, same_shape, check, output_elements, kernel_family, describe,
    HAQM_PREPARE(prepare),
};

}  // namespace haqm::ops
