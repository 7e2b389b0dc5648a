// ONNX's own operator conformance tests (model.onnx plus input/output tensors, as shipped by
// Debian's libonnx-testdata) run through haqm's public kernel API. Each ONNX test directory is
// one GoogleTest case. Integer operators are compared exactly; float Conv, MaxPool, AveragePool,
// GlobalAveragePool, GlobalMaxPool, Add, Sigmoid, Tanh, HardSigmoid and HardSwish run quantized
// (quantize -> conv2d_q8 / pool_q8 / add_q8 / lut_q8 -> dequantize) and are compared within a bound
// derived from the quantization steps. The final line printed counts both.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "haqm/kernels.h"
#include "haqm/quant_params.h"

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
// operator (it derives scale and zero point from the data) that haqm does not provide. The
// test_convtranspose* and test_maxunpool* tests are listed so that the output shows them as skipped,
// with the reason. "test_add" matches test_add, test_add_bcast and test_add_uint8 only, "test_tanh"
// not test_atanh*.
const char* const kTestPrefixes[] = {"test_quantizelinear",    "test_dequantizelinear",  "test_qlinearmatmul",
                                     "test_matmulinteger",     "test_qlinearconv",       "test_convinteger",
                                     "test_basic_convinteger", "test_conv_",             "test_basic_conv_",
                                     "test_convtranspose",     "test_maxpool",           "test_averagepool",
                                     "test_globalaveragepool", "test_globalmaxpool",     "test_maxunpool",
                                     "test_add",               "test_sigmoid",           "test_tanh",
                                     "test_hardsigmoid",       "test_hardswish"};

// Float operators that run through a quantized kernel and are compared within an error bound.
const char* const kQuantizedFloatOps[] = {"Conv",           "MaxPool", "AveragePool", "GlobalAveragePool",
                                          "GlobalMaxPool",  "Add",     "Sigmoid",     "Tanh",
                                          "HardSigmoid",    "HardSwish"};

// ONNX's reference QLinearMatMul requantizes in float (round half to even of acc * scale) while
// gemm_q8 uses a Q31 fixed-point multiplier, so an output may differ by one.
constexpr int32_t kQLinearMatMulTolerance = 1;
constexpr int kMaxReportedMismatches = 10;

using TensorType = onnx::TensorProto;  // holds the data-type constants (FLOAT, UINT8, ...)

// An ONNX feature haqm has no kernel for (not a wrong result): the test is reported as skipped,
// with this message as the reason.
class Unsupported : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

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

