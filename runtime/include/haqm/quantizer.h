// Post-training quantization of a float graph (docs/quantization.md): calibrate activation ranges
// on sample inputs with an observer, quantize weights symmetric per channel (or per tensor) to
// `weight_bits`, biases to int32, activations to int8 or uint8 per tensor; optional bias
// correction; a per-layer report with the SQNR of each layer's output against the float graph.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "haqm/graph.h"

namespace haqm {

struct LayerBits {
    int weight_bits = 8;  // 2..8
    int activation_bits = 8;  // 2..8 (stored in 8-bit tensors)
};

struct QuantizeOptions {
    int weight_bits = 8;  // 2..8
    DType activation_dtype = DType::uint8;  // int8 or uint8
    bool per_channel = true;
    std::string observer = "minmax";  // minmax | percentile | mse | kl
    std::map<std::string, LayerBits> layer_overrides;  // by node name
    bool bias_correction = false;
    Requantization requantization = Requantization::float32;
};

// Reads "name key=value ..." lines (keys: weights, acts; '#' starts a comment). Throws haqm::Error
// naming the line for anything else.
std::map<std::string, LayerBits> parse_layer_overrides(const std::string& text);

struct LayerReport {
    std::string node;
    std::string op;
    int weight_bits = 0;  // 0: no weights
    int activation_bits = 8;
    float output_scale = 0;
    int32_t output_zero_point = 0;
    double sqnr_db = 0;  // the layer's quantized output against the float graph's, dequantized
};

struct QuantizeResult {
    Graph graph;
    std::vector<LayerReport> report;
};

// calibration: whole inputs for the float graph's input (its element count each).
QuantizeResult quantize_graph(const Graph& float_graph, const std::vector<std::vector<float>>& calibration,
                              const QuantizeOptions& options);

}  // namespace haqm
