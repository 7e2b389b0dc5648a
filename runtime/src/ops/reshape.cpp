// reshape: the same bytes under the output tensor's shape. The memory planner usually gives the
// output the input's buffer, and then nothing runs.
#include <cstring>
#include <memory>

#include "node_helpers.h"

namespace haqm::ops {
namespace {

void check(const NodeRef& node) {
    const TensorInfo& in = node.input(0);
    const TensorInfo& out = node.output();
    if (in.elements() != out.elements()) node.fail("cannot reshape " + shape_text(in.shape) + " to " + shape_text(out.shape));
    if (in.dtype != out.dtype) node.fail("reshape changes the dtype");
}

Shape infer_shape(const NodeRef& node) { return node.output().shape; }

std::unique_ptr<PreparedNode> prepare(const PrepareContext& context) {
    const size_t bytes = context.node.output().bytes();
    return function_node([bytes](const uint8_t* const* in, uint8_t* out) {
        if (out != in[0]) std::memmove(out, in[0], bytes);
    });
}

}  // namespace

extern const OpDefinition reshape_op = {
    "reshape", 1, 1, -1, {TypeRule::same_type, false, true, true}, infer_shape, check, output_elements, no_kernel,
    op_name_only, HAQM_PREPARE(prepare),
};

}  // namespace haqm::ops