// gemm_q8 and conv2d_q8 take one activation and one weight zero point: per-row or per-channel zero
// points are accepted only when they all agree.
int32_t single_zero_point(const Tensor& zero_point, const std::string& role) {
    const auto& values = zero_point.integers;
    if (values.empty() || std::any_of(values.begin(), values.end(), [&](int32_t v) { return v != values[0]; })) {
        throw std::runtime_error(role + " has " + std::to_string(values.size()) +
                                 " differing values; haqm takes a single zero point");
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

// ONNX convolutions are NCHW with OIHW weights, conv2d_q8 takes NHWC and HWIO: the harness
// transposes. Dimension i of the result is dimension perm[i] of the source.
using Permutation = std::array<int, 4>;
constexpr Permutation kNchwToNhwc = {0, 2, 3, 1};
constexpr Permutation kNhwcToNchw = {0, 3, 1, 2};
constexpr Permutation kOihwToHwio = {2, 3, 1, 0};

haqm::Shape permuted_shape(const haqm::Shape& shape, const Permutation& perm) {
    return {shape[perm[0]], shape[perm[1]], shape[perm[2]], shape[perm[3]]};
}

template <class T>
std::vector<T> permuted(const std::vector<T>& values, const haqm::Shape& shape, const Permutation& perm) {
    std::array<int64_t, 4> strides;  // of the source, row-major
    int64_t stride = 1;
    for (int i = 3; i >= 0; --i) {
        strides[i] = stride;
        stride *= shape[i];
    }
    const haqm::Shape out = permuted_shape(shape, perm);
    std::vector<T> result;
    result.reserve(values.size());
    for (int64_t a = 0; a < out[0]; ++a) {
        for (int64_t b = 0; b < out[1]; ++b) {
            for (int64_t c = 0; c < out[2]; ++c) {
                for (int64_t d = 0; d < out[3]; ++d) {
                    result.push_back(values[a * strides[perm[0]] + b * strides[perm[1]] + c * strides[perm[2]] +
                                            d * strides[perm[3]]]);
                }
            }
        }
    }
    return result;
}

// Leading and trailing padding of one axis for auto_pad SAME_UPPER / SAME_LOWER: the output is
// ceil(in / stride), and an odd total puts the extra pixel at the end (UPPER) or the start (LOWER).
std::pair<int, int> same_pads(int64_t in, int64_t kernel, int stride, int dilation, bool lower) {
    const int64_t out = (in + stride - 1) / stride;
    const int64_t total = std::max<int64_t>(0, (out - 1) * stride + dilation * (kernel - 1) + 1 - in);
    const int small = static_cast<int>(total / 2), large = static_cast<int>(total - total / 2);
    return lower ? std::make_pair(large, small) : std::make_pair(small, large);
}

// The attributes shared by Conv, ConvInteger and QLinearConv as a Conv2dSpec. ONNX lists spatial
// values as (H, W) and pads as [top, left, bottom, right]. The pad fields always hold the padding
// in effect (the float Conv error bound reads them); for SAME_UPPER haqm also derives it itself
// (same_padding), for SAME_LOWER, which haqm has no flag for, the explicit pads are what it gets.
haqm::Conv2dSpec conv_spec(const onnx::NodeProto& node, const haqm::Shape& x, const haqm::Shape& w) {
    if (x.size() != 4 || w.size() != 4) {
        throw Unsupported(node.op_type() + " on an input of rank " + std::to_string(x.size()) +
                          ": haqm's conv2d_q8 is 2-D (rank 4) only");
    }
    haqm::Conv2dSpec spec;
    std::string auto_pad = "NOTSET";
    for (const auto& attribute : node.attribute()) {
        const std::string& name = attribute.name();
        const std::vector<int> ints(attribute.ints().begin(), attribute.ints().end());
        if (name == "auto_pad" && attribute.type() == onnx::AttributeProto::STRING) {
            auto_pad = attribute.s();
        } else if (name == "group" && attribute.type() == onnx::AttributeProto::INT) {
            spec.groups = static_cast<int>(attribute.i());
        } else if (name == "strides" && ints.size() == 2) {
            spec.stride_h = ints[0];
            spec.stride_w = ints[1];
        } else if (name == "dilations" && ints.size() == 2) {
            spec.dilation_h = ints[0];
            spec.dilation_w = ints[1];
        } else if (name == "pads" && ints.size() == 4) {
            spec.pad_top = ints[0];
            spec.pad_left = ints[1];
            spec.pad_bottom = ints[2];
            spec.pad_right = ints[3];
        } else if (name == "kernel_shape" && ints.size() == 2 && ints[0] == w[2] && ints[1] == w[3]) {
            // the weights' own spatial shape: nothing to pass on
        } else {
            throw std::runtime_error(node.op_type() + ": attribute '" + name +
                                     "' of this type or value is not supported");
        }
    }
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
        const bool lower = auto_pad == "SAME_LOWER";
        std::tie(spec.pad_top, spec.pad_bottom) = same_pads(x[2], w[2], spec.stride_h, spec.dilation_h, lower);
        std::tie(spec.pad_left, spec.pad_right) = same_pads(x[3], w[3], spec.stride_w, spec.dilation_w, lower);
        spec.same_padding = !lower;
    } else if (auto_pad == "VALID") {
        spec.pad_top = spec.pad_left = spec.pad_bottom = spec.pad_right = 0;
    } else if (auto_pad != "NOTSET") {
        throw std::runtime_error(node.op_type() + ": auto_pad '" + auto_pad + "' is not defined");
    }
    return spec;
}

// One conv2d_q8 call on ONNX layouts: x NCHW and weights OIHW in, output NCHW of `output_type`.
template <class A, class Out>
Tensor conv_nchw(const Tensor& x, const Int8Weights& w, const haqm::Shape& w_oihw, const haqm::Conv2dSpec& spec,
                 int32_t output_type) {
    const haqm::Shape x_nhwc = permuted_shape(x.shape, kNchwToNhwc);
    const haqm::Shape w_hwio = permuted_shape(w_oihw, kOihwToHwio);
    const std::vector<A> input = narrowed<A>(permuted(x.integers, x.shape, kNchwToNhwc));
    const std::vector<int8_t> weights = permuted(w.values, w_oihw, kOihwToHwio);
    const haqm::Shape y_nhwc = haqm::conv2d_output_shape(x_nhwc, w_hwio, spec);
    std::vector<Out> y(element_count(y_nhwc));
    haqm::conv2d_q8(haqm::Span<const A>(input), x_nhwc, haqm::Span<const int8_t>(weights), w_hwio, spec,
                    haqm::Span<Out>(y));
    return {output_type, permuted_shape(y_nhwc, kNhwcToNchw), {}, permuted(widened(y), y_nhwc, kNhwcToNchw)};
}

std::vector<int32_t> int32_bias(const Tensor* bias) {
    if (bias == nullptr) {
        return {};
    }
    expect_type(*bias, {TensorType::INT32}, "B");
    return bias->integers;
}

// Requantized in float: round_half_even(float32(acc) * scale) + y_zero_point, with
// scale = x_scale * w_scale / y_scale in float32, multiplied first, then divided (ONNX's order).
// ONNX's later numpy reference (onnx.reference, 1.13+) multiplies in float64 and adds the zero point
// before rounding; the two differ only on products at or within float32 rounding of a .5 tie, and
// the ONNX 1.12 data has none (every product is within 1e-6 of an integer).
Tensor qlinear_conv(const onnx::NodeProto& node, const NodeInputs& inputs) {
    const Tensor& x = inputs.required(0, "x");
    const float x_scale = single_scale(inputs.required(1, "x_scale"), "x_scale");
    const Tensor& x_zero_point = inputs.required(2, "x_zero_point");
    const Tensor& w = inputs.required(3, "w");
    const Tensor& w_scale = inputs.required(4, "w_scale");
    const Tensor& w_zero_point = inputs.required(5, "w_zero_point");
    const float y_scale = single_scale(inputs.required(6, "y_scale"), "y_scale");
    const Tensor& y_zero_point = inputs.required(7, "y_zero_point");
    expect_type(x, {TensorType::UINT8, TensorType::INT8}, "x");
    expect_type(w, {TensorType::UINT8, TensorType::INT8}, "w");
    expect_same_type(x_zero_point, x, "x_zero_point", "x");
    expect_same_type(w_zero_point, w, "w_zero_point", "w");
    expect_type(w_scale, {TensorType::FLOAT}, "w_scale");
    if (y_zero_point.type != x.type) {
        throw std::runtime_error("y is " + type_name(y_zero_point.type) + " but x is " + type_name(x.type) +
                                 "; haqm's conv2d_q8 writes the activations' type");
    }
    haqm::Conv2dSpec spec = conv_spec(node, x.shape, w.shape);
    const Int8Weights weights = int8_weights(w, single_zero_point(w_zero_point, "w_zero_point"));
    spec.input_zero_point = single_zero_point(x_zero_point, "x_zero_point");
    spec.weight_zero_point = weights.zero_point;
    spec.bias = int32_bias(inputs.optional(8));
    spec.requantization = haqm::Requantization::float32;
    for (float scale : w_scale.floats) {  // one, or one per output channel
        spec.output_scales.push_back(x_scale * scale / y_scale);
    }
    spec.output_zero_point = single_zero_point(y_zero_point, "y_zero_point");
    return x.type == TensorType::UINT8 ? conv_nchw<uint8_t, uint8_t>(x, weights, w.shape, spec, x.type)
                                       : conv_nchw<int8_t, int8_t>(x, weights, w.shape, spec, x.type);
}

Tensor conv_integer(const onnx::NodeProto& node, const NodeInputs& inputs) {
    const Tensor& x = inputs.required(0, "x");
    const Tensor& w = inputs.required(1, "w");
    const Tensor* x_zero_point = inputs.optional(2);
    const Tensor* w_zero_point = inputs.optional(3);
    expect_type(x, {TensorType::UINT8, TensorType::INT8}, "x");
    expect_type(w, {TensorType::UINT8, TensorType::INT8}, "w");
    if (x_zero_point) {
        expect_same_type(*x_zero_point, x, "x_zero_point", "x");
    }
    if (w_zero_point) {
        expect_same_type(*w_zero_point, w, "w_zero_point", "w");
    }
    haqm::Conv2dSpec spec = conv_spec(node, x.shape, w.shape);  // no bias, int32 output: no requantization
    const Int8Weights weights =
        int8_weights(w, w_zero_point ? single_zero_point(*w_zero_point, "w_zero_point") : 0);
    spec.input_zero_point = x_zero_point ? single_zero_point(*x_zero_point, "x_zero_point") : 0;
    spec.weight_zero_point = weights.zero_point;
    return x.type == TensorType::UINT8 ? conv_nchw<uint8_t, int32_t>(x, weights, w.shape, spec, TensorType::INT32)
                                       : conv_nchw<int8_t, int32_t>(x, weights, w.shape, spec, TensorType::INT32);
}

// Float Conv has no float kernel in haqm; it runs the way a quantized model would:
//   x -> uint8, per tensor, asymmetric over [min(x), max(x)]   (step sx)
//   W -> int8, per output channel, symmetric over max |W[m]|   (step sw[m], zero point 0)
//   B -> int32 with scale sx * sw[m] (the exact product), zero point 0
//   conv2d_q8 to int32, dequantized per channel with scale float32(sx * sw[m]).
// For one output, with x^ = x - ex and w^ = w - ew the dequantized values,
//   x * w - x^ * w^ = x * ew + w * ex - ex * ew,
// so, summed over the taps inside the image (padding is exactly 0 on both sides),
//   |y - y^| <= sum_taps (|x| * ew + |w| * ex + ex * ew) + eb,
// where ex <= sx / 2, ew <= sw[m] / 2 and eb <= sx * sw[m] / 2 (bias, when present) are the
// rounding errors of quantization. Quantize computes x / step in float32 with a step that is itself
// a rounded float32, each off by a relative u = 2^-24 at most; as |x| / step <= 256, that moves a
// value (or, at the end of the range, where it clamps) by at most 2 * 256 * u = 2^-15 steps, so ex
// and ew are taken as (1/2 + 2^-15) steps. Both sides also round in float32: ONNX's float32 sum of
// n terms (the bias counted) by at most (n + 1) * u * sum |term|, haqm's dequantization (int32 ->
// float, float32(sx * sw[m]), the product: three roundings) by at most 4 * u * |y^|. The sum of
// these is each element's bound; nothing in it is a tuned constant.
constexpr double kFloat32Rounding = std::numeric_limits<float>::epsilon() / 2;  // u = 2^-24
constexpr double kQuantizationSteps = 0.5 + 1.0 / 32768;                      // half a step + 2^-15

// The bound above for every output element (NCHW), from the float data and the actual scales.
std::vector<double> conv_error_bounds(const Tensor& x, const Tensor& w, const Tensor* bias,
                                      const haqm::Conv2dSpec& spec, float x_scale, const std::vector<float>& w_scales,
                                      const Tensor& y) {
    const int64_t channels = x.shape[1], height = x.shape[2], width = x.shape[3];
    const int64_t group_in = w.shape[1], kernel_h = w.shape[2], kernel_w = w.shape[3];
    const int64_t out_channels = y.shape[1], out_h = y.shape[2], out_w = y.shape[3];
    const int64_t group_out = out_channels / spec.groups;
    const double ex = kQuantizationSteps * x_scale;
    std::vector<double> bounds;
    bounds.reserve(y.floats.size());
    for (int64_t n = 0; n < y.shape[0]; ++n) {
        for (int64_t m = 0; m < out_channels; ++m) {
            const double ew = kQuantizationSteps * w_scales[m];
            const int64_t first_channel = m / group_out * group_in;
            for (int64_t oy = 0; oy < out_h; ++oy) {
                for (int64_t ox = 0; ox < out_w; ++ox) {
                    double bound = 0, magnitude = 0;  // magnitude: sum of |terms| of ONNX's float sum
                    int64_t terms = 0;
                    for (int64_t ci = 0; ci < group_in; ++ci) {
                        for (int64_t ky = 0; ky < kernel_h; ++ky) {
                            for (int64_t kx = 0; kx < kernel_w; ++kx) {
                                const int64_t iy = oy * spec.stride_h + ky * spec.dilation_h - spec.pad_top;
                                const int64_t ix = ox * spec.stride_w + kx * spec.dilation_w - spec.pad_left;
                                if (iy < 0 || iy >= height || ix < 0 || ix >= width) {
                                    continue;
                                }
                                const double xv = std::abs(
                                    x.floats[((n * channels + first_channel + ci) * height + iy) * width + ix]);
                                const double wv =
                                    std::abs(w.floats[((m * group_in + ci) * kernel_h + ky) * kernel_w + kx]);
                                bound += xv * ew + wv * ex + ex * ew;
                                magnitude += xv * wv;
                                ++terms;
                            }
                        }
                    }
                    if (bias) {
                        bound += static_cast<double>(x_scale) * w_scales[m] / 2;
                        magnitude += std::abs(bias->floats[m]);
                        ++terms;
                    }
                    const size_t index = bounds.size();
                    bound += (terms + 1) * kFloat32Rounding * magnitude +
                             4 * kFloat32Rounding * std::abs(y.floats[index]);
                    bounds.push_back(bound);
                }
            }
        }
    }
    return bounds;
}

// haqm's result for a node and how far each element may be from ONNX's: integers within
// `tolerance`; floats bit for bit, or within error_bounds (per element) when those are given.
struct NodeResult {
    Tensor output;
    int32_t tolerance;
    std::vector<double> error_bounds;
};

NodeResult quantized_conv(const onnx::NodeProto& node, const NodeInputs& inputs) {
    const Tensor& x = inputs.required(0, "X");
    const Tensor& w = inputs.required(1, "W");
    const Tensor* bias = inputs.optional(2);
    expect_type(x, {TensorType::FLOAT}, "X");
    expect_type(w, {TensorType::FLOAT}, "W");
    haqm::Conv2dSpec spec = conv_spec(node, x.shape, w.shape);
    if (x.floats.empty() || w.floats.empty()) {
        throw std::runtime_error("Conv of an empty tensor");
    }
    if (bias) {
        expect_type(*bias, {TensorType::FLOAT}, "B");
        if (static_cast<int64_t>(bias->floats.size()) != w.shape[0]) {
            throw std::runtime_error("B has " + std::to_string(bias->floats.size()) + " values for " +
                                     std::to_string(w.shape[0]) + " output channels");
        }
    }
    const auto [x_min, x_max] = std::minmax_element(x.floats.begin(), x.floats.end());
    haqm::QuantScheme x_scheme;
    x_scheme.is_signed = false;
    x_scheme.symmetric = false;
    const haqm::QuantParams x_params = haqm::params_from_ranges(x_scheme, {*x_min}, {*x_max});
    const int64_t out_channels = w.shape[0], per_channel = static_cast<int64_t>(w.floats.size()) / out_channels;
    std::vector<float> w_mins, w_maxs;
    for (int64_t m = 0; m < out_channels; ++m) {
        const auto first = w.floats.begin() + m * per_channel;
        const auto [lo, hi] = std::minmax_element(first, first + per_channel);
        w_mins.push_back(*lo);
        w_maxs.push_back(*hi);
    }
    haqm::QuantScheme w_scheme;
    w_scheme.granularity = haqm::Granularity::per_channel;
    const haqm::QuantParams w_params = haqm::params_from_ranges(w_scheme, w_mins, w_maxs);
    const float x_scale = x_params.scales[0];
    const std::vector<float>& w_scales = w_params.scales;

    const Tensor x_q{TensorType::UINT8, x.shape, {},
                     quantize_as<uint8_t>(x, {x_params.scales, x_params.zero_points, 0, 8})};
    const Int8Weights w_q{narrowed<int8_t>(quantize_as<int8_t>(w, {w_scales, w_params.zero_points, 0, 8})), 0};
    haqm::QuantizationSpec y_spec{{}, std::vector<int32_t>(out_channels, 0), 1, 8};  // NCHW: channels on axis 1
    for (int64_t m = 0; m < out_channels; ++m) {
        y_spec.scales.push_back(x_scale * w_scales[m]);
        if (bias) {  // sx * sw[m] is exact in double
            const double q = std::nearbyint(bias->floats[m] / (static_cast<double>(x_scale) * w_scales[m]));
            if (!(std::abs(q) <= std::numeric_limits<int32_t>::max())) {
                throw std::runtime_error("B[" + std::to_string(m) + "] does not fit int32 at scale x_scale * w_scale");
            }
            spec.bias.push_back(static_cast<int32_t>(q));
        }
    }
    spec.input_zero_point = x_params.zero_points[0];
    const Tensor accumulators = conv_nchw<uint8_t, int32_t>(x_q, w_q, w.shape, spec, TensorType::INT32);
    Tensor y{TensorType::FLOAT, accumulators.shape, dequantize_from<int32_t>(accumulators, y_spec), {}};
    std::vector<double> bounds = conv_error_bounds(x, w, bias, spec, x_scale, w_scales, y);
    return {std::move(y), 0, std::move(bounds)};
}

// uint8, per tensor, asymmetric over [lo, hi] widened to include 0 (params_from_ranges): the
// activation quantization of every float path (as for the float Conv input).
haqm::QuantizationSpec uint8_spec(float lo, float hi) {
    haqm::QuantScheme scheme;
    scheme.is_signed = false;
    scheme.symmetric = false;
    const haqm::QuantParams params = haqm::params_from_ranges(scheme, {lo}, {hi});
    return {params.scales, params.zero_points, 0, 8};
}

haqm::QuantizationSpec uint8_spec_of(const Tensor& x) {
    if (x.floats.empty()) {
        throw std::runtime_error("quantizing an empty tensor");
    }
    const auto [lo, hi] = std::minmax_element(x.floats.begin(), x.floats.end());
    return uint8_spec(*lo, *hi);
}

// The rounding of haqm's fixed-point requantization (docs/arithmetic.md), in output units, against
// x * multiplier * 2^(shift - 31) exactly: with a right shift the doubling high multiply rounds
// (half a unit of 2^-right output units), then the rounding divide rounds again (half an output
// unit); without one only the high multiply rounds.
double fixed_rounding_error(const haqm::FixedPointMultiplier& m) {
    return 0.5 + (m.shift < 0 ? std::ldexp(1.0, m.shift - 1) : 0.0);
}

// |Q31 multiplier - real multiplier| for `computed`, the double haqm's runtime hands to
// quantize_multiplier: its Q31 rounding, plus one double rounding (2^-53 relative) of `computed`
// against the exact ratio of the scales.
double multiplier_error(double computed) {
    const haqm::FixedPointMultiplier m = haqm::quantize_multiplier(computed);
    return std::abs(std::ldexp(static_cast<double>(m.multiplier), m.shift - 31) - computed) +
           computed * std::ldexp(1.0, -53);
}

// ---- Pooling (MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool) ----

// The ONNX pooling attributes as a Pool2dSpec for an NCHW input. ONNX lists kernel, strides and
// dilations as (H, W) and pads as [top, left, bottom, right]; auto_pad SAME_UPPER / SAME_LOWER
// become the explicit pads they imply (Pool2dSpec has no SAME flag), as for Conv. What pool_q8
// cannot express is Unsupported, with the reason.
haqm::Pool2dSpec pool_spec(const onnx::NodeProto& node, const haqm::Shape& x) {
    const std::string& op = node.op_type();
    if (x.size() != 4) {
        throw Unsupported(op + " on an input of rank " + std::to_string(x.size()) + " (" +
                          std::to_string(static_cast<int>(x.size()) - 2) +
                          "-D pooling): haqm's pool_q8 is 2-D (rank 4) only");
    }
    haqm::Pool2dSpec spec;
    if (op == "GlobalAveragePool" || op == "GlobalMaxPool") {
        expect_no_attributes(node);
        if (op == "GlobalAveragePool") {
            spec.kind = haqm::PoolKind::global_average;
        } else {  // the max over one window that is the whole image
            if (x[2] > std::numeric_limits<int>::max() || x[3] > std::numeric_limits<int>::max()) {
                throw std::runtime_error("GlobalMaxPool: image larger than an int kernel");
            }
            spec.kind = haqm::PoolKind::max;
            spec.kernel_h = static_cast<int>(x[2]);
            spec.kernel_w = static_cast<int>(x[3]);
        }
        return spec;
    }
    spec.kind = op == "MaxPool" ? haqm::PoolKind::max : haqm::PoolKind::average;
    std::string auto_pad = "NOTSET";
    bool has_kernel = false;
    for (const auto& attribute : node.attribute()) {
        const std::string& name = attribute.name();
        const std::vector<int> ints(attribute.ints().begin(), attribute.ints().end());
        const bool is_int = attribute.type() == onnx::AttributeProto::INT;
        if (name == "auto_pad" && attribute.type() == onnx::AttributeProto::STRING) {
            auto_pad = attribute.s();
        } else if (name == "kernel_shape" && ints.size() == 2) {
            spec.kernel_h = ints[0];
            spec.kernel_w = ints[1];
            has_kernel = true;
        } else if (name == "strides" && ints.size() == 2) {
            spec.stride_h = ints[0];
            spec.stride_w = ints[1];
        } else if (name == "pads" && ints.size() == 4) {
            spec.pad_top = ints[0];
            spec.pad_left = ints[1];
            spec.pad_bottom = ints[2];
            spec.pad_right = ints[3];
        } else if (name == "dilations" && ints.size() == 2) {
            if (ints[0] != 1 || ints[1] != 1) {
                throw Unsupported(op + " with dilations [" + std::to_string(ints[0]) + ", " +
                                  std::to_string(ints[1]) + "]: haqm's pool_q8 windows are dense (no dilation)");
            }
        } else if (name == "ceil_mode" && is_int) {
            if (attribute.i() != 0) {
                throw Unsupported(op + " with ceil_mode = 1: haqm's pool_q8 output extent rounds down (floor) only");
            }
        } else if (name == "count_include_pad" && is_int && op == "AveragePool") {
            spec.count_include_pad = attribute.i() != 0;
        } else if (name == "storage_order" && is_int && op == "MaxPool") {
            if (attribute.i() != 0) {
                throw Unsupported("MaxPool with storage_order = 1 (column-major Indices): haqm's pool_q8 has no "
                                  "Indices output");
            }
        } else {
            throw std::runtime_error(op + ": attribute '" + name + "' of this type or value is not supported");
        }
    }
    if (!has_kernel) {
        throw std::runtime_error(op + ": kernel_shape (2 values) is required");
    }
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
        const bool lower = auto_pad == "SAME_LOWER";
        std::tie(spec.pad_top, spec.pad_bottom) = same_pads(x[2], spec.kernel_h, spec.stride_h, 1, lower);
        std::tie(spec.pad_left, spec.pad_right) = same_pads(x[3], spec.kernel_w, spec.stride_w, 1, lower);
    } else if (auto_pad == "VALID") {
        spec.pad_top = spec.pad_left = spec.pad_bottom = spec.pad_right = 0;
    } else if (auto_pad != "NOTSET") {
        throw std::runtime_error(op + ": auto_pad '" + auto_pad + "' is not defined");
    }
    return spec;
}

