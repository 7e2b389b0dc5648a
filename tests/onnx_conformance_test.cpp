// ONNX's own operator conformance tests (model.onnx plus input/output tensors, as shipped by
// Debian's libonnx-testdata) run through haqm's public kernel API. Each ONNX test directory is
// one GoogleTest case; the final line printed says how many of them haqm matches exactly.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "haqm/kernels.h"

// onnx_conformance.cmake passes the directory; this default is where Debian's libonnx-testdata
// installs the node tests.
#ifndef HAQM_ONNX_NODE_TEST_DIR
#define HAQM_ONNX_NODE_TEST_DIR "/usr/share/libonnx-testdata/data/node"
#endif

namespace {

namespace fs = std::filesystem;

const fs::path kNodeTestDir = HAQM_ONNX_NODE_TEST_DIR;

// Test directories whose names start with these map to haqm kernels. The
// test_dynamicquantizelinear* tests do not match on purpose: DynamicQuantizeLinear is a different
// operator (it derives scale and zero point from the data) that haqm does not provide.
const char* const kTestPrefixes[] = {"test_quantizelinear", "test_dequantizelinear", "test_qlinearmatmul",
                                     "test_matmulinteger"};

// ONNX's reference QLinearMatMul requantizes in float (round half to even of acc * scale) while
// gemm_q8 uses a Q31 fixed-point multiplier, so an output may differ by one.
constexpr int32_t kQLinearMatMulTolerance = 1;
constexpr int kMaxReportedMismatches = 10;

using TensorType = onnx::TensorProto;  // holds the data-type constants (FLOAT, UINT8, ...)

// A decoded ONNX tensor: float values for FLOAT, integer values for the 8- and 32-bit integer
// types (all of which fit int32).
struct Tensor {
    int32_t type = TensorType::UNDEFINED;
    haqm::Shape shape;
    std::vector<float> floats;
    std::vector<int32_t> integers;
};

std::string type_name(int32_t type) {
    return onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(type));
}

size_t element_count(const haqm::Shape& shape) {
    int64_t count = 1;
    for (int64_t d : shape) {
        count *= d;
    }
    return static_cast<size_t>(count);
}

bool starts_with(const std::string& text, const std::string& prefix) {
    return text.rfind(prefix, 0) == 0;
}

template <class Message>
Message read_proto(const fs::path& file) {
    std::ifstream stream(file, std::ios::binary);
    Message message;
    if (!stream || !message.ParseFromIstream(&stream)) {
        throw std::runtime_error("cannot read " + file.string());
    }
    return message;
}

template <class T>
std::vector<T> raw_values(const onnx::TensorProto& proto, size_t count) {
    // raw_data is little-endian by the ONNX spec, as are the hosts this test is built for.
    const std::string& raw = proto.raw_data();
    if (raw.size() != count * sizeof(T)) {
        throw std::runtime_error("tensor '" + proto.name() + "': raw_data has " + std::to_string(raw.size()) +
                                 " bytes, the shape needs " + std::to_string(count * sizeof(T)));
    }
    std::vector<T> values(count);
    std::memcpy(values.data(), raw.data(), raw.size());
    return values;
}

template <class T>
std::vector<int32_t> widened(const std::vector<T>& values) {
    return {values.begin(), values.end()};
}

template <class T>
std::vector<T> narrowed(const std::vector<int32_t>& values) {
    return {values.begin(), values.end()};
}

