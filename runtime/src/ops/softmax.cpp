// softmax: over the last axis, in float32 (quantized models dequantize the logits first).
#include <memory>

#include "../float_ops.h"
#include "node_helpers.h"

namespace haqm::ops {
namespace {

void check(const NodeRef& node) {
    const TensorInfo& in = node.input(0);
    if (in.shape.empty() || node.attrs().axis != static_cast<int>(in.shape.size()) - 1) node.fail("only the last axis is supported");
    if (in.dtype != DType::float32 || node.output().dtype != DType::float32) node.fail("input and output must be float32");
}

std::unique_ptr<PreparedNode> prepare(const PrepareContext& context) {
    const Shape shape = context.node.input(0).shape;
    const int64_t cols = shape.back(), rows = context.node.input(0).elements() / cols;
    return function_node([rows, cols](const uint8_t* const* in, uint8_t* out) {
        detail::softmax_f32(reinterpret_cast<const float*>(in[0]), rows, cols, reinterpret_cast<float*>(out));
    });
}

}  // namespace

extern const OpDefinition softmax_op = {
    "softmax", 1, 1, -1, {TypeRule::own}, same_shape, check, output_elements, no_kernel, op_name_only,
    HAQM_PREPARE(prepare),
};

}  // namespace haqm::ops