// One pool_q8 call on an NCHW tensor of 8-bit values; the NCHW result's shape goes to y_nchw.
template <class T>
std::vector<int32_t> pool_nchw(const std::vector<int32_t>& x, const haqm::Shape& x_nchw, const haqm::Pool2dSpec& spec,
                               haqm::Shape& y_nchw) {
    const haqm::Shape x_nhwc = permuted_shape(x_nchw, kNchwToNhwc);
    const std::vector<T> input = narrowed<T>(permuted(x, x_nchw, kNchwToNhwc));
    const haqm::Shape y_nhwc = haqm::pool_output_shape(x_nhwc, spec);
    std::vector<T> y(element_count(y_nhwc));
    haqm::pool_q8(haqm::Span<const T>(input), x_nhwc, spec, haqm::Span<T>(y));
    y_nchw = permuted_shape(y_nhwc, kNhwcToNchw);
    return permuted(widened(y), y_nhwc, kNhwcToNchw);
}

// Float pooling runs as a quantized model would: x -> uint8 per tensor over [min(x), max(x)]
// (step sx, zero point zx), pool_q8 with the output quantization equal to the input's (so = sx,
// zo = zx: a max or an average of values in [min(x), max(x)], or of those and the padding's 0,
// stays inside that range, which includes 0), then dequantize. Per output element:
//
//  max: quantization is monotone, so max(q(x_i)) = q(max x_i), and dequantize(q(v)) is within
//       ex = (1/2 + 2^-15) sx of v (half a step, plus the float32 rounding inside quantize; see
//       the Conv bound). ONNX's max is exact; haqm's dequantization rounds once (u |y^|, u = 2^-24):
//           bound = ex + u |y^|
//  average over the t in-image taps of a window, divided by c (c = t, or kh * kw with
//       count_include_pad; the padding is 0 on both sides):
//       - each dequantized input is within ex of x_i, so their average over c is within (t / c) ex;
//       - pool_q8 requantizes acc = sum (q_i - zx) with M = sx / (so c) in Q31 fixed point
//         (haqm::quantize_multiplier of the same double): rounding fixed_rounding_error(M) output
//         steps, and |acc| * |M_q31 - M| steps from the multiplier, |acc| <= (sum |x_i| + t ex) / sx;
//       - clamping to the uint8 range never moves a value further from ONNX's, whose average lies
//         in the representable range widened by half a step (the zero point is rounded);
//       - ONNX sums t float32 terms and divides, t u sum |x_i| / c at most, and haqm's
//         dequantization rounds once, u |y^|:
//           bound = (t / c) ex + so (fixed_rounding_error + |acc| |M_q31 - M|) + t u sum |x_i| / c + u |y^|
//  GlobalAveragePool is the average with the whole image as its window (t = c = H * W); the mean
//  of a channel lies in [min(x), max(x)], so the input's quantization serves the output as well.
std::vector<double> pool_error_bounds(const Tensor& x, const haqm::Pool2dSpec& spec, const Tensor& y) {
    const int64_t channels = x.shape[1], height = x.shape[2], width = x.shape[3];
    const int64_t out_h = y.shape[2], out_w = y.shape[3];
    const bool global = spec.kind == haqm::PoolKind::global_average;
    const int64_t kernel_h = global ? height : spec.kernel_h, kernel_w = global ? width : spec.kernel_w;
    const int64_t stride_h = global ? 1 : spec.stride_h, stride_w = global ? 1 : spec.stride_w;
    const int64_t pad_top = global ? 0 : spec.pad_top, pad_left = global ? 0 : spec.pad_left;
    const double sx = spec.input_scale, so = spec.output_scale, ex = kQuantizationSteps * sx;
    std::vector<double> bounds;
    bounds.reserve(y.floats.size());
    for (int64_t n = 0; n < y.shape[0]; ++n) {
        for (int64_t c = 0; c < channels; ++c) {
            for (int64_t oy = 0; oy < out_h; ++oy) {
                for (int64_t ox = 0; ox < out_w; ++ox) {
                    const double y_hat = std::abs(y.floats[bounds.size()]);
                    if (spec.kind == haqm::PoolKind::max) {
                        bounds.push_back(ex + kFloat32Rounding * y_hat);
                        continue;
                    }
                    int64_t taps = 0;
                    double magnitude = 0;  // sum |x_i| over the in-image taps
                    for (int64_t ky = 0; ky < kernel_h; ++ky) {
                        for (int64_t kx = 0; kx < kernel_w; ++kx) {
                            const int64_t iy = oy * stride_h + ky - pad_top, ix = ox * stride_w + kx - pad_left;
                            if (iy >= 0 && iy < height && ix >= 0 && ix < width) {
                                ++taps;
                                magnitude += std::abs(x.floats[((n * channels + c) * height + iy) * width + ix]);
                            }
                        }
                    }
                    const int64_t count = spec.count_include_pad ? kernel_h * kernel_w : taps;
                    const double m = sx / (so * static_cast<double>(count));  // as pool_q8 computes it
                    const double acc = (magnitude + taps * ex) / sx;
                    const double requantization =
                        fixed_rounding_error(haqm::quantize_multiplier(m)) + acc * multiplier_error(m);
                    bounds.push_back(static_cast<double>(taps) / count * ex + so * requantization +
                                     taps * kFloat32Rounding * magnitude / count + kFloat32Rounding * y_hat);
                }
            }
        }
    }
    return bounds;
}

