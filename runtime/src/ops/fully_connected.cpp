// fully_connected: x [..., K] (any shape whose last dimension is K) times weights [K, N]
// (constant), plus an optional bias [N], with a fused activation. An [N, 1, 1, K] input (after a
// global pool) gives [N, N_out]. Quantized: 8-bit x, int8 weights, int32 bias, 8-bit or int32
// output; runs gemm_q8.
#include <memory>

#include "../float_ops.h"
#include "node_helpers.h"

namespace haqm::ops {
namespace {

void check(const NodeRef& node) {
    const Shape& x = node.input(0).shape;
    const Shape& w = node.input(1).shape;
    if (w.size() != 2 || x.empty() || x.back() != w[0]) {
        node.fail("input " + shape_text(x) + " does not match weights " + shape_text(w));
    }
    if (node.has_input(2) && node.input(2).elements() != w[1]) node.fail("bias needs one value per output");
}

Shape infer_shape(const NodeRef& node) {
    Shape out = node.input(0).shape;
    const Shape& w = node.input(1).shape;
    if (out.empty() || w.size() != 2) node.fail("needs weights [K, N]");
    int64_t rows = 1;
    for (size_t i = 0; i + 1 < out.size(); ++i) rows *= out[i];
    if (out.size() == 4 && out[1] == 1 && out[2] == 1) return {out[0], w[1]};
    if (out.size() == 2) return {rows, w[1]};
    out.back() = w[1];
    return out;
}

double work(const NodeRef& node) { return output_elements(node) * static_cast<double>(node.input(1).shape[0]); }

const char* kernel_family(const NodeRef& node) { return quantized_input(node) ? "gemm_q8" : ""; }

int64_t rows_of(const NodeRef& node) { return node.input(0).elements() / node.input(1).shape[0]; }

std::unique_ptr<PreparedNode> prepare_float(const NodeRef& node) {
    const Shape w = node.input(1).shape;
    const int64_t m = rows_of(node);
    const NodeAttributes attrs = node.attrs();
    const bool has_bias = node.has_input(2);
    return function_node([=](const uint8_t* const* in, uint8_t* o) {
        detail::fully_connected_f32(reinterpret_cast<const float*>(in[0]), m, reinterpret_cast<const float*>(in[1]),
                                    w[0], w[1], has_bias ? reinterpret_cast<const float*>(in[2]) : nullptr, attrs,
                                    reinterpret_cast<float*>(o));
    });
}

std::unique_ptr<PreparedNode> prepare_quantized(const PrepareContext& context) {
    const NodeRef& node = context.node;
    const TensorInfo& in = node.input(0);
    const TensorInfo& w = node.input(1);
    const TensorInfo& out = node.output();
    if (out.dtype != in.dtype && out.dtype != DType::int32) node.fail("input and output must have the same 8-bit type");
    check_weight_zero_points(node, w);
    auto weights = std::make_shared<PackedWeights>(w.constant->as<int8_t>(), w.shape[0], w.shape[1], w.quant.zero_points[0]);
    GemmSpec spec;
    spec.a_zero_point = in.quant.zero_points[0];
    if (node.has_input(2)) spec.bias = constant_int32(node.input(2));
    set_requantization(spec, node, context.requantization, w, w.shape[1]);
    return kernel_node(plan_gemm_q8(rows_of(node), in.dtype, out.dtype, *weights, spec, context.choice), weights);
}

std::unique_ptr<PreparedNode> prepare(const PrepareContext& context) {
    if (!quantized_input(context.node)) return prepare_float(context.node);
    return prepare_quantized(context);
}

std::string describe(const NodeRef& node) { return "fully_connected" + fused_text(node); }

}  // namespace

extern const OpDefinition fully_connected_op = {
    "fully_connected", 2, 3, 2, {TypeRule::product}, infer_shape, check, work, kernel_family, describe,
    HAQM_PREPARE(prepare),
};

}  // namespace haqm::ops
