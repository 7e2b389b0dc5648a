// ONNX import: an ONNX model (NCHW activations, OIHW weights, float or already quantized) becomes a
// haqm::Graph in the graph's own layout (graph.h: NHWC, HWIO, [K, N]).
//
// How it works, in order:
//  1. parse the protobuf, read the opset, the initializers and the graph inputs (a symbolic or zero
//     batch dimension becomes `batch`);
//  2. sort the nodes topologically (ONNX asks for sorted files; a hostile one may not be) and record
//     every value's consumers;
//  3. evaluate nodes whose inputs are all constants (Constant, Identity, QuantizeLinear,
//     DequantizeLinear, Reshape, Flatten, Transpose of weights);
//  4. translate the other nodes one by one. A node may look ahead at the single consumer of its
//     output to fold it in (BatchNormalization, Add/Sub/Mul/Div by a per-channel constant, Relu/Clip,
//     a QuantizeLinear that makes the op quantized); folded nodes are marked done and skipped.
//
// Every ONNX value is one of: a graph tensor (float, or integer when it is the output of a
// QuantizeLinear or a QLinear op), a constant (kept here in ONNX layout until an op takes it as
// weights), or the float view of a quantized graph tensor (the output of a DequantizeLinear).
// The float view is what makes QDQ models simple: an op whose inputs are float views and whose
// output goes straight into a QuantizeLinear runs on the quantized tensors; any other consumer of a
// float view gets a real float tensor from one `dequantize` node. Because a QDQ graph means exactly
// "compute in float between the Q/DQ pairs", this fallback is always correct, only slower.
//
// Layout: every rank-4 activation is NHWC in the graph; all other ranks keep ONNX's axis order.
// Where NHWC bytes differ from ONNX's NCHW order (C > 1 and H * W > 1), Reshape/Flatten get
// explicit transposes around them, except for a Flatten feeding only Gemm/MatMul, where the weight
// rows are permuted instead.
#include "haqm/onnx_import.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace haqm {
namespace {

using onnx::TensorProto;

// Activations and constants larger than this are refused: the kernels index with int32.
constexpr int64_t kMaxElements = std::numeric_limits<int32_t>::max();
// Strides, dilations, pads and pool kernels beyond this cannot come from a real model (validate()
// refuses them too); bounding them keeps all window arithmetic far from int64 overflow.
constexpr int64_t kMaxWindowValue = int64_t{1} << 16;

// ---------------------------------------------------------------------------------------------
// Small helpers

std::string shape_text(const Shape& shape) {
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        text += (i ? ", " : "") + std::to_string(shape[i]);
    }
    return text + "]";
}

template <class T>
std::string list_text(const std::vector<T>& values) {
    std::ostringstream text;
    text << "[";
    for (size_t i = 0; i < values.size(); ++i) {
        text << (i ? ", " : "") << values[i];
    }
    text << "]";
    return text.str();
}

std::string type_name(int32_t onnx_type) {
    if (!TensorProto::DataType_IsValid(onnx_type)) {
        return "type " + std::to_string(onnx_type);
    }
    return TensorProto::DataType_Name(static_cast<TensorProto::DataType>(onnx_type));
}

// Product of the dimensions; -1 if one is negative or the product exceeds kMaxElements.
int64_t element_count_or_invalid(const Shape& shape) {
    int64_t count = 1;
    for (int64_t d : shape) {
        if (d < 0) {
            return -1;
        }
        if (d != 0 && count > kMaxElements / d) {
            return -1;
        }
        count *= d;
    }
    return count;
}

int64_t product(const Shape& shape, size_t begin, size_t end) {
    int64_t p = 1;
    for (size_t i = begin; i < end; ++i) {
        p *= shape[i];
    }
    return p;
}

// Axis maps between ONNX's NCHW and the graph's NHWC for rank-4 tensors.
constexpr int kGraphAxisOfOnnxAxis[4] = {0, 3, 1, 2};  // N stays, C goes last, H and W move up
constexpr int kOnnxAxisOfGraphAxis[4] = {0, 2, 3, 1};
const std::vector<int64_t> kNhwcToNchw = {0, 3, 1, 2};  // transpose perms over the input's axes
const std::vector<int64_t> kNchwToNhwc = {0, 2, 3, 1};

Shape graph_shape_of(const Shape& onnx_shape) {
    if (onnx_shape.size() != 4) {
        return onnx_shape;
    }
    return {onnx_shape[0], onnx_shape[2], onnx_shape[3], onnx_shape[1]};
}

int64_t graph_axis_of(int64_t onnx_axis, size_t rank) {
    return rank == 4 ? kGraphAxisOfOnnxAxis[onnx_axis] : onnx_axis;
}

// NHWC bytes of a rank-4 tensor are in NCHW order too when it has one channel or one pixel.
bool nhwc_bytes_are_nchw_order(const Shape& onnx_shape) {
    return onnx_shape.size() != 4 || onnx_shape[1] == 1 || onnx_shape[2] * onnx_shape[3] == 1;
}

Shape permuted(const Shape& shape, const std::vector<int64_t>& perm) {
    Shape out(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) {
        out[i] = shape[static_cast<size_t>(perm[i])];
    }
    return out;
}

std::vector<int64_t> inverse_permutation(const std::vector<int64_t>& perm) {
    std::vector<int64_t> inverse(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) {
        inverse[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
    }
    return inverse;
}

bool is_identity_permutation(const std::vector<int64_t>& perm) {
    for (size_t i = 0; i < perm.size(); ++i) {
        if (perm[i] != static_cast<int64_t>(i)) {
            return false;
        }
    }
    return true;
}

bool same_scale(float a, float b) {
    return std::fabs(a - b) <= 1e-6f * std::max(std::fabs(a), std::fabs(b));
}

std::optional<DType> dtype_of_onnx(int32_t onnx_type) {
    switch (onnx_type) {
        case TensorProto::FLOAT:
            return DType::float32;
        case TensorProto::UINT8:
            return DType::uint8;
        case TensorProto::INT8:
            return DType::int8;
        case TensorProto::INT32:
            return DType::int32;
        default:
            return std::nullopt;
    }
}

int32_t onnx_type_of(DType dtype) {
    switch (dtype) {
        case DType::float32:
            return TensorProto::FLOAT;
        case DType::uint8:
            return TensorProto::UINT8;
        case DType::int8:
            return TensorProto::INT8;
        case DType::int32:
            return TensorProto::INT32;
        default:
            return TensorProto::UNDEFINED;
    }
}

// ---------------------------------------------------------------------------------------------
// Constants (initializers and folded values), kept in ONNX layout

// value = (stored integer - zero_point) * scale, per tensor or per index along `axis`.
struct Dequantization {
    int32_t int_type = TensorProto::UINT8;  // ONNX type of the stored integers
    std::vector<float> scales;
    std::vector<int64_t> zero_points;  // as many as scales
    int64_t axis = 0;                  // normalized (>= 0)
};

struct Constant {
    int32_t type = TensorProto::FLOAT;  // FLOAT for float values, dequantized ones included
    Shape dims;
    std::vector<float> floats;  // FLOAT without dequantization
    std::vector<int64_t> ints;  // integer types, or the stored integers of a dequantized constant
    std::optional<Dequantization> dequantization;

    int64_t count() const { return product(dims, 0, dims.size()); }
    bool is_float() const { return type == TensorProto::FLOAT; }

    // Index along `axis` of element `index` (row-major).
    int64_t index_along(int64_t index, int64_t axis) const {
        return (index / product(dims, static_cast<size_t>(axis) + 1, dims.size())) % dims[static_cast<size_t>(axis)];
    }

    // The values as float; integer constants convert (callers check the type they need first).
    std::vector<float> float_values() const {
        if (!dequantization) {
            return is_float() ? floats : std::vector<float>(ints.begin(), ints.end());
        }
        const Dequantization& dq = *dequantization;
        std::vector<float> values(ints.size());
        for (size_t i = 0; i < ints.size(); ++i) {
            const size_t c = dq.scales.size() == 1 ? 0 : static_cast<size_t>(index_along(static_cast<int64_t>(i), dq.axis));
            values[i] = static_cast<float>(ints[i] - dq.zero_points[c]) * dq.scales[c];
        }
        return values;
    }
};

using ConstantPtr = std::shared_ptr<const Constant>;

// Reads a TensorProto; `fail` throws with the caller's context.
Constant read_tensor(const TensorProto& proto, const std::function<void(const std::string&)>& fail) {
    Constant c;
    c.type = proto.data_type();
    if (proto.data_location() == TensorProto::EXTERNAL) {
        fail("tensor '" + proto.name() + "' uses external data, which is not supported");
    }
    if (proto.has_segment()) {
        fail("tensor '" + proto.name() + "' is segmented, which is not supported");
    }
    c.dims.assign(proto.dims().begin(), proto.dims().end());
    const int64_t count = element_count_or_invalid(c.dims);
    if (count < 0) {
        fail("tensor '" + proto.name() + "' has shape " + shape_text(c.dims) +
             " (a negative dimension, or more than 2^31 - 1 elements)");
    }
    const std::string& raw = proto.raw_data();
    const bool use_raw = proto.has_raw_data();
    auto check_count = [&](size_t have, const char* field) {
        if (have != static_cast<size_t>(count)) {
            fail("tensor '" + proto.name() + "' has shape " + shape_text(c.dims) + " (" + std::to_string(count) +
                 " values) but its " + field + " holds " + std::to_string(have));
        }
    };
    // raw_data is little-endian by the ONNX spec, as are the hosts the importer is built for.
    auto read_raw = [&](auto element) {
        using T = decltype(element);
        if (raw.size() % sizeof(T) != 0) {
            fail("tensor '" + proto.name() + "': raw_data has " + std::to_string(raw.size()) +
                 " bytes, not a multiple of the element size " + std::to_string(sizeof(T)));
        }
        check_count(raw.size() / sizeof(T), "raw_data");
        std::vector<T> values(static_cast<size_t>(count));
        if (count > 0) {
            std::memcpy(values.data(), raw.data(), raw.size());
        }
        return values;
    };
    switch (c.type) {
        case TensorProto::FLOAT:
            if (use_raw) {
                c.floats = read_raw(float{});
            } else {
                check_count(static_cast<size_t>(proto.float_data_size()), "float_data");
                c.floats.assign(proto.float_data().begin(), proto.float_data().end());
            }
            break;
        case TensorProto::DOUBLE: {
            std::vector<double> values;
            if (use_raw) {
                values = read_raw(double{});
            } else {
                check_count(static_cast<size_t>(proto.double_data_size()), "double_data");
                values.assign(proto.double_data().begin(), proto.double_data().end());
            }
            c.floats.assign(values.begin(), values.end());
            c.type = TensorProto::FLOAT;
            break;
        }
        case TensorProto::INT8:
        case TensorProto::UINT8:
        case TensorProto::INT16:
        case TensorProto::UINT16:
        case TensorProto::INT32:
        case TensorProto::BOOL: {
            int64_t lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
            if (use_raw) {
                switch (c.type) {
                    case TensorProto::INT8: {
                        auto v = read_raw(int8_t{});
                        c.ints.assign(v.begin(), v.end());
                        break;
                    }
                    case TensorProto::UINT8:
                    case TensorProto::BOOL: {
                        auto v = read_raw(uint8_t{});
                        c.ints.assign(v.begin(), v.end());
                        break;
                    }
                    case TensorProto::INT16: {
                        auto v = read_raw(int16_t{});
                        c.ints.assign(v.begin(), v.end());
                        break;
                    }
                    case TensorProto::UINT16: {
                        auto v = read_raw(uint16_t{});
                        c.ints.assign(v.begin(), v.end());
                        break;
                    }
                    default: {
                        auto v = read_raw(int32_t{});
                        c.ints.assign(v.begin(), v.end());
                        break;
                    }
                }
            } else {
                check_count(static_cast<size_t>(proto.int32_data_size()), "int32_data");
                c.ints.assign(proto.int32_data().begin(), proto.int32_data().end());
                switch (c.type) {
                    case TensorProto::INT8:
                        lo = -128, hi = 127;
                        break;
                    case TensorProto::UINT8:
                        lo = 0, hi = 255;
                        break;
                    case TensorProto::BOOL:
                        lo = 0, hi = 1;
                        break;
                    case TensorProto::INT16:
                        lo = -32768, hi = 32767;
                        break;
                    case TensorProto::UINT16:
                        lo = 0, hi = 65535;
                        break;
                    default:
                        break;
                }
                for (int64_t v : c.ints) {
                    if (v < lo || v > hi) {
                        fail("tensor '" + proto.name() + "' holds " + std::to_string(v) + ", outside the range of " +
                             type_name(c.type));
                    }
                }
            }
            break;
        }
        case TensorProto::INT64:
            if (use_raw) {
                auto v = read_raw(int64_t{});
                c.ints.assign(v.begin(), v.end());
            } else {
                check_count(static_cast<size_t>(proto.int64_data_size()), "int64_data");
                c.ints.assign(proto.int64_data().begin(), proto.int64_data().end());
            }
            break;
        default:
            fail("tensor '" + proto.name() + "' has data type " + type_name(c.type) + ", which is not supported");
    }
    return c;
}

// ---------------------------------------------------------------------------------------------
// Values and nodes

// A 4-D NHWC tensor flattened to [N, H*W*C] in its own byte order; the Gemm/MatMul that reads it
// permutes its weight rows to match (ONNX flattens as C, H, W).
struct NhwcFlatten {
    int64_t channels = 0, height = 0, width = 0;
};

struct Value {
    enum class Kind { tensor, constant, dequantized };
    Kind kind = Kind::tensor;
    Shape shape;          // ONNX dims
    int32_t tensor = -1;  // tensor: the graph tensor; dequantized: the quantized tensor it views
    ConstantPtr constant;
    std::optional<NhwcFlatten> nhwc_flatten;
};

class NodeRef {
public:
    NodeRef(const onnx::NodeProto& proto, int index) : proto(proto), index(index) {}

    const onnx::NodeProto& proto;
    const int index;

    std::string describe() const {
        std::string op = proto.op_type();
        if (!proto.domain().empty() && proto.domain() != "ai.onnx") {
            op = proto.domain() + "." + op;
        }
        if (proto.name().empty()) {
            return "ONNX node #" + std::to_string(index) + " (" + op + ")";
        }
        return "ONNX node '" + proto.name() + "' (" + op + ")";
    }
    // The graph node's name: the ONNX name, or op and index when unnamed.
    std::string graph_name() const {
        return proto.name().empty() ? proto.op_type() + "#" + std::to_string(index) : proto.name();
    }

    [[noreturn]] void fail(const std::string& what) const { throw Error(describe() + ": " + what); }
    [[noreturn]] void fail_attribute(const std::string& name, const std::string& value,
                                     const std::string& why) const {
        fail("attribute '" + name + "'=" + value + " " + why);
    }

    void allow_attributes(std::initializer_list<const char*> names) const {
        std::set<std::string> seen;
        for (const auto& attribute : proto.attribute()) {
            if (!seen.insert(attribute.name()).second) {
                fail("attribute '" + attribute.name() + "' is given twice");
            }
            bool known = false;
            for (const char* name : names) {
                known = known || attribute.name() == name;
            }
            if (!known) {
                fail("attribute '" + attribute.name() + "' is not supported");
            }
        }
    }

    const onnx::AttributeProto* attribute(const std::string& name) const {
        for (const auto& attribute : proto.attribute()) {
            if (attribute.name() == name) {
                return &attribute;
            }
        }
        return nullptr;
    }
    void expect_attribute_type(const onnx::AttributeProto& a, onnx::AttributeProto::AttributeType type) const {
        if (a.type() != type) {
            fail("attribute '" + a.name() + "' has type " + onnx::AttributeProto::AttributeType_Name(a.type()) +
                 ", expected " + onnx::AttributeProto::AttributeType_Name(type));
        }
    }
    int64_t attr_int(const std::string& name, int64_t fallback) const {
        const auto* a = attribute(name);
        if (!a) {
            return fallback;
        }
        expect_attribute_type(*a, onnx::AttributeProto::INT);
        return a->i();
    }
    float attr_float(const std::string& name, float fallback) const {
        const auto* a = attribute(name);
        if (!a) {
            return fallback;
        }
        expect_attribute_type(*a, onnx::AttributeProto::FLOAT);
        return a->f();
    }
    std::string attr_string(const std::string& name, const std::string& fallback) const {
        const auto* a = attribute(name);
        if (!a) {
            return fallback;
        }
        expect_attribute_type(*a, onnx::AttributeProto::STRING);
        return a->s();
    }
    std::optional<std::vector<int64_t>> attr_ints(const std::string& name) const {
        const auto* a = attribute(name);
        if (!a) {
            return std::nullopt;
        }
        expect_attribute_type(*a, onnx::AttributeProto::INTS);
        return std::vector<int64_t>(a->ints().begin(), a->ints().end());
    }

    void expect_input_count(int min, int max) const {
        if (proto.input_size() < min || proto.input_size() > max) {
            fail("has " + std::to_string(proto.input_size()) + " inputs, expected " +
                 (min == max ? std::to_string(min) : std::to_string(min) + " to " + std::to_string(max)));
        }
    }
    bool has_input(int i) const { return i < proto.input_size() && !proto.input(i).empty(); }
    const std::string& output() const { return proto.output(0); }
};

// ---------------------------------------------------------------------------------------------
// Spatial windows of Conv and pools

struct Window {
    int64_t kernel_h = 1, kernel_w = 1;
    int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
    int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
    int64_t out_h = 1, out_w = 1;

    void apply(NodeAttributes& attrs) const {
        attrs.kernel_h = static_cast<int>(kernel_h);
        attrs.kernel_w = static_cast<int>(kernel_w);
        attrs.stride_h = static_cast<int>(stride_h);
        attrs.stride_w = static_cast<int>(stride_w);
        attrs.dilation_h = static_cast<int>(dilation_h);
        attrs.dilation_w = static_cast<int>(dilation_w);
        attrs.pad_top = static_cast<int>(pad_top);
        attrs.pad_left = static_cast<int>(pad_left);
        attrs.pad_bottom = static_cast<int>(pad_bottom);
        attrs.pad_right = static_cast<int>(pad_right);
    }
};

enum class WindowKind { conv, max_pool, average_pool };

std::vector<int64_t> pair_attribute(const NodeRef& node, const char* name) {
    auto values = node.attr_ints(name);
    if (!values) {
        return {1, 1};
    }
    if (values->size() != 2) {
        node.fail_attribute(name, list_text(*values), "is not supported (2-D windows take two values)");
    }
    for (int64_t v : *values) {
        if (v < 1 || v > kMaxWindowValue) {
            node.fail_attribute(name, list_text(*values), "is out of range");
        }
    }
    return *values;
}

// Output size and padding along one axis, ONNX rules (Conv, MaxPool, AveragePool).
Window spatial_window(const NodeRef& node, int64_t in_h, int64_t in_w, int64_t kernel_h, int64_t kernel_w,
                      WindowKind kind) {
    Window window;
    window.kernel_h = kernel_h;
    window.kernel_w = kernel_w;
    const auto strides = pair_attribute(node, "strides");
    const auto dilations = pair_attribute(node, "dilations");
    window.stride_h = strides[0];
    window.stride_w = strides[1];
    window.dilation_h = dilations[0];
    window.dilation_w = dilations[1];

    std::vector<int64_t> pads{0, 0, 0, 0};
    if (auto given = node.attr_ints("pads")) {
        if (given->size() != 4) {
            node.fail_attribute("pads", list_text(*given), "is not supported (2-D windows take four values)");
        }
        for (int64_t p : *given) {
            if (p < 0 || p > kMaxWindowValue) {
                node.fail_attribute("pads", list_text(*given), "is out of range");
            }
        }
        pads = *given;
    }
    const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
    if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER") {
        node.fail_attribute("auto_pad", auto_pad, "is not supported");
    }
    if (auto_pad != "NOTSET" && std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p != 0; })) {
        node.fail_attribute("pads", list_text(pads), "cannot be combined with auto_pad=" + auto_pad);
    }
    const int64_t ceil_mode = kind == WindowKind::conv ? 0 : node.attr_int("ceil_mode", 0);
    if (ceil_mode != 0 && ceil_mode != 1) {
        node.fail_attribute("ceil_mode", std::to_string(ceil_mode), "must be 0 or 1");
    }
    const bool count_include_pad = kind == WindowKind::average_pool && node.attr_int("count_include_pad", 0) != 0;

    struct Axis {
        const char* name;
        int64_t in, kernel, stride, dilation;
        int64_t* pad_begin;
        int64_t* pad_end;
        int64_t* out;
    };
    Axis axes[2] = {{"height", in_h, kernel_h, window.stride_h, window.dilation_h, &window.pad_top,
                     &window.pad_bottom, &window.out_h},
                    {"width", in_w, kernel_w, window.stride_w, window.dilation_w, &window.pad_left,
                     &window.pad_right, &window.out_w}};
    for (int i = 0; i < 2; ++i) {
        Axis& a = axes[i];
        const int64_t span = (a.kernel - 1) * a.dilation + 1;  // the dilated kernel
        int64_t begin = pads[static_cast<size_t>(i)], end = pads[static_cast<size_t>(i) + 2], out = 0;
        if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
            out = (a.in + a.stride - 1) / a.stride;
            const int64_t total = std::max<int64_t>(0, (out - 1) * a.stride + span - a.in);
            begin = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
            end = total - begin;
        } else {
            const int64_t room = a.in + begin + end - span;
            if (room < 0) {
                node.fail(std::string("the kernel's ") + a.name + " (" + std::to_string(span) +
                          " with dilation) exceeds the padded input (" + std::to_string(a.in + begin + end) + ")");
            }
            out = room / a.stride + 1;
            if (ceil_mode && room % a.stride != 0) {
                // ONNX (as PyTorch): one more window, unless it would start in the end padding.
                if (out * a.stride < a.in + begin) {
                    const int64_t extra = out * a.stride + span - (a.in + begin + end);
                    if (count_include_pad) {
                        node.fail_attribute("ceil_mode", "1",
                                            "with count_include_pad=1 is not supported when the last window "
                                            "extends past the padding");
                    }
                    end += extra;  // padding is excluded from max and from the average's count
                    ++out;
                }
            }
        }
        *a.pad_begin = begin;
        *a.pad_end = end;
        *a.out = out;
    }
    return window;
}

