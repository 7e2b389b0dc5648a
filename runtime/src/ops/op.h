// What the runtime knows of one op, in one place: every op is one unit (runtime/src/ops/<op>.cpp)
// that fills an OpDefinition, and the op table (op_table.cpp) lists them in HAQM_OPS order.
// validate(), shape inference, the memory planner, the quantizer, the .haqm format, `inspect` and
// the executor read the table and never switch on an op.
//
// Life of a node: validate() checks arity, the op's own rules (check) and its output shape
// (infer_shape); Model's constructor calls prepare once, which does every per-node computation
// (weights packed, requantization arrays, padding plans, tables, the kernel resolved to a function
// pointer); Session::run calls the prepared node's run for every inference, which only moves
// pointers into the kernel: no allocation, no string, no re-validation.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "haqm/graph.h"
#include "haqm/kernels.h"

namespace haqm::ops {

// A node together with its graph: its tensors by position, and errors that name it.
class NodeRef {
public:
    NodeRef(const Graph& graph, const Node& node, size_t index) : graph_(graph), node_(node), index_(index) {}
    const Graph& graph() const { return graph_; }
    const Node& node() const { return node_; }
    const NodeAttributes& attrs() const { return node_.attrs; }
    size_t input_count() const { return node_.inputs.size(); }
    bool has_input(size_t i) const { return i < node_.inputs.size() && node_.inputs[i] >= 0; }
    const TensorInfo& input(size_t i) const { return graph_.tensors[static_cast<size_t>(node_.inputs[i])]; }
    const TensorInfo& output() const { return graph_.tensors[static_cast<size_t>(node_.outputs[0])]; }
    // Throws haqm::Error "graph: node 'name' (op): what".
    [[noreturn]] void fail(const std::string& what) const;

private:
    const Graph& graph_;
    const Node& node_;
    size_t index_;
};

// How the ops' dtypes are checked by validate() (the op's `check` adds its own rules):
//  same_type: every input and the output are float32 (the float path), or 8-bit with per-tensor
//    parameters (the quantized path).
//  product: input 0 and the output as same_type, except that a quantized product may write int32
//    accumulators; input 1 is constant weights (int8 when quantized), input 2 an optional bias
//    (int32 when quantized).
//  own: the op's check says everything (quantize, dequantize, softmax).
enum class TypeRule : uint8_t { same_type, product, own };

struct OpTraits {
    TypeRule types = TypeRule::same_type;
    // Output has input 0's shape and each element depends only on the same element of the inputs:
    // the memory planner may write it over an input that dies at this node.
    bool elementwise = false;
    // Output is input 0's bytes under another shape: the planner gives it the input's buffer.
    bool aliases_input = false;
    // The quantizer gives the output its input's scale and zero point (layout ops, pools).
    bool keeps_input_parameters = false;
};

// One node ready to run: everything computable before the data is known is done.
class PreparedNode {
public:
    virtual ~PreparedNode() = default;
    // inputs: one pointer per node input (nullptr for an absent optional one); output: the node's
    // output bytes. Sizes, types and shapes are those the node was prepared for.
    virtual void run(const uint8_t* const* inputs, uint8_t* output) const = 0;
    // The kernel schedule that runs ("" for plain C++).
    const std::string& schedule() const { return schedule_; }

protected:
    std::string schedule_;
};

// What prepare needs besides the node: the graph's requantization rule and the kernel choice
// (schedule and ISA, resolved by the executor from the node, the options and the default table).
struct PrepareContext {
    NodeRef node;
    Requantization requantization;
    KernelChoice choice;
};

struct OpDefinition {
    const char* name;
    uint16_t min_inputs, max_inputs;
    int8_t optional_input;  // the input index that may be -1 (absent), or -1 when none may
    OpTraits traits;
    // The output shape from the inputs' (validate() compares it with the graph's).
    Shape (*infer_shape)(const NodeRef& node);
    // The op's own rules beyond arity, shape and the TypeRule; throws through node.fail.
    void (*check)(const NodeRef& node);
    // Multiply-accumulates (products) or elements touched: the work for reports and the default
    // schedule table.
    double (*work)(const NodeRef& node);
    // The kernel family the quantized path runs ("" when it runs plain C++): names its schedules.
    const char* (*kernel_family)(const NodeRef& node);
    // One line for people (`haqm inspect`): the op and what sets it apart, e.g. "conv 3x3 s2 +relu".
    std::string (*describe)(const NodeRef& node);
    std::unique_ptr<PreparedNode> (*prepare)(const PrepareContext& context);
    // The op's own row of the default schedule table, when it has one: the schedule of `family`
    // its quantized node runs when nobody chose one ("" or nullptr: the generic rule,
    // executor.cpp).
    std::string (*default_schedule)(const NodeRef& node, const std::string& family) = nullptr;
};

// The definition of `op`; throws haqm::Error for a value outside HAQM_OPS.
const OpDefinition& definition(OpKind op);

// Shared pieces of op units.
double output_elements(const NodeRef& node);
double input_elements(const NodeRef& node);
const char* no_kernel(const NodeRef& node);
void no_check(const NodeRef& node);
Shape same_shape(const NodeRef& node);
std::string op_name_only(const NodeRef& node);
// " KHxKW[ sS][ dD]" of a window, and " +activation" when one is fused.
std::string window_text(const NodeRef& node, int64_t kernel_h, int64_t kernel_w);
std::string fused_text(const NodeRef& node);
// The float path or the quantized path: is input 0 an 8-bit tensor?
inline bool quantized_input(const NodeRef& node) { return is_8bit(node.input(0).dtype); }

}  // namespace haqm::ops

// The loaders' fuzz build (tests/fuzz) compiles the op rules without the kernels: there, an op's
// prepare is left out of its definition.
#ifdef HAQM_OP_RULES_ONLY
#define HAQM_PREPARE(function) nullptr
#else
#define HAQM_PREPARE(function) function
#endif
