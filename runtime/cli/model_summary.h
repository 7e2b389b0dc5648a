// Per-layer and whole-model figures for `haqm inspect`: op description, tensor flow, quantization
// summary, weight bytes and multiply-accumulates.
#pragma once
#include <cstdint>
#include <string>

#include "haqm/graph.h"

namespace haqm::cli {

struct LayerSummary {
    std::string op;            // "conv 3x3 s2 relu"
    std::string flow;          // "1x28x28x1 float32 -> 1x28x28x8 uint8"
    std::string quantization;  // "out s=0.0235 zp=128, w int8 per-channel(8)", or "-"
    int64_t weight_bytes = 0;  // bytes of the node's constant inputs
    int64_t macs = 0;          // multiply-accumulates of conv and fully connected layers
};
LayerSummary summarize_layer(const Graph& graph, const Node& node);

struct ModelTotals {
    int64_t parameters = 0;       // elements of every constant tensor the nodes read (each counted once)
    int64_t parameter_bytes = 0;
    int64_t macs = 0;
};
ModelTotals summarize_model(const Graph& graph);

// "name 1x28x28x1 float32"
std::string tensor_text(const Graph& graph, int32_t id);
// "1.23 M", "45.6 K", "789"
std::string count_text(int64_t count);

}  // namespace haqm::cli
