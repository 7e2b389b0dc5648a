// The op table: every definition in HAQM_OPS order, and the pieces op units share.
#include <string>

#include "op.h"

namespace haqm::ops {

#define HAQM_OP_DECLARE(id, code) extern const OpDefinition id##_op;
HAQM_OPS(HAQM_OP_DECLARE)
#undef HAQM_OP_DECLARE

namespace {
const OpDefinition* const kOps[] = {
#define HAQM_OP_ENTRY(id, code) &id##_op,
    HAQM_OPS(HAQM_OP_ENTRY)
#undef HAQM_OP_ENTRY
};
}  // namespace

const OpDefinition& definition(OpKind op) {
    if (static_cast<uint8_t>(op) >= kOpKindCount) throw Error("unknown op " + std::to_string(static_cast<int>(op)));
    return *kOps[static_cast<uint8_t>(op)];
}

void NodeRef::fail(const std::string& what) const {
    const std::string name = node_.name.empty() ? "#" + std::to_string(index_) : "'" + node_.name + "'";
    throw Error("graph: node " + name + " (" + op_name(node_.op) + "): " + what);
}

double output_elements(const NodeRef& node) { return static_cast<double>(node.output().elements()); }
double input_elements(const NodeRef& node) { return static_cast<double>(node.input(0).elements()); }
const char* no_kernel(const NodeRef&) { return ""; }
void no_check(const NodeRef&) {}
Shape same_shape(const NodeRef& node) { return node.input(0).shape; }
std::string op_name_only(const NodeRef& node) { return op_name(node.node().op); }

std::string window_text(const NodeRef& node, int64_t kernel_h, int64_t kernel_w) {
    std::string text = " " + std::to_string(kernel_h) + "x" + std::to_string(kernel_w);
    const NodeAttributes& a = node.attrs();
    if (a.stride_h != 1 || a.stride_w != 1) {
        text += a.stride_h == a.stride_w ? " s" + std::to_string(a.stride_h)
                                         : " s" + std::to_string(a.stride_h) + "x" + std::to_string(a.stride_w);
    }
    if (a.dilation_h != 1 || a.dilation_w != 1) text += " d" + std::to_string(a.dilation_h);
    return text;
}

std::string fused_text(const NodeRef& node) {
    const Activation a = node.attrs().activation;
    return a == Activation::none ? "" : std::string(" +") + activation_name(a);
}

}  // namespace haqm::ops

namespace haqm {

namespace {
struct OpCodes {
    const char* name;
    uint8_t file_code;
};
constexpr OpCodes kOpCodes[] = {
#define HAQM_OP_CODE(id, code) {#id, code},
    HAQM_OPS(HAQM_OP_CODE)
#undef HAQM_OP_CODE
};
}  // namespace

const char* op_name(OpKind op) {
    return static_cast<uint8_t>(op) < kOpKindCount ? kOpCodes[static_cast<uint8_t>(op)].name : "unknown";
}

uint8_t op_file_code(OpKind op) {
    if (static_cast<uint8_t>(op) >= kOpKindCount) throw Error("unknown op " + std::to_string(static_cast<int>(op)));
    return kOpCodes[static_cast<uint8_t>(op)].file_code;
}

OpKind op_from_file_code(uint8_t code) {
    for (uint8_t i = 0; i < kOpKindCount; ++i) {
        if (kOpCodes[i].file_code == code) return static_cast<OpKind>(i);
    }
    throw Error("unknown op code " + std::to_string(code));
}

}  // namespace haqm