// MaxPool on uint8 / int8 data is pool_q8 itself, compared exactly (padding never wins on either
// side); float pooling runs quantized as described above.
NodeResult run_pool(const onnx::NodeProto& node, const NodeInputs& inputs) {
    const Tensor& x = inputs.required(0, "X");
    expect_type(x, {TensorType::FLOAT, TensorType::UINT8, TensorType::INT8}, "X");
    haqm::Pool2dSpec spec = pool_spec(node, x.shape);
    if (x.type != TensorType::FLOAT) {
        if (spec.kind != haqm::PoolKind::max) {
            throw std::runtime_error(node.op_type() + " of " + type_name(x.type) + " is not an ONNX operator");
        }
        Tensor y{x.type, {}, {}, {}};
        y.integers = x.type == TensorType::UINT8 ? pool_nchw<uint8_t>(x.integers, x.shape, spec, y.shape)
                                                 : pool_nchw<int8_t>(x.integers, x.shape, spec, y.shape);
        return {std::move(y), 0, {}};
    }
    const haqm::QuantizationSpec x_spec = uint8_spec_of(x);
    spec.input_scale = spec.output_scale = x_spec.scales[0];
    spec.input_zero_point = spec.output_zero_point = x_spec.zero_points[0];
    const std::vector<int32_t> x_q = quantize_as<uint8_t>(x, x_spec);
    Tensor y_q{TensorType::UINT8, {}, {}, {}};
    y_q.integers = pool_nchw<uint8_t>(x_q, x.shape, spec, y_q.shape);
    Tensor y{TensorType::FLOAT, y_q.shape, dequantize_from<uint8_t>(y_q, x_spec), {}};
    std::vector<double> bounds = pool_error_bounds(x, spec, y);
    return {std::move(y), 0, std::move(bounds)};
}

