#include "fuse_activations.h"

#include <vector>

namespace haqm::passes {
namespace {

bool takes_activation(OpKind op) { return op == OpKind::conv || op == OpKind::fully_connected || op == OpKind::add; }
// The products whose plans apply a table after their kernel (GemmSpec::output_table).
bool takes_table(OpKind op) { return op == OpKind::conv || op == OpKind::fully_connected; }

bool same_parameters(const TensorInfo& a, const TensorInfo& b) {
    return a.dtype == b.dtype && a.quant.scales == b.quant.scales && a.quant.zero_points == b.quant.zero_points &&
           a.quant.bits == b.quant.bits;
}

}  // namespace

Graph fuse_activations(Graph g, int* fused) {
    const size_t tensors = g.tensors.size();
    std::vector<int> producer(tensors, -1), readers(tensors, 0);
    std::vector<bool> is_output(tensors, false);
    for (size_t n = 0; n < g.nodes.size(); ++n) {
        for (int32_t id : g.nodes[n].inputs) {
            if (id >= 0) ++readers[static_cast<size_t>(id)];
        }
        producer[static_cast<size_t>(g.nodes[n].outputs[0])] = static_cast<int>(n);
    }
    for (int32_t id : g.outputs) is_output[static_cast<size_t>(id)] = true;

    std::vector<bool> removed(g.nodes.size(), false);
    int count = 0;
    for (size_t n = 0; n < g.nodes.size(); ++n) {
        const Node& activation = g.nodes[n];
        if (activation.op != OpKind::activation) continue;
        const size_t middle = static_cast<size_t>(activation.inputs[0]);
        const int p = producer[middle];
        if (p < 0 || readers[middle] != 1 || is_output[middle]) continue;
        Node& product = g.nodes[static_cast<size_t>(p)];
        if (!takes_activation(product.op) || product.attrs.activation != Activation::none) continue;
        const TensorInfo& before = g.tensors[middle];
        const TensorInfo& after = g.tensors[static_cast<size_t>(activation.outputs[0])];
        const bool float_path = before.dtype == DType::float32 && after.dtype == DType::float32;
        const bool clamp = activation.attrs.activation == Activation::relu || activation.attrs.activation == Activation::clip;
        const bool quantized = is_8bit(before.dtype) && after.dtype == before.dtype;
        const bool quantized_clamp = quantized && clamp && same_parameters(before, after);
        const bool quantized_table = quantized && !quantized_clamp && takes_table(product.op);
        if (!float_path && !quantized_clamp && !quantized_table) continue;
        const NodeAttributes& a = activation.attrs;
        if (quantized_table) product.attrs.fused_table_input = before.quant;
        product.attrs.activation = a.activation;
        product.attrs.alpha = a.alpha, product.attrs.beta = a.beta;
        product.attrs.clip_min = a.clip_min, product.attrs.clip_max = a.clip_max;
        product.outputs[0] = activation.outputs[0];
        removed[n] = true;
        ++count;
    }
    std::vector<Node> kept;
    for (size_t n = 0; n < g.nodes.size(); ++n) {
        if (!removed[n]) kept.push_back(std::move(g.nodes[n]));
    }
    g.nodes = std::move(kept);
    if (fused) *fused = count;
    return g;
}

}  // namespace haqm::passes
