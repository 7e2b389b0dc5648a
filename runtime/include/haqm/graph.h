// The model graph shared by the ONNX importer, the quantizer, the .haqm format and the executor.
//
// Conventions (one place for each rule):
// - Every tensor is row-major in the graph's own layout. Image activations are NHWC; convolution
//   weights are HWIO (kernel h, kernel w, input channels per group, output channels); fully
//   connected weights are [K, N]. The ONNX importer translates from NCHW / OIHW / [N, K].
// - An op's implementation is chosen by (op, tensor dtypes, target ISA, schedule name): the same
//   OpKind runs the float path on float32 tensors and the integer kernels on int8/uint8 tensors.
// - Quantized tensors carry their parameters (real = scale * (q - zero_point)); weights are
//   symmetric int8 per output channel (axis 3 of HWIO, axis 1 of [K, N]); biases of quantized
//   convolutions are int32 with scale input_scale * weight_scale[channel] and zero point 0.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "haqm/dtype.h"
#include "haqm/error.h"
#include "haqm/kernels.h"

namespace haqm {

struct TensorQuant {
    std::vector<float> scales;  // empty: not quantized; one, or one per channel along `axis`
    std::vector<int32_t> zero_points;
    int axis = 0;
    int bits = 8;  // values use `bits` bits of their storage type (intN weights in int8 storage)
    bool empty() const { return scales.empty(); }
};

// Bytes of a constant: owned by the graph, or a view into a mapped file that `owner` keeps alive.
struct ConstantData {
    std::shared_ptr<const void> owner;
    const uint8_t* data = nullptr;
    size_t size = 0;

    template <class T>
    static ConstantData from_vector(std::vector<T> values) {
        auto held = std::make_shared<std::vector<T>>(std::move(values));
        ConstantData c;
        c.data = reinterpret_cast<const uint8_t*>(held->data());
        c.size = held->size() * sizeof(T);
        c.owner = std::move(held);
        return c;
    }
    // The bytes as T. Throws haqm::Error if the size is not a multiple of sizeof(T) or the data is
    // misaligned for T.
    template <class T>
    Span<const T> as() const {
        check_view(sizeof(T), alignof(T));
        return Span<const T>(reinterpret_cast<const T*>(data), size / sizeof(T));
    }

private:
    void check_view(size_t element_size, size_t alignment) const;
};

// A tensor in caller memory: any strides (in elements, per dimension; empty = dense row-major),
// so a caller can hand over, say, an NCHW buffer as the NHWC tensor a graph expects by describing
// it with strides, without copying it first. Graph tensors themselves are always dense.
struct TensorView {
    const void* data = nullptr;
    DType dtype = DType::float32;
    Shape shape;
    Shape strides;

    Shape element_strides() const;  // `strides`, or the dense row-major ones when empty
};
Shape dense_strides(const Shape& shape);

struct TensorInfo {
    std::string name;
    DType dtype = DType::float32;
    Shape shape;
    TensorQuant quant;
    std::optional<ConstantData> constant;  // set for weights and biases