// Values come from raw_data when present, otherwise from the typed field the ONNX spec assigns to
// the data type (float_data for FLOAT, int32_data for INT8, UINT8 and INT32).
Tensor to_tensor(const onnx::TensorProto& proto) {
    const std::string what = "tensor '" + proto.name() + "'";
    if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
        throw std::runtime_error(what + ": external data is not supported");
    }
    Tensor tensor{proto.data_type(), haqm::Shape(proto.dims().begin(), proto.dims().end()), {}, {}};
    const size_t count = element_count(tensor.shape);
    const std::vector<int32_t> int32_field(proto.int32_data().begin(), proto.int32_data().end());
    switch (tensor.type) {
        case TensorType::FLOAT:
            tensor.floats = proto.has_raw_data() ? raw_values<float>(proto, count)
                                                 : std::vector<float>(proto.float_data().begin(),
                                                                      proto.float_data().end());
            break;
        case TensorType::UINT8:
            tensor.integers = proto.has_raw_data() ? widened(raw_values<uint8_t>(proto, count)) : int32_field;
            break;
        case TensorType::INT8:
            tensor.integers = proto.has_raw_data() ? widened(raw_values<int8_t>(proto, count)) : int32_field;
            break;
        case TensorType::INT32:
            tensor.integers = proto.has_raw_data() ? raw_values<int32_t>(proto, count) : int32_field;
            break;
        default:
            throw std::runtime_error(what + " has data type " + type_name(tensor.type) +
                                     ", which no haqm kernel takes");
    }
    if (tensor.floats.size() + tensor.integers.size() != count) {
        throw std::runtime_error(what + " holds " + std::to_string(tensor.floats.size() + tensor.integers.size()) +
                                 " values, its shape needs " + std::to_string(count));
    }
    return tensor;
}

void expect_type(const Tensor& tensor, std::initializer_list<int32_t> allowed, const std::string& role) {
    if (std::find(allowed.begin(), allowed.end(), tensor.type) == allowed.end()) {
        throw std::runtime_error(role + " of type " + type_name(tensor.type) + " is not supported by haqm");
    }
}

void expect_same_type(const Tensor& tensor, const Tensor& like, const std::string& role, const std::string& like_role) {
    if (tensor.type != like.type) {
        throw std::runtime_error(role + " is " + type_name(tensor.type) + " but " + like_role + " is " +
                                 type_name(like.type));
    }
}

float single_scale(const Tensor& scale, const std::string& role) {
    expect_type(scale, {TensorType::FLOAT}, role);
    if (scale.floats.size() != 1) {
        throw std::runtime_error(role + " has " + std::to_string(scale.floats.size()) +
                                 " values; haqm takes one scale here");
    }
    return scale.floats[0];
}

// gemm_q8 takes one activation and one weight zero point: per-row or per-column zero points are
// accepted only when they all agree.
int32_t single_zero_point(const Tensor& zero_point, const std::string& role) {
    const auto& values = zero_point.integers;
    if (values.empty() || std::any_of(values.begin(), values.end(), [&](int32_t v) { return v != values[0]; })) {
        throw std::runtime_error(role + " has " + std::to_string(values.size()) +
                                 " differing values; haqm's gemm_q8 takes a single zero point");
    }
    return values[0];
}

// The node's inputs by position, resolved against the test data and the model's initializers.
class NodeInputs {
public:
    NodeInputs(const onnx::NodeProto& node, const std::map<std::string, Tensor>& values)
        : node_(node), values_(values) {}

    // An optional input left out (past the end of the list, or named "") is nullptr.
    const Tensor* optional(int index) const {
        if (index >= node_.input_size() || node_.input(index).empty()) {
            return nullptr;
        }
        const auto it = values_.find(node_.input(index));
        if (it == values_.end()) {
            throw std::runtime_error("input '" + node_.input(index) + "' is neither fed by the test nor an initializer");
        }
        return &it->second;
    }

    const Tensor& required(int index, const std::string& role) const {
        const Tensor* tensor = optional(index);
        if (tensor == nullptr) {
            throw std::runtime_error(node_.op_type() + ": required input " + role + " is missing");
        }
        return *tensor;
    }

private:
    const onnx::NodeProto& node_;
    const std::map<std::string, Tensor>& values_;
};

// Attributes haqm's mapping does not know fail the test instead of being ignored.
void expect_no_attributes(const onnx::NodeProto& node) {
    if (node.attribute_size() > 0) {
        throw std::runtime_error(node.op_type() + ": attribute '" + node.attribute(0).name() + "' is not supported");
    }
}

// QuantizeLinear / DequantizeLinear take only `axis` (default 1), the channel axis of per-channel
// parameters.
int quantization_axis(const onnx::NodeProto& node) {
    int64_t axis = 1;
    for (const auto& attribute : node.attribute()) {
        if (attribute.name() != "axis" || attribute.type() != onnx::AttributeProto::INT) {
            throw std::runtime_error(node.op_type() + ": attribute '" + attribute.name() + "' is not supported");
        }
        axis = attribute.i();
    }
    return static_cast<int>(axis);
}

