// Graph helpers and validate(): the rules every node shares (ids, order, arity, dtypes,
// quantization parameters); each op's own rules and shape are in its unit (runtime/src/ops/).
#include "haqm/graph.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "ops/op.h"

namespace haqm {
std::string shape_text(const Shape& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
    return s + "]";
}

const char* activation_name(Activation activation) {
    switch (activation) {
    case Activation::none: return "none";
    case Activation::relu: return "relu";
    case Activation::clip: return "clip";
    case Activation::sigmoid: return "sigmoid";
    case Activation::hard_sigmoid: return "hard_sigmoid";
    case Activation::hard_swish: return "hard_swish";
    case Activation::tanh: return "tanh";
    }
    return "unknown";
}

void ConstantData::check_view(size_t element_size, size_t alignment) const {
    if (size % element_size != 0) {
        throw Error("constant of " + std::to_string(size) + " bytes is not a whole number of " +
                    std::to_string(element_size) + "-byte elements");
    }
    if (size > 0 && reinterpret_cast<uintptr_t>(data) % alignment != 0) {
        throw Error("constant data is not aligned to " + std::to_string(alignment) + " bytes");
    }
}

int64_t TensorInfo::elements() const {
    int64_t n = 1;
    for (int64_t d : shape) {
        if (d < 0) throw Error("tensor '" + name + "' has a negative dimension " + shape_text(shape));
        // Each dimension is bounded too: a zero elsewhere keeps the product small while window
        // arithmetic on a huge dimension would overflow.
        if (d > (int64_t(1) << 40) || (d != 0 && n > (int64_t(1) << 40) / d)) {
            throw Error("tensor '" + name + "' is too large " + shape_text(shape));
        }
        n *= d;
    }
    return n;
}

size_t TensorInfo::bytes() const {
    elements();  // throws for negative or huge shapes
    return static_cast<size_t>(dtype_storage_bytes(dtype, shape));
}

Shape dense_strides(const Shape& shape) {
    const size_t rank = shape.size();
    Shape strides(rank, 1);
    for (size_t d = 1; d < rank; ++d) strides[rank - 1 - d] = strides[rank - d] * shape[rank - d];
    return strides;
}

Shape TensorInfo::strides() const { return dense_strides(shape); }

Shape TensorView::element_strides() const { return strides.empty() ? dense_strides(shape) : strides; }

int32_t Graph::add_tensor(TensorInfo tensor) {
    tensors.push_back(std::move(tensor));
    return static_cast<int32_t>(tensors.size() - 1);
}

int32_t Graph::find_tensor(const std::string& name) const {
    for (size_t i = 0; i < tensors.size(); ++i) {
        if (tensors[i].name == name) return static_cast<int32_t>(i);
    }
    return -1;
}

namespace {
// The node with its graph; `node` may also be a copy that is not in graph.nodes (index 0 then).
ops::NodeRef node_ref(const Graph& graph, const Node& node) {
    const size_t index = static_cast<size_t>(&node - graph.nodes.data());
    return ops::NodeRef(graph, node, index < graph.nodes.size() ? index : 0);
}
}  // namespace

Shape infer_output_shape(const Graph& graph, const Node& node) {
    return ops::definition(node.op).infer_shape(node_ref(graph, node));
}

int64_t node_macs(const Graph& graph, const Node& node) {
    const ops::OpDefinition& op = ops::definition(node.op);
    if (op.traits.types != ops::TypeRule::product) return 0;
    return static_cast<int64_t>(op.work(node_ref(graph, node)));
}

std::string describe_node(const Graph& graph, const Node& node) { return ops::definition(node.op).describe(node_ref(graph, node)); }

namespace {

void check_quant(const TensorInfo& t, const std::string& what) {
    const TensorQuant& q = t.quant;
    if (q.empty()) {
        if (is_quantized_dtype(t.dtype)) throw Error(what + " is " + dtype_name(t.dtype) + " without quantization parameters");
        return;
    }
    if (q.scales.size() != q.zero_points.size()) throw Error(what + ": scales and zero points differ in count");
    if (q.bits < 1 || q.bits > 32) throw Error(what + ": bit width " + std::to_string(q.bits) + " out of range");
    for (float s : q.scales) {
        if (!(s > 0.0f) || !std::isfinite(s)) throw Error(what + ": scale " + std::to_string(s) + " is not a positive finite number");
    }
    if (q.scales.size() > 1) {
        if (q.axis < 0 || static_cast<size_t>(q.axis) >= t.shape.size() ||
            t.shape[static_cast<size_t>(q.axis)] != static_cast<int64_t>(q.scales.size())) {
            throw Error(what + ": " + std::to_string(q.scales.size()) + " per-channel scales do not match axis " +
                        std::to_string(q.axis) + " of " + shape_text(t.shape));
        }
    }
    if (is_quantized_dtype(t.dtype)) {
        const DTypeInfo& info = dtype_info(t.dtype);
        const int32_t lo = info.is_signed ? -(1 << (info.bits - 1)) : 0, hi = lo + (1 << info.bits) - 1;
        for (int32_t z : q.zero_points) {
            if (z < lo || z > hi) throw Error(what + ": zero point " + std::to_string(z) + " outside " + dtype_name(t.dtype));
        }
    }
}

// The dtypes of a node by its op's TypeRule (ops/op.h).
void check_types(const ops::NodeRef& node, ops::TypeRule rule) {
    if (rule == ops::TypeRule::own) return;
    const TensorInfo& out = node.output();
    const bool product = rule == ops::TypeRule::product;
    const size_t activations = product ? 1 : node.input_count();
    const bool quantized = is_quantized_dtype(out.dtype) || is_quantized_dtype(node.input(0).dtype);
    if (product && !node.input(1).constant) node.fail("weights must be constant");
    if (quantized) {
        // 8-bit ops read and write 8-bit activations with per-tensor parameters (weights per channel).
        for (size_t i = 0; i < activations; ++i) {
            const TensorInfo& in = node.input(i);
            if (!is_8bit(in.dtype)) node.fail("input " + std::to_string(i) + " is " + dtype_name(in.dtype) + " in a quantized op");
            if (in.quant.scales.size() != 1) node.fail("input " + std::to_string(i) + " needs per-tensor parameters");
        }
        if (!(is_8bit(out.dtype) || (product && out.dtype == DType::int32))) {
            node.fail(std::string("output is ") + dtype_name(out.dtype) + " in a quantized op");
        }
        if (is_8bit(out.dtype) && out.quant.scales.size() != 1) node.fail("output needs per-tensor parameters");
        if (product) {
            if (node.input(1).dtype != DType::int8) node.fail("quantized weights must be int8");
            if (node.has_input(2) && node.input(2).dtype != DType::int32) node.fail("quantized bias must be int32");
        }
        return;
    }
    for (size_t i = 0; i < node.input_count(); ++i) {
        if (node.has_input(i) && node.input(i).dtype != DType::float32) {
            node.fail("float op with a " + std::string(dtype_name(node.input(i).dtype)) + " input");
        }
    }
    if (out.dtype != DType::float32) node.fail("float op with a non-float output");
}

void check_node(const Graph& graph, const Node& node, size_t index) {
    const ops::NodeRef ref(graph, node, index);
    const ops::OpDefinition& op = ops::definition(node.op);
    const NodeAttributes& a = node.attrs;
    if (static_cast<uint8_t>(a.activation) >= kActivationCount) ref.fail("unknown activation");
    if (a.activation == Activation::clip && !(a.clip_min <= a.clip_max)) ref.fail("clip minimum above maximum");
    op.check(ref);
    check_types(ref, op.traits.types);
    const Shape expected = op.infer_shape(ref);
    if (expected != ref.output().shape) ref.fail("output shape " + shape_text(ref.output().shape) + " should be " + shape_text(expected));
    for (int64_t d : expected) {
        if (d <= 0) ref.fail("output shape " + shape_text(expected) + " is empty");
    }
}

}  // namespace

void validate(const Graph& graph) {
    const size_t count = graph.tensors.size();
    std::vector<bool> available(count, false);
    for (size_t i = 0; i < count; ++i) {
        const TensorInfo& t = graph.tensors[i];
        const std::string what = "graph: tensor '" + t.name + "'";
        if (!is_known_dtype(t.dtype)) throw Error(what + " has an unknown dtype");
        t.elements();  // throws for negative or huge shapes
        check_quant(t, what);
        if (t.constant) {
            if (t.constant->size != t.bytes()) {
                throw Error(what + " holds " + std::to_string(t.constant->size) + " bytes, its shape " + shape_text(t.shape) +
                            " needs " + std::to_string(t.bytes()));
            }
            if (t.constant->size > 0 && t.constant->data == nullptr) throw Error(what + " has no data");
            available[i] = true;
        }
    }
    const auto check_id = [&](int32_t id, const std::string& what) {
        if (id < 0 || static_cast<size_t>(id) >= count) throw Error("graph: " + what + " refers to tensor " + std::to_string(id) + " of " + std::to_string(count));
    };
    if (graph.inputs.empty() || graph.outputs.empty()) throw Error("graph: needs at least one input and one output");
    for (int32_t id : graph.inputs) {
        check_id(id, "an input");
        if (graph.tensors[static_cast<size_t>(id)].constant) throw Error("graph: input '" + graph.tensors[static_cast<size_t>(id)].name + "' is a constant");
        available[static_cast<size_t>(id)] = true;
    }
    if (static_cast<uint8_t>(graph.requantization) > 1) throw Error("graph: unknown requantization rule");
    for (size_t n = 0; n < graph.nodes.size(); ++n) {
        const Node& node = graph.nodes[n];
        if (static_cast<uint8_t>(node.op) >= kOpKindCount) throw Error("graph: node " + std::to_string(n) + " has an unknown op");
        const ops::OpDefinition& op = ops::definition(node.op);
        const ops::NodeRef ref(graph, node, n);
        if (node.inputs.size() < op.min_inputs || node.inputs.size() > op.max_inputs) {
            ref.fail("has " + std::to_string(node.inputs.size()) + " inputs");
        }
        if (node.outputs.size() != 1) ref.fail("needs exactly one output");
        for (size_t i = 0; i < node.inputs.size(); ++i) {
            const int32_t id = node.inputs[i];
            if (id == -1 && static_cast<int>(i) == op.optional_input) continue;
            check_id(id, "node " + std::to_string(n) + " input");
            if (!available[static_cast<size_t>(id)]) {
                ref.fail("reads '" + graph.tensors[static_cast<size_t>(id)].name + "' before it is produced");
            }
        }
        const int32_t out = node.outputs[0];
        check_id(out, "node " + std::to_string(n) + " output");
        if (available[static_cast<size_t>(out)]) ref.fail("writes '" + graph.tensors[static_cast<size_t>(out)].name + "' a second time");
        check_node(graph, node, n);
        available[static_cast<size_t>(out)] = true;
    }
    for (int32_t id : graph.outputs) {
        check_id(id, "an output");
        if (!available[static_cast<size_t>(id)]) throw Error("graph: output '" + graph.tensors[static_cast<size_t>(id)].name + "' is never produced");
    }
}

}  // namespace haqm
