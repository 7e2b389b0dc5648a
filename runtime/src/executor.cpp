// Model (prepare once: validate, pack weights, build kernel specs, plan memory) and Session (run).
// Quantized convolutions, fully connected layers, adds, pools, lookup-table activations,
// quantize and dequantize call the AOT kernels; float ops and the small layout ops (reshape,
// transpose, concat, channel-broadcast mul, softmax) run plain C++ (float_ops.cpp).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <tuple>

#include "float_ops.h"
#include "haqm/model.h"

namespace haqm {
namespace {

bool is_8bit(DType d) { return d == DType::int8 || d == DType::uint8; }

IntegerRange range_of(DType d) { return integer_range(8, d == DType::int8); }

// The levels a tensor may hold: its type's range, narrowed to `bits` (intN activations in 8-bit storage).
IntegerRange levels_of(const TensorInfo& t) {
    const int bits = t.quant.empty() ? 8 : std::min(t.quant.bits, 8);
    return integer_range(bits, t.dtype == DType::int8);
}

[[noreturn]] void fail(const Node& node, const std::string& what) {
    throw Error("node '" + node.name + "' (" + op_name(node.op) + "): " + what);
}

// The quantized output range a fused ReLU / Clip leaves (the rest of the type's range clamps).
std::pair<std::optional<int32_t>, std::optional<int32_t>> fused_range(const Node& node, const TensorInfo& out) {
    const NodeAttributes& a = node.attrs;
    if (!is_8bit(out.dtype)) {
        if (a.activation != Activation::none) fail(node, "a fused activation needs an 8-bit output");
        return {std::nullopt, std::nullopt};
    }
    const IntegerRange r = levels_of(out);
    if (a.activation == Activation::none) return {r.min, r.max};
    const float scale = out.quant.scales[0];
    const int32_t zp = out.quant.zero_points[0];
    const auto level = [&](float v) {
        const double q = std::nearbyint(static_cast<double>(v) / scale) + zp;
        return static_cast<int32_t>(std::clamp<double>(q, r.min, r.max));
    };
    if (a.activation == Activation::relu) return {std::clamp(zp, r.min, r.max), r.max};
    if (a.activation == Activation::clip) {
        return {std::isfinite(a.clip_min) ? level(a.clip_min) : r.min, std::isfinite(a.clip_max) ? level(a.clip_max) : r.max};
    }
    fail(node, std::string("activation ") + activation_name(a.activation) + " cannot be fused into a quantized op");
}

// Lookup table of a quantized unary op: every input level through the float function.
std::vector<uint8_t> activation_table(const NodeAttributes& attrs, const TensorInfo& in, const TensorInfo& out) {
    const IntegerRange in_range = range_of(in.dtype), out_range = levels_of(out);
    std::vector<uint8_t> table(kLutEntries);
    for (int32_t q = in_range.min; q <= in_range.max; ++q) {
        const float x = static_cast<float>(q - in.quant.zero_points[0]) * in.quant.scales[0];
        const double y = std::nearbyint(static_cast<double>(detail::activate(x, attrs)) / out.quant.scales[0]) +
                         out.quant.zero_points[0];
        const int32_t level = static_cast<int32_t>(std::clamp<double>(y, out_range.min, out_range.max));
        table[static_cast<size_t>(q - in_range.min)] = static_cast<uint8_t>(level);
    }
    return table;
}

// Rescales one 8-bit level to another tensor's parameters (concat inputs with their own scale).
std::vector<uint8_t> rescale_table(const TensorInfo& in, const TensorInfo& out) {
    NodeAttributes identity;
    identity.activation = Activation::none;
    return activation_table(identity, in, out);
}

std::string family_of(const Node& node, const Graph& graph) {
    const TensorInfo& in = graph.tensors[static_cast<size_t>(node.inputs[0])];
    const TensorInfo& out = graph.tensors[static_cast<size_t>(node.outputs[0])];
    const bool q = is_8bit(in.dtype);
    switch (node.op) {
    case OpKind::conv: {
        const Shape& w = graph.tensors[static_cast<size_t>(node.inputs[1])].shape;
        if (!q) return "";
        return node.attrs.groups > 1 && w[2] == 1 ? "depthwise_conv2d_q8" : "conv2d_q8";
    }
    case OpKind::fully_connected: return q ? "gemm_q8" : "";
    case OpKind::add: return q ? "add_q8" : "";
    case OpKind::activation: return q ? "lut_q8" : "";
    case OpKind::max_pool:
    case OpKind::average_pool:
    case OpKind::global_average_pool: return q ? "pool_q8" : "";
    case OpKind::quantize: return "quantize";
    case OpKind::dequantize: return out.dtype == DType::float32 ? "dequantize" : "";
    default: return "";
    }
}

// The default schedule table: which schedule a quantized node runs when nobody chose one
// (bench_model's rows and docs/performance.md "Whole models" are the measurements behind it).
// - Convolutions with 16 or 32 output channels per group take the narrow register tiles made for
//   them on AVX-512 (the library's default tile is 64 channels wide: a 16-channel layer would
//   compute 4x its work).
// - Nodes with little work run single-threaded: below ~4 M multiply-accumulates (or elements for
//   pools) waking the second thread costs more than it saves (MobileNet-v3 on 2 threads: 0.55 ms
//   with the parallel defaults, 0.31 ms without).
// - Everything else: the family's own default.
constexpr double kParallelMinWork = 4e6;

std::string default_schedule_for(const Graph& g, const Node& node, const std::string& family) {
    const auto& out = g.tensors[static_cast<size_t>(node.outputs[0])];
    double work = static_cast<double>(out.elements());
    if (node.op == OpKind::conv || node.op == OpKind::fully_connected) {
        const Shape& w = g.tensors[static_cast<size_t>(node.inputs[1])].shape;
        work *= node.op == OpKind::conv ? static_cast<double>(w[0] * w[1] * w[2]) : static_cast<double>(w[0]);
    } else if (node.op != OpKind::activation && node.op != OpKind::add) {
        work = static_cast<double>(g.tensors[static_cast<size_t>(node.inputs[0])].elements());
    }
    if (family == "conv2d_q8") {
        const auto isas = supported_isas();
        const bool wide_tiles = !isas.empty() && isas.front().rfind("avx512", 0) == 0;
        const int64_t group_out = g.tensors[static_cast<size_t>(node.inputs[1])].shape[3] / node.attrs.groups;
        if (wide_tiles && group_out <= 16) return "tiled_vec_c16";
        if (wide_tiles && group_out <= 32) return "tiled_vec_c32";
    }
    const auto names = schedules(family);
    const bool has_serial = std::find(names.begin(), names.end(), "tiled_vec") != names.end();
    if (has_serial && default_schedule(family) == "tiled_vec_par" && work < kParallelMinWork) return "tiled_vec";
    return "";
}

}  // namespace

struct Model::Prepared {
    struct NodeKernel {
        KernelChoice choice;
        std::unique_ptr<PackedConvWeights> conv_weights;
        Conv2dSpec conv;
        std::unique_ptr<PackedWeights> fc_weights;
        GemmSpec gemm;
        AddSpec add;
        Pool2dSpec pool;
        std::vector<uint8_t> table;                // lut activations
        std::vector<std::vector<uint8_t>> tables;  // concat inputs (empty: same parameters)
        QuantizationSpec quantization;             // quantize / dequantize
        float mul_scale = 0;                       // quantized mul: sa * sb / so
    };
    Graph graph;
    ModelOptions options;
    MemoryPlan plan;
    std::vector<std::string> schedules;
    std::vector<NodeKernel> kernels;
};

namespace {

// The kernels take one weight zero point: per-channel weights must all have zero point 0.
void check_weight_zero_points(const Node& node, const TensorInfo& w) {
    const auto& z = w.quant.zero_points;
    if (z.size() != 1 && std::any_of(z.begin(), z.end(), [](int32_t v) { return v != 0; })) {
        fail(node, "per-channel weights need zero points of 0");
    }
}

std::vector<int32_t> as_int32(const TensorInfo& t) {
    const auto s = t.constant->as<int32_t>();
    return std::vector<int32_t>(s.data(), s.data() + s.size());
}

template <class Spec>
void set_requantization(Spec& spec, Requantization rule, const TensorInfo& in, const TensorInfo& w,
                        const TensorInfo& out, int64_t channels) {
    spec.requantization = rule;
    if (!is_8bit(out.dtype)) return;  // int32 outputs (ConvInteger, MatMulInteger)
    const size_t n = w.quant.scales.size();
    if (n != 1 && static_cast<int64_t>(n) != channels) throw Error("weights need one scale or one per output channel");
    for (size_t c = 0; c < n; ++c) {
        const double in_s = in.quant.scales[0], w_s = w.quant.scales[c], out_s = out.quant.scales[0];
        if (rule == Requantization::fixed) {
            spec.output_multipliers.push_back(requantization_multiplier(in_s, w_s, out_s));
        } else {
            spec.output_scales.push_back(static_cast<float>(in_s * w_s / out_s));
        }
    }
    spec.output_zero_point = out.quant.zero_points[0];
}

void prepare_node(const Graph& g, const Node& node, Model::Prepared::NodeKernel& k) {
    const auto tensor = [&](size_t i) -> const TensorInfo& { return g.tensors[static_cast<size_t>(node.inputs[i])]; };
    const TensorInfo& in = tensor(0);
    const TensorInfo& out = g.tensors[static_cast<size_t>(node.outputs[0])];
    const bool quantized = is_8bit(in.dtype);
    const bool has_bias = node.inputs.size() == 3 && node.inputs[2] >= 0;
    switch (node.op) {
    case OpKind::conv: {
        if (!quantized) break;
        const TensorInfo& w = tensor(1);
        check_weight_zero_points(node, w);
        if (out.dtype != in.dtype && out.dtype != DType::int32) fail(node, "input and output must have the same 8-bit type");
        k.conv_weights = std::make_unique<PackedConvWeights>(w.constant->as<int8_t>(), w.shape, node.attrs.groups, w.quant.zero_points[0]);
        Conv2dSpec& s = k.conv;
        const NodeAttributes& a = node.attrs;
        s.stride_h = a.stride_h, s.stride_w = a.stride_w, s.dilation_h = a.dilation_h, s.dilation_w = a.dilation_w;
        s.pad_top = a.pad_top, s.pad_left = a.pad_left, s.pad_bottom = a.pad_bottom, s.pad_right = a.pad_right;
        s.groups = a.groups;
        s.input_zero_point = in.quant.zero_points[0];
        s.weight_zero_point = w.quant.zero_points[0];
        if (has_bias) s.bias = as_int32(tensor(2));
        set_requantization(s, g.requantization, in, w, out, w.shape[3]);
        std::tie(s.output_min, s.output_max) = fused_range(node, out);
        break;
    }
    case OpKind::fully_connected: {
        if (!quantized) break;
        const TensorInfo& w = tensor(1);
        if (out.dtype != in.dtype && out.dtype != DType::int32) fail(node, "input and output must have the same 8-bit type");
        check_weight_zero_points(node, w);
        k.fc_weights = std::make_unique<PackedWeights>(w.constant->as<int8_t>(), w.shape[0], w.shape[1], w.quant.zero_points[0]);
        k.gemm.a_zero_point = in.quant.zero_points[0];
        if (has_bias) k.gemm.bias = as_int32(tensor(2));
        set_requantization(k.gemm, g.requantization, in, w, out, w.shape[1]);
        std::tie(k.gemm.output_min, k.gemm.output_max) = fused_range(node, out);
        break;
    }
    case OpKind::add: {
        if (!quantized) break;
        const TensorInfo& b = tensor(1);
        if (b.dtype != in.dtype || out.dtype != in.dtype) fail(node, "inputs and output must have the same 8-bit type");
        k.add = {in.quant.scales[0], in.quant.zero_points[0], b.quant.scales[0], b.quant.zero_points[0],
                 out.quant.scales[0], out.quant.zero_points[0], std::nullopt, std::nullopt};
        std::tie(k.add.output_min, k.add.output_max) = fused_range(node, out);
        break;
    }
    case OpKind::mul: {
        if (!quantized) break;
        const TensorInfo& b = tensor(1);
        if (b.dtype != in.dtype || out.dtype != in.dtype) fail(node, "inputs and output must have the same 8-bit type");
        k.mul_scale = in.quant.scales[0] * b.quant.scales[0] / out.quant.scales[0];
        break;
    }
    case OpKind::activation:
        if (!quantized) break;
        if (out.dtype != in.dtype) fail(node, "input and output must have the same 8-bit type");
        k.table = activation_table(node.attrs, in, out);
        break;
    case OpKind::max_pool:
    case OpKind::average_pool:
    case OpKind::global_average_pool: {
        if (!quantized) break;
        if (out.dtype != in.dtype) fail(node, "input and output must have the same 8-bit type");
        if (node.attrs.activation != Activation::none) fail(node, "pools take no fused activation");
        Pool2dSpec& p = k.pool;
        const NodeAttributes& a = node.attrs;
        p.kind = node.op == OpKind::max_pool ? PoolKind::max : node.op == OpKind::average_pool ? PoolKind::average : PoolKind::global_average;
        p.kernel_h = a.kernel_h, p.kernel_w = a.kernel_w, p.stride_h = a.stride_h, p.stride_w = a.stride_w;
        p.pad_top = a.pad_top, p.pad_left = a.pad_left, p.pad_bottom = a.pad_bottom, p.pad_right = a.pad_right;
        p.count_include_pad = a.count_include_pad;
        p.input_zero_point = in.quant.zero_points[0];
        p.input_scale = in.quant.scales[0];
        p.output_scale = out.quant.scales[0];
        p.output_zero_point = out.quant.zero_points[0];
        std::tie(p.output_min, p.output_max) = fused_range(node, out);
        if (p.kind == PoolKind::max && (in.quant.scales[0] != out.quant.scales[0] || in.quant.zero_points[0] != out.quant.zero_points[0])) {
            fail(node, "quantized max pooling keeps its input's scale and zero point");
        }
        break;
    }
    case OpKind::concat:
        if (!quantized) break;
        for (size_t i = 0; i < node.inputs.size(); ++i) {
            const TensorInfo& t = tensor(i);
            const bool same = t.quant.scales[0] == out.quant.scales[0] && t.quant.zero_points[0] == out.quant.zero_points[0];
            k.tables.push_back(same ? std::vector<uint8_t>{} : rescale_table(t, out));
        }
        break;
    case OpKind::quantize:
        k.quantization = {out.quant.scales, out.quant.zero_points, 0, std::min(out.quant.bits, 8)};
        break;
    case OpKind::dequantize:
        k.quantization = {in.quant.scales, in.quant.zero_points, in.quant.axis, 8};
        break;
    case OpKind::softmax:
        if (in.dtype != DType::float32) fail(node, "softmax runs on float32 (dequantize first)");
        break;
    case OpKind::reshape:
    case OpKind::transpose: break;
    }
}

}  // namespace

Model::Model(Graph graph, ModelOptions options) : prepared_(std::make_unique<Prepared>()) {
    validate(graph);
    Prepared& p = *prepared_;
    p.graph = std::move(graph);
    p.options = std::move(options);
    p.plan = plan_memory(p.graph, p.options.keep_all_tensors);
    p.kernels.resize(p.graph.nodes.size());
    p.schedules.resize(p.graph.nodes.size());
    for (size_t i = 0; i < p.graph.nodes.size(); ++i) {
        const Node& node = p.graph.nodes[i];
        auto& k = p.kernels[i];
        prepare_node(p.graph, node, k);
        const std::string family = family_of(node, p.graph);
        if (family.empty()) continue;
        const auto known = schedules(family);
        const auto is_known = [&](const std::string& s) { return std::find(known.begin(), known.end(), s) != known.end(); };
        // A node's own schedule, else one chosen for its name (both must exist), else one chosen
        // for its op where its kernel family has it (a depthwise convolution keeps its own default
        // when "conv" names a schedule only conv2d_q8 has), else the default table.
        std::string schedule = node.schedule;
        const auto by_name = p.options.schedules.find(node.name);
        if (schedule.empty() && by_name != p.options.schedules.end()) schedule = by_name->second;
        const auto by_op = p.options.schedules.find(op_name(node.op));
        if (schedule.empty() && by_op != p.options.schedules.end()) {
            const auto conv_names = schedules("conv2d_q8");
            const bool conv_only = family == "depthwise_conv2d_q8" &&
                                   std::find(conv_names.begin(), conv_names.end(), by_op->second) != conv_names.end();
            if (!conv_only || is_known(by_op->second)) schedule = by_op->second;  // unknown ones are reported below
        }
        if (schedule.empty() && p.options.isa.empty()) schedule = default_schedule_for(p.graph, node, family);
        if (!schedule.empty() && !is_known(schedule)) {
            std::string list;
            for (const auto& s : known) list += (list.empty() ? "" : ", ") + s;
            fail(node, "no schedule '" + schedule + "' for " + family + " (known: " + list + ")");
        }
        k.choice = {schedule, p.options.isa};
        p.schedules[i] = schedule.empty() ? default_schedule(family) : schedule;
    }
}

Model::~Model() = default;

const Graph& Model::graph() const { return prepared_->graph; }
const MemoryPlan& Model::memory_plan() const { return prepared_->plan; }
const std::vector<std::string>& Model::node_schedules() const { return prepared_->schedules; }

Session::Session(const Model& model) : model_(model) {
    const auto bytes = static_cast<size_t>(model.memory_plan().arena_bytes);
    arena_storage_.resize(bytes + 64);
    const auto address = reinterpret_cast<uintptr_t>(arena_storage_.data());
    arena_ = arena_storage_.data() + (64 - address % 64) % 64;
}

Span<const uint8_t> Session::tensor_bytes(int32_t id) const {
    const Graph& g = model_.graph();
    if (id < 0 || static_cast<size_t>(id) >= g.tensors.size()) throw Error("session: no tensor " + std::to_string(id));
    const TensorInfo& t = g.tensors[static_cast<size_t>(id)];
    if (t.constant) return Span<const uint8_t>(t.constant->data, t.constant->size);
    const int64_t offset = model_.memory_plan().offsets[static_cast<size_t>(id)];
    if (offset < 0) throw Error("session: tensor '" + t.name + "' is not held");
    return Span<const uint8_t>(arena_ + offset, t.bytes());
}

std::vector<float> Session::tensor_as_float(int32_t id) const {
    const TensorInfo& t = model_.graph().tensors.at(static_cast<size_t>(id));
    const Span<const uint8_t> bytes = tensor_bytes(id);
    const int64_t n = t.elements();
    std::vector<float> values(static_cast<size_t>(n));
    const auto param = [&](int64_t i) -> std::pair<float, int32_t> {
        if (t.quant.empty()) return {1.0f, 0};
        if (t.quant.scales.size() == 1) return {t.quant.scales[0], t.quant.zero_points[0]};
        int64_t inner = 1;
        for (size_t d = static_cast<size_t>(t.quant.axis) + 1; d < t.shape.size(); ++d) inner *= t.shape[d];
        const size_t c = static_cast<size_t>((i / inner) % t.shape[static_cast<size_t>(t.quant.axis)]);
        return {t.quant.scales[c], t.quant.zero_points[c]};
    };
    for (int64_t i = 0; i < n; ++i) {
        float v = 0;
        switch (t.dtype) {
        case DType::float32: std::memcpy(&v, bytes.data() + i * 4, 4); values[static_cast<size_t>(i)] = v; continue;
        case DType::int32: { int32_t q; std::memcpy(&q, bytes.data() + i * 4, 4); v = static_cast<float>(q); break; }
        case DType::int8: v = static_cast<float>(static_cast<int8_t>(bytes.data()[i])); break;
        case DType::uint8: v = static_cast<float>(bytes.data()[i]); break;
        default: throw Error("session: cannot read a packed tensor as float");
        }
        const auto [scale, zp] = param(i);
        values[static_cast<size_t>(i)] = t.quant.empty() ? v : scale * (v - static_cast<float>(zp));
    }
    return values;
}

namespace {

template <class T>
Span<T> view(uint8_t* p, const TensorInfo& t) { return Span<T>(reinterpret_cast<T*>(p), static_cast<size_t>(t.elements())); }
template <class T>
Span<const T> cview(const uint8_t* p, const TensorInfo& t) { return Span<const T>(reinterpret_cast<const T*>(p), static_cast<size_t>(t.elements())); }

// Quantized elementwise / channel-broadcast product with the float rule (docs/arithmetic.md):
//   out = clamp(round_half_even(float32((a - za) * (b - zb)) * scale) + zo)
// Written as rows of channels so the inner loop vectorizes: the product is clamped to +-1024
// (beyond any 8-bit result) and rounded by adding and subtracting 1.5 * 2^23, which rounds half to
// even in the default rounding mode for |x| < 2^22.
template <class T>
void mul_q8(const T* a, const TensorInfo& at, const T* b, const TensorInfo& bt, float scale, const TensorInfo& ot, T* out) {
    const IntegerRange r = levels_of(ot);
    const int32_t za = at.quant.zero_points[0], zb = bt.quant.zero_points[0], zo = ot.quant.zero_points[0];
    const int64_t total = at.elements();
    const bool broadcast = at.shape != bt.shape;
    const int64_t channels = broadcast ? at.shape.back() : total;
    const int64_t pixels_per_batch = broadcast ? at.shape[1] * at.shape[2] : 1;
    constexpr float kRound = 12582912.0f;  // 1.5 * 2^23
    for (int64_t row = 0; row < total / channels; ++row) {
        const T* a_row = a + row * channels;
        const T* b_row = b + (broadcast ? (row / pixels_per_batch) * channels : 0);
        T* out_row = out + row * channels;
        for (int64_t c = 0; c < channels; ++c) {
            const float product = static_cast<float>((int32_t(a_row[c]) - za) * (int32_t(b_row[c]) - zb)) * scale;
            const float rounded = (std::clamp(product, -1024.0f, 1024.0f) + kRound) - kRound;
            out_row[c] = static_cast<T>(std::clamp(static_cast<int32_t>(rounded) + zo, r.min, r.max));
        }
    }
}

template <class T>
void run_quantized(const Graph& g, const Node& node, const Model::Prepared::NodeKernel& k, const std::vector<const uint8_t*>& in,
                   uint8_t* out_ptr) {
    const auto tensor = [&](size_t i) -> const TensorInfo& { return g.tensors[static_cast<size_t>(node.inputs[i])]; };
    const TensorInfo& x = tensor(0);
    const TensorInfo& out = g.tensors[static_cast<size_t>(node.outputs[0])];
    switch (node.op) {
    case OpKind::conv:
        if (out.dtype == DType::int32) {
            conv2d_q8(cview<T>(in[0], x), x.shape, *k.conv_weights, k.conv, view<int32_t>(out_ptr, out), k.choice);
        } else {
            conv2d_q8(cview<T>(in[0], x), x.shape, *k.conv_weights, k.conv, view<T>(out_ptr, out), k.choice);
        }
        return;
    case OpKind::fully_connected: {
        const int64_t m = x.elements() / x.shape.back();
        if (out.dtype == DType::int32) {
            gemm_q8(cview<T>(in[0], x), m, *k.fc_weights, k.gemm, view<int32_t>(out_ptr, out), k.choice);
        } else {
            gemm_q8(cview<T>(in[0], x), m, *k.fc_weights, k.gemm, view<T>(out_ptr, out), k.choice);
        }
        return;
    }
    case OpKind::add:
        add_q8(cview<T>(in[0], x), cview<T>(in[1], tensor(1)), x.shape, k.add, view<T>(out_ptr, out), k.choice);
        return;
    case OpKind::mul:
        mul_q8(reinterpret_cast<const T*>(in[0]), x, reinterpret_cast<const T*>(in[1]), tensor(1), k.mul_scale, out,
               reinterpret_cast<T*>(out_ptr));
        return;
    case OpKind::activation:
        lut_q8(cview<T>(in[0], x), x.shape, Span<const T>(reinterpret_cast<const T*>(k.table.data()), kLutEntries),
               view<T>(out_ptr, out), k.choice);
        return;
    case OpKind::max_pool:
    case OpKind::average_pool:
    case OpKind::global_average_pool:
        pool_q8(cview<T>(in[0], x), x.shape, k.pool, view<T>(out_ptr, out), k.choice);
        return;
    case OpKind::dequantize:
        dequantize(cview<T>(in[0], x), x.shape, k.quantization, view<float>(out_ptr, out), k.choice);
        return;
    default: break;
    }
    fail(node, "has no quantized implementation");
}

void run_float(const Graph& g, const Node& node, const std::vector<const uint8_t*>& in, uint8_t* out_ptr) {
    const auto tensor = [&](size_t i) -> const TensorInfo& { return g.tensors[static_cast<size_t>(node.inputs[i])]; };
    const auto fin = [&](size_t i) { return reinterpret_cast<const float*>(in[i]); };
    const TensorInfo& x = tensor(0);
    const TensorInfo& out = g.tensors[static_cast<size_t>(node.outputs[0])];
    float* o = reinterpret_cast<float*>(out_ptr);
    const bool has_bias = node.inputs.size() == 3 && node.inputs[2] >= 0;
    switch (node.op) {
    case OpKind::conv:
        detail::conv2d_f32(fin(0), x.shape, fin(1), tensor(1).shape, has_bias ? fin(2) : nullptr, node.attrs, o, out.shape);
        return;
    case OpKind::fully_connected: {
        const Shape& w = tensor(1).shape;
        detail::fully_connected_f32(fin(0), x.elements() / w[0], fin(1), w[0], w[1], has_bias ? fin(2) : nullptr, node.attrs, o);
        return;
    }
    case OpKind::add: {
        const int64_t n = x.elements();
        for (int64_t i = 0; i < n; ++i) o[i] = detail::activate(fin(0)[i] + fin(1)[i], node.attrs);
        return;
    }
    case OpKind::mul: detail::mul_f32(fin(0), x.shape, fin(1), tensor(1).shape, o); return;
    case OpKind::activation: {
        const int64_t n = x.elements();
        for (int64_t i = 0; i < n; ++i) o[i] = detail::activate(fin(0)[i], node.attrs);
        return;
    }
    case OpKind::max_pool:
    case OpKind::average_pool:
    case OpKind::global_average_pool: detail::pool2d_f32(node.op, fin(0), x.shape, node.attrs, o, out.shape); return;
    case OpKind::softmax: detail::softmax_f32(fin(0), x.elements() / x.shape.back(), x.shape.back(), o); return;
    default: break;
    }
    fail(node, "has no float implementation");
}

}  // namespace

std::vector<float> Session::run(Span<const float> input) { return run(std::vector<Span<const float>>{input}); }

std::vector<float> Session::run(const std::vector<Span<const float>>& given) {
    const Graph& g = model_.graph();
    if (given.size() != g.inputs.size()) {
        throw Error("session: " + std::to_string(given.size()) + " inputs given, the model has " + std::to_string(g.inputs.size()));
    }
    std::vector<TensorView> views;
    for (size_t i = 0; i < given.size(); ++i) {
        const TensorInfo& input_tensor = g.tensors[static_cast<size_t>(g.inputs[i])];
        if (given[i].size() != static_cast<size_t>(input_tensor.elements())) {
            throw Error("session: input " + std::to_string(i) + " has " + std::to_string(given[i].size()) +
                        " values, the model's input '" + input_tensor.name + "' needs " + std::to_string(input_tensor.elements()));
        }
        views.push_back({given[i].data(), DType::float32, input_tensor.shape, {}});
    }
    return run(views);
}

TensorView Session::output(size_t index) const {
    const Graph& g = model_.graph();
    if (index >= g.outputs.size()) throw Error("session: the model has " + std::to_string(g.outputs.size()) + " outputs");
    const TensorInfo& t = g.tensors[static_cast<size_t>(g.outputs[index])];
    return {tensor_bytes(g.outputs[index]).data(), t.dtype, t.shape, t.strides()};
}

std::vector<float> Session::run(const std::vector<TensorView>& given) {
    const Model::Prepared& p = model_.prepared();
    const Graph& g = p.graph;
    const MemoryPlan& plan = p.plan;
    if (given.size() != g.inputs.size()) {
        throw Error("session: " + std::to_string(given.size()) + " inputs given, the model has " + std::to_string(g.inputs.size()));
    }
    for (size_t i = 0; i < given.size(); ++i) {
        const TensorInfo& input_tensor = g.tensors[static_cast<size_t>(g.inputs[i])];
        const TensorView& view = given[i];
        const std::string what = "session: input " + std::to_string(i) + " ('" + input_tensor.name + "')";
        if (input_tensor.dtype != DType::float32) throw Error(what + " must be float32 in the graph");
        if (view.dtype != input_tensor.dtype) throw Error(what + " is " + dtype_name(view.dtype) + ", the model takes " + dtype_name(input_tensor.dtype));
        if (view.shape != input_tensor.shape) throw Error(what + " has the wrong shape");
        if (!view.strides.empty() && view.strides.size() != view.shape.size()) throw Error(what + ": one stride per dimension");
        for (int64_t s : view.element_strides()) {
            if (s < 0) throw Error(what + ": negative stride");
        }
        if (view.data == nullptr && input_tensor.elements() > 0) throw Error(what + ": no data");
        detail::gather_strided(static_cast<const uint8_t*>(view.data), view.shape, view.element_strides(), dtype_bytes(view.dtype),
                               arena_ + plan.offsets[static_cast<size_t>(g.inputs[i])]);
    }
    profile_.clear();
    std::vector<const uint8_t*> inputs;
    for (size_t n = 0; n < g.nodes.size(); ++n) {
        const Node& node = g.nodes[n];
        const auto start = std::chrono::steady_clock::now();
        inputs.clear();
        for (int32_t id : node.inputs) inputs.push_back(id >= 0 ? tensor_bytes(id).data() : nullptr);
        const TensorInfo& x = g.tensors[static_cast<size_t>(node.inputs[0])];
        const TensorInfo& out = g.tensors[static_cast<size_t>(node.outputs[0])];
        uint8_t* out_ptr = arena_ + plan.offsets[static_cast<size_t>(node.outputs[0])];
        const auto& k = p.kernels[n];
        switch (node.op) {
        case OpKind::reshape:
            if (out_ptr != inputs[0]) std::memmove(out_ptr, inputs[0], out.bytes());
            break;
        case OpKind::transpose:
            detail::transpose_bytes(inputs[0], x.shape, node.attrs.perm, dtype_bytes(x.dtype), out_ptr);
            break;
        case OpKind::concat: {
            const size_t axis = static_cast<size_t>(node.attrs.axis);
            int64_t outer = 1, inner = static_cast<int64_t>(dtype_bytes(out.dtype));
            for (size_t d = 0; d < axis; ++d) outer *= out.shape[d];
            for (size_t d = axis + 1; d < out.shape.size(); ++d) inner *= out.shape[d];
            int64_t at = 0;
            for (size_t i = 0; i < node.inputs.size(); ++i) {
                const TensorInfo& t = g.tensors[static_cast<size_t>(node.inputs[i])];
                const int64_t block = t.shape[axis] * inner;
                detail::copy_rows(inputs[i], outer, block, out.shape[axis] * inner, out_ptr + at);
                if (!k.tables.empty() && !k.tables[i].empty()) {
                    const int32_t low = range_of(t.dtype).min;
                    for (int64_t r = 0; r < outer; ++r) {
                        uint8_t* row = out_ptr + at + r * out.shape[axis] * inner;
                        for (int64_t b = 0; b < block; ++b) {
                            const int32_t level = t.dtype == DType::int8 ? int32_t(int8_t(row[b])) : int32_t(row[b]);
                            row[b] = k.tables[i][static_cast<size_t>(level - low)];
                        }
                    }
                }
                at += block;
            }
            break;
        }
        case OpKind::quantize:
            if (out.dtype == DType::uint8) {
                quantize(cview<float>(inputs[0], x), x.shape, k.quantization, view<uint8_t>(out_ptr, out), k.choice);
            } else {
                quantize(cview<float>(inputs[0], x), x.shape, k.quantization, view<int8_t>(out_ptr, out), k.choice);
            }
            break;
        default:
            if (x.dtype == DType::uint8) {
                run_quantized<uint8_t>(g, node, k, inputs, out_ptr);
            } else if (x.dtype == DType::int8) {
                run_quantized<int8_t>(g, node, k, inputs, out_ptr);
            } else if (node.op == OpKind::dequantize) {
                dequantize(cview<int32_t>(inputs[0], x), x.shape, k.quantization, view<float>(out_ptr, out), k.choice);
            } else {
                run_float(g, node, inputs, out_ptr);
            }
        }
        if (profiling_) {
            const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
            profile_.push_back({node.name, op_name(node.op), p.schedules[n].empty() ? "c++" : p.schedules[n], ms});
        }
    }
    return tensor_as_float(g.outputs[0]);
}

}  // namespace haqm