// ONNX scales are a scalar or 1-element tensor (per tensor) or a 1-D tensor of dims[axis] values
// (per channel); haqm tells the two apart by the count in the same way. A missing zero point is 0.
haqm::QuantizationSpec quantization_spec(const Tensor& scale, const Tensor* zero_point, int axis) {
    expect_type(scale, {TensorType::FLOAT}, "scale");
    if (scale.shape.size() > 1) {
        throw std::runtime_error("blocked quantization (scale of rank " + std::to_string(scale.shape.size()) +
                                 ") is not supported by haqm");
    }
    haqm::QuantizationSpec spec;
    spec.scales = scale.floats;
    spec.zero_points = zero_point ? zero_point->integers : std::vector<int32_t>(scale.floats.size(), 0);
    spec.axis = axis;
    spec.bits = 8;
    return spec;
}

template <class Q>
std::vector<int32_t> quantize_as(const Tensor& x, const haqm::QuantizationSpec& spec) {
    std::vector<Q> y(x.floats.size());
    haqm::quantize(haqm::Span<const float>(x.floats), x.shape, spec, haqm::Span<Q>(y));
    return widened(y);
}

template <class Q>
std::vector<float> dequantize_from(const Tensor& x, const haqm::QuantizationSpec& spec) {
    const std::vector<Q> values = narrowed<Q>(x.integers);
    std::vector<float> y(values.size());
    haqm::dequantize(haqm::Span<const Q>(values), x.shape, spec, haqm::Span<float>(y));
    return y;
}

Tensor quantize_linear(const onnx::NodeProto& node, const NodeInputs& inputs) {
    const int axis = quantization_axis(node);
    const Tensor& x = inputs.required(0, "x");
    const Tensor& scale = inputs.required(1, "y_scale");
    const Tensor* zero_point = inputs.optional(2);
    expect_type(x, {TensorType::FLOAT}, "x");
    // The zero point's type is the output type; without one ONNX quantizes to uint8.
    const int32_t output_type = zero_point ? zero_point->type : int32_t{TensorType::UINT8};
    const haqm::QuantizationSpec spec = quantization_spec(scale, zero_point, axis);
    Tensor y{output_type, x.shape, {}, {}};
    if (output_type == TensorType::UINT8) {
        y.integers = quantize_as<uint8_t>(x, spec);
    } else if (output_type == TensorType::INT8) {
        y.integers = quantize_as<int8_t>(x, spec);
    } else {
        throw std::runtime_error("QuantizeLinear to " + type_name(output_type) + " is not supported by haqm");
    }
    return y;
}

Tensor dequantize_linear(const onnx::NodeProto& node, const NodeInputs& inputs) {
    const int axis = quantization_axis(node);
    const Tensor& x = inputs.required(0, "x");
    const Tensor& scale = inputs.required(1, "x_scale");
    const Tensor* zero_point = inputs.optional(2);
    expect_type(x, {TensorType::UINT8, TensorType::INT8, TensorType::INT32}, "x");
    if (zero_point) {
        expect_same_type(*zero_point, x, "x_zero_point", "x");
    }
    const haqm::QuantizationSpec spec = quantization_spec(scale, zero_point, axis);
    Tensor y{TensorType::FLOAT, x.shape, {}, {}};
    if (x.type == TensorType::UINT8) {
        y.floats = dequantize_from<uint8_t>(x, spec);
    } else if (x.type == TensorType::INT8) {
        y.floats = dequantize_from<int8_t>(x, spec);
    } else {
        y.floats = dequantize_from<int32_t>(x, spec);
    }
    return y;
}

// How a numpy-style (ONNX MatMul) product splits into 2-D gemm_q8 calls: batch dimensions
// broadcast, 1-D operands become a row (a) or a column (b) that the output drops again.
struct MatMulPlan {
    int64_t m = 0, k = 0, n = 0;
    haqm::Shape output_shape;
    struct Slice {
        int64_t a, b;  // which M x K matrix of a and K x N matrix of b form this output matrix
    };
    std::vector<Slice> slices;  // one per output matrix, in output order
};