std::vector<int64_t> pool_kernel(const NodeRef& node) {
    const auto kernel = node.attr_ints("kernel_shape");
    if (!kernel || kernel->size() != 2 || (*kernel)[0] < 1 || (*kernel)[1] < 1 || (*kernel)[0] > kMaxWindowValue ||
        (*kernel)[1] > kMaxWindowValue) {
        node.fail_attribute("kernel_shape", kernel ? list_text(*kernel) : "(missing)",
                            "is not supported (2-D kernels take two positive values)");
    }
    return *kernel;
}

// ---------------------------------------------------------------------------------------------
// Weight orders: for each element of the graph-layout tensor, its index in the ONNX tensor.

std::vector<int64_t> conv_weight_order(int64_t out_channels, int64_t in_per_group, int64_t kernel_h,
                                       int64_t kernel_w) {
    std::vector<int64_t> order(static_cast<size_t>(out_channels * in_per_group * kernel_h * kernel_w));
    size_t dst = 0;
    for (int64_t h = 0; h < kernel_h; ++h) {
        for (int64_t w = 0; w < kernel_w; ++w) {
            for (int64_t i = 0; i < in_per_group; ++i) {
                for (int64_t o = 0; o < out_channels; ++o) {
                    order[dst++] = ((o * in_per_group + i) * kernel_h + h) * kernel_w + w;
                }
            }
        }
    }
    return order;
}

// B is [K, N], or [N, K] when `transposed`. With `flatten`, graph row k reads the ONNX row of the
// same (c, h, w) element: the graph flattens as (h, w, c), ONNX as (c, h, w).
std::vector<int64_t> fc_weight_order(int64_t k_size, int64_t n_size, bool transposed,
                                     const std::optional<NhwcFlatten>& flatten) {
    std::vector<int64_t> order(static_cast<size_t>(k_size * n_size));
    for (int64_t k = 0; k < k_size; ++k) {
        int64_t onnx_k = k;
        if (flatten) {
            const int64_t c = k % flatten->channels;
            const int64_t pixel = k / flatten->channels;  // h * W + w
            onnx_k = c * flatten->height * flatten->width + pixel;
        }
        for (int64_t n = 0; n < n_size; ++n) {
            order[static_cast<size_t>(k * n_size + n)] = transposed ? n * k_size + onnx_k : onnx_k * n_size + n;
        }
    }
    return order;
}

template <class T>
std::vector<T> reordered(const std::vector<T>& source, const std::vector<int64_t>& order) {
    std::vector<T> out(order.size());
    for (size_t i = 0; i < order.size(); ++i) {
        out[i] = source[static_cast<size_t>(order[i])];
    }
    return out;
}

// What a Conv, Gemm or MatMul needs besides its input.
struct LinearSpec {
    OpKind op = OpKind::conv;
    NodeAttributes attrs;
    Shape weight_shape;  // graph layout: HWIO or [K, N]
    std::vector<int64_t> weight_order;
    int64_t weight_out_axis = 0;  // the output-channel axis of the ONNX weights
    int64_t out_channels = 0;
    Shape out_shape;           // ONNX shape of the output
    int64_t channel_axis = 1;  // the output's channel axis (ONNX)
    float weight_multiplier = 1.0f;  // Gemm's alpha
};

// The bias of a linear op: for each output channel, an element of a constant, times Gemm's beta.
struct BiasInput {
    const Constant* constant = nullptr;
    std::vector<int64_t> index;
    float multiplier = 1.0f;
};

struct QuantWeights {
    std::vector<int8_t> values;  // graph order
    std::vector<float> scales;   // one, or one per output channel
};

struct FusedActivation {
    int node = -1;
    Activation kind = Activation::none;
    float clip_min = 0, clip_max = 0;
    std::string output;

    void apply(NodeAttributes& attrs) const {
        attrs.activation = kind;
        if (kind == Activation::clip) {
            attrs.clip_min = clip_min;
            attrs.clip_max = clip_max;
        }
    }
};

// The output of QLinearConv and QLinearMatMul: y_zero_point's type is the output type, y_scale and
// y_zero_point its parameters.
struct OutputQuantization {
    DType dtype = DType::uint8;
    TensorQuant quant;
};

struct QuantizeStep {
    int node = -1;
    std::string output;
    DType dtype = DType::uint8;
    float scale = 1.0f;
    int32_t zero_point = 0;

    TensorQuant quant() const {
        TensorQuant q;
        q.scales = {scale};
        q.zero_points = {zero_point};
        return q;
    }
};

// ---------------------------------------------------------------------------------------------

class Importer {
public:
    Importer(const onnx::ModelProto& model, int64_t batch, std::string source)
        : model_(model), graph_proto_(model.graph()), batch_(batch), source_(std::move(source)) {}

    Graph run();

private:
    using Handler = void (Importer::*)(const NodeRef&);

    // setup
    void read_opset();
    void read_initializers();
    void read_graph_inputs();
    void sort_nodes();
    bool foldable(const onnx::NodeProto& proto) const;
    void fold_constant_nodes();
    void import_nodes();
    void set_graph_outputs();
    void read_metadata();

    // values
    const Value& value(const NodeRef& node, int i) const;
    const Constant& constant_input(const NodeRef& node, int i, const char* role) const;
    const Constant* optional_constant_input(const NodeRef& node, int i, const char* role) const;
    const Value& data_input(const NodeRef& node, int i) const;  // any non-constant value
    const Value& image_input(const NodeRef& node, int i) const;
    int32_t float_tensor(const NodeRef& node, int i);
    int32_t float_view(const Value& value, const std::string& name);
    void define(const std::string& name, Value value);
    void define_tensor(const std::string& name, int32_t tensor, const Shape& onnx_shape);
    DType dtype_of(const Value& value) const;
    void expect_outputs(const NodeRef& node, int supported) const;
    float scalar_scale(const NodeRef& node, const Constant& scale, const char* role) const;
    int32_t scalar_zero_point(const NodeRef& node, const Constant* zero_point, DType dtype, const char* role) const;
    void pin_quant(const NodeRef& node, int32_t tensor, float scale, int32_t zero_point, bool check_scale = true);
    void pin_default_quant(int32_t tensor);

    // graph building
    std::string unique_name(const std::string& wanted);
    int32_t add_tensor(const std::string& name, DType dtype, const Shape& graph_shape, TensorQuant quant = {});
    int32_t add_activation(const NodeRef& node, const std::string& name, DType dtype, const Shape& onnx_shape,
                           TensorQuant quant = {});
    template <class T>
    int32_t add_constant(const std::string& name, DType dtype, const Shape& shape, std::vector<T> values,
                         TensorQuant quant = {});
    void emit(const std::string& name, OpKind op, std::vector<int32_t> inputs, int32_t output,
              NodeAttributes attrs = {});
    // The new tensor is named `tensor_name`, or like the node when that is empty.
    int32_t emit_transpose(const std::string& name, int32_t input, const std::vector<int64_t>& perm,
                           const std::string& tensor_name = "");
    int32_t emit_reshape(const std::string& name, int32_t input, const Shape& graph_shape,
                         const std::string& tensor_name = "");

    // look-ahead for fusions
    int sole_consumer(const std::string& value) const;
    bool is_default_domain(const onnx::NodeProto& node) const;
    std::optional<std::pair<float, float>> clip_bounds(const NodeRef& node, bool required) const;
    std::optional<FusedActivation> fusable_activation(const std::string& value) const;
    std::optional<QuantizeStep> quantize_after(const std::string& value) const;
    std::optional<QuantizeStep> quantize_after(const std::string& value, const std::vector<const Value*>& inputs) const;
    std::optional<std::vector<float>> per_channel_constant(const Constant& c, const Shape& out_shape,
                                                           int64_t channel_axis) const;
    std::string fold_following(const std::string& value, const LinearSpec& spec, std::vector<float>& weights,
                               std::vector<float>& bias);
    bool all_uses_are_fc_input(const std::string& value) const;

    // linear ops
    std::optional<QuantWeights> quantized_weights(const Constant& w, const LinearSpec& spec, std::string* why) const;
    std::vector<int32_t> quantized_bias(const NodeRef& node, const BiasInput& bias, float input_scale,
                                        const std::vector<float>& weight_scales, int64_t channels) const;
    void emit_linear(const NodeRef& node, const Value& x, const Constant& w, const BiasInput& bias,
                     const LinearSpec& spec);
    void emit_quantized_linear(const NodeRef& node, int32_t input, const QuantWeights& weights,
                               const std::vector<int32_t>& bias, const LinearSpec& spec, DType out_dtype,
                               TensorQuant out_quant, const std::optional<FusedActivation>& activation,
                               const std::string& output);
    LinearSpec conv_spec(const NodeRef& node, const Shape& x_shape, const Constant& w);
    LinearSpec fc_spec(const NodeRef& node, const Value& a, const Constant& b, bool transposed);

    // constant folding
    void fold_node(const NodeRef& node);
    Constant fold_gather(const NodeRef& node, const Constant& data, const Constant& indices) const;
    Constant fold_concat(const NodeRef& node) const;
    Constant fold_cast(const NodeRef& node, const Constant& x) const;
    std::optional<std::vector<int64_t>> raw_axes(const NodeRef& node, int input) const;
    std::vector<int64_t> normalized_axes(const NodeRef& node, const std::vector<int64_t>& axes, int64_t rank) const;
    void import_shape(const NodeRef& node);
    void import_constant_only(const NodeRef& node);
    void import_reduce_mean(const NodeRef& node);
    ConstantPtr quantize_constant(const NodeRef& node, const Constant& x, const Constant& scale,
                                  const Constant* zero_point, int64_t axis) const;
    Dequantization dequantization_params(const NodeRef& node, const Constant& scale, const Constant* zero_point,
                                         int32_t int_type, const Shape& dims, int64_t axis) const;

    // ops
    void import_identity(const NodeRef& node);
    void import_dropout(const NodeRef& node);
    void import_conv(const NodeRef& node);
    void import_gemm(const NodeRef& node);
    void import_matmul(const NodeRef& node);
    void import_add(const NodeRef& node);
    void import_mul(const NodeRef& node);
    void import_constant_arithmetic(const NodeRef& node);
    void import_batch_norm(const NodeRef& node);
    void import_relu(const NodeRef& node);
    void import_clip(const NodeRef& node);
    void import_sigmoid(const NodeRef& node);
    void import_hard_sigmoid(const NodeRef& node);
    void import_hard_swish(const NodeRef& node);
    void import_tanh(const NodeRef& node);
    void import_activation(const NodeRef& node, Activation kind, NodeAttributes attrs, const std::string& output,
                           int extra_done = -1);
    void import_max_pool(const NodeRef& node);
    void import_average_pool(const NodeRef& node);
    void import_global_average_pool(const NodeRef& node);
    void import_global_max_pool(const NodeRef& node);
    void import_pool(const NodeRef& node, OpKind op, const Window& window, const Shape& out_shape,
                     bool count_include_pad);
    void import_flatten(const NodeRef& node);
    void import_reshape(const NodeRef& node);
    void reshape_value(const NodeRef& node, const Value& x, const Shape& target);
    void import_transpose(const NodeRef& node);
    void import_concat(const NodeRef& node);
    void import_softmax(const NodeRef& node);
    void import_quantize(const NodeRef& node);
    void import_dequantize(const NodeRef& node);
    void import_qlinear_conv(const NodeRef& node);
    void import_conv_integer(const NodeRef& node);
    void import_qlinear_matmul(const NodeRef& node);
    void import_matmul_integer(const NodeRef& node);
    void import_integer_linear(const NodeRef& node, const Value& x, const Constant& w, const Constant* w_zero,
                               LinearSpec spec, DType out_dtype, TensorQuant out_quant,
                               const std::vector<float>& weight_scales, const Constant* bias);
    // Pieces of the four integer linear importers above.
    DType integer_input_dtype(const NodeRef& node, const Value& x, const char* name) const;
    void pin_qlinear_input(const NodeRef& node, const Value& x, DType dtype, int scale_index, const char* scale_name,
                           const char* zero_name);
    const Constant& constant_weights(const NodeRef& node, int i, const char* name) const;
    std::vector<float> positive_scales(const NodeRef& node, const Constant& scales, const char* name) const;
    OutputQuantization output_quantization(const NodeRef& node, int scale_index, int zero_index) const;
    Shape reshape_target(const NodeRef& node, const Shape& in, const Constant& shape, bool allow_zero) const;
    static std::vector<int64_t> transpose_perm(const NodeRef& node, size_t rank);

    const onnx::ModelProto& model_;
    const onnx::GraphProto& graph_proto_;
    const int64_t batch_;
    const std::string source_;
    int64_t opset_ = 0;

    Graph graph_;
    std::map<std::string, Value> values_;
    std::vector<int> order_;  // node indices in execution order
    std::vector<bool> done_;  // folded into another node, or evaluated as a constant
    std::map<std::string, std::vector<int>> consumers_;  // one entry per use
    std::set<std::string> graph_outputs_;
    std::vector<bool> quant_pinned_;            // per graph tensor: quantization parameters are final
    std::map<int32_t, int32_t> float_views_;    // quantized tensor -> its dequantized float tensor
    std::set<std::string> tensor_names_;
};

// ---------------------------------------------------------------------------------------------
// Setup

void Importer::read_opset() {
    bool found = false;
    for (const auto& opset : model_.opset_import()) {
        if (opset.domain().empty() || opset.domain() == "ai.onnx") {
            opset_ = opset.version();
            found = true;
        }
    }
    // Older opsets differ from newer ones through attributes (consumed_inputs, broadcast, spatial,
    // the Clip bounds), which every handler checks, so no opset floor is needed.
    if (!found || opset_ < 1) {
        throw Error("ONNX model has no opset for the default domain (opset_import)");
    }
}

void Importer::read_initializers() {
    if (graph_proto_.sparse_initializer_size() > 0) {
        throw Error("ONNX model has sparse initializers, which are not supported");
    }
    for (const auto& proto : graph_proto_.initializer()) {
        if (proto.name().empty()) {
            throw Error("ONNX model has an initializer without a name");
        }
        if (values_.count(proto.name())) {
            throw Error("ONNX initializer '" + proto.name() + "' is defined twice");
        }
        auto fail = [](const std::string& what) { throw Error("ONNX initializer: " + what); };
        Value v;
        v.kind = Value::Kind::constant;
        v.constant = std::make_shared<const Constant>(read_tensor(proto, fail));
        v.shape = v.constant->dims;
        values_[proto.name()] = std::move(v);
    }
}

