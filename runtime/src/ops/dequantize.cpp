// dequantize: int8/uint8/int32 x (per tensor or per channel) to float32 (ONNX DequantizeLinear).
#include <memory>

#include "node_helpers.h"

namespace haqm::ops {
namespace {

void check(const NodeRef& node) {
    if (node.output().dtype != DType::float32 || node.input(0).quant.empty()) {
        node.fail("needs a quantized input and a float32 output");
    }
}

std::unique_ptr<PreparedNode> prepare(const PrepareContext& context) {
    const TensorInfo& in = context.node.input(0);
    const QuantizationSpec spec{in.quant.scales, in.quant.zero_points, in.quant.axis, 8};
    return kernel_node(plan_dequantize(in.shape, in.dtype, spec, context.choice));
}

const char* kernel_family(const NodeRef&) { return "dequantize"; }

}  // namespace

extern const OpDefinition dequantize_op = {
    "dequantize", 1, 1, -1, {TypeRule::own}, same_shape, check, output_elements, kernel_family, op_name_only,
    HAQM_PREPARE(prepare),
};

}  // namespace haqm::ops
