// Graph helpers and validate(): the one place for each op's shape and dtype rules. Kept free of
// kernel calls so the loaders' fuzz targets build without the Halide kernels.
#include "haqm/graph.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace haqm {
namespace {

[[noreturn]] void fail_node(const Node& node, size_t index, const std::string& what) {
    const std::string name = node.name.empty() ? "#" + std::to_string(index) : "'" + node.name + "'";
    throw Error("graph: node " + name + " (" + op_name(node.op) + "): " + what);
}

std::string shape_text(const Shape& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
    return s + "]";
}

int64_t window_output(int64_t in, int64_t kernel, int stride, int dilation, int pad_begin, int pad_end) {
    const int64_t extent = int64_t(dilation) * (kernel - 1) + 1;
    const int64_t padded = in + pad_begin + pad_end;
    if (padded < extent) return 0;
    return (padded - extent) / stride + 1;
}

bool is_8bit(DType d) { return d == DType::int8 || d == DType::uint8; }

}  // namespace

size_t dtype_bytes(DType dtype) {
    switch (dtype) {
    case DType::float32: return 4;
    case DType::int32: return 4;
    case DType::int8: return 1;
    case DType::uint8: return 1;
    case DType::int4x2:
    case DType::uint4x2: break;
    }
    throw Error(std::string("dtype ") + dtype_name(dtype) + " has no whole-byte element size");
}

const char* dtype_name(DType dtype) {
    switch (dtype) {
    case DType::float32: return "float32";
    case DType::int32: return "int32";
    case DType::int8: return "int8";
    case DType::uint8: return "uint8";
    case DType::int4x2: return "int4x2";
    case DType::uint4x2: return "uint4x2";
    }
    return "unknown";
}

bool is_quantized_dtype(DType dtype) { return dtype != DType::float32 && dtype != DType::int32; }

