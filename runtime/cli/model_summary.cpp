#include "model_summary.h"

#include <cstdio>
#include <set>

#include "cli_common.h"

namespace haqm::cli {
namespace {

const TensorInfo* tensor_at(const Graph& graph, int32_t id) {
    if (id < 0 || static_cast<size_t>(id) >= graph.tensors.size()) return nullptr;
    return &graph.tensors[static_cast<size_t>(id)];
}

std::string short_number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.4g", value);
    return text;
}

std::string quant_text(const TensorQuant& quant) {
    if (quant.empty()) return "";
    if (quant.scales.size() == 1) {
        const int32_t zero_point = quant.zero_points.empty() ? 0 : quant.zero_points[0];
        return "s=" + short_number(quant.scales[0]) + " zp=" + std::to_string(zero_point);
    }
    return "per-channel(" + std::to_string(quant.scales.size()) + ")";
}

std::string shapes_text(const Graph& graph, const std::vector<int32_t>& ids, bool skip_constants) {
    std::string text;
    for (int32_t id : ids) {
        const TensorInfo* tensor = tensor_at(graph, id);
        if (!tensor || (skip_constants && tensor->constant)) continue;
        text += (text.empty() ? "" : ", ") + shape_text(tensor->shape) + " " + dtype_name(tensor->dtype);
    }
    return text.empty() ? "-" : text;
}

int64_t constant_bytes(const TensorInfo& tensor) {
    return tensor.constant ? static_cast<int64_t>(tensor.constant->size) : 0;
}

}  // namespace

LayerSummary summarize_layer(const Graph& graph, const Node& node) {
    LayerSummary summary;
    summary.op = describe_node(graph, node);
    summary.flow = shapes_text(graph, node.inputs, true) + " -> " + shapes_text(graph, node.outputs, false);
    std::string quantization;
    if (!node.outputs.empty()) {
        if (const TensorInfo* output = tensor_at(graph, node.outputs[0]); output && !output->quant.empty()) {
            quantization = "out " + quant_text(output->quant);
        }
    }
    for (int32_t id : node.inputs) {
        const TensorInfo* tensor = tensor_at(graph, id);
        if (!tensor || !tensor->constant) continue;
        summary.weight_bytes += constant_bytes(*tensor);
        // The weights (not the int32 bias) say how the layer was quantized.
        if (!tensor->quant.empty() && tensor->dtype != DType::int32) {
            const std::string granularity = tensor->quant.scales.size() > 1
                                                ? "per-channel(" + std::to_string(tensor->quant.scales.size()) + ")"
                                                : "per-tensor";
            quantization += (quantization.empty() ? "" : ", ") + std::string("w int") +
                            std::to_string(tensor->quant.bits) + " " + granularity;
        }
    }
    summary.quantization = quantization.empty() ? "-" : quantization;
    summary.macs = node_macs(graph, node);
    return summary;
}

ModelTotals summarize_model(const Graph& graph) {
    ModelTotals totals;
    std::set<int32_t> counted;
    for (const Node& node : graph.nodes) {
        totals.macs += node_macs(graph, node);
        for (int32_t id : node.inputs) {
            const TensorInfo* tensor = tensor_at(graph, id);
            if (!tensor || !tensor->constant || !counted.insert(id).second) continue;
            totals.parameters += tensor->elements();
            totals.parameter_bytes += constant_bytes(*tensor);
        }
    }
    return totals;
}

std::string tensor_text(const Graph& graph, int32_t id) {
    const TensorInfo* tensor = tensor_at(graph, id);
    if (!tensor) return "(bad tensor id " + std::to_string(id) + ")";
    std::string text = tensor->name + " " + shape_text(tensor->shape) + " " + dtype_name(tensor->dtype);
    const std::string quant = quant_text(tensor->quant);
    return quant.empty() ? text : text + " " + quant;
}

std::string count_text(int64_t count) {
    if (count >= 1000000000) return fixed(double(count) / 1e9, 2) + " G";
    if (count >= 1000000) return fixed(double(count) / 1e6, 2) + " M";
    if (count >= 1000) return fixed(double(count) / 1e3, 1) + " K";
    return std::to_string(count);
}

}  // namespace haqm::cli