MatMulPlan plan_matmul(haqm::Shape a, haqm::Shape b) {
    if (a.empty() || b.empty()) {
        throw std::runtime_error("MatMul of a scalar is not defined");
    }
    const bool a_is_vector = a.size() == 1, b_is_vector = b.size() == 1;
    if (a_is_vector) {
        a.insert(a.begin(), 1);
    }
    if (b_is_vector) {
        b.push_back(1);
    }
    MatMulPlan plan;
    plan.m = a[a.size() - 2];
    plan.k = a.back();
    plan.n = b.back();
    if (b[b.size() - 2] != plan.k) {
        throw std::runtime_error("MatMul: a has K = " + std::to_string(plan.k) + ", b has " +
                                 std::to_string(b[b.size() - 2]) + " rows");
    }
    // Batch dimensions, right-aligned to a common rank with missing ones counted as 1.
    const size_t rank = std::max(a.size(), b.size()) - 2;
    auto aligned_batch = [rank](const haqm::Shape& s) {
        haqm::Shape batch(rank - (s.size() - 2), 1);
        batch.insert(batch.end(), s.begin(), s.end() - 2);
        return batch;
    };
    const haqm::Shape a_batch = aligned_batch(a), b_batch = aligned_batch(b);
    for (size_t i = 0; i < rank; ++i) {
        if (a_batch[i] != b_batch[i] && a_batch[i] != 1 && b_batch[i] != 1) {
            throw std::runtime_error("MatMul: batch dimensions " + std::to_string(a_batch[i]) + " and " +
                                     std::to_string(b_batch[i]) + " do not broadcast");
        }
        plan.output_shape.push_back(std::max(a_batch[i], b_batch[i]));
    }
    const size_t batches = element_count(plan.output_shape);
    for (size_t index = 0; index < batches; ++index) {
        int64_t rest = static_cast<int64_t>(index), a_slice = 0, b_slice = 0, a_stride = 1, b_stride = 1;
        for (size_t i = rank; i-- > 0;) {
            const int64_t coordinate = rest % plan.output_shape[i];
            rest /= plan.output_shape[i];
            a_slice += (a_batch[i] == 1 ? 0 : coordinate) * a_stride;
            b_slice += (b_batch[i] == 1 ? 0 : coordinate) * b_stride;
            a_stride *= a_batch[i];
            b_stride *= b_batch[i];
        }
        plan.slices.push_back({a_slice, b_slice});
    }
    if (!a_is_vector) {
        plan.output_shape.push_back(plan.m);
    }
    if (!b_is_vector) {
        plan.output_shape.push_back(plan.n);
    }
    return plan;
}

// gemm_q8 packs int8 weights only. uint8 weights move down by 128 together with their zero point,
// which leaves every difference b - b_zero_point, and so the product, unchanged.
struct Int8Weights {
    std::vector<int8_t> values;
    int32_t zero_point;
};

Int8Weights int8_weights(const Tensor& b, int32_t zero_point) {
    const int32_t offset = b.type == TensorType::UINT8 ? 128 : 0;
    Int8Weights weights{{}, zero_point - offset};
    weights.values.reserve(b.integers.size());
    for (int32_t v : b.integers) {
        weights.values.push_back(static_cast<int8_t>(v - offset));
    }
    return weights;
}

// One gemm_q8 call per output matrix; each distinct weight matrix is packed once.
template <class A, class Out>
std::vector<int32_t> batched_gemm(const MatMulPlan& plan, const Tensor& a, const Int8Weights& b,
                                  const haqm::GemmSpec& spec) {
    const std::vector<A> activations = narrowed<A>(a.integers);
    const int64_t a_size = plan.m * plan.k, b_size = plan.k * plan.n, out_size = plan.m * plan.n;
    std::map<int64_t, haqm::PackedWeights> packed;
    std::vector<Out> out(plan.slices.size() * out_size);
    for (size_t batch = 0; batch < plan.slices.size(); ++batch) {
        const MatMulPlan::Slice slice = plan.slices[batch];
        auto weights = packed.find(slice.b);
        if (weights == packed.end()) {
            weights = packed
                          .try_emplace(slice.b, haqm::Span<const int8_t>(b.values.data() + slice.b * b_size, b_size),
                                       plan.k, plan.n, b.zero_point)
                          .first;
        }
        haqm::gemm_q8(haqm::Span<const A>(activations.data() + slice.a * a_size, a_size), plan.m, weights->second,
                      spec, haqm::Span<Out>(out.data() + batch * out_size, out_size));
    }
    return widened(out);
}

