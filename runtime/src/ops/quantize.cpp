// quantize: float32 x to int8/uint8 with the output's (per-tensor) parameters, at the output's
// bit width (ONNX QuantizeLinear: round half to even, saturate).
#include <algorithm>
#include <memory>

#include "node_helpers.h"

namespace haqm::ops {
namespace {

void check(const NodeRef& node) {
    if (node.input(0).dtype != DType::float32 || !is_8bit(node.output().dtype)) {
        node.fail("needs a float32 input and an int8/uint8 output");
    }
    if (node.output().quant.scales.size() != 1) node.fail("the output needs one scale");
}

std::unique_ptr<PreparedNode> prepare(const PrepareContext& context) {
    const TensorInfo& out = context.node.output();
    const QuantizationSpec spec{out.quant.scales, out.quant.zero_points, 0, std::min(out.quant.bits, 8)};
    return kernel_node(plan_quantize(out.shape, out.dtype, spec, context.choice));
}

const char* kernel_family(const NodeRef&) { return "quantize"; }

}  // namespace

extern const OpDefinition quantize_op = {
    "quantize", 1, 1, -1, {TypeRule::own}, same_shape, check, output_elements, kernel_family, op_name_only,
    HAQM_PREPARE(prepare),
};

}  // namespace haqm::ops
