// activation: a unary function (relu, clip, sigmoid, hard_sigmoid, hard_swish, tanh) of its
// input. Quantized: a 256-entry table built once from the float function, looked up by the
// runtime's table pass (table_lookup.h: 25x faster than the lut_q8 Halide kernel here).
#include <memory>

#include "../float_ops.h"
#include "../table_lookup.h"
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
    const int64_t n = in.elements();
    const bool is_signed = in.dtype == DType::int8;
    return function_node([n, is_signed, table = activation_table(node.attrs(), in, out)](const uint8_t* const* x,
                                                                                      uint8_t* o) {
        detail::lookup_bytes(table.data(), x[0], o, n, is_signed);
    });
}

std::string describe(const NodeRef& node) { return activation_name(node.attrs().activation); }

}  // namespace

extern const OpDefinition activation_op = {
    "activation", 1, 1, -1, {TypeRule::same_type, true}, same_shape, check, output_elements, no_kernel, describe,
    HAQM_PREPARE(prepare),
};

}  // namespace haqm::ops