void Importer::read_graph_inputs() {
    for (const auto& input : graph_proto_.input()) {
        const std::string& name = input.name();
        if (name.empty()) {
            throw Error("ONNX graph input without a name");
        }
        auto existing = values_.find(name);
        if (existing != values_.end()) {
            if (existing->second.kind == Value::Kind::constant) {
                continue;  // IR < 4 lists initializers among the inputs: a constant, not a feed
            }
            throw Error("ONNX graph input '" + name + "' is listed twice");
        }
        const std::string what = "ONNX graph input '" + name + "'";
        if (!input.has_type() || !input.type().has_tensor_type()) {
            throw Error(what + " is not a tensor, which is not supported");
        }
        const auto& tensor_type = input.type().tensor_type();
        const auto dtype = dtype_of_onnx(tensor_type.elem_type());
        if (!dtype || *dtype == DType::int32) {
            throw Error(what + " has element type " + type_name(tensor_type.elem_type()) +
                        ", which is not supported (float, uint8 and int8 are)");
        }
        if (!tensor_type.has_shape()) {
            throw Error(what + " has no shape");
        }
        Shape shape;
        for (int i = 0; i < tensor_type.shape().dim_size(); ++i) {
            const auto& dim = tensor_type.shape().dim(i);
            const bool known = dim.has_dim_value() && dim.dim_value() > 0;
            if (i == 0 && !known && (!dim.has_dim_value() || dim.dim_value() == 0)) {
                shape.push_back(batch_);  // symbolic, unset or zero batch
            } else if (known) {
                shape.push_back(dim.dim_value());
            } else {
                throw Error(what + " dimension " + std::to_string(i) + " is " +
                            (dim.has_dim_param() ? "symbolic ('" + dim.dim_param() + "')"
                                                 : std::to_string(dim.dim_value())) +
                            "; only the batch dimension may be symbolic");
            }
        }
        if (element_count_or_invalid(shape) < 1) {
            throw Error(what + " has shape " + shape_text(shape) + ", more than 2^31 - 1 elements");
        }
        const int32_t id = add_tensor(name, *dtype, graph_shape_of(shape));
        quant_pinned_[static_cast<size_t>(id)] = *dtype == DType::float32;
        graph_.inputs.push_back(id);
        define_tensor(name, id, shape);
    }
    if (graph_.inputs.empty()) {
        throw Error("ONNX model has no graph input (every input is an initializer)");
    }
}

void Importer::sort_nodes() {
    const int count = graph_proto_.node_size();
    done_.assign(static_cast<size_t>(count), false);
    std::map<std::string, int> producer;
    for (int i = 0; i < count; ++i) {
        const NodeRef node(graph_proto_.node(i), i);
        for (const auto& out : node.proto.output()) {
            if (out.empty()) {
                continue;
            }
            if (values_.count(out) || producer.count(out)) {
                node.fail("output '" + out + "' is already defined by another node, an initializer or an input");
            }
            producer[out] = i;
        }
    }
    std::vector<int> pending(static_cast<size_t>(count), 0);
    std::vector<std::vector<int>> dependents(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
        const NodeRef node(graph_proto_.node(i), i);
        for (const auto& in : node.proto.input()) {
            if (in.empty() || values_.count(in)) {
                continue;
            }
            auto p = producer.find(in);
            if (p == producer.end()) {
                node.fail("input '" + in + "' is not a graph input, an initializer or any node's output");
            }
            dependents[static_cast<size_t>(p->second)].push_back(i);
            ++pending[static_cast<size_t>(i)];
        }
    }
    // Kahn's algorithm, lowest index first: a sorted file keeps its order.
    std::set<int> ready;
    for (int i = 0; i < count; ++i) {
        if (pending[static_cast<size_t>(i)] == 0) {
            ready.insert(i);
        }
    }
    while (!ready.empty()) {
        const int i = *ready.begin();
        ready.erase(ready.begin());
        order_.push_back(i);
        for (int d : dependents[static_cast<size_t>(i)]) {
            if (--pending[static_cast<size_t>(d)] == 0) {
                ready.insert(d);
            }
        }
    }
    if (static_cast<int>(order_.size()) != count) {
        for (int i = 0; i < count; ++i) {
            if (pending[static_cast<size_t>(i)] > 0) {
                NodeRef(graph_proto_.node(i), i).fail("is part of a cycle: the nodes cannot be ordered");
            }
        }
    }
    for (int i : order_) {
        for (const auto& in : graph_proto_.node(i).input()) {
            if (!in.empty()) {
                consumers_[in].push_back(i);
            }
        }
    }
    for (const auto& output : graph_proto_.output()) {
        if (output.name().empty() || (!values_.count(output.name()) && !producer.count(output.name()))) {
            throw Error("ONNX graph output '" + output.name() + "' is not produced by any node");
        }
        graph_outputs_.insert(output.name());
    }
    if (graph_outputs_.empty()) {
        throw Error("ONNX model has no graph output");
    }
}

bool Importer::is_default_domain(const onnx::NodeProto& node) const {
    return node.domain().empty() || node.domain() == "ai.onnx";
}

// Ops evaluated at import when all their inputs are constants: weights prepared by the exporter
// (QuantizeLinear/DequantizeLinear, Reshape, Transpose of initializers) and shape computations
// (Shape -> Gather -> Unsqueeze -> Concat -> Reshape, as PyTorch exports x.view(x.size(0), -1)).
bool Importer::foldable(const onnx::NodeProto& proto) const {
    static const std::set<std::string> ops = {"Constant", "Identity",  "Dropout",   "QuantizeLinear", "DequantizeLinear",
                                              "Reshape",  "Flatten",   "Transpose", "Gather",         "Unsqueeze",
                                              "Squeeze",  "Concat",    "Cast"};
    if (!is_default_domain(proto) || !ops.count(proto.op_type())) {
        return false;
    }
    bool all_constant = proto.op_type() == "Constant" || proto.input_size() > 0;
    for (const auto& in : proto.input()) {
        if (in.empty()) {
            continue;
        }
        auto v = values_.find(in);
        all_constant = all_constant && v != values_.end() && v->second.kind == Value::Kind::constant;
    }
    return all_constant;
}

void Importer::fold_constant_nodes() {
    for (int i : order_) {
        if (foldable(graph_proto_.node(i))) {
            fold_node(NodeRef(graph_proto_.node(i), i));
            done_[static_cast<size_t>(i)] = true;
        }
    }
}

void Importer::import_nodes() {
    static const std::map<std::string, Handler> handlers = {
        {"Identity", &Importer::import_identity},
        {"Dropout", &Importer::import_dropout},
        {"Conv", &Importer::import_conv},
        {"Gemm", &Importer::import_gemm},
        {"MatMul", &Importer::import_matmul},
        {"Add", &Importer::import_add},
        {"Mul", &Importer::import_mul},
        {"Sub", &Importer::import_constant_arithmetic},
        {"Div", &Importer::import_constant_arithmetic},
        {"BatchNormalization", &Importer::import_batch_norm},
        {"Relu", &Importer::import_relu},
        {"Clip", &Importer::import_clip},
        {"Sigmoid", &Importer::import_sigmoid},
        {"HardSigmoid", &Importer::import_hard_sigmoid},
        {"HardSwish", &Importer::import_hard_swish},
        {"Tanh", &Importer::import_tanh},
        {"MaxPool", &Importer::import_max_pool},
        {"AveragePool", &Importer::import_average_pool},
        {"GlobalAveragePool", &Importer::import_global_average_pool},
        {"GlobalMaxPool", &Importer::import_global_max_pool},
        {"Flatten", &Importer::import_flatten},
        {"Reshape", &Importer::import_reshape},
        {"Transpose", &Importer::import_transpose},
        {"Concat", &Importer::import_concat},
        {"Softmax", &Importer::import_softmax},
        {"QuantizeLinear", &Importer::import_quantize},
        {"DequantizeLinear", &Importer::import_dequantize},
        {"QLinearConv", &Importer::import_qlinear_conv},
        {"ConvInteger", &Importer::import_conv_integer},
        {"QLinearMatMul", &Importer::import_qlinear_matmul},
        {"MatMulInteger", &Importer::import_matmul_integer},
        {"ReduceMean", &Importer::import_reduce_mean},
        {"Shape", &Importer::import_shape},
        {"Gather", &Importer::import_constant_only},
        {"Unsqueeze", &Importer::import_constant_only},
        {"Squeeze", &Importer::import_constant_only},
        {"Cast", &Importer::import_constant_only},
    };
    for (int i : order_) {
        if (done_[static_cast<size_t>(i)]) {
            continue;
        }
        const NodeRef node(graph_proto_.node(i), i);
        if (foldable(node.proto)) {  // inputs that became constants since the first pass (Shape)
            done_[static_cast<size_t>(i)] = true;
            fold_node(node);
            continue;
        }
        auto handler = handlers.find(node.proto.op_type());
        if (!is_default_domain(node.proto) || handler == handlers.end()) {
            node.fail("operator is not supported");
        }
        if (node.proto.output_size() < 1 || node.output().empty()) {
            node.fail("has no output");
        }
        done_[static_cast<size_t>(i)] = true;
        (this->*handler->second)(node);
    }
}

void Importer::set_graph_outputs() {
    std::set<int32_t> taken(graph_.inputs.begin(), graph_.inputs.end());
    for (const auto& output : graph_proto_.output()) {
        const std::string& name = output.name();
        auto v = values_.find(name);
        if (v == values_.end()) {
            throw Error("ONNX graph output '" + name + "' is not computed (its producer does not provide it)");
        }
        int32_t id = -1;
        switch (v->second.kind) {
            case Value::Kind::constant:
                throw Error("ONNX graph output '" + name + "' is a constant, which is not supported");
            case Value::Kind::dequantized:
                id = float_view(v->second, name);
                break;
            case Value::Kind::tensor:
                id = v->second.tensor;
                break;
        }
        if (taken.count(id)) {
            // A graph input passed through, or one tensor listed twice: the output gets its own copy.
            const TensorInfo& t = graph_.tensors[static_cast<size_t>(id)];
            id = emit_reshape(name + "/copy", id, t.shape);
        }
        taken.insert(id);
        graph_.outputs.push_back(id);
    }
}