Tensor qlinear_matmul(const onnx::NodeProto& node, const NodeInputs& inputs) {
    expect_no_attributes(node);
    const Tensor& a = inputs.required(0, "a");
    const float a_scale = single_scale(inputs.required(1, "a_scale"), "a_scale");
    const Tensor& a_zero_point = inputs.required(2, "a_zero_point");
    const Tensor& b = inputs.required(3, "b");
    const Tensor& b_scale = inputs.required(4, "b_scale");
    const Tensor& b_zero_point = inputs.required(5, "b_zero_point");
    const float y_scale = single_scale(inputs.required(6, "y_scale"), "y_scale");
    const Tensor& y_zero_point = inputs.required(7, "y_zero_point");
    expect_type(a, {TensorType::UINT8, TensorType::INT8}, "a");
    expect_type(b, {TensorType::UINT8, TensorType::INT8}, "b");
    expect_same_type(a_zero_point, a, "a_zero_point", "a");
    expect_same_type(b_zero_point, b, "b_zero_point", "b");
    expect_type(b_scale, {TensorType::FLOAT}, "b_scale");
    if (y_zero_point.type != a.type) {
        throw std::runtime_error("y is " + type_name(y_zero_point.type) + " but a is " + type_name(a.type) +
                                 "; haqm's gemm_q8 writes the activations' type");
    }
    const MatMulPlan plan = plan_matmul(a.shape, b.shape);
    haqm::GemmSpec spec;
    spec.a_zero_point = single_zero_point(a_zero_point, "a_zero_point");
    // One multiplier per tensor, or per output column when b is quantized per column.
    for (float scale : b_scale.floats) {
        spec.output_multipliers.push_back(haqm::requantization_multiplier(a_scale, scale, y_scale));
    }
    spec.output_zero_point = single_zero_point(y_zero_point, "y_zero_point");
    const Int8Weights weights = int8_weights(b, single_zero_point(b_zero_point, "b_zero_point"));
    Tensor y{a.type, plan.output_shape, {}, {}};
    y.integers = a.type == TensorType::UINT8 ? batched_gemm<uint8_t, uint8_t>(plan, a, weights, spec)
                                             : batched_gemm<int8_t, int8_t>(plan, a, weights, spec);
    return y;
}

Tensor matmul_integer(const onnx::NodeProto& node, const NodeInputs& inputs) {
    expect_no_attributes(node);
    const Tensor& a = inputs.required(0, "A");
    const Tensor& b = inputs.required(1, "B");
    const Tensor* a_zero_point = inputs.optional(2);
    const Tensor* b_zero_point = inputs.optional(3);
    expect_type(a, {TensorType::UINT8, TensorType::INT8}, "A");
    expect_type(b, {TensorType::UINT8, TensorType::INT8}, "B");
    if (a_zero_point) {
        expect_same_type(*a_zero_point, a, "a_zero_point", "A");
    }
    if (b_zero_point) {
        expect_same_type(*b_zero_point, b, "b_zero_point", "B");
    }
    const MatMulPlan plan = plan_matmul(a.shape, b.shape);
    haqm::GemmSpec spec;  // no bias, int32 output: no requantization
    spec.a_zero_point = a_zero_point ? single_zero_point(*a_zero_point, "a_zero_point") : 0;
    const Int8Weights weights =
        int8_weights(b, b_zero_point ? single_zero_point(*b_zero_point, "b_zero_point") : 0);
    Tensor y{TensorType::INT32, plan.output_shape, {}, {}};
    y.integers = a.type == TensorType::UINT8 ? batched_gemm<uint8_t, int32_t>(plan, a, weights, spec)
                                             : batched_gemm<int8_t, int32_t>(plan, a, weights, spec);
    return y;
}

