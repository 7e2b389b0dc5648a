// concat: inputs joined along attrs.axis (of the graph layout). Quantized inputs whose scale or
// zero point differ from the output's are rescaled through a table built once.
#include <memory>
#include <vector>

#include "../float_ops.h"
#include "node_helpers.h"

namespace haqm::ops {
namespace {

void check(const NodeRef& node) {
    const Shape& first = node.input(0).shape;
    const int axis = node.attrs().axis;
    if (axis < 0 || static_cast<size_t>(axis) >= first.size()) node.fail("axis " + std::to_string(axis) + " out of range");
    for (size_t i = 1; i < node.input_count(); ++i) {
        const Shape& s = node.input(i).shape;
        bool ok = s.size() == first.size();
        for (size_t d = 0; ok && d < s.size(); ++d) ok = d == static_cast<size_t>(axis) || s[d] == first[d];
        if (!ok) node.fail("input " + shape_text(s) + " does not match " + shape_text(first) + " off the concat axis");
        if (node.input(i).dtype != node.input(0).dtype) node.fail("inputs differ in dtype");
    }
}

Shape infer_shape(const NodeRef& node) {
    Shape out = node.input(0).shape;
    const size_t axis = static_cast<size_t>(node.attrs().axis);
    if (axis >= out.size()) node.fail("concat axis out of range");
    for (size_t i = 1; i < node.input_count(); ++i) out[axis] += node.input(i).shape.at(axis);
    return out;
}

// Each input is `rows` blocks of `block` bytes, copied into the output at `offset` within rows of
// `row` bytes, then passed through `table` when its parameters differ from the output's.
struct ConcatPart {
    int64_t block, offset;
    std::vector<uint8_t> table;  // empty: copied as is
};

std::unique_ptr<PreparedNode> prepare(const PrepareContext& context) {
    const NodeRef& node = context.node;
    const TensorInfo& out = node.output();
    const size_t axis = static_cast<size_t>(node.attrs().axis);
    int64_t rows = 1, inner = static_cast<int64_t>(dtype_bytes(out.dtype));
    for (size_t d = 0; d < axis; ++d) rows *= out.shape[d];
    for (size_t d = axis + 1; d < out.shape.size(); ++d) inner *= out.shape[d];
    const int64_t row = out.shape[axis] * inner;
    std::vector<ConcatPart> parts;
    int64_t offset = 0;
    for (size_t i = 0; i < node.input_count(); ++i) {
        const TensorInfo& t = node.input(i);
        ConcatPart part{t.shape[axis] * inner, offset, {}};
        const bool same = !is_8bit(t.dtype) ||
                          (t.quant.scales[0] == out.quant.scales[0] && t.quant.zero_points[0] == out.quant.zero_points[0]);
        if (!same) part.table = activation_table(NodeAttributes{}, t, out);
        offset += part.block;
        parts.push_back(std::move(part));
    }
    const int32_t low = out.dtype == DType::int8 ? -128 : 0;
    const bool is_signed = out.dtype == DType::int8;
    return function_node([=](const uint8_t* const* in, uint8_t* o) {
        for (size_t i = 0; i < parts.size(); ++i) {
            const ConcatPart& part = parts[i];
            detail::copy_rows(in[i], rows, part.block, row, o + part.offset);
            if (part.table.empty()) continue;
            for (int64_t r = 0; r < rows; ++r) {
                uint8_t* bytes = o + part.offset + r * row;
                for (int64_t b = 0; b < part.block; ++b) {
                    const int32_t level = is_signed ? int32_t(int8_t(bytes[b])) : int32_t(bytes[b]);
                    bytes[b] = part.table[static_cast<size_t>(level - low)];
                }
            }
        }
    });
}

}  // namespace

extern const OpDefinition concat_op = {
    "concat", 1, 1024, -1, {TypeRule::same_type}, infer_shape, check, output_elements, no_kernel, op_name_only,
    HAQM_PREPARE(prepare),
};

}  // namespace haqm::ops