std::vector<float> parse_floats(const std::string& key, const std::string& text) {
    std::vector<float> values;
    std::stringstream stream(text);
    std::string item;
    while (std::getline(stream, item, ',')) {
        size_t used = 0;
        float v = 0;
        try {
            v = std::stof(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        const auto rest = item.find_first_not_of(" \t", used);
        if (used == 0 || rest != std::string::npos || !std::isfinite(v)) {
            throw Error("ONNX metadata '" + key + "'='" + text + "': '" + item + "' is not a number");
        }
        values.push_back(v);
    }
    if (values.empty()) {
        throw Error("ONNX metadata '" + key + "' is empty");
    }
    return values;
}

std::string trimmed(const std::string& text) {
    const auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) {
        return "";
    }
    return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

void Importer::read_metadata() {
    graph_.metadata.source = source_;
    for (const auto& prop : model_.metadata_props()) {
        if (prop.key() == "haqm.mean") {
            graph_.metadata.mean = parse_floats(prop.key(), prop.value());
        } else if (prop.key() == "haqm.std") {
            graph_.metadata.std = parse_floats(prop.key(), prop.value());
            for (float s : graph_.metadata.std) {
                if (!(s > 0)) {
                    throw Error("ONNX metadata 'haqm.std' holds " + std::to_string(s) + "; it must be positive");
                }
            }
        } else if (prop.key() == "haqm.labels") {
            std::stringstream stream(prop.value());
            std::string label;
            graph_.metadata.labels.clear();
            while (std::getline(stream, label, ',')) {
                graph_.metadata.labels.push_back(trimmed(label));
            }
        }
    }
}

Graph Importer::run() {
    if (batch_ < 1 || batch_ > kMaxElements) {
        throw Error("ONNX import: batch " + std::to_string(batch_) + " must be at least 1");
    }
    if (!model_.has_graph()) {
        throw Error("ONNX model has no graph");
    }
    read_opset();
    read_initializers();
    read_graph_inputs();
    sort_nodes();
    fold_constant_nodes();
    import_nodes();
    set_graph_outputs();
    for (size_t i = 0; i < graph_.tensors.size(); ++i) {
        pin_default_quant(static_cast<int32_t>(i));
    }
    read_metadata();
    graph_.requantization = Requantization::float32;  // ONNX's QLinear ops rescale in float
    validate(graph_);
    return std::move(graph_);
}

// ---------------------------------------------------------------------------------------------
// Values

const Value& Importer::value(const NodeRef& node, int i) const {
    if (!node.has_input(i)) {
        node.fail("input " + std::to_string(i) + " is missing");
    }
    auto v = values_.find(node.proto.input(i));
    if (v == values_.end()) {
        node.fail("input '" + node.proto.input(i) + "' is not available (its producer does not provide it)");
    }
    if (v->second.nhwc_flatten) {
        // all_uses_are_fc_input() let only Gemm/MatMul and pass-through ops see these.
        const std::string& op = node.proto.op_type();
        static const std::set<std::string> allowed = {"Gemm", "MatMul", "Identity", "Dropout", "QuantizeLinear",
                                                      "DequantizeLinear", "QLinearMatMul", "MatMulInteger"};
        if (!allowed.count(op) || i != 0) {
            node.fail("internal error: a flattened NHWC tensor reached this node");
        }
    }
    return v->second;
}

const Constant& Importer::constant_input(const NodeRef& node, int i, const char* role) const {
    const Value& v = value(node, i);
    if (v.kind != Value::Kind::constant) {
        node.fail("input '" + node.proto.input(i) + "' (" + role +
                  ") must be a constant (an initializer or a Constant node)");
    }
    return *v.constant;
}

const Constant* Importer::optional_constant_input(const NodeRef& node, int i, const char* role) const {
    return node.has_input(i) ? &constant_input(node, i, role) : nullptr;
}

const Value& Importer::data_input(const NodeRef& node, int i) const {
    const Value& v = value(node, i);
    if (v.kind == Value::Kind::constant) {
        node.fail("input '" + node.proto.input(i) + "' is a constant; this operator needs an activation there");
    }
    return v;
}

const Value& Importer::image_input(const NodeRef& node, int i) const {
    const Value& v = data_input(node, i);
    if (v.shape.size() != 4) {
        node.fail("input '" + node.proto.input(i) + "' has shape " + shape_text(v.shape) +
                  "; only 4-D (NCHW) inputs are supported");
    }
    return v;
}

DType Importer::dtype_of(const Value& value) const {
    return value.kind == Value::Kind::tensor ? graph_.tensors[static_cast<size_t>(value.tensor)].dtype
                                             : DType::float32;
}

int32_t Importer::float_tensor(const NodeRef& node, int i) {
    const Value& v = data_input(node, i);
    if (v.kind == Value::Kind::dequantized) {
        return float_view(v, node.proto.input(i));
    }
    const DType dtype = dtype_of(v);
    if (dtype != DType::float32) {
        node.fail("input '" + node.proto.input(i) + "' is " + dtype_name(dtype) +
                  "; this operator takes float32 (quantized models need QuantizeLinear/DequantizeLinear around it)");
    }
    return v.tensor;
}

int32_t Importer::float_view(const Value& value, const std::string& name) {
    auto cached = float_views_.find(value.tensor);
    if (cached != float_views_.end()) {
        return cached->second;
    }
    const TensorInfo& q = graph_.tensors[static_cast<size_t>(value.tensor)];
    const int32_t id = add_tensor(name, DType::float32, q.shape);
    emit(name + "/dequantize", OpKind::dequantize, {value.tensor}, id);
    float_views_[value.tensor] = id;
    return id;
}

void Importer::define(const std::string& name, Value value) {
    if (name.empty()) {
        return;
    }
    values_[name] = std::move(value);
}

void Importer::define_tensor(const std::string& name, int32_t tensor, const Shape& onnx_shape) {
    Value v;
    v.kind = Value::Kind::tensor;
    v.tensor = tensor;
    v.shape = onnx_shape;
    define(name, std::move(v));
}

void Importer::expect_outputs(const NodeRef& node, int supported) const {
    for (int i = supported; i < node.proto.output_size(); ++i) {
        const std::string& name = node.proto.output(i);
        if (!name.empty() && (consumers_.count(name) || graph_outputs_.count(name))) {
            node.fail("output " + std::to_string(i) + " ('" + name + "') is not supported");
        }
    }
}

float Importer::scalar_scale(const NodeRef& node, const Constant& scale, const char* role) const {
    if (!scale.is_float() || scale.count() != 1) {
        node.fail(std::string(role) + " must be one float32 value (has " + std::to_string(scale.count()) + " of " +
                  type_name(scale.type) + ")");
    }
    const float s = scale.float_values()[0];
    if (!(s > 0) || !std::isfinite(s)) {
        node.fail(std::string(role) + " is " + std::to_string(s) + "; it must be positive and finite");
    }
    return s;
}

int32_t Importer::scalar_zero_point(const NodeRef& node, const Constant* zero_point, DType dtype,
                                    const char* role) const {
    if (!zero_point) {
        return 0;
    }
    if (zero_point->type != onnx_type_of(dtype) || zero_point->dequantization || zero_point->count() != 1) {
        node.fail(std::string(role) + " must be one " + dtype_name(dtype) + " value (has " +
                  std::to_string(zero_point->count()) + " of " + type_name(zero_point->type) + ")");
    }
    return static_cast<int32_t>(zero_point->ints[0]);
}

void Importer::pin_quant(const NodeRef& node, int32_t tensor, float scale, int32_t zero_point, bool check_scale) {
    TensorInfo& t = graph_.tensors[static_cast<size_t>(tensor)];
    if (!quant_pinned_[static_cast<size_t>(tensor)]) {
        t.quant.scales = {scale};
        t.quant.zero_points = {zero_point};
        quant_pinned_[static_cast<size_t>(tensor)] = true;
        return;
    }
    if (t.quant.scales.size() != 1 || t.quant.zero_points[0] != zero_point ||
        (check_scale && !same_scale(t.quant.scales[0], scale))) {
        node.fail("quantization parameters of '" + t.name + "' (scale " + std::to_string(scale) + ", zero point " +
                  std::to_string(zero_point) + ") differ from those it was given before (scale " +
                  (t.quant.scales.empty() ? std::string("none") : std::to_string(t.quant.scales[0])) +
                  ", zero point " +
                  (t.quant.zero_points.empty() ? std::string("none") : std::to_string(t.quant.zero_points[0])) +
                  "), which is not supported");
    }
}

// Integer graph inputs that no op gave parameters to read as plain integers.
void Importer::pin_default_quant(int32_t tensor) {
    if (!quant_pinned_[static_cast<size_t>(tensor)]) {
        TensorInfo& t = graph_.tensors[static_cast<size_t>(tensor)];
        t.quant.scales = {1.0f};
        t.quant.zero_points = {0};
        quant_pinned_[static_cast<size_t>(tensor)] = true;
    }
}

// ---------------------------------------------------------------------------------------------
// Graph building

std::string Importer::unique_name(const std::string& wanted) {
    std::string name = wanted.empty() ? "tensor" : wanted;
    for (int suffix = 1; tensor_names_.count(name); ++suffix) {
        name = wanted + "~" + std::to_string(suffix);
    }
    tensor_names_.insert(name);
    return name;
}

int32_t Importer::add_tensor(const std::string& name, DType dtype, const Shape& graph_shape, TensorQuant quant) {
    TensorInfo t;
    t.name = unique_name(name);
    t.dtype = dtype;
    t.shape = graph_shape;
    t.quant = std::move(quant);
    const int32_t id = graph_.add_tensor(std::move(t));
    quant_pinned_.resize(graph_.tensors.size(), true);
    return id;
}

int32_t Importer::add_activation(const NodeRef& node, const std::string& name, DType dtype, const Shape& onnx_shape,
                                 TensorQuant quant) {
    for (int64_t d : onnx_shape) {
        if (d < 1) {
            node.fail("output '" + name + "' would have shape " + shape_text(onnx_shape) +
                      " (empty tensors are not supported)");
        }
    }
    if (element_count_or_invalid(onnx_shape) < 0) {
        node.fail("output '" + name + "' would have shape " + shape_text(onnx_shape) +
                  ", more than 2^31 - 1 elements");
    }
    return add_tensor(name, dtype, graph_shape_of(onnx_shape), std::move(quant));
}

template <class T>
int32_t Importer::add_constant(const std::string& name, DType dtype, const Shape& shape, std::vector<T> values,
                               TensorQuant quant) {
    const int32_t id = add_tensor(name, dtype, shape, std::move(quant));
    graph_.tensors[static_cast<size_t>(id)].constant = ConstantData::from_vector(std::move(values));
    return id;
}

void Importer::emit(const std::string& name, OpKind op, std::vector<int32_t> inputs, int32_t output,
                    NodeAttributes attrs) {
    Node n;
    n.name = name;
    n.op = op;
    n.inputs = std::move(inputs);
    n.outputs = {output};
    n.attrs = std::move(attrs);
    graph_.nodes.push_back(std::move(n));
}

int32_t Importer::emit_transpose(const std::string& name, int32_t input, const std::vector<int64_t>& perm,
                                 const std::string& tensor_name) {
    const TensorInfo in = graph_.tensors[static_cast<size_t>(input)];
    const int32_t out = add_tensor(tensor_name.empty() ? name : tensor_name, in.dtype, permuted(in.shape, perm), in.quant);
    NodeAttributes attrs;
    attrs.perm = perm;
    emit(name, OpKind::transpose, {input}, out, attrs);
    return out;
}

int32_t Importer::emit_reshape(const std::string& name, int32_t input, const Shape& graph_shape,
                               const std::string& tensor_name) {
    const TensorInfo in = graph_.tensors[static_cast<size_t>(input)];
    const int32_t out = add_tensor(tensor_name.empty() ? name : tensor_name, in.dtype, graph_shape, in.quant);
    emit(name, OpKind::reshape, {input}, out);
    return out;
}

// ---------------------------------------------------------------------------------------------
// Look-ahead

// The one node reading `value`, if exactly one node reads it once and it is not a graph output.
int Importer::sole_consumer(const std::string& value) const {
    if (graph_outputs_.count(value)) {
        return -1;
    }
    auto it = consumers_.find(value);
    if (it == consumers_.end() || it->second.size() != 1) {
        return -1;
    }
    const int n = it->second[0];
    return done_[static_cast<size_t>(n)] ? -1 : n;
}

std::optional<std::pair<float, float>> Importer::clip_bounds(const NodeRef& node, bool required) const {
    float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
    if (opset_ < 11) {
        node.allow_attributes({"min", "max"});
        lo = node.attr_float("min", lo);
        hi = node.attr_float("max", hi);
    } else {
        node.allow_attributes({});
        if (node.proto.input_size() > 3) {
            node.fail("has " + std::to_string(node.proto.input_size()) + " inputs, expected 1 to 3");
        }
        for (int i = 1; i <= 2; ++i) {
            if (!node.has_input(i)) {
                continue;
            }
            auto v = values_.find(node.proto.input(i));
            if (v == values_.end() || v->second.kind != Value::Kind::constant || !v->second.constant->is_float() ||
                v->second.constant->count() != 1) {
                if (!required) {
                    return std::nullopt;
                }
                node.fail("input '" + node.proto.input(i) + "' (" + (i == 1 ? "min" : "max") +
                          ") must be a constant float32 scalar");
            }
            (i == 1 ? lo : hi) = v->second.constant->float_values()[0];
        }
    }
    if (std::isnan(lo) || std::isnan(hi) || lo > hi) {
        if (!required) {
            return std::nullopt;
        }
        node.fail("bounds min=" + std::to_string(lo) + ", max=" + std::to_string(hi) + " are not supported");
    }
    return std::make_pair(lo, hi);
}

std::optional<FusedActivation> Importer::fusable_activation(const std::string& value) const {
    const int n = sole_consumer(value);
    if (n < 0) {
        return std::nullopt;
    }
    const NodeRef node(graph_proto_.node(n), n);
    if (!is_default_domain(node.proto) || node.proto.output_size() != 1 || node.output().empty()) {
        return std::nullopt;
    }
    if (node.proto.op_type() == "Relu" && node.proto.input_size() == 1 && node.proto.attribute_size() == 0) {
        return FusedActivation{n, Activation::relu, 0, 0, node.output()};
    }
    if (node.proto.op_type() == "Clip" && node.proto.input(0) == value) {
        try {
            if (auto bounds = clip_bounds(node, false)) {
                return FusedActivation{n, Activation::clip, bounds->first, bounds->second, node.output()};
            }
        } catch (const Error&) {
            // an unsupported attribute: the Clip is imported alone and reports it
        }
    }
    return std::nullopt;
}

// A QuantizeLinear that alone reads `value`, with per-tensor constant parameters.
std::optional<QuantizeStep> Importer::quantize_after(const std::string& value) const {
    const int n = sole_consumer(value);
    if (n < 0) {
        return std::nullopt;
    }
    const auto& proto = graph_proto_.node(n);
    if (!is_default_domain(proto) || proto.op_type() != "QuantizeLinear" || proto.input_size() < 2 ||
        proto.input_size() > 3 || proto.input(0) != value || proto.output_size() != 1 || proto.output(0).empty()) {
        return std::nullopt;
    }
    for (const auto& a : proto.attribute()) {
        if (a.name() != "axis") {
            return std::nullopt;
        }
    }
    auto constant = [&](int i) -> const Constant* {
        if (i >= proto.input_size() || proto.input(i).empty()) {
            return nullptr;
        }
        auto v = values_.find(proto.input(i));
        return v != values_.end() && v->second.kind == Value::Kind::constant ? v->second.constant.get() : nullptr;
    };
    const Constant* scale = constant(1);
    const Constant* zero = constant(2);
    if (!scale || !scale->is_float() || scale->count() != 1 || (proto.input_size() == 3 && !zero)) {
        return std::nullopt;
    }
    QuantizeStep step;
    step.node = n;
    step.output = proto.output(0);
    step.scale = scale->float_values()[0];
    if (!(step.scale > 0) || !std::isfinite(step.scale)) {
        return std::nullopt;
    }
    if (zero) {
        if (zero->count() != 1 || zero->dequantization ||
            (zero->type != TensorProto::UINT8 && zero->type != TensorProto::INT8)) {
            return std::nullopt;
        }
        step.dtype = zero->type == TensorProto::UINT8 ? DType::uint8 : DType::int8;
        step.zero_point = static_cast<int32_t>(zero->ints[0]);
    }
    return step;
}

// The same, when it keeps the 8-bit type of the quantized `inputs` (the integer kernels read and
// write one type; otherwise the op runs in float between a dequantize and a quantize).
std::optional<QuantizeStep> Importer::quantize_after(const std::string& value,
                                                     const std::vector<const Value*>& inputs) const {
    auto step = quantize_after(value);
    for (const Value* v : inputs) {
        if (step && (v->kind != Value::Kind::dequantized ||
                     graph_.tensors[static_cast<size_t>(v->tensor)].dtype != step->dtype)) {
            step.reset();
        }
    }
    return step;
}

// A constant that broadcasts against `out_shape` as one value per channel (or one value): the
// channel values, or nothing.
std::optional<std::vector<float>> Importer::per_channel_constant(const Constant& c, const Shape& out_shape,
                                                                 int64_t channel_axis) const {
    if (!c.is_float() || c.dims.size() > out_shape.size()) {
        return std::nullopt;
    }
    const int64_t channels = out_shape[static_cast<size_t>(channel_axis)];
    const size_t offset = out_shape.size() - c.dims.size();
    bool per_channel = false;
    for (size_t j = 0; j < c.dims.size(); ++j) {
        const int64_t axis = static_cast<int64_t>(j + offset);
        if (c.dims[j] == 1) {
            continue;
        }
        if (axis == channel_axis && c.dims[j] == channels) {
            per_channel = true;
            continue;
        }
        return std::nullopt;
    }
    const std::vector<float> values = c.float_values();
    if (values.empty()) {
        return std::nullopt;
    }
    std::vector<float> out(static_cast<size_t>(channels));
    for (int64_t i = 0; i < channels; ++i) {
        out[static_cast<size_t>(i)] = values[per_channel ? static_cast<size_t>(i) : 0];
    }
    return out;
}

// Folds BatchNormalization and Add/Sub/Mul/Div by per-channel constants that follow a float Conv
// or fully connected op into its weights and bias; returns the last value folded in.
std::string Importer::fold_following(const std::string& value, const LinearSpec& spec, std::vector<float>& weights,
                                     std::vector<float>& bias) {
    const int64_t channels = spec.out_channels;
    std::string current = value;
    auto scale_weights = [&](const std::vector<float>& s) {
        for (size_t i = 0; i < weights.size(); ++i) {
            weights[i] *= s[i % static_cast<size_t>(channels)];  // the output channel is innermost
        }
    };
    while (true) {
        const int n = sole_consumer(current);
        if (n < 0) {
            break;
        }
        const NodeRef node(graph_proto_.node(n), n);
        const auto& proto = node.proto;
        if (!is_default_domain(proto) || proto.output_size() < 1 || proto.output(0).empty()) {
            break;
        }
        auto constant_at = [&](int i) -> const Constant* {
            if (!node.has_input(i)) {
                return nullptr;
            }
            auto v = values_.find(proto.input(i));
            return v != values_.end() && v->second.kind == Value::Kind::constant ? v->second.constant.get() : nullptr;
        };
        const std::string& op = proto.op_type();
        if (op == "BatchNormalization") {
            if (spec.channel_axis != 1 || proto.input_size() != 5 || proto.input(0) != current) {
                break;
            }
            bool supported = true;
            for (const auto& a : proto.attribute()) {
                const std::string& name = a.name();
                supported = supported && (name == "epsilon" || name == "momentum" ||
                                          (name == "spatial" && a.i() == 1) || (name == "training_mode" && a.i() == 0));
            }
            for (int i = 1; i < proto.output_size(); ++i) {
                const std::string& extra = proto.output(i);
                supported = supported && (extra.empty() || (!consumers_.count(extra) && !graph_outputs_.count(extra)));
            }
            std::vector<std::vector<float>> params;
            for (int i = 1; i <= 4 && supported; ++i) {
                const Constant* c = constant_at(i);
                supported = c && c->is_float() && c->count() == channels;
                if (supported) {
                    params.push_back(c->float_values());
                }
            }
            if (!supported) {
                break;
            }
            const float epsilon = node.attr_float("epsilon", 1e-5f);
            std::vector<float> s(static_cast<size_t>(channels));
            bias.resize(static_cast<size_t>(channels), 0.0f);
            for (size_t c = 0; c < s.size(); ++c) {
                // y = gamma * (x - mean) / sqrt(var + eps) + beta, in float32 and in the order
                // PyTorch's fuse_conv_bn_weights uses (rsqrt, then gamma), so folded weights
                // are the same bits as those PyTorch quantizes.
                const float inverse_std = 1.0f / std::sqrt(params[3][c] + epsilon);
                s[c] = params[0][c] * inverse_std;
                bias[c] = (bias[c] - params[2][c]) * inverse_std * params[0][c] + params[1][c];
            }
            scale_weights(s);
        } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
            if (proto.input_size() != 2 || proto.attribute_size() != 0) {
                break;
            }
            const int other = proto.input(0) == current ? 1 : 0;
            if (proto.input(1 - other) != current || ((op == "Sub" || op == "Div") && other != 1)) {
                break;  // c - x and c / x are not affine in x per channel
            }
            const Constant* c = constant_at(other);
            if (!c) {
                break;
            }
            auto per_channel = per_channel_constant(*c, spec.out_shape, spec.channel_axis);
            if (!per_channel) {
                break;
            }
            std::vector<float>& v = *per_channel;
            bias.resize(static_cast<size_t>(channels), 0.0f);
            if (op == "Add" || op == "Sub") {
                for (size_t i = 0; i < v.size(); ++i) {
                    bias[i] += op == "Add" ? v[i] : -v[i];
                }
            } else {
                if (op == "Div") {
                    if (std::any_of(v.begin(), v.end(), [](float d) { return d == 0.0f; })) {
                        break;
                    }
                    for (float& d : v) {
                        d = 1.0f / d;
                    }
                }
                for (size_t i = 0; i < v.size(); ++i) {
                    bias[i] *= v[i];
                }
                scale_weights(v);
            }
        } else {
            break;
        }
        done_[static_cast<size_t>(n)] = true;
        current = proto.output(0);
    }
    return current;
}

// True when every use of `value`, through pass-through ops, is as input A of a Gemm (transA=0) or
// MatMul with a constant B, and it is never a graph output.
bool Importer::all_uses_are_fc_input(const std::string& value) const {
    std::vector<std::string> pending{value};
    std::set<std::string> seen;
    bool any_use = false;
    while (!pending.empty()) {
        const std::string current = pending.back();
        pending.pop_back();
        if (!seen.insert(current).second) {
            continue;
        }
        if (graph_outputs_.count(current)) {
            return false;
        }
        auto it = consumers_.find(current);
        if (it == consumers_.end()) {
            continue;
        }
        for (int n : it->second) {
            const auto& proto = graph_proto_.node(n);
            const std::string& op = proto.op_type();
            if (!is_default_domain(proto) || proto.input_size() < 1 || proto.input(0) != current) {
                return false;
            }
            if (op == "Identity" || op == "Dropout" || op == "QuantizeLinear" || op == "DequantizeLinear") {
                for (int i = 1; i < proto.input_size(); ++i) {
                    if (proto.input(i) == current) {
                        return false;
                    }
                }
                if (proto.output_size() >= 1 && !proto.output(0).empty()) {
                    pending.push_back(proto.output(0));
                }
                continue;
            }
            if (op != "Gemm" && op != "MatMul") {
                return false;
            }
            if (proto.input_size() < 2 || proto.input(1) == current) {
                return false;
            }
            auto b = values_.find(proto.input(1));
            if (b == values_.end() || b->second.kind != Value::Kind::constant) {
                return false;
            }
            for (const auto& a : proto.attribute()) {
                if (a.name() == "transA" && a.i() != 0) {
                    return false;
                }
            }
            any_use = true;
        }
    }
    return any_use;
}

// ---------------------------------------------------------------------------------------------
// Linear ops: Conv, Gemm, MatMul and their quantized forms

LinearSpec Importer::conv_spec(const NodeRef& node, const Shape& x_shape, const Constant& w) {
    if (w.dims.size() != 4) {
        node.fail("weights have shape " + shape_text(w.dims) + "; only 2-D convolutions (4-D weights) are supported");
    }
    for (int64_t d : w.dims) {
        if (d < 1) {
            node.fail("weights have shape " + shape_text(w.dims));
        }
    }
    const int64_t out_channels = w.dims[0], in_per_group = w.dims[1], kernel_h = w.dims[2], kernel_w = w.dims[3];
    const int64_t groups = node.attr_int("group", 1);
    if (groups < 1 || groups > x_shape[1]) {
        node.fail_attribute("group", std::to_string(groups), "is out of range for " + std::to_string(x_shape[1]) +
                                                                 " input channels");
    }
    if (in_per_group * groups != x_shape[1]) {
        node.fail("weights of shape " + shape_text(w.dims) + " with group=" + std::to_string(groups) + " expect " +
                  std::to_string(in_per_group * groups) + " input channels, the input " + shape_text(x_shape) +
                  " has " + std::to_string(x_shape[1]));
    }
    if (out_channels % groups != 0) {
        node.fail(std::to_string(out_channels) + " output channels do not divide into group=" +
                  std::to_string(groups));
    }
    if (auto kernel = node.attr_ints("kernel_shape")) {
        if (*kernel != std::vector<int64_t>{kernel_h, kernel_w}) {
            node.fail_attribute("kernel_shape", list_text(*kernel),
                                "does not match the weights' shape " + shape_text(w.dims));
        }
    }
    const Window window = spatial_window(node, x_shape[2], x_shape[3], kernel_h, kernel_w, WindowKind::conv);
    LinearSpec spec;
    spec.op = OpKind::conv;
    window.apply(spec.attrs);
    spec.attrs.groups = static_cast<int>(groups);
    spec.weight_shape = {kernel_h, kernel_w, in_per_group, out_channels};
    spec.weight_order = conv_weight_order(out_channels, in_per_group, kernel_h, kernel_w);
    spec.weight_out_axis = 0;
    spec.out_channels = out_channels;
    spec.out_shape = {x_shape[0], out_channels, window.out_h, window.out_w};
    spec.channel_axis = 1;
    return spec;
}

LinearSpec Importer::fc_spec(const NodeRef& node, const Value& a, const Constant& b, bool transposed) {
    if (a.shape.size() < 2 || a.shape.size() > 3) {
        node.fail("input '" + node.proto.input(0) + "' has shape " + shape_text(a.shape) +
                  "; only 2-D and 3-D inputs are supported");
    }
    if (b.dims.size() != 2 || b.dims[0] < 1 || b.dims[1] < 1) {
        node.fail("weights '" + node.proto.input(1) + "' have shape " + shape_text(b.dims) + "; 2-D weights are needed");
    }
    const int64_t k = transposed ? b.dims[1] : b.dims[0];
    const int64_t n = transposed ? b.dims[0] : b.dims[1];
    if (a.shape.back() != k) {
        node.fail("input shape " + shape_text(a.shape) + " and weight shape " + shape_text(b.dims) +
                  (transposed ? " (transB=1)" : "") + " do not match");
    }
    if (a.nhwc_flatten && a.nhwc_flatten->channels * a.nhwc_flatten->height * a.nhwc_flatten->width != k) {
        node.fail("internal error: flattened input does not match the weights");
    }
    LinearSpec spec;
    spec.op = OpKind::fully_connected;
    spec.weight_shape = {k, n};
    spec.weight_order = fc_weight_order(k, n, transposed, a.nhwc_flatten);
    spec.weight_out_axis = transposed ? 0 : 1;
    spec.out_channels = n;
    spec.out_shape = a.shape;
    spec.out_shape.back() = n;
    spec.channel_axis = static_cast<int64_t>(spec.out_shape.size()) - 1;
    return spec;
}

// int8 weights for the graph from a dequantized constant, if its parameters allow it exactly.
std::optional<QuantWeights> Importer::quantized_weights(const Constant& w, const LinearSpec& spec,
                                                        std::string* why) const {
    if (!w.dequantization) {
        *why = "the weights are not quantized";
        return std::nullopt;
    }
    const Dequantization& dq = *w.dequantization;
    if (dq.int_type != TensorProto::INT8 && dq.int_type != TensorProto::UINT8) {
        *why = "weights of type " + type_name(dq.int_type) + " are not supported (int8 or uint8 are)";
        return std::nullopt;
    }
    if (spec.weight_multiplier != 1.0f) {
        *why = "alpha != 1 scales quantized weights";
        return std::nullopt;
    }
    const bool per_channel = dq.scales.size() > 1;
    if (per_channel && (dq.axis != spec.weight_out_axis || static_cast<int64_t>(dq.scales.size()) != spec.out_channels)) {
        *why = "weight scales along axis " + std::to_string(dq.axis) + " are not per output channel";
        return std::nullopt;
    }
    QuantWeights q;
    q.values.resize(spec.weight_order.size());
    const size_t channels = static_cast<size_t>(spec.out_channels);
    for (size_t i = 0; i < q.values.size(); ++i) {
        // The output channel is innermost in the graph layout and is the scale's axis.
        const size_t c = per_channel ? i % channels : 0;
        const int64_t v = w.ints[static_cast<size_t>(spec.weight_order[i])] - dq.zero_points[c];
        if (v < -128 || v > 127) {
            *why = type_name(dq.int_type) + " weights with zero point " + std::to_string(dq.zero_points[c]) +
                   " hold " + std::to_string(v) + " after removing it, which int8 cannot represent";
            return std::nullopt;
        }
        q.values[i] = static_cast<int8_t>(v);
    }
    q.scales = dq.scales;
    return q;
}

std::vector<int32_t> Importer::quantized_bias(const NodeRef& node, const BiasInput& bias, float input_scale,
                                              const std::vector<float>& weight_scales, int64_t channels) const {
    if (!bias.constant) {
        return {};
    }
    const Constant& c = *bias.constant;
    auto scale_of = [&](int64_t o) {
        return input_scale * weight_scales[weight_scales.size() == 1 ? 0 : static_cast<size_t>(o)];
    };
    // An int32 bias already at scale input_scale * weight_scale is taken as it is.
    if (bias.multiplier == 1.0f && c.dequantization && c.dequantization->int_type == TensorProto::INT32 &&
        c.dims.size() == 1 && c.dims[0] == channels) {
        const Dequantization& dq = *c.dequantization;
        bool exact = std::all_of(dq.zero_points.begin(), dq.zero_points.end(), [](int64_t z) { return z == 0; });
        for (int64_t o = 0; o < channels && exact; ++o) {
            exact = same_scale(dq.scales[dq.scales.size() == 1 ? 0 : static_cast<size_t>(o)], scale_of(o));
        }
        if (exact) {
            return std::vector<int32_t>(c.ints.begin(), c.ints.end());
        }
    }
    const std::vector<float> values = c.float_values();
    std::vector<int32_t> out(static_cast<size_t>(channels));
    for (int64_t o = 0; o < channels; ++o) {
        const double q = std::nearbyint(static_cast<double>(bias.multiplier) *
                                        values[static_cast<size_t>(bias.index[static_cast<size_t>(o)])] /
                                        static_cast<double>(scale_of(o)));
        if (!(q >= std::numeric_limits<int32_t>::min() && q <= std::numeric_limits<int32_t>::max())) {
            node.fail("bias of channel " + std::to_string(o) + " does not fit int32 at scale " +
                      std::to_string(scale_of(o)));
        }
        out[static_cast<size_t>(o)] = static_cast<int32_t>(q);
    }
    return out;
}

void Importer::emit_linear(const NodeRef& node, const Value& x, const Constant& w, const BiasInput& bias,
                           const LinearSpec& spec) {
    if (!w.is_float()) {
        node.fail("weights '" + node.proto.input(1) + "' have type " + type_name(w.type) +
                  "; float32 (or the output of DequantizeLinear) is needed");
    }
    // Quantized: input and weights come from DequantizeLinear and the output (after an optional
    // Relu/Clip) goes straight into a QuantizeLinear.
    if (x.kind == Value::Kind::dequantized && w.dequantization) {
        std::string why;
        const auto weights = quantized_weights(w, spec, &why);
        const auto activation = fusable_activation(node.output());
        const auto quantize = quantize_after(activation ? activation->output : node.output(), {&x});
        if (weights && quantize) {
            const TensorInfo& in = graph_.tensors[static_cast<size_t>(x.tensor)];
            const auto bias_values = quantized_bias(node, bias, in.quant.scales[0], weights->scales, spec.out_channels);
            const TensorQuant out_quant = quantize->quant();
            if (activation) {
                done_[static_cast<size_t>(activation->node)] = true;
            }
            done_[static_cast<size_t>(quantize->node)] = true;
            emit_quantized_linear(node, x.tensor, *weights, bias_values, spec, quantize->dtype, out_quant,
                                  activation, quantize->output);
            return;
        }
    }
    // Float: weights (dequantized if need be) in graph layout, then fold what follows.
    const int32_t input = x.kind == Value::Kind::dequantized ? float_view(x, node.proto.input(0))
                                                             : float_tensor(node, 0);
    std::vector<float> weights = reordered(w.float_values(), spec.weight_order);
    if (spec.weight_multiplier != 1.0f) {
        for (float& v : weights) {
            v *= spec.weight_multiplier;
        }
    }
    std::vector<float> bias_values;
    if (bias.constant) {
        const std::vector<float> source = bias.constant->float_values();
        for (int64_t o = 0; o < spec.out_channels; ++o) {
            bias_values.push_back(bias.multiplier * source[static_cast<size_t>(bias.index[static_cast<size_t>(o)])]);
        }
    }
    std::string output = fold_following(node.output(), spec, weights, bias_values);
    NodeAttributes attrs = spec.attrs;
    if (auto activation = fusable_activation(output)) {
        activation->apply(attrs);
        done_[static_cast<size_t>(activation->node)] = true;
        output = activation->output;
    }
    const std::string name = node.graph_name();
    std::vector<int32_t> inputs{input, add_constant(name + "/weights", DType::float32, spec.weight_shape,
                                                    std::move(weights))};
    if (!bias_values.empty()) {
        inputs.push_back(add_constant(name + "/bias", DType::float32, {spec.out_channels}, std::move(bias_values)));
    }
    const int32_t out = add_activation(node, output, DType::float32, spec.out_shape);
    emit(name, spec.op, std::move(inputs), out, attrs);
    define_tensor(output, out, spec.out_shape);
}

void Importer::emit_quantized_linear(const NodeRef& node, int32_t input, const QuantWeights& weights,
                                     const std::vector<int32_t>& bias, const LinearSpec& spec, DType out_dtype,
                                     TensorQuant out_quant, const std::optional<FusedActivation>& activation,
                                     const std::string& output) {
    const std::string name = node.graph_name();
    const float input_scale = graph_.tensors[static_cast<size_t>(input)].quant.scales.at(0);
    TensorQuant weight_quant;
    weight_quant.scales = weights.scales;
    weight_quant.zero_points.assign(weights.scales.size(), 0);
    weight_quant.axis = spec.op == OpKind::conv ? 3 : 1;
    std::vector<int32_t> inputs{input, add_constant(name + "/weights", DType::int8, spec.weight_shape,
                                                    weights.values, weight_quant)};
    if (!bias.empty()) {
        TensorQuant bias_quant;
        for (float s : weights.scales) {
            bias_quant.scales.push_back(input_scale * s);
        }
        bias_quant.zero_points.assign(bias_quant.scales.size(), 0);
        bias_quant.axis = 0;
        inputs.push_back(add_constant(name + "/bias", DType::int32, {spec.out_channels}, bias, bias_quant));
    }
    NodeAttributes attrs = spec.attrs;
    if (activation) {
        activation->apply(attrs);
    }
    const int32_t out = add_activation(node, output, out_dtype, spec.out_shape, std::move(out_quant));
    emit(name, spec.op, std::move(inputs), out, attrs);
    define_tensor(output, out, spec.out_shape);
}

void Importer::import_conv(const NodeRef& node) {
    node.allow_attributes({"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
    node.expect_input_count(2, 3);
    expect_outputs(node, 1);
    const Value& x = image_input(node, 0);
    if (dtype_of(x) != DType::float32) {
        node.fail("input is " + std::string(dtype_name(dtype_of(x))) +
                  "; integer convolutions are QLinearConv or ConvInteger");
    }
    const Constant& w = constant_input(node, 1, "weights");
    const LinearSpec spec = conv_spec(node, x.shape, w);
    BiasInput bias;
    bias.constant = optional_constant_input(node, 2, "bias");
    if (bias.constant) {
        if (bias.constant->dims != Shape{spec.out_channels} || !bias.constant->is_float()) {
            node.fail("bias has shape " + shape_text(bias.constant->dims) + " of " + type_name(bias.constant->type) +
                      "; float [" + std::to_string(spec.out_channels) + "] is needed");
        }
        for (int64_t o = 0; o < spec.out_channels; ++o) {
            bias.index.push_back(o);
        }
    }
    emit_linear(node, x, w, bias, spec);
}

void Importer::import_gemm(const NodeRef& node) {
    node.allow_attributes({"alpha", "beta", "transA", "transB"});
    node.expect_input_count(2, 3);
    expect_outputs(node, 1);
    const int64_t trans_a = node.attr_int("transA", 0);
    if (trans_a != 0) {
        node.fail_attribute("transA", std::to_string(trans_a), "is not supported (only 0)");
    }
    const int64_t trans_b = node.attr_int("transB", 0);
    if (trans_b != 0 && trans_b != 1) {
        node.fail_attribute("transB", std::to_string(trans_b), "must be 0 or 1");
    }
    const float alpha = node.attr_float("alpha", 1.0f);
    const float beta = node.attr_float("beta", 1.0f);
    if (!std::isfinite(alpha) || !std::isfinite(beta)) {
        node.fail("alpha and beta must be finite");
    }
    const Value& a = data_input(node, 0);
    if (a.shape.size() != 2) {
        node.fail("input A has shape " + shape_text(a.shape) + "; Gemm takes 2-D inputs");
    }
    if (dtype_of(a) != DType::float32) {
        node.fail("input A is " + std::string(dtype_name(dtype_of(a))) + "; float32 is needed");
    }
    const Constant& b = constant_input(node, 1, "B");
    LinearSpec spec = fc_spec(node, a, b, trans_b == 1);
    spec.weight_multiplier = alpha;
    BiasInput bias;
    bias.constant = optional_constant_input(node, 2, "C");
    if (bias.constant && beta != 0.0f) {
        // C broadcasts to [M, N]: one value, one per column, or rows that are all the same.
        const Constant& c = *bias.constant;
        const int64_t m = spec.out_shape[0], n = spec.out_channels;
        Shape dims = c.dims;
        if (!c.is_float() || dims.size() > 2) {
            node.fail("C has shape " + shape_text(dims) + " of " + type_name(c.type) + "; float32 is needed");
        }
        while (dims.size() < 2) {
            dims.insert(dims.begin(), 1);
        }
        if ((dims[0] != 1 && dims[0] != m) || (dims[1] != 1 && dims[1] != n)) {
            node.fail("C of shape " + shape_text(c.dims) + " does not broadcast to the output [" + std::to_string(m) +
                      ", " + std::to_string(n) + "]");
        }
        const std::vector<float> values = c.float_values();
        for (int64_t row = 1; row < dims[0]; ++row) {
            for (int64_t col = 0; col < dims[1]; ++col) {
                if (values[static_cast<size_t>(row * dims[1] + col)] != values[static_cast<size_t>(col)]) {
                    node.fail("C of shape " + shape_text(c.dims) +
                              " differs between rows; only a per-column bias is supported");
                }
            }
        }
        for (int64_t col = 0; col < n; ++col) {
            bias.index.push_back(dims[1] == 1 ? 0 : col);
        }
        bias.multiplier = beta;
    } else {
        bias.constant = nullptr;
    }
    emit_linear(node, a, b, bias, spec);
}

void Importer::import_matmul(const NodeRef& node) {
    node.allow_attributes({});
    node.expect_input_count(2, 2);
    expect_outputs(node, 1);
    const Value& a = data_input(node, 0);
    if (dtype_of(a) != DType::float32) {
        node.fail("input A is " + std::string(dtype_name(dtype_of(a))) + "; float32 is needed");
    }
    const Value& b_value = value(node, 1);
    if (b_value.kind != Value::Kind::constant) {
        node.fail("input B '" + node.proto.input(1) + "' is not a constant; only MatMul with constant 2-D weights "
                  "is supported");
    }
    emit_linear(node, a, *b_value.constant, BiasInput{}, fc_spec(node, a, *b_value.constant, false));
}

// ---------------------------------------------------------------------------------------------
// Elementwise

void Importer::import_add(const NodeRef& node) {
    node.allow_attributes({});
    node.expect_input_count(2, 2);
    expect_outputs(node, 1);
    const Value& a = value(node, 0);
    const Value& b = value(node, 1);
    if (a.kind == Value::Kind::constant || b.kind == Value::Kind::constant) {
        node.fail("adding a constant is supported only as a per-channel bias right after Conv, Gemm or MatMul "
                  "(folded into its bias)");
    }
    if (a.shape != b.shape) {
        node.fail("input shapes " + shape_text(a.shape) + " and " + shape_text(b.shape) +
                  " differ; broadcasting Add is not supported");
    }
    if (a.kind == Value::Kind::dequantized && b.kind == Value::Kind::dequantized) {
        const auto activation = fusable_activation(node.output());
        if (auto quantize = quantize_after(activation ? activation->output : node.output(), {&a, &b})) {
            NodeAttributes attrs;
            if (activation) {
                activation->apply(attrs);
                done_[static_cast<size_t>(activation->node)] = true;
            }
            done_[static_cast<size_t>(quantize->node)] = true;
            const TensorQuant quant = quantize->quant();
            const int32_t out = add_activation(node, quantize->output, quantize->dtype, a.shape, quant);
            emit(node.graph_name(), OpKind::add, {a.tensor, b.tensor}, out, attrs);
            define_tensor(quantize->output, out, a.shape);
            return;
        }
    }
    const int32_t ta = float_tensor(node, 0);
    const int32_t tb = float_tensor(node, 1);
    NodeAttributes attrs;
    std::string output = node.output();
    if (auto activation = fusable_activation(output)) {
        activation->apply(attrs);
        done_[static_cast<size_t>(activation->node)] = true;
        output = activation->output;
    }
    const int32_t out = add_activation(node, output, DType::float32, a.shape);
    emit(node.graph_name(), OpKind::add, {ta, tb}, out, attrs);
    define_tensor(output, out, a.shape);
}

void Importer::import_mul(const NodeRef& node) {
    node.allow_attributes({});
    node.expect_input_count(2, 2);
    expect_outputs(node, 1);
    const Value& a = value(node, 0);
    const Value& b = value(node, 1);
    if (a.kind == Value::Kind::constant || b.kind == Value::Kind::constant) {
        node.fail("multiplying by a constant is supported only per channel right after Conv, Gemm or MatMul "
                  "(folded into its weights)");
    }
    // Same shapes, or a [N, C, 1, 1] gate over [N, C, H, W] (squeeze-excite); the graph wants the
    // broadcast operand second.
    int big = 0, small = 1;
    if (a.shape != b.shape) {
        auto is_gate = [](const Shape& gate, const Shape& x) {
            return gate.size() == 4 && x.size() == 4 && gate[0] == x[0] && gate[1] == x[1] && gate[2] == 1 &&
                   gate[3] == 1;
        };
        if (is_gate(a.shape, b.shape)) {
            std::swap(big, small);
        } else if (!is_gate(b.shape, a.shape)) {
            node.fail("input shapes " + shape_text(a.shape) + " and " + shape_text(b.shape) +
                      " are not supported (same shapes, or [N, C, H, W] * [N, C, 1, 1])");
        }
    }
    const Shape& shape = big == 0 ? a.shape : b.shape;
    if (a.kind == Value::Kind::dequantized && b.kind == Value::Kind::dequantized) {
        if (auto quantize = quantize_after(node.output(), {&a, &b})) {
            done_[static_cast<size_t>(quantize->node)] = true;
            const TensorQuant quant = quantize->quant();
            const int32_t out = add_activation(node, quantize->output, quantize->dtype, shape, quant);
            emit(node.graph_name(), OpKind::mul, {value(node, big).tensor, value(node, small).tensor}, out);
            define_tensor(quantize->output, out, shape);
            return;
        }
    }
    const int32_t t_big = float_tensor(node, big);
    const int32_t t_small = float_tensor(node, small);
    const int32_t out = add_activation(node, node.output(), DType::float32, shape);
    emit(node.graph_name(), OpKind::mul, {t_big, t_small}, out);
    define_tensor(node.output(), out, shape);
}

void Importer::import_constant_arithmetic(const NodeRef& node) {
    node.fail("operator is supported only with a per-channel constant right after Conv, Gemm or MatMul "
              "(folded into it)");
}

void Importer::import_batch_norm(const NodeRef& node) {
    node.fail("BatchNormalization is supported only right after a float Conv (or Gemm/MatMul with 2-D output) "
              "whose output it alone reads, with constant parameters and training_mode=0 (it is folded into the "
              "weights); a standalone BatchNormalization is not supported");
}

// ---------------------------------------------------------------------------------------------
// Activations

void Importer::import_activation(const NodeRef& node, Activation kind, NodeAttributes attrs,
                                 const std::string& output, int extra_done) {
    attrs.activation = kind;
    const Value& x = data_input(node, 0);
    if (x.kind == Value::Kind::dequantized) {
        if (auto quantize = quantize_after(output, {&x})) {
            if (extra_done >= 0) {
                done_[static_cast<size_t>(extra_done)] = true;
            }
            done_[static_cast<size_t>(quantize->node)] = true;
            const TensorQuant quant = quantize->quant();
            const int32_t out = add_activation(node, quantize->output, quantize->dtype, x.shape, quant);
            emit(node.graph_name(), OpKind::activation, {x.tensor}, out, attrs);
            define_tensor(quantize->output, out, x.shape);
            return;
        }
    }
    const int32_t in = float_tensor(node, 0);
    if (extra_done >= 0) {
        done_[static_cast<size_t>(extra_done)] = true;
    }
    const int32_t out = add_activation(node, output, DType::float32, x.shape);
    emit(node.graph_name(), OpKind::activation, {in}, out, attrs);
    define_tensor(output, out, x.shape);
}

void Importer::import_relu(const NodeRef& node) {
    node.allow_attributes({});
    node.expect_input_count(1, 1);
    import_activation(node, Activation::relu, {}, node.output());
}

void Importer::import_clip(const NodeRef& node) {
    node.expect_input_count(1, 3);
    const auto bounds = *clip_bounds(node, true);
    NodeAttributes attrs;
    attrs.clip_min = bounds.first;
    attrs.clip_max = bounds.second;
    import_activation(node, Activation::clip, attrs, node.output());
}

void Importer::import_sigmoid(const NodeRef& node) {
    node.allow_attributes({});
    node.expect_input_count(1, 1);
    import_activation(node, Activation::sigmoid, {}, node.output());
}

void Importer::import_tanh(const NodeRef& node) {
    node.allow_attributes({});
    node.expect_input_count(1, 1);
    import_activation(node, Activation::tanh, {}, node.output());
}

void Importer::import_hard_swish(const NodeRef& node) {
    node.allow_attributes({});
    node.expect_input_count(1, 1);
    import_activation(node, Activation::hard_swish, {}, node.output());
}

void Importer::import_hard_sigmoid(const NodeRef& node) {
    node.allow_attributes({"alpha", "beta"});
    node.expect_input_count(1, 1);
    NodeAttributes attrs;
    attrs.alpha = node.attr_float("alpha", 0.2f);
    attrs.beta = node.attr_float("beta", 0.5f);
    if (!std::isfinite(attrs.alpha) || !std::isfinite(attrs.beta)) {
        node.fail("alpha and beta must be finite");
    }
    // x * HardSigmoid(x) with alpha = 1/6, beta = 1/2 is HardSwish (PyTorch exports it so).
    const int mul = sole_consumer(node.output());
    if (mul >= 0 && std::fabs(attrs.alpha - 1.0f / 6.0f) < 1e-6f && attrs.beta == 0.5f) {
        const auto& proto = graph_proto_.node(mul);
        const std::string& x = node.proto.input(0);
        if (is_default_domain(proto) && proto.op_type() == "Mul" && proto.input_size() == 2 &&
            proto.attribute_size() == 0 && proto.output_size() == 1 && !proto.output(0).empty() &&
            ((proto.input(0) == x && proto.input(1) == node.output()) ||
             (proto.input(1) == x && proto.input(0) == node.output()))) {
            import_activation(node, Activation::hard_swish, {}, proto.output(0), mul);
            return;
        }
    }
    import_activation(node, Activation::hard_sigmoid, attrs, node.output());
}

// ---------------------------------------------------------------------------------------------
// Pools

void Importer::import_pool(const NodeRef& node, OpKind op, const Window& window, const Shape& out_shape,
                           bool count_include_pad) {
    const Value& x = data_input(node, 0);
    NodeAttributes attrs;
    window.apply(attrs);
    attrs.count_include_pad = count_include_pad;
    const std::string name = node.graph_name();
    if (op == OpKind::max_pool && x.kind == Value::Kind::tensor && dtype_of(x) != DType::float32) {
        // Max pooling of integers: same type and parameters out.
        const DType dtype = dtype_of(x);
        if (dtype != DType::uint8 && dtype != DType::int8) {
            node.fail("input is " + std::string(dtype_name(dtype)) + ", which is not supported");
        }
        pin_default_quant(x.tensor);
        const int32_t out = add_activation(node, node.output(), dtype, out_shape,
                                           graph_.tensors[static_cast<size_t>(x.tensor)].quant);
        emit(name, op, {x.tensor}, out, attrs);
        define_tensor(node.output(), out, out_shape);
        return;
    }
    if (x.kind == Value::Kind::dequantized) {
        const TensorQuant in_quant = graph_.tensors[static_cast<size_t>(x.tensor)].quant;
        const DType in_dtype = graph_.tensors[static_cast<size_t>(x.tensor)].dtype;
        if (op == OpKind::max_pool) {
            // max commutes with dequantization: pool the integers, view the result as float.
            const int32_t out = add_activation(node, node.output() + "/quantized", in_dtype, out_shape, in_quant);
            emit(name, op, {x.tensor}, out, attrs);
            Value v;
            v.kind = Value::Kind::dequantized;
            v.tensor = out;
            v.shape = out_shape;
            define(node.output(), std::move(v));
            return;
        }
        if (auto quantize = quantize_after(node.output(), {&x})) {
            done_[static_cast<size_t>(quantize->node)] = true;
            const TensorQuant quant = quantize->quant();
            const int32_t out = add_activation(node, quantize->output, quantize->dtype, out_shape, quant);
            emit(name, op, {x.tensor}, out, attrs);
            define_tensor(quantize->output, out, out_shape);
            return;
        }
    }
    const int32_t in = float_tensor(node, 0);
    const int32_t out = add_activation(node, node.output(), DType::float32, out_shape);
    emit(name, op, {in}, out, attrs);
    define_tensor(node.output(), out, out_shape);
}

void Importer::import_max_pool(const NodeRef& node) {
    node.allow_attributes({"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"});
    node.expect_input_count(1, 1);
    expect_outputs(node, 1);  // the indices output is not supported; storage_order only affects it
    const Value& x = image_input(node, 0);
    const std::vector<int64_t> kernel = pool_kernel(node);
    if (auto dilations = node.attr_ints("dilations")) {
        if (*dilations != std::vector<int64_t>{1, 1}) {
            node.fail_attribute("dilations", list_text(*dilations), "is not supported for pooling (only 1)");
        }
    }
    const Window window = spatial_window(node, x.shape[2], x.shape[3], kernel[0], kernel[1],
                                         WindowKind::max_pool);
    import_pool(node, OpKind::max_pool, window, {x.shape[0], x.shape[1], window.out_h, window.out_w}, false);
}

void Importer::import_average_pool(const NodeRef& node) {
    node.allow_attributes({"auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads",
                           "strides"});
    node.expect_input_count(1, 1);
    expect_outputs(node, 1);
    const Value& x = image_input(node, 0);
    const std::vector<int64_t> kernel = pool_kernel(node);
    if (auto dilations = node.attr_ints("dilations")) {
        if (*dilations != std::vector<int64_t>{1, 1}) {
            node.fail_attribute("dilations", list_text(*dilations), "is not supported for pooling (only 1)");
        }
    }
    const int64_t include = node.attr_int("count_include_pad", 0);
    if (include != 0 && include != 1) {
        node.fail_attribute("count_include_pad", std::to_string(include), "must be 0 or 1");
    }
    const Window window = spatial_window(node, x.shape[2], x.shape[3], kernel[0], kernel[1],
                                         WindowKind::average_pool);
    import_pool(node, OpKind::average_pool, window, {x.shape[0], x.shape[1], window.out_h, window.out_w},
                include == 1);
}

void Importer::import_global_average_pool(const NodeRef& node) {
    node.allow_attributes({});
    node.expect_input_count(1, 1);
    expect_outputs(node, 1);
    const Value& x = image_input(node, 0);
    import_pool(node, OpKind::global_average_pool, Window{}, {x.shape[0], x.shape[1], 1, 1}, false);
}

void Importer::import_global_max_pool(const NodeRef& node) {
    node.allow_attributes({});
    node.expect_input_count(1, 1);
    expect_outputs(node, 1);
    const Value& x = image_input(node, 0);
    if (x.shape[2] > kMaxWindowValue || x.shape[3] > kMaxWindowValue) {
        node.fail("input " + shape_text(x.shape) + " is too large for one pooling window");
    }
    Window window;  // a max pool whose window is the whole image
    window.kernel_h = x.shape[2];
    window.kernel_w = x.shape[3];
    import_pool(node, OpKind::max_pool, window, {x.shape[0], x.shape[1], 1, 1}, false);
}

// ---------------------------------------------------------------------------------------------
// Pass-through and layout ops

void Importer::import_identity(const NodeRef& node) {
    node.allow_attributes({});
    node.expect_input_count(1, 1);
    define(node.output(), data_input(node, 0));
}

void Importer::import_dropout(const NodeRef& node) {
    node.allow_attributes({"ratio", "seed", "is_test"});
    node.expect_input_count(1, 3);
    expect_outputs(node, 1);  // the mask output is not supported
    if (node.has_input(2)) {
        const Constant& training = constant_input(node, 2, "training_mode");
        if (training.count() != 1 || training.ints.empty() || training.ints[0] != 0) {
            node.fail("training_mode must be a constant false; only inference is supported");
        }
    }
    define(node.output(), data_input(node, 0));
}

Shape Importer::reshape_target(const NodeRef& node, const Shape& in, const Constant& shape, bool allow_zero) const {
    if (shape.type != TensorProto::INT64 || shape.dims.size() != 1) {
        node.fail("shape input must be a 1-D int64 constant (has " + type_name(shape.type) + " " +
                  shape_text(shape.dims) + ")");
    }
    Shape target(shape.ints.begin(), shape.ints.end());
    int infer = -1;
    int64_t known = 1;
    for (size_t i = 0; i < target.size(); ++i) {
        if (target[i] == 0 && !allow_zero) {
            if (i >= in.size()) {
                node.fail("shape " + list_text(shape.ints) + " copies dimension " + std::to_string(i) +
                          " of an input with only " + std::to_string(in.size()));
            }
            target[i] = in[i];
        } else if (target[i] == -1) {
            if (infer >= 0) {
                node.fail("shape " + list_text(shape.ints) + " has more than one -1");
            }
            infer = static_cast<int>(i);
            continue;
        } else if (target[i] < 1) {
            node.fail("shape " + list_text(shape.ints) + " is not supported (empty or negative dimension)");
        }
        if (target[i] > kMaxElements || known > kMaxElements / target[i]) {
            node.fail("shape " + list_text(shape.ints) + " has more than 2^31 - 1 elements");
        }
        known *= target[i];
    }
    const int64_t count = product(in, 0, in.size());
    if (infer >= 0) {
        if (count % known != 0) {
            node.fail("cannot reshape " + shape_text(in) + " to " + list_text(shape.ints));
        }
        target[static_cast<size_t>(infer)] = count / known;
    } else if (known != count) {
        node.fail("cannot reshape " + shape_text(in) + " (" + std::to_string(count) + " elements) to " +
                  shape_text(target));
    }
    return target;
}

// Reshape in ONNX's element order, with the graph's NHWC tensors transposed where their bytes
// differ from it; a flatten that only Gemm/MatMul reads keeps NHWC order (they permute weights).
void Importer::reshape_value(const NodeRef& node, const Value& x, const Shape& target) {
    const std::string name = node.graph_name();
    int32_t t = x.tensor;
    Value out;
    out.kind = x.kind;
    out.shape = target;
    if (!nhwc_bytes_are_nchw_order(x.shape)) {
        const bool flattens_to_rows = target.size() == 2 && target[0] == x.shape[0];
        if (flattens_to_rows && all_uses_are_fc_input(node.output())) {
            out.nhwc_flatten = NhwcFlatten{x.shape[1], x.shape[2], x.shape[3]};
            out.tensor = emit_reshape(name, t, target, node.output());
            define(node.output(), std::move(out));
            return;
        }
        t = emit_transpose(name + "/to_nchw", t, kNhwcToNchw);
    }
    if (target.size() == 4 && !nhwc_bytes_are_nchw_order(target)) {
        t = emit_reshape(name + "/nchw", t, target);
        out.tensor = emit_transpose(name + "/to_nhwc", t, kNchwToNhwc, node.output());
    } else if (graph_.tensors[static_cast<size_t>(t)].shape == graph_shape_of(target)) {
        out.tensor = t;  // nothing to reshape
    } else {
        out.tensor = emit_reshape(name, t, graph_shape_of(target), node.output());
    }
    define(node.output(), std::move(out));
}

void Importer::import_reshape(const NodeRef& node) {
    node.allow_attributes({"allowzero"});
    node.expect_input_count(2, 2);
    expect_outputs(node, 1);
    const Value& x = data_input(node, 0);
    const Shape target = reshape_target(node, x.shape, constant_input(node, 1, "shape"),
                                        node.attr_int("allowzero", 0) != 0);
    reshape_value(node, x, target);
}

void Importer::import_flatten(const NodeRef& node) {
    node.allow_attributes({"axis"});
    node.expect_input_count(1, 1);
    expect_outputs(node, 1);
    const Value& x = data_input(node, 0);
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    int64_t axis = node.attr_int("axis", 1);
    if (axis < -rank || axis > rank) {
        node.fail_attribute("axis", std::to_string(axis), "is out of range for rank " + std::to_string(rank));
    }
    axis = axis < 0 ? axis + rank : axis;
    const Shape target{product(x.shape, 0, static_cast<size_t>(axis)),
                       product(x.shape, static_cast<size_t>(axis), x.shape.size())};
    reshape_value(node, x, target);
}

std::vector<int64_t> Importer::transpose_perm(const NodeRef& node, size_t rank) {
    std::vector<int64_t> perm;
    if (auto given = node.attr_ints("perm")) {
        perm = *given;
        std::vector<bool> seen(rank, false);
        bool valid = perm.size() == rank;
        for (int64_t p : perm) {
            valid = valid && p >= 0 && p < static_cast<int64_t>(rank) && !seen[static_cast<size_t>(p)];
            if (valid) {
                seen[static_cast<size_t>(p)] = true;
            }
        }
        if (!valid) {
            node.fail_attribute("perm", list_text(perm), "is not a permutation of " + std::to_string(rank) + " axes");
        }
    } else {
        for (size_t i = 0; i < rank; ++i) {
            perm.push_back(static_cast<int64_t>(rank - 1 - i));
        }
    }
    return perm;
}

void Importer::import_transpose(const NodeRef& node) {
    node.allow_attributes({"perm"});
    node.expect_input_count(1, 1);
    expect_outputs(node, 1);
    const Value& x = data_input(node, 0);
    const size_t rank = x.shape.size();
    const std::vector<int64_t> perm = transpose_perm(node, rank);
    std::vector<int64_t> graph_perm = perm;
    if (rank == 4) {
        // Graph axis j is ONNX axis kOnnxAxisOfGraphAxis[j] of the output, which reads ONNX input axis
        // perm[that], which is graph input axis kGraphAxisOfOnnxAxis[that].
        for (size_t j = 0; j < 4; ++j) {
            graph_perm[j] = kGraphAxisOfOnnxAxis[perm[static_cast<size_t>(kOnnxAxisOfGraphAxis[j])]];
        }
    }
    Value out;
    out.kind = x.kind;
    out.shape = permuted(x.shape, perm);
    out.tensor = is_identity_permutation(graph_perm)
                     ? x.tensor
                     : emit_transpose(node.graph_name(), x.tensor, graph_perm, node.output());
    define(node.output(), std::move(out));
}

void Importer::import_concat(const NodeRef& node) {
    node.allow_attributes({"axis"});
    node.expect_input_count(1, std::numeric_limits<int>::max());
    expect_outputs(node, 1);
    const Value& first = data_input(node, 0);
    const int64_t rank = static_cast<int64_t>(first.shape.size());
    const auto* axis_attribute = node.attribute("axis");
    if (!axis_attribute) {
        node.fail("attribute 'axis' is missing");
    }
    int64_t axis = node.attr_int("axis", 0);
    if (rank == 0 || axis < -rank || axis >= rank) {
        node.fail_attribute("axis", std::to_string(axis), "is out of range for rank " + std::to_string(rank));
    }
    axis = axis < 0 ? axis + rank : axis;
    Shape out_shape = first.shape;
    out_shape[static_cast<size_t>(axis)] = 0;
    // Quantized inputs that share one type and parameters concatenate as integers.
    bool same_quantized = first.kind == Value::Kind::dequantized;
    const TensorInfo first_tensor = graph_.tensors[static_cast<size_t>(first.tensor)];
    for (int i = 0; i < node.proto.input_size(); ++i) {
        const Value& v = data_input(node, i);
        if (static_cast<int64_t>(v.shape.size()) != rank) {
            node.fail("inputs have ranks " + std::to_string(rank) + " and " + std::to_string(v.shape.size()));
        }
        for (int64_t d = 0; d < rank; ++d) {
            if (d != axis && v.shape[static_cast<size_t>(d)] != first.shape[static_cast<size_t>(d)]) {
                node.fail("input shapes " + shape_text(first.shape) + " and " + shape_text(v.shape) +
                          " differ outside axis " + std::to_string(axis));
            }
        }
        out_shape[static_cast<size_t>(axis)] += v.shape[static_cast<size_t>(axis)];
        if (out_shape[static_cast<size_t>(axis)] > kMaxElements) {
            node.fail("output is too large");
        }
        if (v.kind != Value::Kind::dequantized) {
            same_quantized = false;
        } else {
            const TensorInfo& t = graph_.tensors[static_cast<size_t>(v.tensor)];
            same_quantized = same_quantized && t.dtype == first_tensor.dtype &&
                             t.quant.scales == first_tensor.quant.scales &&
                             t.quant.zero_points == first_tensor.quant.zero_points;
        }
    }
    NodeAttributes attrs;
    attrs.axis = static_cast<int>(graph_axis_of(axis, static_cast<size_t>(rank)));
    // Quantized inputs of one type with their own parameters, then a QuantizeLinear: the inputs
    // are rescaled to the output's parameters.
    bool all_quantized = true;
    for (int i = 0; i < node.proto.input_size(); ++i) {
        const Value& v = value(node, i);
        all_quantized = all_quantized && v.kind == Value::Kind::dequantized &&
                        graph_.tensors[static_cast<size_t>(v.tensor)].dtype == first_tensor.dtype;
    }
    if (all_quantized && !same_quantized) {
        if (auto quantize = quantize_after(node.output())) {
            if (quantize->dtype == first_tensor.dtype) {
                done_[static_cast<size_t>(quantize->node)] = true;
                std::vector<int32_t> inputs;
                for (int i = 0; i < node.proto.input_size(); ++i) {
                    inputs.push_back(value(node, i).tensor);
                }
                const TensorQuant quant = quantize->quant();
                const int32_t out = add_activation(node, quantize->output, quantize->dtype, out_shape, quant);
                emit(node.graph_name(), OpKind::concat, std::move(inputs), out, attrs);
                define_tensor(quantize->output, out, out_shape);
                return;
            }
        }
    }
    std::vector<int32_t> inputs;
    for (int i = 0; i < node.proto.input_size(); ++i) {
        inputs.push_back(same_quantized ? value(node, i).tensor : float_tensor(node, i));
    }
    Value out;
    out.shape = out_shape;
    if (same_quantized) {
        out.kind = Value::Kind::dequantized;
        out.tensor = add_activation(node, node.output() + "/quantized", first_tensor.dtype, out_shape,
                                    first_tensor.quant);
    } else {
        out.kind = Value::Kind::tensor;
        out.tensor = add_activation(node, node.output(), DType::float32, out_shape);
    }
    emit(node.graph_name(), OpKind::concat, std::move(inputs), out.tensor, attrs);
    define(node.output(), std::move(out));
}

void Importer::import_softmax(const NodeRef& node) {
    node.allow_attributes({"axis"});
    node.expect_input_count(1, 1);
    expect_outputs(node, 1);
    const Value& x = data_input(node, 0);
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    int64_t axis = node.attr_int("axis", opset_ >= 13 ? -1 : 1);
    if (rank == 0 || axis < -rank || axis >= rank) {
        node.fail_attribute("axis", std::to_string(axis), "is out of range for rank " + std::to_string(rank));
    }
    axis = axis < 0 ? axis + rank : axis;
    const int32_t in = float_tensor(node, 0);
    const std::string name = node.graph_name();
    NodeAttributes attrs;
    int32_t out = -1;
    if (opset_ >= 13 || axis == rank - 1) {
        // One axis: move it last (the graph's softmax runs over the last axis), then back.
        const int64_t graph_axis = graph_axis_of(axis, static_cast<size_t>(rank));
        attrs.axis = static_cast<int>(rank - 1);
        if (graph_axis == rank - 1) {
            out = add_activation(node, node.output(), DType::float32, x.shape);
            emit(name, OpKind::softmax, {in}, out, attrs);
        } else {
            std::vector<int64_t> perm;
            for (int64_t i = 0; i < rank; ++i) {
                if (i != graph_axis) {
                    perm.push_back(i);
                }
            }
            perm.push_back(graph_axis);
            const int32_t moved = emit_transpose(name + "/axis_last", in, perm);
            const TensorInfo moved_info = graph_.tensors[static_cast<size_t>(moved)];
            const int32_t soft = add_tensor(node.output() + "/axis_last", DType::float32, moved_info.shape);
            emit(name, OpKind::softmax, {moved}, soft, attrs);
            out = emit_transpose(name + "/axis_back", soft, inverse_permutation(perm), node.output());
        }
    } else {
        // Before opset 13 the axes from `axis` on are flattened into one: softmax over a 2-D view
        // in ONNX's element order.
        int32_t t = in;
        if (!nhwc_bytes_are_nchw_order(x.shape)) {
            t = emit_transpose(name + "/to_nchw", t, kNhwcToNchw);
        }
        const Shape rows{product(x.shape, 0, static_cast<size_t>(axis)),
                         product(x.shape, static_cast<size_t>(axis), x.shape.size())};
        t = emit_reshape(name + "/rows", t, rows);
        attrs.axis = 1;
        const int32_t soft = add_tensor(name + "/softmax", DType::float32, rows);
        emit(name, OpKind::softmax, {t}, soft, attrs);
        if (!nhwc_bytes_are_nchw_order(x.shape)) {
            t = emit_reshape(name + "/nchw", soft, x.shape);
            out = emit_transpose(name + "/to_nhwc", t, kNchwToNhwc, node.output());
        } else {
            out = emit_reshape(name + "/unrows", soft, graph_shape_of(x.shape), node.output());
        }
    }
    define_tensor(node.output(), out, x.shape);
}

// ---------------------------------------------------------------------------------------------
// Quantization ops

Dequantization Importer::dequantization_params(const NodeRef& node, const Constant& scale,
                                               const Constant* zero_point, int32_t int_type, const Shape& dims,
                                               int64_t axis) const {
    Dequantization dq;
    dq.int_type = int_type;
    if (!scale.is_float()) {
        node.fail("scale has type " + type_name(scale.type) + "; float32 is needed");
    }
    dq.scales = scale.float_values();
    if (dq.scales.empty()) {
        node.fail("scale is empty");
    }
    for (float s : dq.scales) {
        if (!(s > 0) || !std::isfinite(s)) {
            node.fail("scale " + std::to_string(s) + " must be positive and finite");
        }
    }
    if (dq.scales.size() > 1) {
        const int64_t rank = static_cast<int64_t>(dims.size());
        if (scale.dims.size() != 1 || axis < -rank || axis >= rank) {
            node.fail_attribute("axis", std::to_string(axis), "does not fit a " + std::to_string(dq.scales.size()) +
                                                                  "-value scale on shape " + shape_text(dims));
        }
        dq.axis = axis < 0 ? axis + rank : axis;
        if (dims[static_cast<size_t>(dq.axis)] != static_cast<int64_t>(dq.scales.size())) {
            node.fail("scale has " + std::to_string(dq.scales.size()) + " values; axis " + std::to_string(dq.axis) +
                      " of " + shape_text(dims) + " has " + std::to_string(dims[static_cast<size_t>(dq.axis)]));
        }
    }
    if (zero_point) {
        if (zero_point->type != int_type || zero_point->dequantization) {
            node.fail("zero point has type " + type_name(zero_point->type) + ", the data " + type_name(int_type));
        }
        if (zero_point->count() != static_cast<int64_t>(dq.scales.size())) {
            node.fail("zero point has " + std::to_string(zero_point->count()) + " values, scale " +
                      std::to_string(dq.scales.size()));
        }
        dq.zero_points = zero_point->ints;
    } else {
        dq.zero_points.assign(dq.scales.size(), 0);
    }
    return dq;
}

ConstantPtr Importer::quantize_constant(const NodeRef& node, const Constant& x, const Constant& scale,
                                        const Constant* zero_point, int64_t axis) const {
    const int32_t int_type = zero_point ? zero_point->type : TensorProto::UINT8;
    if (int_type != TensorProto::UINT8 && int_type != TensorProto::INT8) {
        node.fail("zero point has type " + type_name(int_type) + "; uint8 or int8 is supported");
    }
    if (!x.is_float()) {
        node.fail("input has type " + type_name(x.type) + "; float32 is needed");
    }
    Constant q;
    q.type = int_type;
    q.dims = x.dims;
    q.ints.resize(static_cast<size_t>(x.count()));
    const Dequantization params = dequantization_params(node, scale, zero_point, int_type, x.dims, axis);
    const std::vector<float> values = x.float_values();
    const int64_t lo = int_type == TensorProto::UINT8 ? 0 : -128, hi = int_type == TensorProto::UINT8 ? 255 : 127;
    for (size_t i = 0; i < values.size(); ++i) {
        const size_t c = params.scales.size() == 1 ? 0 : static_cast<size_t>(x.index_along(static_cast<int64_t>(i), params.axis));
        // round half to even (the default rounding mode), then saturate, as QuantizeLinear says
        const double r = std::nearbyint(static_cast<double>(values[i]) / params.scales[c]);
        const double v = std::clamp(r + static_cast<double>(params.zero_points[c]), static_cast<double>(lo),
                                    static_cast<double>(hi));
        q.ints[i] = std::isnan(v) ? 0 : static_cast<int64_t>(v);
    }
    return std::make_shared<const Constant>(std::move(q));
}

void Importer::import_quantize(const NodeRef& node) {
    node.allow_attributes({"axis", "saturate"});
    node.expect_input_count(2, 3);
    expect_outputs(node, 1);
    const Value& x = data_input(node, 0);
    const float scale = scalar_scale(node, constant_input(node, 1, "scale"), "scale");
    const Constant* zero = optional_constant_input(node, 2, "zero point");
    const DType dtype = !zero || zero->type == TensorProto::UINT8 ? DType::uint8 : DType::int8;
    if (zero && zero->type != TensorProto::UINT8 && zero->type != TensorProto::INT8) {
        node.fail("zero point has type " + type_name(zero->type) + "; uint8 or int8 is supported");
    }
    const int32_t zero_point = scalar_zero_point(node, zero, dtype, "zero point");
    Value out;
    out.kind = Value::Kind::tensor;
    out.shape = x.shape;
    out.nhwc_flatten = x.nhwc_flatten;
    if (x.kind == Value::Kind::dequantized) {
        const TensorInfo& t = graph_.tensors[static_cast<size_t>(x.tensor)];
        if (t.dtype == dtype && t.quant.scales.size() == 1 && t.quant.scales[0] == scale &&
            t.quant.zero_points[0] == zero_point) {
            out.tensor = x.tensor;  // QuantizeLinear(DequantizeLinear(q)) with the same parameters is q
            define(node.output(), std::move(out));
            return;
        }
    }
    const int32_t in = x.kind == Value::Kind::dequantized ? float_view(x, node.proto.input(0)) : float_tensor(node, 0);
    TensorQuant quant;
    quant.scales = {scale};
    quant.zero_points = {zero_point};
    out.tensor = add_tensor(node.output(), dtype, graph_.tensors[static_cast<size_t>(in)].shape, quant);
    emit(node.graph_name(), OpKind::quantize, {in}, out.tensor);
    define(node.output(), std::move(out));
}

void Importer::import_dequantize(const NodeRef& node) {
    node.allow_attributes({"axis"});
    node.expect_input_count(2, 3);
    expect_outputs(node, 1);
    const Value& x = data_input(node, 0);
    if (x.kind != Value::Kind::tensor) {
        node.fail("input '" + node.proto.input(0) + "' is float; DequantizeLinear needs int8 or uint8");
    }
    const DType dtype = dtype_of(x);
    if (dtype != DType::uint8 && dtype != DType::int8) {
        node.fail("input '" + node.proto.input(0) + "' is " + dtype_name(dtype) +
                  "; dequantizing int8 and uint8 activations is supported");
    }
    const Constant& scale_constant = constant_input(node, 1, "scale");
    if (scale_constant.count() != 1) {
        node.fail("per-axis DequantizeLinear of an activation is not supported");
    }
    const float scale = scalar_scale(node, scale_constant, "scale");
    const int32_t zero_point = scalar_zero_point(node, optional_constant_input(node, 2, "zero point"), dtype,
                                                 "zero point");
    pin_quant(node, x.tensor, scale, zero_point);
    Value out;
    out.kind = Value::Kind::dequantized;
    out.tensor = x.tensor;
    out.shape = x.shape;
    out.nhwc_flatten = x.nhwc_flatten;
    define(node.output(), std::move(out));
}

// Integer linear ops (QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger): x is an integer
// tensor whose parameters the node gives; the weights must convert to symmetric int8 exactly.
void Importer::import_integer_linear(const NodeRef& node, const Value& x, const Constant& w, const Constant* w_zero,
                                     LinearSpec spec, DType out_dtype, TensorQuant out_quant,
                                     const std::vector<float>& weight_scales, const Constant* bias) {
    if (w.type != TensorProto::INT8 && w.type != TensorProto::UINT8) {
        node.fail("weights have type " + type_name(w.type) + "; int8 or uint8 is needed");
    }
    if (w.dequantization) {
        node.fail("weights must be integers, not the output of DequantizeLinear");
    }
    const DType in_dtype = graph_.tensors[static_cast<size_t>(x.tensor)].dtype;
    if (out_dtype != DType::int32 && out_dtype != in_dtype) {
        node.fail(std::string("input is ") + dtype_name(in_dtype) + " and output " + dtype_name(out_dtype) +
                  "; the integer kernels read and write one 8-bit type");
    }
    // The weights as a dequantized constant: scales per tensor or per output channel.
    Constant wq = w;
    Dequantization dq;
    dq.int_type = w.type;
    dq.scales = weight_scales;
    dq.axis = spec.weight_out_axis;
    if (dq.scales.size() != 1 && static_cast<int64_t>(dq.scales.size()) != spec.out_channels) {
        node.fail("weight scale has " + std::to_string(dq.scales.size()) + " values; 1 or " +
                  std::to_string(spec.out_channels) + " (per output channel) are supported");
    }
    if (w_zero) {
        if (w_zero->type != w.type || w_zero->dequantization) {
            node.fail("weight zero point has type " + type_name(w_zero->type) + ", the weights " + type_name(w.type));
        }
        if (w_zero->count() == 1) {
            dq.zero_points.assign(dq.scales.size(), w_zero->ints[0]);
        } else if (w_zero->count() == spec.out_channels) {
            dq.zero_points = w_zero->ints;
            if (dq.scales.size() == 1) {
                dq.scales.assign(static_cast<size_t>(spec.out_channels), dq.scales[0]);
            }
        } else {
            node.fail("weight zero point has " + std::to_string(w_zero->count()) + " values; 1 or " +
                      std::to_string(spec.out_channels) + " are supported");
        }
    } else {
        dq.zero_points.assign(dq.scales.size(), 0);
    }
    if (dq.zero_points.size() != dq.scales.size()) {
        dq.zero_points.assign(dq.scales.size(), dq.zero_points.at(0));
    }
    wq.dequantization = dq;
    std::string why;
    auto weights = quantized_weights(wq, spec, &why);
    if (!weights) {
        node.fail(why);
    }
    std::vector<int32_t> bias_values;
    if (bias) {
        if (bias->type != TensorProto::INT32 || bias->dequantization || bias->dims != Shape{spec.out_channels}) {
            node.fail("bias must be int32 [" + std::to_string(spec.out_channels) + "] (has " + type_name(bias->type) +
                      " " + shape_text(bias->dims) + ")");
        }
        bias_values.assign(bias->ints.begin(), bias->ints.end());
    }
    emit_quantized_linear(node, x.tensor, *weights, bias_values, spec, out_dtype, std::move(out_quant),
                          std::nullopt, node.output());
}

// The activation input of an integer linear op: only 8-bit integer tensors are supported.
DType Importer::integer_input_dtype(const NodeRef& node, const Value& x, const char* name) const {
    const DType dtype = dtype_of(x);
    if (x.kind != Value::Kind::tensor || (dtype != DType::uint8 && dtype != DType::int8)) {
        node.fail(std::string("input ") + name + " must be uint8 or int8");
    }
    return dtype;
}

// A QLinear op gives its input's scale and zero point at inputs scale_index and scale_index + 1;
// they must agree with what the tensor already has.
void Importer::pin_qlinear_input(const NodeRef& node, const Value& x, DType dtype, int scale_index,
                                 const char* scale_name, const char* zero_name) {
    const float scale = scalar_scale(node, constant_input(node, scale_index, scale_name), scale_name);
    pin_quant(node, x.tensor, scale,
              scalar_zero_point(node, &constant_input(node, scale_index + 1, zero_name), dtype, zero_name));
}

// The integer kernels take their weights prepacked, so only a constant weight input is supported.
const Constant& Importer::constant_weights(const NodeRef& node, int i, const char* name) const {
    const Value& weights = value(node, i);
    if (weights.kind != Value::Kind::constant) {
        node.fail(std::string("input ") + name + " '" + node.proto.input(i) +
                  "' is not a constant; only constant 2-D weights are supported");
    }
    return *weights.constant;
}

// Weight scales, one per tensor or per output channel (import_integer_linear checks the count).
std::vector<float> Importer::positive_scales(const NodeRef& node, const Constant& scales, const char* name) const {
    if (!scales.is_float() || scales.dequantization) {
        node.fail(std::string(name) + " must be float32");
    }
    const std::vector<float> values = scales.float_values();
    for (float s : values) {
        if (!(s > 0) || !std::isfinite(s)) {
            node.fail(std::string(name) + " " + std::to_string(s) + " must be positive and finite");
        }
    }
    return values;
}

OutputQuantization Importer::output_quantization(const NodeRef& node, int scale_index, int zero_index) const {
    const Constant& y_zero = constant_input(node, zero_index, "y_zero_point");
    OutputQuantization out;
    out.dtype = y_zero.type == TensorProto::INT8 ? DType::int8 : DType::uint8;
    out.quant.scales = {scalar_scale(node, constant_input(node, scale_index, "y_scale"), "y_scale")};
    out.quant.zero_points = {scalar_zero_point(node, &y_zero, out.dtype, "y_zero_point")};
    return out;
}

void Importer::import_qlinear_conv(const NodeRef& node) {
    node.allow_attributes({"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
    node.expect_input_count(8, 9);
    expect_outputs(node, 1);
    const Value& x = image_input(node, 0);
    const DType dtype = integer_input_dtype(node, x, "x");
    pin_qlinear_input(node, x, dtype, 1, "x_scale", "x_zero_point");
    const Constant& w = constant_input(node, 3, "w");
    const LinearSpec spec = conv_spec(node, x.shape, w);
    const std::vector<float> weight_scales = positive_scales(node, constant_input(node, 4, "w_scale"), "w_scale");
    OutputQuantization out = output_quantization(node, 6, 7);
    import_integer_linear(node, x, w, &constant_input(node, 5, "w_zero_point"), spec, out.dtype,
                          std::move(out.quant), weight_scales, optional_constant_input(node, 8, "B"));
}

void Importer::import_conv_integer(const NodeRef& node) {
    node.allow_attributes({"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
    node.expect_input_count(2, 4);
    expect_outputs(node, 1);
    const Value& x = image_input(node, 0);
    const DType dtype = integer_input_dtype(node, x, "x");
    const Constant* x_zero = optional_constant_input(node, 2, "x_zero_point");
    // Only the zero point matters for an int32 output; a scale the tensor already has is kept.
    pin_quant(node, x.tensor, 1.0f, scalar_zero_point(node, x_zero, dtype, "x_zero_point"), false);
    const Constant& w = constant_input(node, 1, "w");
    const LinearSpec spec = conv_spec(node, x.shape, w);
    import_integer_linear(node, x, w, optional_constant_input(node, 3, "w_zero_point"), spec, DType::int32, {},
                          {1.0f}, nullptr);
}

void Importer::import_qlinear_matmul(const NodeRef& node) {
    node.allow_attributes({});
    node.expect_input_count(8, 8);
    expect_outputs(node, 1);
    const Value& a = data_input(node, 0);
    const DType dtype = integer_input_dtype(node, a, "a");
    pin_qlinear_input(node, a, dtype, 1, "a_scale", "a_zero_point");
    const Constant& b = constant_weights(node, 3, "b");
    const LinearSpec spec = fc_spec(node, a, b, false);
    const std::vector<float> weight_scales = positive_scales(node, constant_input(node, 4, "b_scale"), "b_scale");
    OutputQuantization out = output_quantization(node, 6, 7);
    import_integer_linear(node, a, b, &constant_input(node, 5, "b_zero_point"), spec, out.dtype, std::move(out.quant),
                          weight_scales, nullptr);
}

void Importer::import_matmul_integer(const NodeRef& node) {
    node.allow_attributes({});
    node.expect_input_count(2, 4);
    expect_outputs(node, 1);
    const Value& a = data_input(node, 0);
    const DType dtype = integer_input_dtype(node, a, "A");
    const Constant* a_zero = optional_constant_input(node, 2, "a_zero_point");
    if (a_zero && a_zero->count() != 1) {
        node.fail("a_zero_point has " + std::to_string(a_zero->count()) + " values; only one (per tensor) is supported");
    }
    pin_quant(node, a.tensor, 1.0f, scalar_zero_point(node, a_zero, dtype, "a_zero_point"), false);
    const Constant& b = constant_weights(node, 1, "B");
    const LinearSpec spec = fc_spec(node, a, b, false);
    import_integer_linear(node, a, b, optional_constant_input(node, 3, "b_zero_point"), spec, DType::int32, {}, {1.0f},
                          nullptr);
}

// ---------------------------------------------------------------------------------------------
// Constant folding

void Importer::fold_node(const NodeRef& node) {
    const std::string& op = node.proto.op_type();
    auto define_constant = [&](Constant c) {
        Value v;
        v.kind = Value::Kind::constant;
        v.shape = c.dims;
        v.constant = std::make_shared<const Constant>(std::move(c));
        define(node.output(), std::move(v));
    };
    if (node.proto.output_size() < 1 || node.output().empty()) {
        node.fail("has no output");
    }
    if (op == "Constant") {
        node.allow_attributes({"value", "value_float", "value_floats", "value_int", "value_ints"});
        node.expect_input_count(0, 0);
        if (node.proto.attribute_size() != 1) {
            node.fail("needs exactly one value attribute");
        }
        const auto& a = node.proto.attribute(0);
        Constant c;
        if (a.name() == "value") {
            node.expect_attribute_type(a, onnx::AttributeProto::TENSOR);
            c = read_tensor(a.t(), [&](const std::string& what) { node.fail(what); });
        } else if (a.name() == "value_float") {
            node.expect_attribute_type(a, onnx::AttributeProto::FLOAT);
            c.floats = {a.f()};
        } else if (a.name() == "value_floats") {
            node.expect_attribute_type(a, onnx::AttributeProto::FLOATS);
            c.floats.assign(a.floats().begin(), a.floats().end());
            c.dims = {static_cast<int64_t>(c.floats.size())};
        } else if (a.name() == "value_int") {
            node.expect_attribute_type(a, onnx::AttributeProto::INT);
            c.type = TensorProto::INT64;
            c.ints = {a.i()};
        } else {
            node.expect_attribute_type(a, onnx::AttributeProto::INTS);
            c.type = TensorProto::INT64;
            c.ints.assign(a.ints().begin(), a.ints().end());
            c.dims = {static_cast<int64_t>(c.ints.size())};
        }
        define_constant(std::move(c));
        return;
    }
    const Constant& x = constant_input(node, 0, "data");
    if (op == "Gather") {
        node.allow_attributes({"axis"});
        node.expect_input_count(2, 2);
        define_constant(fold_gather(node, x, constant_input(node, 1, "indices")));
    } else if (op == "Concat") {
        define_constant(fold_concat(node));
    } else if (op == "Cast") {
        define_constant(fold_cast(node, x));
    } else if (op == "Unsqueeze" || op == "Squeeze") {
        node.allow_attributes({"axes"});
        node.expect_input_count(1, 2);
        const int64_t rank = static_cast<int64_t>(x.dims.size());
        const auto given = raw_axes(node, 1);
        Constant c;
        c.type = x.type;
        c.floats = x.is_float() ? x.float_values() : std::vector<float>{};
        c.ints = x.is_float() ? std::vector<int64_t>{} : x.ints;
        if (op == "Unsqueeze") {
            if (!given) {
                node.fail("axes are missing");
            }
            const int64_t out_rank = rank + static_cast<int64_t>(given->size());
            const std::vector<int64_t> axes = normalized_axes(node, *given, out_rank);
            size_t next = 0;
            for (int64_t i = 0; i < out_rank; ++i) {
                const bool inserted = std::count(axes.begin(), axes.end(), i) > 0;
                c.dims.push_back(inserted ? 1 : x.dims[next++]);
            }
        } else {
            const std::vector<int64_t> axes = given ? normalized_axes(node, *given, rank) : std::vector<int64_t>{};
            for (int64_t i = 0; i < rank; ++i) {
                const int64_t d = x.dims[static_cast<size_t>(i)];
                const bool listed = std::count(axes.begin(), axes.end(), i) > 0;
                if (listed && d != 1) {
                    node.fail("cannot squeeze axis " + std::to_string(i) + " of size " + std::to_string(d));
                }
                if (!listed && !(axes.empty() && d == 1)) {
                    c.dims.push_back(d);
                }
            }
        }
        define_constant(std::move(c));
    } else if (op == "Identity" || op == "Dropout") {
        node.allow_attributes({"ratio", "seed", "is_test"});
        expect_outputs(node, 1);
        define(node.output(), value(node, 0));
    } else if (op == "QuantizeLinear") {
        node.allow_attributes({"axis", "saturate"});
        node.expect_input_count(2, 3);
        define_constant(*quantize_constant(node, x, constant_input(node, 1, "scale"),
                                           optional_constant_input(node, 2, "zero point"), node.attr_int("axis", 1)));
    } else if (op == "DequantizeLinear") {
        node.allow_attributes({"axis"});
        node.expect_input_count(2, 3);
        if (x.dequantization || (x.type != TensorProto::INT8 && x.type != TensorProto::UINT8 &&
                                 x.type != TensorProto::INT32)) {
            node.fail("input has type " + type_name(x.type) + "; int8, uint8 or int32 is supported");
        }
        Constant c = x;
        c.dequantization = dequantization_params(node, constant_input(node, 1, "scale"),
                                                 optional_constant_input(node, 2, "zero point"), x.type, x.dims,
                                                 node.attr_int("axis", 1));
        c.type = TensorProto::FLOAT;
        define_constant(std::move(c));
    } else if (op == "Reshape" || op == "Flatten") {
        Constant c;
        if (op == "Reshape") {
            node.allow_attributes({"allowzero"});
            node.expect_input_count(2, 2);
            c.dims = reshape_target(node, x.dims, constant_input(node, 1, "shape"),
                                    node.attr_int("allowzero", 0) != 0);
        } else {
            node.allow_attributes({"axis"});
            node.expect_input_count(1, 1);
            const int64_t rank = static_cast<int64_t>(x.dims.size());
            int64_t axis = node.attr_int("axis", 1);
            if (axis < -rank || axis > rank) {
                node.fail_attribute("axis", std::to_string(axis), "is out of range for rank " + std::to_string(rank));
            }
            axis = axis < 0 ? axis + rank : axis;
            c.dims = {product(x.dims, 0, static_cast<size_t>(axis)),
                      product(x.dims, static_cast<size_t>(axis), x.dims.size())};
        }
        // The values keep their order; a dequantized constant becomes plain float (its axis moved).
        c.type = x.type;
        if (x.is_float()) {
            c.floats = x.float_values();
        } else {
            c.ints = x.ints;
        }
        define_constant(std::move(c));
    } else if (op == "Transpose") {
        node.allow_attributes({"perm"});
        node.expect_input_count(1, 1);
        const std::vector<int64_t> perm = transpose_perm(node, x.dims.size());
        Constant c;
        c.type = x.type;
        c.dims = permuted(x.dims, perm);
        const std::vector<float> floats = x.is_float() ? x.float_values() : std::vector<float>{};
        const size_t count = static_cast<size_t>(x.count());
        std::vector<int64_t> in_strides(x.dims.size(), 1);
        for (size_t i = x.dims.size(); i-- > 1;) {
            in_strides[i - 1] = in_strides[i] * x.dims[i];
        }
        (x.is_float() ? c.floats.resize(count) : c.ints.resize(count));
        std::vector<int64_t> index(c.dims.size(), 0);  // output coordinates
        for (size_t out = 0; out < count; ++out) {
            int64_t source = 0;
            for (size_t d = 0; d < index.size(); ++d) {
                source += index[d] * in_strides[static_cast<size_t>(perm[d])];
            }
            if (x.is_float()) {
                c.floats[out] = floats[static_cast<size_t>(source)];
            } else {
                c.ints[out] = x.ints[static_cast<size_t>(source)];
            }
            for (size_t d = index.size(); d-- > 0;) {
                if (++index[d] < c.dims[d]) {
                    break;
                }
                index[d] = 0;
            }
        }
        define_constant(std::move(c));
    }
}


// The axes of Unsqueeze, Squeeze and ReduceMean: an attribute in older opsets, input `input` in newer.
std::optional<std::vector<int64_t>> Importer::raw_axes(const NodeRef& node, int input) const {
    if (auto attribute = node.attr_ints("axes")) {
        return attribute;
    }
    if (node.has_input(input)) {
        const Constant& axes = constant_input(node, input, "axes");
        if (axes.type != TensorProto::INT64 || axes.dims.size() > 1) {
            node.fail("axes must be a 1-D int64 constant");
        }
        return axes.ints;
    }
    return std::nullopt;
}

std::vector<int64_t> Importer::normalized_axes(const NodeRef& node, const std::vector<int64_t>& axes,
                                               int64_t rank) const {
    std::vector<int64_t> out;
    for (int64_t a : axes) {
        const int64_t axis = a < 0 ? a + rank : a;
        if (axis < 0 || axis >= rank || std::count(out.begin(), out.end(), axis)) {
            node.fail("axes " + list_text(axes) + " are invalid for rank " + std::to_string(rank));
        }
        out.push_back(axis);
    }
    std::sort(out.begin(), out.end());
    return out;
}

// Constants from shape computations are small; this bound keeps hostile ones from growing.
constexpr int64_t kMaxFoldedElements = int64_t{1} << 24;

Constant Importer::fold_gather(const NodeRef& node, const Constant& data, const Constant& indices) const {
    if (indices.type != TensorProto::INT64 && indices.type != TensorProto::INT32) {
        node.fail("indices have type " + type_name(indices.type) + "; int64 or int32 is needed");
    }
    const int64_t rank = static_cast<int64_t>(data.dims.size());
    int64_t axis = node.attr_int("axis", 0);
    if (rank == 0 || axis < -rank || axis >= rank) {
        node.fail_attribute("axis", std::to_string(axis), "is out of range for rank " + std::to_string(rank));
    }
    axis = axis < 0 ? axis + rank : axis;
    const int64_t extent = data.dims[static_cast<size_t>(axis)];
    const int64_t outer = product(data.dims, 0, static_cast<size_t>(axis));
    const int64_t inner = product(data.dims, static_cast<size_t>(axis) + 1, data.dims.size());
    Constant c;
    c.type = data.type;
    c.dims.assign(data.dims.begin(), data.dims.begin() + axis);
    c.dims.insert(c.dims.end(), indices.dims.begin(), indices.dims.end());
    c.dims.insert(c.dims.end(), data.dims.begin() + axis + 1, data.dims.end());
    const int64_t count = element_count_or_invalid(c.dims);
    if (count < 0 || count > kMaxFoldedElements) {
        node.fail("output shape " + shape_text(c.dims) + " is too large to evaluate at import");
    }
    const std::vector<float> values = data.is_float() ? data.float_values() : std::vector<float>{};
    for (int64_t o = 0; o < outer; ++o) {
        for (int64_t index : indices.ints) {
            const int64_t i = index < 0 ? index + extent : index;
            if (i < 0 || i >= extent) {
                node.fail("index " + std::to_string(index) + " is out of range for " + std::to_string(extent));
            }
            for (int64_t k = 0; k < inner; ++k) {
                const size_t source = static_cast<size_t>((o * extent + i) * inner + k);
                if (data.is_float()) {
                    c.floats.push_back(values[source]);
                } else {
                    c.ints.push_back(data.ints[source]);
                }
            }
        }
    }
    return c;
}

Constant Importer::fold_concat(const NodeRef& node) const {
    node.allow_attributes({"axis"});
    node.expect_input_count(1, std::numeric_limits<int>::max());
    const Constant& first = constant_input(node, 0, "data");
    const int64_t rank = static_cast<int64_t>(first.dims.size());
    int64_t axis = node.attr_int("axis", 0);
    if (!node.attribute("axis") || rank == 0 || axis < -rank || axis >= rank) {
        node.fail_attribute("axis", node.attribute("axis") ? std::to_string(axis) : "(missing)",
                            "is not valid for rank " + std::to_string(rank));
    }
    axis = axis < 0 ? axis + rank : axis;
    Constant c;
    c.type = first.type;
    c.dims = first.dims;
    c.dims[static_cast<size_t>(axis)] = 0;
    for (int i = 0; i < node.proto.input_size(); ++i) {
        const Constant& part = constant_input(node, i, "data");
        if (part.type != first.type || part.dims.size() != first.dims.size()) {
            node.fail("inputs differ in type or rank");
        }
        for (int64_t d = 0; d < rank; ++d) {
            if (d != axis && part.dims[static_cast<size_t>(d)] != first.dims[static_cast<size_t>(d)]) {
                node.fail("input shapes " + shape_text(first.dims) + " and " + shape_text(part.dims) + " differ");
            }
        }
        c.dims[static_cast<size_t>(axis)] += part.dims[static_cast<size_t>(axis)];
        if (c.dims[static_cast<size_t>(axis)] > kMaxFoldedElements) {
            node.fail("output is too large to evaluate at import");
        }
    }
    const int64_t count = element_count_or_invalid(c.dims);
    if (count < 0 || count > kMaxFoldedElements) {
        node.fail("output shape " + shape_text(c.dims) + " is too large to evaluate at import");
    }
    const int64_t outer = product(first.dims, 0, static_cast<size_t>(axis));
    for (int64_t o = 0; o < outer; ++o) {
        for (int i = 0; i < node.proto.input_size(); ++i) {
            const Constant& part = constant_input(node, i, "data");
            const int64_t block = product(part.dims, static_cast<size_t>(axis), part.dims.size());
            const std::vector<float> values = part.is_float() ? part.float_values() : std::vector<float>{};
            for (int64_t k = 0; k < block; ++k) {
                const size_t source = static_cast<size_t>(o * block + k);
                if (part.is_float()) {
                    c.floats.push_back(values[source]);
                } else {
                    c.ints.push_back(part.ints[source]);
                }
            }
        }
    }
    return c;
}

Constant Importer::fold_cast(const NodeRef& node, const Constant& x) const {
    node.allow_attributes({"to", "saturate"});
    node.expect_input_count(1, 1);
    const int64_t to = node.attr_int("to", TensorProto::UNDEFINED);
    Constant c;
    c.dims = x.dims;
    if (to == TensorProto::FLOAT || to == TensorProto::DOUBLE) {
        c.type = TensorProto::FLOAT;
        c.floats = x.float_values();
        return c;
    }
    if (to != TensorProto::INT64 && to != TensorProto::INT32) {
        node.fail_attribute("to", type_name(static_cast<int32_t>(to)), "is not supported (FLOAT, INT32, INT64 are)");
    }
    c.type = static_cast<int32_t>(to);
    if (!x.is_float()) {
        c.ints = x.ints;
        return c;
    }
    for (float v : x.float_values()) {
        if (!(std::fabs(v) < 9.2e18f)) {
            node.fail("value " + std::to_string(v) + " does not convert to an integer");
        }
        c.ints.push_back(static_cast<int64_t>(v));  // toward zero
    }
    return c;
}

void Importer::import_shape(const NodeRef& node) {
    node.allow_attributes({"start", "end"});
    node.expect_input_count(1, 1);
    const Shape& dims = value(node, 0).shape;
    const int64_t rank = static_cast<int64_t>(dims.size());
    auto clamp_index = [&](int64_t i) { return std::clamp(i < 0 ? i + rank : i, int64_t{0}, rank); };
    const int64_t start = clamp_index(node.attr_int("start", 0));
    const int64_t end = clamp_index(node.attr_int("end", rank));
    Constant c;
    c.type = TensorProto::INT64;
    for (int64_t i = start; i < end; ++i) {
        c.ints.push_back(dims[static_cast<size_t>(i)]);  // the ONNX shape, with the batch already set
    }
    c.dims = {static_cast<int64_t>(c.ints.size())};
    Value v;
    v.kind = Value::Kind::constant;
    v.shape = c.dims;
    v.constant = std::make_shared<const Constant>(std::move(c));
    define(node.output(), std::move(v));
}

void Importer::import_constant_only(const NodeRef& node) {
    node.fail("operator is supported only on constant inputs (shape computations and weights)");
}

// ReduceMean over H and W of an image is a global average pool (PyTorch's x.mean((2, 3))).
void Importer::import_reduce_mean(const NodeRef& node) {
    node.allow_attributes({"axes", "keepdims", "noop_with_empty_axes"});
    node.expect_input_count(1, 2);
    expect_outputs(node, 1);
    const Value& x = image_input(node, 0);
    const auto given = raw_axes(node, 1);
    if (!given || normalized_axes(node, *given, 4) != std::vector<int64_t>{2, 3}) {
        node.fail("only the mean over axes [2, 3] (height and width) of a 4-D input is supported");
    }
    const int64_t keepdims = node.attr_int("keepdims", 1);
    const Shape pooled{x.shape[0], x.shape[1], 1, 1};
    if (keepdims != 0) {
        import_pool(node, OpKind::global_average_pool, Window{}, pooled, false);
        return;
    }
    const int32_t in = float_tensor(node, 0);
    const int32_t pool = add_activation(node, node.output() + "/pooled", DType::float32, pooled);
    emit(node.graph_name(), OpKind::global_average_pool, {in}, pool);
    const Shape out{x.shape[0], x.shape[1]};
    define_tensor(node.output(), emit_reshape(node.graph_name() + "/squeeze", pool, out, node.output()), out);
}

Graph import_model(const uint8_t* data, size_t size, int64_t batch, const std::string& source) {
    if (!data && size > 0) {
        throw Error("ONNX import: null data");
    }
    if (size > static_cast<size_t>(std::numeric_limits<int>::max())) {
        throw Error("ONNX model is larger than 2 GB, which protobuf cannot parse");
    }
    onnx::ModelProto model;
    if (!model.ParseFromArray(data, static_cast<int>(size))) {
        throw Error("ONNX model" + (source.empty() ? std::string() : " '" + source + "'") +
                    " is not a valid ONNX protobuf (truncated or corrupt file)");
    }
    return Importer(model, batch, source).run();
}

}  // namespace

Graph import_onnx(const std::string& path, int64_t batch) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        throw Error("cannot open ONNX model '" + path + "'");
    }
    const std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (file.bad()) {
        throw Error("cannot read ONNX model '" + path + "'");
    }
    const std::string file_name = path.substr(path.find_last_of("/\\") == std::string::npos
                                                  ? 0
                                                  : path.find_last_of("/\\") + 1);
    return import_model(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), batch, file_name);
}

Graph import_onnx_bytes(const uint8_t* data, size_t size, int64_t batch) {
    return import_model(data, size, batch, "");
}

}  // namespace haqm
