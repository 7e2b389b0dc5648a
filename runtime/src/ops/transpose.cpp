// transpose: out axis d is input axis perm[d] (attrs.perm over the graph layout's axes).
#include <memory>
#include <vector>

#include "../float_ops.h"
#include "node_helpers.h"

namespace haqm::ops {
namespace {

void check(const NodeRef& node) {
    const std::vector<int64_t>& perm = node.attrs().perm;
    const size_t rank = node.input(0).shape.size();
    if (perm.size() != rank) node.fail("perm has " + std::to_string(perm.size()) + " axes, input has " + std::to_string(rank));
    std::vector<bool> seen(rank, false);
    for (int64_t p : perm) {
        if (p < 0 || static_cast<size_t>(p) >= rank || seen[static_cast<size_t>(p)]) node.fail("perm is not a permutation");
        seen[static_cast<size_t>(p)] = true;
    }
}

Shape infer_shape(const NodeRef& node) {
    const Shape& x = node.input(0).shape;
    const std::vector<int64_t>& perm = node.attrs().perm;
    if (perm.size() != x.size()) node.fail("perm does not match the input's rank");
    Shape out(x.size());
    for (size_t i = 0; i < x.size(); ++i) out[i] = x.at(static_cast<size_t>(perm[i]));
    return out;
}

std::unique_ptr<PreparedNode> prepare(const PrepareContext& context) {
    const TensorInfo& in = context.node.input(0);
    const Shape shape = in.shape;
    const std::vector<int64_t> perm = context.node.attrs().perm;
    const size_t element_bytes = dtype_bytes(in.dtype);
    return function_node([=](const uint8_t* const* x, uint8_t* out) {
        detail::transpose_bytes(x[0], shape, perm, element_bytes, out);
    });
}

}  // namespace

extern const OpDefinition transpose_op = {
    "transpose", 1, 1, -1, {TypeRule::same_type, false, false, true}, infer_shape, check, output_elements, no_kernel,
    op_name_only, HAQM_PREPARE(prepare),
};

}  // namespace haqm::ops