// haqm's result for a node and how far each integer element may be from ONNX's.
struct NodeResult {
    Tensor output;
    int32_t tolerance;
};

NodeResult run_node(const onnx::NodeProto& node, const std::map<std::string, Tensor>& values) {
    if (!node.domain().empty() && node.domain() != "ai.onnx") {
        throw std::runtime_error("operator domain '" + node.domain() + "' has no haqm mapping");
    }
    const NodeInputs inputs(node, values);
    const std::string& op = node.op_type();
    if (op == "QuantizeLinear") {
        return {quantize_linear(node, inputs), 0};
    }
    if (op == "DequantizeLinear") {
        return {dequantize_linear(node, inputs), 0};
    }
    if (op == "QLinearMatMul") {
        return {qlinear_matmul(node, inputs), kQLinearMatMulTolerance};
    }
    if (op == "MatMulInteger") {
        return {matmul_integer(node, inputs), 0};
    }
    throw std::runtime_error("operator " + op + " has no haqm mapping");
}

// The test's model must be one node with one output, so output_0.pb is that node's result.
const onnx::NodeProto& single_node(const onnx::GraphProto& graph) {
    if (graph.node_size() != 1 || graph.node(0).output_size() != 1) {
        throw std::runtime_error("the model has " + std::to_string(graph.node_size()) +
                                 " nodes; only single-node, single-output models map to one haqm call");
    }
    return graph.node(0);
}

// Every value the node may read (initializers and the data set's inputs) and the expected output.
struct DataSet {
    std::map<std::string, Tensor> values;
    Tensor expected;
};

DataSet load_data_set(const onnx::GraphProto& graph, const fs::path& dir) {
    DataSet data;
    for (const auto& initializer : graph.initializer()) {
        data.values[initializer.name()] = to_tensor(initializer);
    }
    // input_<i>.pb feeds the i-th graph input that is not an initializer, as in ONNX's test runner.
    int index = 0;
    for (const auto& input : graph.input()) {
        if (data.values.count(input.name()) == 0) {
            const fs::path file = dir / ("input_" + std::to_string(index++) + ".pb");
            data.values[input.name()] = to_tensor(read_proto<onnx::TensorProto>(file));
        }
    }
    data.expected = to_tensor(read_proto<onnx::TensorProto>(dir / "output_0.pb"));
    return data;
}

std::vector<fs::path> data_set_dirs(const fs::path& test_dir) {
    std::vector<fs::path> dirs;
    for (const auto& entry : fs::directory_iterator(test_dir)) {
        if (entry.is_directory() && starts_with(entry.path().filename().string(), "test_data_set_")) {
            dirs.push_back(entry.path());
        }
    }
    std::sort(dirs.begin(), dirs.end());
    return dirs;
}

// Checks every element (integers within `tolerance`, floats bit for bit, since dequantization is
// expected to be exact) and returns how many are exactly equal.
size_t count_exact_elements(const Tensor& actual, const Tensor& expected, int32_t tolerance) {
    if (actual.type != expected.type || actual.shape != expected.shape) {
        ADD_FAILURE() << "haqm produced " << type_name(actual.type) << " of " << ::testing::PrintToString(actual.shape)
                      << ", ONNX expects " << type_name(expected.type) << " of "
                      << ::testing::PrintToString(expected.shape);
        return 0;
    }
    size_t exact = 0;
    int reported = 0;
    auto report = [&](size_t i, const std::string& got, const std::string& want) {
        if (reported++ < kMaxReportedMismatches) {
            ADD_FAILURE() << "element " << i << ": haqm " << got << ", ONNX " << want;
        }
    };
    for (size_t i = 0; i < actual.floats.size(); ++i) {
        uint32_t got_bits, want_bits;
        std::memcpy(&got_bits, &actual.floats[i], sizeof(float));
        std::memcpy(&want_bits, &expected.floats[i], sizeof(float));
        if (got_bits == want_bits) {
            ++exact;
        } else {
            std::ostringstream got, want;
            got << std::setprecision(9) << actual.floats[i];
            want << std::setprecision(9) << expected.floats[i];
            report(i, got.str(), want.str());
        }
    }
    for (size_t i = 0; i < actual.integers.size(); ++i) {
        const int64_t difference = int64_t{actual.integers[i]} - expected.integers[i];
        exact += difference == 0;
        if (std::abs(difference) > tolerance) {
            report(i, std::to_string(actual.integers[i]), std::to_string(expected.integers[i]));
        }
    }
    if (reported > kMaxReportedMismatches) {
        ADD_FAILURE() << reported << " elements differ in all";
    }
    return exact;
}