// ---- Add ----

// Float Add of two same-shaped tensors runs as a quantized model would: a and b -> uint8 per tensor
// over their own [min, max] (steps sa, sb), add_q8 to uint8 with the output over
// [min(a) + min(b), max(a) + max(b)] (step so), which holds every sum, then dequantize. add_q8
// (docs/arithmetic.md) rescales with T = 2 max(sa, sb), Ma = sa / T, Mb = sb / T, Mout = T / (2^20 so),
// all Q31, and a'' is in units of T 2^-20 of the real value. Per element:
//  - the dequantized inputs are within ea = (1/2 + 2^-15) sa and eb of a and b;
//  - a'' = round((a - za) 2^20 Ma_q31): fixed_rounding_error(Ma) units, plus
//    |a - za| 2^20 |Ma_q31 - Ma| units from the multiplier; likewise b'';
//  - out = round((a'' + b'') Mout_q31) + zo: fixed_rounding_error(Mout) output steps, plus
//    |a'' + b''| |Mout_q31 - Mout| steps;
//  - clamping never moves a value further from ONNX's sum, which lies in the representable range
//    widened by half a step;
//  - ONNX's float32 sum rounds once (u |a + b|), haqm's dequantization once (u |y^|):
//      bound = ea + eb + T 2^-20 (errors of a'' and b'') + so (errors of out) + u |a + b| + u |y^|
// Integer Add (uint8, int8) is add_q8 with every scale 1 and zero point 0, where the TFLite rule is
// exact ((a << 20) / 2 + (b << 20) / 2, times 2^-19) but saturates: ONNX's integer Add wraps modulo
// 2^8, so data whose sums leave the type's range is skipped rather than compared.
template <class T>
Tensor integer_add(const Tensor& a, const Tensor& b) {
    const int32_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
    for (size_t i = 0; i < a.integers.size(); ++i) {
        const int32_t sum = a.integers[i] + b.integers[i];
        if (sum < lo || sum > hi) {
            throw Unsupported("Add of " + type_name(a.type) + " whose sum " + std::to_string(sum) +
                              " wraps in ONNX; haqm's add_q8 saturates");
        }
    }
    const std::vector<T> a_values = narrowed<T>(a.integers), b_values = narrowed<T>(b.integers);
    std::vector<T> y(a_values.size());
    haqm::add_q8(haqm::Span<const T>(a_values), haqm::Span<const T>(b_values), a.shape, haqm::AddSpec{},
                 haqm::Span<T>(y));
    return {a.type, a.shape, {}, widened(y)};
}