    int64_t elements() const;  // product of the shape (1 for rank 0)
    size_t bytes() const;      // dtype_storage_bytes(dtype, shape): packed rows padded to bytes
    Shape strides() const;     // dense row-major, in elements
};

// X(identifier, file code): every op of the graph, one unit each in runtime/src/ops/ (which says
// what its inputs, attributes and rules are). The file code is the byte the .haqm format stores:
// fixed forever, never reused.
#define HAQM_OPS(X)              \
    X(conv, 0)                   \
    X(fully_connected, 1)        \
    X(add, 2)                    \
    X(mul, 3)                    \
    X(activation, 4)             \
    X(max_pool, 5)               \
    X(average_pool, 6)           \
    X(global_average_pool, 7)    \
    X(reshape, 8)                \
    X(transpose, 9)              \
    X(concat, 10)                \
    X(softmax, 11)               \
    X(quantize, 12)              \
    X(dequantize, 13)

enum class OpKind : uint8_t {
#define HAQM_OP_ENUM(id, code) id,
    HAQM_OPS(HAQM_OP_ENUM)
#undef HAQM_OP_ENUM
};
#define HAQM_OP_COUNT(id, code) +1
inline constexpr uint8_t kOpKindCount = 0 HAQM_OPS(HAQM_OP_COUNT);
#undef HAQM_OP_COUNT
const char* op_name(OpKind op);  // "unknown" outside the table
uint8_t op_file_code(OpKind op);
OpKind op_from_file_code(uint8_t code);  // throws for an unknown code

enum class Activation : uint8_t { none = 0, relu = 1, clip = 2, sigmoid = 3, hard_sigmoid = 4, hard_swish = 5, tanh = 6 };
inline constexpr uint8_t kActivationCount = 7;
const char* activation_name(Activation activation);

struct NodeAttributes {
    // conv and pools
    int kernel_h = 1, kernel_w = 1;  // pools only; conv takes them from its weights
    int stride_h = 1, stride_w = 1;
    int dilation_h = 1, dilation_w = 1;  // conv only (pools ignore them)
    int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
    int groups = 1;
    bool count_include_pad = false;
    // activation (op activation, or fused into conv / fully_connected / add)
    Activation activation = Activation::none;
    float alpha = 0.2f, beta = 0.5f;  // hard_sigmoid: max(0, min(1, alpha * x + beta))
    float clip_min = -std::numeric_limits<float>::infinity();
    float clip_max = std::numeric_limits<float>::infinity();
    // A quantized table activation (sigmoid, hard_swish, ...) fused into a conv or fully connected
    // node at prepare time (runtime/src/passes/fuse_activations.cpp): the parameters of the tensor
    // between the two, which the product requantizes to before the table. Empty otherwise; graphs
    // holding one are prepared graphs, which the .haqm writer refuses.
    TensorQuant fused_table_input;
    // concat, softmax
    int axis = 0;
    // transpose
    std::vector<int64_t> perm;
};

struct Node {
    std::string name;
    OpKind op = OpKind::activation;
    std::vector<int32_t> inputs;   // tensor ids; -1 for an absent optional input
    std::vector<int32_t> outputs;  // tensor ids
    NodeAttributes attrs;
    std::string schedule;  // empty: the target's default schedule for this op
};

struct ModelMetadata {
    // How `haqm run` turns an image into the input: resize to the input's H x W, scale pixels to
    // [0, 1], then (x - mean[c]) / std[c]; one entry, or one per channel.
    std::vector<float> mean{0.0f};
    std::vector<float> std{1.0f};
    std::vector<std::string> labels;  // class names, indexed by output position (may be empty)
    std::string source;               // e.g. the ONNX file it came from
};

struct Graph {
    std::vector<TensorInfo> tensors;
    std::vector<Node> nodes;  // in execution order: every input is produced before it is read
    std::vector<int32_t> inputs;   // tensor ids (activations)
    std::vector<int32_t> outputs;  // tensor ids
    Requantization requantization = Requantization::float32;  // the integer kernels' rule
    ModelMetadata metadata;

    int32_t add_tensor(TensorInfo tensor);  // returns its id
    int32_t find_tensor(const std::string& name) const;  // -1 if absent
};

// Checks every id, the execution order, shapes against each op's rule, dtypes, constants' sizes
// and quantization parameters. Throws haqm::Error naming the node and what is wrong.
void validate(const Graph& graph);

std::string shape_text(const Shape& shape);  // "[1,28,28,16]"

// Multiply-accumulates of a product node (conv, fully_connected), 0 for every other op.
int64_t node_macs(const Graph& graph, const Node& node);
// One line for people: the op and what sets it apart ("conv 3x3 s2 depthwise +relu", "hard_swish").
std::string describe_node(const Graph& graph, const Node& node);

// Output shape of `node` from its inputs' shapes (the same rules validate() checks).
Shape infer_output_shape(const Graph& graph, const Node& node);

}  // namespace haqm
