// Model (prepare once: validate, plan memory, then every node's op prepares it: weights packed,
// kernel plans made, schedules chosen) and Session (run: each prepared node on arena pointers).
// Nothing here knows an op: the op table (ops/op.h) does.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>

#include "float_ops.h"
#include "haqm/model.h"
#include "ops/op.h"
#include "passes/fuse_activations.h"

namespace haqm {
namespace {

// The default schedule table: which schedule a quantized node runs when nobody chose one
// (bench_model's rows and docs/performance.md "Whole models" are the measurements behind it).
// - The op's own rows first (OpDefinition::default_schedule; conv's narrow tiles, ops/conv.cpp).
// - Nodes with little work run single-threaded: below ~4 M multiply-accumulates (or elements for
//   pools) waking the second thread costs more than it saves (MobileNet-v3 on 2 threads: 0.55 ms
//   with the parallel defaults, 0.31 ms without).
// - Everything else: the family's own default (schedules/schedule_table.h).
constexpr double kParallelMinWork = 4e6;

std::string default_schedule_for(const ops::NodeRef& node, const std::string& family) {
    const ops::OpDefinition& op = ops::definition(node.node().op);
    if (op.default_schedule) {
        std::string own = op.default_schedule(node, family);
        if (!own.empty()) return own;
    }
    const std::string family_default = default_schedule(family);
    const std::string serial = serial_schedule(family, family_default);
    const auto names = schedules(family);
    const bool has_serial = std::find(names.begin(), names.end(), serial) != names.end();
    const double work = op.work(node);
    if (has_serial && serial != family_default && work < kParallelMinWork) return serial;
    return "";
}

// A node's own schedule, else one chosen for its name (both must exist), else one chosen for its
// op where its kernel family has it (a depthwise convolution keeps its own default when "conv"
// names a schedule only conv2d_q8 has), else the default table.
KernelChoice choose_kernel(const ops::NodeRef& node, const std::string& family, const ModelOptions& options) {
    if (family.empty()) return {};
    const auto known = schedules(family);
    const auto is_known = [&](const std::string& s) { return std::find(known.begin(), known.end(), s) != known.end(); };
    std::string schedule = node.node().schedule;
    const auto by_name = options.schedules.find(node.node().name);
    if (schedule.empty() && by_name != options.schedules.end()) schedule = by_name->second;
    const auto by_op = options.schedules.find(op_name(node.node().op));
    if (schedule.empty() && by_op != options.schedules.end()) {
        const auto conv_names = schedules("conv2d_q8");
        const bool conv_only = family == "depthwise_conv2d_q8" &&
                               std::find(conv_names.begin(), conv_names.end(), by_op->second) != conv_names.end();
        if (!conv_only || is_known(by_op->second)) schedule = by_op->second;  // unknown ones are reported below
    }
    if (schedule.empty() && options.isa.empty()) schedule = default_schedule_for(node, family);
    if (!schedule.empty() && !is_known(schedule)) {
        std::string list;
        for (const auto& s : known) list += (list.empty() ? "" : ", ") + s;
        node.fail("no schedule '" + schedule + "' for " + family + " (known: " + list + ")");
    }
    return {schedule, options.isa};
}

}  // namespace

struct Model::Prepared {
    Graph graph;
    ModelOptions options;
    MemoryPlan plan;
    std::vector<std::string> schedules;
    std::vector<std::unique_ptr<ops::PreparedNode>> nodes;
    // Where each node's inputs live: a constant's bytes, or an offset into the session's arena.
    struct Location {
        const uint8_t* constant;
        int64_t offset;
    };
    std::vector<std::vector<Location>> inputs;
    std::vector<int64_t> output_offsets;
};

Model::Model(Graph graph, ModelOptions options) : prepared_(std::make_unique<Prepared>()) {
    validate(graph);
    Prepared& p = *prepared_;
    p.options = std::move(options);
    p.graph = p.options.keep_all_tensors ? std::move(graph) : passes::fuse_activations(std::move(graph));
    p.plan = plan_memory(p.graph, p.options.keep_all_tensors);
    const Graph& g = p.graph;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const Node& node = g.nodes[i];
        const ops::NodeRef ref(g, node, i);
        const ops::OpDefinition& op = ops::definition(node.op);
        const std::string family = op.kernel_family(ref);
        const ops::PrepareContext context{ref, g.requantization, choose_kernel(ref, family, p.options)};
        p.nodes.push_back(op.prepare(context));
        p.schedules.push_back(p.nodes.back()->schedule());
        std::vector<Prepared::Location> locations;
        for (int32_t id : node.inputs) {
            if (id < 0) {
                locations.push_back({nullptr, -1});
                continue;
            }
            const TensorInfo& t = g.tensors[static_cast<size_t>(id)];
            locations.push_back({t.constant ? t.constant->data : nullptr, p.plan.offsets[static_cast<size_t>(id)]});
        }
        p.inputs.push_back(std::move(locations));
        p.output_offsets.push_back(p.plan.offsets[static_cast<size_t>(node.outputs[0])]);
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
        if (dtype_info(input_tensor.dtype).packed) throw Error(what + " is packed " + dtype_name(input_tensor.dtype) + ": no caller view takes it yet");
        if (view.dtype != input_tensor.dtype) throw Error(what + " is " + dtype_name(view.dtype) + ", the model takes " + dtype_name(input_tensor.dtype));
        if (view.shape != input_tensor.shape) throw Error(what + " has the shape " + shape_text(view.shape) + ", the model takes " + shape_text(input_tensor.shape));
        if (!view.strides.empty() && view.strides.size() != view.shape.size()) throw Error(what + ": one stride per dimension");
        for (int64_t s : view.element_strides()) {
            if (s < 0) throw Error(what + ": negative stride");
        }
        if (view.data == nullptr && input_tensor.elements() > 0) throw Error(what + ": no data");
        detail::gather_strided(static_cast<const uint8_t*>(view.data), view.shape, view.element_strides(), dtype_bytes(view.dtype),
                               arena_ + plan.offsets[static_cast<size_t>(g.inputs[i])]);
    }
    profile_.clear();
    for (size_t n = 0; n < p.nodes.size(); ++n) {
        const auto start = profiling_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
        node_inputs_.clear();
        for (const auto& location : p.inputs[n]) {
            node_inputs_.push_back(location.constant ? location.constant
                                                     : location.offset >= 0 ? arena_ + location.offset : nullptr);
        }
        p.nodes[n]->run(node_inputs_.data(), arena_ + p.output_offsets[n]);
        if (profiling_) {
            const Node& node = g.nodes[n];
            const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
            profile_.push_back({node.name, op_name(node.op), p.schedules[n].empty() ? "c++" : p.schedules[n], ms});
        }
    }
    return tensor_as_float(g.outputs[0]);
}

}  // namespace haqm