NodeResult run_add(const onnx::NodeProto& node, const NodeInputs& inputs) {
    expect_no_attributes(node);
    const Tensor& a = inputs.required(0, "A");
    const Tensor& b = inputs.required(1, "B");
    expect_type(a, {TensorType::FLOAT, TensorType::UINT8, TensorType::INT8}, "A");
    expect_same_type(b, a, "B", "A");
    if (a.shape != b.shape) {
        throw Unsupported("Add with broadcasting (A " + ::testing::PrintToString(a.shape) + ", B " +
                          ::testing::PrintToString(b.shape) + "): haqm's add_q8 takes same-shaped tensors only");
    }
    if (a.type == TensorType::UINT8) {
        return {integer_add<uint8_t>(a, b), 0, {}};
    }
    if (a.type == TensorType::INT8) {
        return {integer_add<int8_t>(a, b), 0, {}};
    }
    const haqm::QuantizationSpec a_spec = uint8_spec_of(a), b_spec = uint8_spec_of(b);
    const auto [a_min, a_max] = std::minmax_element(a.floats.begin(), a.floats.end());
    const auto [b_min, b_max] = std::minmax_element(b.floats.begin(), b.floats.end());
    const haqm::QuantizationSpec y_spec = uint8_spec(*a_min + *b_min, *a_max + *b_max);
    haqm::AddSpec spec;
    spec.a_scale = a_spec.scales[0];
    spec.a_zero_point = a_spec.zero_points[0];
    spec.b_scale = b_spec.scales[0];
    spec.b_zero_point = b_spec.zero_points[0];
    spec.output_scale = y_spec.scales[0];
    spec.output_zero_point = y_spec.zero_points[0];
    const std::vector<uint8_t> a_q = narrowed<uint8_t>(quantize_as<uint8_t>(a, a_spec));
    const std::vector<uint8_t> b_q = narrowed<uint8_t>(quantize_as<uint8_t>(b, b_spec));
    std::vector<uint8_t> y_q(a_q.size());
    haqm::add_q8(haqm::Span<const uint8_t>(a_q), haqm::Span<const uint8_t>(b_q), a.shape, spec,
                 haqm::Span<uint8_t>(y_q));
    Tensor y{TensorType::FLOAT, a.shape, {}, {}};
    y.floats = dequantize_from<uint8_t>({TensorType::UINT8, a.shape, {}, widened(y_q)}, y_spec);

    // The multipliers as add_q8 computes them (in double, as TFLite).
    const double twice_max = 2.0 * std::max<double>(spec.a_scale, spec.b_scale);
    const double ma = spec.a_scale / twice_max, mb = spec.b_scale / twice_max;
    const double mout = twice_max / (std::ldexp(1.0, 20) * spec.output_scale);
    const double unit = twice_max * std::ldexp(1.0, -20);  // the real value of one unit of a'' + b''
    std::vector<double> bounds;
    bounds.reserve(y.floats.size());
    for (size_t i = 0; i < y.floats.size(); ++i) {
        const double a_units = std::abs(int32_t{a_q[i]} - spec.a_zero_point) * std::ldexp(1.0, 20);
        const double b_units = std::abs(int32_t{b_q[i]} - spec.b_zero_point) * std::ldexp(1.0, 20);
        const double a_error = fixed_rounding_error(haqm::quantize_multiplier(ma)) + a_units * multiplier_error(ma);
        const double b_error = fixed_rounding_error(haqm::quantize_multiplier(mb)) + b_units * multiplier_error(mb);
        const double sum_units = a_units * ma + b_units * mb + a_error + b_error;  // >= |a'' + b''|
        const double out_error = fixed_rounding_error(haqm::quantize_multiplier(mout)) + sum_units * multiplier_error(mout);
        bounds.push_back(kQuantizationSteps * (spec.a_scale + spec.b_scale) + unit * (a_error + b_error) +
                         spec.output_scale * out_error +
                         kFloat32Rounding * (std::abs(static_cast<double>(a.floats[i]) + b.floats[i]) +
                                             std::abs(y.floats[i])));
    }
    return {std::move(y), 0, std::move(bounds)};
}

// ---- Activations by table lookup (Sigmoid, Tanh, HardSigmoid, HardSwish) ----

// An activation build_lut makes a table for: the output range the output is quantized over (it holds
// f of the input's range), the Lipschitz constant L of f, and a bound on the error of evaluating f
// in float32 at x, which both ONNX (numpy, float32) and build_lut do. With u = 2^-24 and the
// elementary functions (exp, tanh) allowed 4 ulp (8 u relative; glibc documents 1 ulp for expf and
// 2 for tanhf), to first order:
//  sigmoid 1 / (1 + exp(-x)):     8 u from exp, scaled by e / (1 + e) <= 1, and two roundings: 10 u
//                                 relative, |f| <= 1; + u for the higher-order terms: 11 u.   L = 1/4
//  tanh:                          8 u |f| <= 8 u.                                              L = 1
//  hard_sigmoid 0.2 x + 0.5:      alpha = 0.2f (u relative), the product and the sum round:
//                                 3 u (0.2 |x| + 0.5); the clamp to [0, 1] does not enlarge it. L = 0.2
//  hard_swish x clamp(x / 6 + 0.5): the clamped factor as above, 3 u (|x| / 6 + 0.5), times |x|,
//                                 and the product rounds (|f| <= |x|): 3 u |x| (|x| / 6 + 0.5) + u |x|.
//                                 L = 1.5 (the slope x / 3 + 0.5 on [-3, 3], 0 or 1 outside)
struct Activation {
    haqm::LutFunction function;
    double lipschitz;
    float out_lo, out_hi;
    double float_error(double x) const {
        const double u = kFloat32Rounding, ax = std::abs(x);
        switch (function) {
            case haqm::LutFunction::sigmoid:
                return 11 * u;
            case haqm::LutFunction::tanh:
                return 8 * u;
            case haqm::LutFunction::hard_sigmoid:
                return 3 * u * (0.2 * ax + 0.5);
            case haqm::LutFunction::hard_swish:
                return 3 * u * ax * (ax / 6 + 0.5) + u * ax;
        }
        return 0;
    }
};

