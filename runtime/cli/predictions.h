// Turning a model's output vector into ranked classes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "haqm/graph.h"

namespace haqm::cli {

// True when the graph's first output is produced by a Softmax node (its values are probabilities).
bool ends_in_softmax(const Graph& graph);

// Numerically stable softmax (the largest value is subtracted first).
std::vector<float> softmax(const std::vector<float>& logits);

// The output as probabilities: unchanged when the graph ends in Softmax, else softmax(output).
std::vector<float> output_probabilities(const Graph& graph, const std::vector<float>& output);

struct RankedClass {
    int index = 0;
    float score = 0;
};
// The k best entries, best first; ties keep the lower index first. k is capped at values.size().
std::vector<RankedClass> top_k(const std::vector<float>& values, int k);

// The label of output `index` from the metadata, or "class <index>" when there is none.
std::string class_name(const ModelMetadata& metadata, int index);

}  // namespace haqm::cli