const char* op_name(OpKind op) {
    switch (op) {
    case OpKind::conv: return "conv";
    case OpKind::fully_connected: return "fully_connected";
    case OpKind::add: return "add";
    case OpKind::mul: return "mul";
    case OpKind::activation: return "activation";
    case OpKind::max_pool: return "max_pool";
    case OpKind::average_pool: return "average_pool";
    case OpKind::global_average_pool: return "global_average_pool";
    case OpKind::reshape: return "reshape";
    case OpKind::transpose: return "transpose";
    case OpKind::concat: return "concat";
    case OpKind::softmax: return "softmax";
    case OpKind::quantize: return "quantize";
    case OpKind::dequantize: return "dequantize";
    }
    return "unknown";
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

size_t TensorInfo::bytes() const { return static_cast<size_t>(elements()) * dtype_bytes(dtype); }

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

Shape infer_output_shape(const Graph& graph, const Node& node) {
    const auto shape_of = [&](size_t i) -> const Shape& { return graph.tensors.at(node.inputs.at(i)).shape; };
    const NodeAttributes& a = node.attrs;
    switch (node.op) {
    case OpKind::conv: {
        const Shape& x = shape_of(0);
        const Shape& w = shape_of(1);
        if (x.size() != 4 || w.size() != 4) throw Error("conv needs NHWC input and HWIO weights");
        const int64_t h = window_output(x[1], w[0], a.stride_h, a.dilation_h, a.pad_top, a.pad_bottom);
        const int64_t wo = window_output(x[2], w[1], a.stride_w, a.dilation_w, a.pad_left, a.pad_right);
        return {x[0], h, wo, w[3]};
    }
    case OpKind::fully_connected: {
        Shape out = shape_of(0);
        const Shape& w = shape_of(1);
        if (out.empty() || w.size() != 2) throw Error("fully_connected needs weights [K, N]");
        // [N, 1, 1, K] inputs (after a global pool) give [N, N_out]
        int64_t rows = 1;
        for (size_t i = 0; i + 1 < out.size(); ++i) rows *= out[i];
        if (out.size() == 4 && out[1] == 1 && out[2] == 1) return {out[0], w[1]};
        if (out.size() == 2) return {rows, w[1]};
        out.back() = w[1];
        return out;
    }
    case OpKind::max_pool:
    case OpKind::average_pool: {
        const Shape& x = shape_of(0);
        if (x.size() != 4) throw Error("pooling needs an NHWC input");
        return {x[0], window_output(x[1], a.kernel_h, a.stride_h, 1, a.pad_top, a.pad_bottom),
                window_output(x[2], a.kernel_w, a.stride_w, 1, a.pad_left, a.pad_right), x[3]};
    }
    case OpKind::global_average_pool: {
        const Shape& x = shape_of(0);
        if (x.size() != 4) throw Error("global pooling needs an NHWC input");
        return {x[0], 1, 1, x[3]};
    }
    case OpKind::transpose: {
        const Shape& x = shape_of(0);
        Shape out(x.size());
        for (size_t i = 0; i < x.size(); ++i) out[i] = x.at(static_cast<size_t>(a.perm.at(i)));
        return out;
    }
    case OpKind::concat: {
        Shape out = shape_of(0);
        const size_t axis = static_cast<size_t>(a.axis);
        if (axis >= out.size()) throw Error("concat axis out of range");
        for (size_t i = 1; i < node.inputs.size(); ++i) out[axis] += shape_of(i).at(axis);
        return out;
    }
    case OpKind::reshape:
        return graph.tensors.at(node.outputs.at(0)).shape;
    case OpKind::add:
    case OpKind::mul:
    case OpKind::activation:
    case OpKind::softmax:
    case OpKind::quantize:
    case OpKind::dequantize:
        return shape_of(0);
    }
    throw Error("unknown op");
}

namespace {

void check_quant(const TensorInfo& t, const std::string& what) {
    const TensorQuant& q = t.quant;
    if (q.empty()) {
        if (is_quantized_dtype(t.dtype)) throw Error(what + " is " + dtype_name(t.dtype) + " without quantization parameters");
        return;
    }
    if (q.scales.size() != q.zero_points.size()) throw Error(what + ": scales and zero points differ in count");
    if (q.bits < 2 || q.bits > 32) throw Error(what + ": bit width " + std::to_string(q.bits) + " out of range");
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
    if (is_8bit(t.dtype)) {
        const int32_t lo = t.dtype == DType::int8 ? -128 : 0;
        for (int32_t z : q.zero_points) {
            if (z < lo || z > lo + 255) throw Error(what + ": zero point " + std::to_string(z) + " outside " + dtype_name(t.dtype));
        }
    }
}

size_t expected_inputs_min(OpKind op) {
    switch (op) {
    case OpKind::conv:
    case OpKind::fully_connected:
    case OpKind::add:
    case OpKind::mul: return 2;
    case OpKind::concat: return 1;
    default: return 1;
    }
}

size_t expected_inputs_max(OpKind op) {
    switch (op) {
    case OpKind::conv:
    case OpKind::fully_connected: return 3;
    case OpKind::add:
    case OpKind::mul: return 2;
    case OpKind::concat: return 1024;
    default: return 1;
    }
}

void check_window(const Node& node, size_t index) {
    const NodeAttributes& a = node.attrs;
    if (a.stride_h < 1 || a.stride_w < 1 || a.dilation_h < 1 || a.dilation_w < 1) fail_node(node, index, "stride and dilation must be >= 1");
    if (a.pad_top < 0 || a.pad_left < 0 || a.pad_bottom < 0 || a.pad_right < 0) fail_node(node, index, "negative padding");
    if (a.kernel_h < 1 || a.kernel_w < 1) fail_node(node, index, "kernel size must be >= 1");
    constexpr int kLimit = 1 << 16;
    for (int v : {a.stride_h, a.stride_w, a.dilation_h, a.dilation_w, a.pad_top, a.pad_left, a.pad_bottom, a.pad_right,
                  a.kernel_h, a.kernel_w, a.groups}) {
        if (v > kLimit) fail_node(node, index, "window parameter " + std::to_string(v) + " is too large");
    }
}

void check_node(const Graph& graph, const Node& node, size_t index) {
    const auto& tensors = graph.tensors;
    const auto in = [&](size_t i) -> const TensorInfo& { return tensors[static_cast<size_t>(node.inputs[i])]; };
    const TensorInfo& out = tensors[static_cast<size_t>(node.outputs[0])];
    const NodeAttributes& a = node.attrs;
    if (static_cast<uint8_t>(a.activation) >= kActivationCount) fail_node(node, index, "unknown activation");
    if (a.activation == Activation::clip && !(a.clip_min <= a.clip_max)) fail_node(node, index, "clip minimum above maximum");

    const bool quantized = is_quantized_dtype(out.dtype) || (node.inputs.size() > 0 && is_quantized_dtype(in(0).dtype));
    switch (node.op) {
    case OpKind::conv: {
        check_window(node, index);
        const Shape& x = in(0).shape;
        const Shape& w = in(1).shape;
        if (x.size() != 4 || w.size() != 4) fail_node(node, index, "needs an NHWC input and HWIO weights, got " + shape_text(x) + " and " + shape_text(w));
        if (!in(1).constant) fail_node(node, index, "weights must be constant");
        if (a.groups < 1 || x[3] % a.groups != 0 || w[3] % a.groups != 0) fail_node(node, index, "groups " + std::to_string(a.groups) + " do not divide the channels");
        if (x[3] / a.groups != w[2]) fail_node(node, index, "input has " + std::to_string(x[3]) + " channels, weights expect " + std::to_string(w[2] * a.groups));
        if (node.inputs.size() == 3 && node.inputs[2] >= 0 && in(2).elements() != w[3]) fail_node(node, index, "bias needs one value per output channel");
        break;
    }
    case OpKind::fully_connected: {
        const Shape& x = in(0).shape;
        const Shape& w = in(1).shape;
        if (w.size() != 2 || x.empty() || x.back() != w[0]) fail_node(node, index, "input " + shape_text(x) + " does not match weights " + shape_text(w));
        if (!in(1).constant) fail_node(node, index, "weights must be constant");
        if (node.inputs.size() == 3 && node.inputs[2] >= 0 && in(2).elements() != w[1]) fail_node(node, index, "bias needs one value per output");
        break;
    }
    case OpKind::add:
        if (in(0).shape != in(1).shape) fail_node(node, index, "input shapes " + shape_text(in(0).shape) + " and " + shape_text(in(1).shape) + " differ");
        break;
    case OpKind::mul: {
        const Shape& x = in(0).shape;
        const Shape& b = in(1).shape;
        const bool channel_broadcast = x.size() == 4 && b.size() == 4 && b[0] == x[0] && b[1] == 1 && b[2] == 1 && b[3] == x[3];
        if (x != b && !channel_broadcast) fail_node(node, index, "input shapes " + shape_text(x) + " and " + shape_text(b) + " are neither equal nor [N,1,1,C] over NHWC");
        break;
    }
    case OpKind::max_pool:
    case OpKind::average_pool:
    case OpKind::global_average_pool:
        check_window(node, index);
        if (in(0).shape.size() != 4) fail_node(node, index, "needs an NHWC input, got " + shape_text(in(0).shape));
        break;
    case OpKind::reshape:
        if (in(0).elements() != out.elements()) fail_node(node, index, "cannot reshape " + shape_text(in(0).shape) + " to " + shape_text(out.shape));
        if (in(0).dtype != out.dtype) fail_node(node, index, "reshape changes the dtype");
        break;
    case OpKind::transpose: {
        const size_t rank = in(0).shape.size();
        if (a.perm.size() != rank) fail_node(node, index, "perm has " + std::to_string(a.perm.size()) + " axes, input has " + std::to_string(rank));
        std::vector<bool> seen(rank, false);
        for (int64_t p : a.perm) {
            if (p < 0 || static_cast<size_t>(p) >= rank || seen[static_cast<size_t>(p)]) fail_node(node, index, "perm is not a permutation");
            seen[static_cast<size_t>(p)] = true;
        }
        break;
    }
    case OpKind::concat: {
        const Shape& first = in(0).shape;
        if (a.axis < 0 || static_cast<size_t>(a.axis) >= first.size()) fail_node(node, index, "axis " + std::to_string(a.axis) + " out of range");
        for (size_t i = 1; i < node.inputs.size(); ++i) {
            const Shape& s = in(i).shape;
            bool ok = s.size() == first.size();
            for (size_t d = 0; ok && d < s.size(); ++d) ok = d == static_cast<size_t>(a.axis) || s[d] == first[d];
            if (!ok) fail_node(node, index, "input " + shape_text(s) + " does not match " + shape_text(first) + " off the concat axis");
            if (in(i).dtype != in(0).dtype) fail_node(node, index, "inputs differ in dtype");
        }
        break;
    }
    case OpKind::softmax:
        if (in(0).shape.empty() || a.axis != static_cast<int>(in(0).shape.size()) - 1) fail_node(node, index, "only the last axis is supported");
        if (out.dtype != DType::float32) fail_node(node, index, "output must be float32");
        break;
    case OpKind::quantize:
        if (in(0).dtype != DType::float32 || !is_8bit(out.dtype)) fail_node(node, index, "needs a float32 input and an int8/uint8 output");
        if (out.quant.scales.size() != 1) fail_node(node, index, "the output needs one scale");
        break;
    case OpKind::dequantize:
        if (out.dtype != DType::float32 || in(0).quant.empty()) fail_node(node, index, "needs a quantized input and a float32 output");
        break;
    case OpKind::activation:
        if (a.activation == Activation::none) fail_node(node, index, "activation is none");
        break;
    }
    if (node.op == OpKind::quantize || node.op == OpKind::dequantize) {
        // their own dtype rules are checked above (dequantize also reads int32 accumulators)
    } else if (quantized) {
        // 8-bit ops read and write 8-bit activations with per-tensor parameters (weights per channel).
        const size_t activations = (node.op == OpKind::conv || node.op == OpKind::fully_connected) ? 1 : node.inputs.size();
        for (size_t i = 0; i < activations; ++i) {
            if (!is_8bit(in(i).dtype)) fail_node(node, index, "input " + std::to_string(i) + " is " + dtype_name(in(i).dtype) + " in a quantized op");
            if (in(i).quant.scales.size() != 1) fail_node(node, index, "input " + std::to_string(i) + " needs per-tensor parameters");
        }
        const bool product = node.op == OpKind::conv || node.op == OpKind::fully_connected;
        if (!(is_8bit(out.dtype) || (product && out.dtype == DType::int32) || node.op == OpKind::softmax)) {
            fail_node(node, index, std::string("output is ") + dtype_name(out.dtype) + " in a quantized op");
        }
        if (is_8bit(out.dtype) && out.quant.scales.size() != 1) fail_node(node, index, "output needs per-tensor parameters");
        if (product) {
            if (in(1).dtype != DType::int8) fail_node(node, index, "quantized weights must be int8");
            if (node.inputs.size() == 3 && node.inputs[2] >= 0 && in(2).dtype != DType::int32) fail_node(node, index, "quantized bias must be int32");
        }
    } else {
        for (size_t i = 0; i < node.inputs.size(); ++i) {
            if (node.inputs[i] >= 0 && in(i).dtype != DType::float32) fail_node(node, index, "float op with a " + std::string(dtype_name(in(i).dtype)) + " input");
        }
        if (out.dtype != DType::float32) fail_node(node, index, "float op with a non-float output");
    }
    const Shape expected = infer_output_shape(graph, node);
    if (expected != out.shape) fail_node(node, index, "output shape " + shape_text(out.shape) + " should be " + shape_text(expected));
    for (int64_t d : expected) {
        if (d <= 0) fail_node(node, index, "output shape " + shape_text(expected) + " is empty");
    }
}

}  // namespace

void validate(const Graph& graph) {
    const size_t count = graph.tensors.size();
    std::vector<bool> available(count, false);
    for (size_t i = 0; i < count; ++i) {
        const TensorInfo& t = graph.tensors[i];
        const std::string what = "graph: tensor '" + t.name + "'";
        if (static_cast<uint8_t>(t.dtype) >= kDTypeCount) throw Error(what + " has an unknown dtype");
        if (t.dtype == DType::int4x2 || t.dtype == DType::uint4x2) throw Error(what + ": packed sub-byte tensors are not supported yet");
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
        if (node.inputs.size() < expected_inputs_min(node.op) || node.inputs.size() > expected_inputs_max(node.op)) {
            fail_node(node, n, "has " + std::to_string(node.inputs.size()) + " inputs");
        }
        if (node.outputs.size() != 1) fail_node(node, n, "needs exactly one output");
        for (size_t i = 0; i < node.inputs.size(); ++i) {
            const int32_t id = node.inputs[i];
            const bool optional = (node.op == OpKind::conv || node.op == OpKind::fully_connected) && i == 2;
            if (id == -1 && optional) continue;
            check_id(id, "node " + std::to_string(n) + " input");
            if (!available[static_cast<size_t>(id)]) {
                fail_node(node, n, "reads '" + graph.tensors[static_cast<size_t>(id)].name + "' before it is produced");
            }
        }
        const int32_t out = node.outputs[0];
        check_id(out, "node " + std::to_string(n) + " output");
        if (available[static_cast<size_t>(out)]) fail_node(node, n, "writes '" + graph.tensors[static_cast<size_t>(out)].name + "' a second time");
        check_node(graph, node, n);
        available[static_cast<size_t>(out)] = true;
    }
    for (int32_t id : graph.outputs) {
        check_id(id, "an output");
        if (!available[static_cast<size_t>(id)]) throw Error("graph: output '" + graph.tensors[static_cast<size_t>(id)].name + "' is never produced");
    }
}

}  // namespace haqm