// HardSigmoid's alpha and beta must be ONNX's defaults (build_lut's hard_sigmoid has them built in).
void expect_default_hard_sigmoid(const onnx::NodeProto& node) {
    float alpha = 0.2f, beta = 0.5f;
    for (const auto& attribute : node.attribute()) {
        if (attribute.name() == "alpha" && attribute.type() == onnx::AttributeProto::FLOAT) {
            alpha = attribute.f();
        } else if (attribute.name() == "beta" && attribute.type() == onnx::AttributeProto::FLOAT) {
            beta = attribute.f();
        } else {
            throw std::runtime_error("HardSigmoid: attribute '" + attribute.name() + "' is not supported");
        }
    }
    if (alpha != 0.2f || beta != 0.5f) {
        std::ostringstream reason;
        reason << "HardSigmoid with alpha = " << alpha << ", beta = " << beta
               << ": haqm's build_lut has HardSigmoid with the defaults (0.2, 0.5) only";
        throw Unsupported(reason.str());
    }
}

// x -> uint8 per tensor over [min(x), max(x)] (step sx), lut_q8 with the table build_lut makes for
// the output quantized over the activation's range (step so), dequantize. Per element, with x^ the
// float32 dequantized input build_lut evaluates f at:
//  - |x^ - x| <= (1/2 + 2^-15) sx + u |x^| (quantization, then the float32 dequantization), which
//    moves f by L times that;
//  - the table entry rounds f(x^) / so: (1/2 + 2^-15) output steps (half a step, plus the float32
//    division, as in quantize); clamping never moves a value further from ONNX's, whose f(x) lies in
//    the representable range widened by half a step;
//  - ONNX evaluates f(x) and build_lut f(x^) in float32 (float_error each), haqm's dequantization
//    rounds once (u |y^|):
//      bound = (1/2 + 2^-15) so + L ((1/2 + 2^-15) sx + u |x^|) + float_error(x) + float_error(x^) + u |y^|
NodeResult run_activation(const onnx::NodeProto& node, const NodeInputs& inputs) {
    const std::string& op = node.op_type();
    const Tensor& x = inputs.required(0, "X");
    expect_type(x, {TensorType::FLOAT}, "X");
    if (op == "HardSigmoid") {
        expect_default_hard_sigmoid(node);
    } else {
        expect_no_attributes(node);
    }
    const haqm::QuantizationSpec x_spec = uint8_spec_of(x);
    const float x_max = *std::max_element(x.floats.begin(), x.floats.end());
    Activation activation{};
    if (op == "Sigmoid") {
        activation = {haqm::LutFunction::sigmoid, 0.25, 0.0f, 1.0f};
    } else if (op == "Tanh") {
        activation = {haqm::LutFunction::tanh, 1.0, -1.0f, 1.0f};
    } else if (op == "HardSigmoid") {
        activation = {haqm::LutFunction::hard_sigmoid, 0.2, 0.0f, 1.0f};
    } else {  // HardSwish: its minimum is -0.375 (at x = -1.5), and it is at most max(x, 0)
        activation = {haqm::LutFunction::hard_swish, 1.5, -0.375f, std::max(0.0f, x_max)};
    }
    const haqm::QuantizationSpec y_spec = uint8_spec(activation.out_lo, activation.out_hi);
    const float sx = x_spec.scales[0], so = y_spec.scales[0];
    const int32_t zx = x_spec.zero_points[0];
    const std::vector<uint8_t> table =
        haqm::build_lut<uint8_t>(activation.function, sx, zx, so, y_spec.zero_points[0]);
    const std::vector<int32_t> x_q = quantize_as<uint8_t>(x, x_spec);
    const std::vector<uint8_t> input = narrowed<uint8_t>(x_q);
    std::vector<uint8_t> y_q(input.size());
    haqm::lut_q8(haqm::Span<const uint8_t>(input), x.shape, haqm::Span<const uint8_t>(table),
                 haqm::Span<uint8_t>(y_q));
    Tensor y{TensorType::FLOAT, x.shape, {}, {}};
    y.floats = dequantize_from<uint8_t>({TensorType::UINT8, x.shape, {}, widened(y_q)}, y_spec);
    std::vector<double> bounds;
    bounds.reserve(y.floats.size());
    for (size_t i = 0; i < y.floats.size(); ++i) {
        const double x_hat = static_cast<float>(x_q[i] - zx) * sx;  // as build_lut computes it
        bounds.push_back(kQuantizationSteps * so +
                         activation.lipschitz * (kQuantizationSteps * sx + kFloat32Rounding * std::abs(x_hat)) +
                         activation.float_error(x.floats[i]) + activation.float_error(x_hat) +
                         kFloat32Rounding * std::abs(y.floats[i]));
    }
    return {std::move(y), 0, std::move(bounds)};
}

NodeResult run_node(const onnx::NodeProto& node, const std::map<std::string, Tensor>& values) {
    if (!node.domain().empty() && node.domain() != "ai.onnx") {
        throw std::runtime_error("operator domain '" + node.domain() + "' has no haqm mapping");
    }
    const NodeInputs inputs(node, values);
    const std::string& op = node.op_type();
    if (op == "QuantizeLinear") {
        return {quantize_linear(node, inputs), 0, {}};
    }
    if (op == "DequantizeLinear") {
        return {dequantize_linear(node, inputs), 0, {}};
    }
    if (op == "QLinearMatMul") {
        return {qlinear_matmul(node, inputs), kQLinearMatMulTolerance, {}};
    }
    if (op == "MatMulInteger") {
        return {matmul_integer(node, inputs), 0, {}};
    }
    if (op == "QLinearConv") {
        return {qlinear_conv(node, inputs), 0, {}};
    }
    if (op == "ConvInteger") {
        return {conv_integer(node, inputs), 0, {}};
    }
    if (op == "Conv") {
        return quantized_conv(node, inputs);
    }
    if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool" || op == "GlobalMaxPool") {
        return run_pool(node, inputs);
    }
    if (op == "Add") {
        return run_add(node, inputs);
    }
    if (op == "Sigmoid" || op == "Tanh" || op == "HardSigmoid" || op == "HardSwish") {
        return run_activation(node, inputs);
    }
    throw std::runtime_error("operator " + op + " has no haqm mapping");
}