std::vector<std::string> discover_tests() {
    std::vector<std::string> names;
    std::error_code error;  // a missing directory yields no tests; DataIsInstalled reports it
    for (const auto& entry : fs::directory_iterator(kNodeTestDir, error)) {
        const std::string name = entry.path().filename().string();
        if (std::any_of(std::begin(kTestPrefixes), std::end(kTestPrefixes),
                        [&](const char* prefix) { return starts_with(name, prefix); })) {
            names.push_back(name);
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

// Whether each test that ran passed with every element exactly equal, by test name.
std::map<std::string, bool>& exact_outcomes() {
    static std::map<std::string, bool> outcomes;
    return outcomes;
}

class ConformanceSummary : public ::testing::Environment {
public:
    void TearDown() override {
        const auto& outcomes = exact_outcomes();
        if (outcomes.empty()) {
            return;
        }
        const auto exact = std::count_if(outcomes.begin(), outcomes.end(), [](const auto& o) { return o.second; });
        std::cout << "ONNX conformance: " << exact << " of " << outcomes.size() << " tests pass exactly" << std::endl;
    }
};

// gtest_main offers no hook to add environments, so register during static initialization.
[[maybe_unused]] ::testing::Environment* const summary = ::testing::AddGlobalTestEnvironment(new ConformanceSummary);

TEST(OnnxConformanceData, DataIsInstalled) {
    const auto names = discover_tests();
    for (const char* prefix : kTestPrefixes) {
        EXPECT_TRUE(std::any_of(names.begin(), names.end(), [&](const std::string& n) { return starts_with(n, prefix); }))
            << "no " << prefix << "* test in " << kNodeTestDir << " (is libonnx-testdata installed?)";
    }
}

class OnnxNodeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(OnnxNodeTest, MatchesOnnxReference) {
    const std::string name = GetParam();
    exact_outcomes()[name] = false;  // replaced below once every data set has been compared
    const fs::path test_dir = kNodeTestDir / name;
    size_t exact_elements = 0, elements = 0;
    try {
        const auto model = read_proto<onnx::ModelProto>(test_dir / "model.onnx");
        const onnx::NodeProto& node = single_node(model.graph());
        const auto data_sets = data_set_dirs(test_dir);
        ASSERT_FALSE(data_sets.empty()) << "no test_data_set_* in " << test_dir;
        for (const auto& dir : data_sets) {
            SCOPED_TRACE(dir.string());
            const DataSet data = load_data_set(model.graph(), dir);
            const NodeResult result = run_node(node, data.values);
            const size_t exact = count_exact_elements(result.output, data.expected, result.tolerance);
            const size_t count = element_count(data.expected.shape);
            std::cout << name << "/" << dir.filename().string() << " (" << node.op_type() << "): " << exact << " of "
                      << count << " elements exactly equal" << std::endl;
            exact_elements += exact;
            elements += count;
        }
    } catch (const haqm::Error& e) {
        FAIL() << "haqm rejected the test: " << e.what();
    } catch (const std::exception& e) {
        FAIL() << e.what();
    }
    const bool exact = !HasFailure() && exact_elements == elements;
    exact_outcomes()[name] = exact;
    RecordProperty("exact_elements", std::to_string(exact_elements));
    RecordProperty("elements", std::to_string(elements));
    RecordProperty("exact", exact ? "true" : "false");
}

INSTANTIATE_TEST_SUITE_P(Onnx, OnnxNodeTest, ::testing::ValuesIn(discover_tests()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             std::string name = info.param;  // gtest names allow only [A-Za-z0-9_]
                             for (char& c : name) {
                                 if (!std::isalnum(static_cast<unsigned char>(c))) {
                                     c = '_';
                                 }
                             }
                             return name;
                         });

}  // namespace
