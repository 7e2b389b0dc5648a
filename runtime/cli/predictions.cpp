#include "predictions.h"

#include <algorithm>
#include <cmath>

#include "cli_common.h"

namespace haqm::cli {

bool ends_in_softmax(const Graph& graph) {
    if (graph.outputs.empty()) return false;
    const Node* last = producer_of(graph, graph.outputs[0]);
    return last && last->op == OpKind::softmax;
}

std::vector<float> softmax(const std::vector<float>& logits) {
    if (logits.empty()) return {};
    const float largest = *std::max_element(logits.begin(), logits.end());
    std::vector<float> out(logits.size());
    double sum = 0;
    for (size_t i = 0; i < logits.size(); ++i) {
        out[i] = std::exp(logits[i] - largest);
        sum += out[i];
    }
    for (float& value : out) value = static_cast<float>(value / sum);
    return out;
}

std::vector<float> output_probabilities(const Graph& graph, const std::vector<float>& output) {
    return ends_in_softmax(graph) ? output : softmax(output);
}

std::vector<RankedClass> top_k(const std::vector<float>& values, int k) {
    std::vector<RankedClass> ranked(values.size());
    for (size_t i = 0; i < values.size(); ++i) ranked[i] = {static_cast<int>(i), values[i]};
    const size_t keep = std::min(values.size(), static_cast<size_t>(std::max(k, 0)));
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep), ranked.end(),
                      [](const RankedClass& a, const RankedClass& b) {
                          return a.score > b.score || (a.score == b.score && a.index < b.index);
                      });
    ranked.resize(keep);
    return ranked;
}

std::string class_name(const ModelMetadata& metadata, int index) {
    if (index >= 0 && static_cast<size_t>(index) < metadata.labels.size() && !metadata.labels[index].empty()) {
        return metadata.labels[static_cast<size_t>(index)];
    }
    return "class " + std::to_string(index);
}

}  // namespace haqm::cli