// The test's model must be one node with one output, so output_0.pb is that node's result. Models
// of several nodes (ONNX's *_expanded tests: an operator written out as its function body) and
// MaxPool's second output (Indices) are skipped, with the reason.
const onnx::NodeProto& single_node(const onnx::GraphProto& graph) {
    if (graph.node_size() > 1) {
        std::string ops;
        for (const auto& node : graph.node()) {
            ops += (ops.empty() ? "" : ", ") + node.op_type();
        }
        throw Unsupported("the model has " + std::to_string(graph.node_size()) + " nodes (" + ops +
                          "); the harness maps single-node models to one haqm call");
    }
    if (graph.node_size() == 1 && graph.node(0).op_type() == "MaxPool" && graph.node(0).output_size() > 1) {
        throw Unsupported("MaxPool with the Indices output: haqm's pool_q8 returns no argmax indices");
    }
    if (graph.node_size() != 1 || graph.node(0).output_size() != 1) {
        throw std::runtime_error("the model has " + std::to_string(graph.node_size()) +
                                 " nodes; only single-node, single-output models map to one haqm call");
    }
    return graph.node(0);
}

// Operators without a haqm kernel are skipped before their data is read (MaxUnpool's indices are
// INT64, which the tensor decoder refuses).
void expect_haqm_kernel(const onnx::NodeProto& node) {
    if (node.op_type() == "ConvTranspose") {
        throw Unsupported("ConvTranspose (transposed convolution) has no haqm kernel");
    }
    if (node.op_type() == "MaxUnpool") {
        throw Unsupported("MaxUnpool (scattering values back to the argmax positions) has no haqm kernel");
    }
}

// Float operators run quantized and are compared within their bound; everything else exactly.
bool is_float_test(const onnx::GraphProto& graph, const onnx::NodeProto& node) {
    const bool quantized_float_op = std::any_of(std::begin(kQuantizedFloatOps), std::end(kQuantizedFloatOps),
                                                [&](const char* op) { return node.op_type() == op; });
    return quantized_float_op && graph.input_size() > 0 &&
           graph.input(0).type().tensor_type().elem_type() == TensorType::FLOAT;
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

bool same_type_and_shape(const Tensor& actual, const Tensor& expected) {
    if (actual.type != expected.type || actual.shape != expected.shape) {
        ADD_FAILURE() << "haqm produced " << type_name(actual.type) << " of " << ::testing::PrintToString(actual.shape)
                      << ", ONNX expects " << type_name(expected.type) << " of "
                      << ::testing::PrintToString(expected.shape);
        return false;
    }
    return true;
}

// Checks every element (integers within `tolerance`, floats bit for bit, since dequantization is
// expected to be exact) and returns how many are exactly equal.
size_t count_exact_elements(const Tensor& actual, const Tensor& expected, int32_t tolerance) {
    if (!same_type_and_shape(actual, expected)) {
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

// Float results of the quantized pipeline against ONNX's float ones, element i within bounds[i].
struct BoundedComparison {
    size_t within = 0;
    double largest_error = 0;     // max |haqm - ONNX|
    double largest_fraction = 0;  // max |haqm - ONNX| / bound
};

BoundedComparison compare_within_bounds(const Tensor& actual, const Tensor& expected,
                                        const std::vector<double>& bounds) {
    BoundedComparison comparison;
    if (!same_type_and_shape(actual, expected) || actual.floats.size() != bounds.size()) {
        return comparison;
    }
    int reported = 0;
    for (size_t i = 0; i < actual.floats.size(); ++i) {
        const double error = std::abs(static_cast<double>(actual.floats[i]) - expected.floats[i]);
        comparison.largest_error = std::max(comparison.largest_error, error);
        comparison.largest_fraction = std::max(comparison.largest_fraction, error / bounds[i]);
        if (error <= bounds[i]) {
            ++comparison.within;
        } else if (reported++ < kMaxReportedMismatches) {
            ADD_FAILURE() << std::setprecision(9) << "element " << i << ": haqm " << actual.floats[i] << ", ONNX "
                          << expected.floats[i] << ", error " << error << " exceeds the quantization bound "
                          << bounds[i];
        }
    }
    if (reported > kMaxReportedMismatches) {
        ADD_FAILURE() << reported << " elements exceed their bound in all";
    }
    return comparison;
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

// How each test that was started ended, by test name.
struct Outcome {
    bool float_test = false;  // a float operator run quantized, checked within its error bound, not exactly
    bool passed = false;      // every element exactly equal (or within its bound, for float tests)
    std::string skipped;      // why haqm cannot run the test; empty when it ran
};

std::map<std::string, Outcome>& outcomes() {
    static std::map<std::string, Outcome> outcomes;
    return outcomes;
}

class ConformanceSummary : public ::testing::Environment {
public:
    void TearDown() override {
        if (outcomes().empty()) {
            return;
        }
        int exact = 0, exact_tests = 0, bounded = 0, float_tests = 0, skipped = 0;
        for (const auto& [name, outcome] : outcomes()) {
            if (!outcome.skipped.empty()) {
                ++skipped;
            } else if (outcome.float_test) {
                ++float_tests;
                bounded += outcome.passed;
            } else {
                ++exact_tests;
                exact += outcome.passed;
            }
        }
        std::cout << "ONNX conformance: " << exact << " of " << exact_tests << " tests pass exactly; " << bounded
                  << " of " << float_tests << " float tests pass within quantization error; " << skipped
                  << " skipped (no haqm kernel or feature; reasons above)" << std::endl;
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
    Outcome& outcome = outcomes()[name];  // passed is set below once every data set has been compared
    const fs::path test_dir = kNodeTestDir / name;
    size_t matching_elements = 0, elements = 0;  // exactly equal, or within the bound for float tests
    try {
        const auto model = read_proto<onnx::ModelProto>(test_dir / "model.onnx");
        const onnx::NodeProto& node = single_node(model.graph());
        expect_haqm_kernel(node);
        outcome.float_test = is_float_test(model.graph(), node);
        const auto data_sets = data_set_dirs(test_dir);
        ASSERT_FALSE(data_sets.empty()) << "no test_data_set_* in " << test_dir;
        for (const auto& dir : data_sets) {
            SCOPED_TRACE(dir.string());
            const DataSet data = load_data_set(model.graph(), dir);
            const NodeResult result = run_node(node, data.values);
            const size_t count = element_count(data.expected.shape);
            std::ostringstream line;
            line << name << "/" << dir.filename().string() << " (" << node.op_type() << "): ";
            if (result.error_bounds.empty()) {
                const size_t exact = count_exact_elements(result.output, data.expected, result.tolerance);
                line << exact << " of " << count << " elements exactly equal";
                matching_elements += exact;
            } else {
                const BoundedComparison c = compare_within_bounds(result.output, data.expected, result.error_bounds);
                line << c.within << " of " << count << " elements within the quantization error bound (largest error "
                     << std::setprecision(3) << c.largest_error << ", " << std::fixed << std::setprecision(0)
                     << 100 * c.largest_fraction << "% of its bound)";
                matching_elements += c.within;
            }
            std::cout << line.str() << std::endl;
            elements += count;
        }
    } catch (const Unsupported& e) {
        outcome.skipped = e.what();
        GTEST_SKIP() << e.what();
    } catch (const haqm::Error& e) {
        FAIL() << "haqm rejected the test: " << e.what();
    } catch (const std::exception& e) {
        FAIL() << e.what();
    }
    outcome.passed = !HasFailure() && matching_elements == elements;
    const std::string matching = outcome.float_test ? "within_bound" : "exact";
    RecordProperty(matching + "_elements", std::to_string(matching_elements));
    RecordProperty("elements", std::to_string(elements));
    RecordProperty(matching, outcome.passed ? "true" : "false");
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
