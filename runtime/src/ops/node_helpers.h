// Pieces several op units share: window arithmetic, the quantized epilogue's settings, lookup
// tables, and the two kinds of prepared node (a kernel plan, or a plain C++ function).
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "op.h"

namespace haqm::ops {

// Output extent of one window axis (0 when the kernel does not fit the padded input).
int64_t window_output(int64_t in, int64_t kernel, int stride, int dilation, int pad_begin, int pad_end);
// Strides, dilations, pads, kernel sizes and groups in range (convolutions and pools).
void check_window(const NodeRef& node);
// The levels a quantized tensor may hold: its type's range narrowed to its `bits`.
IntegerRange levels_of(const TensorInfo& tensor);
// The quantized output range a fused ReLU / Clip leaves (unset: the output's levels).
std::pair<std::optional<int32_t>, std::optional<int32_t>> fused_range(const NodeRef& node, const TensorInfo& out);
// A quantized unary function as a 256-entry table: every input level through the float
// activation of `attrs` (Activation::none: a plain rescale to the output's parameters).
std::vector<uint8_t> activation_table(const NodeAttributes& attrs, const TensorInfo& in, const TensorInfo& out);
// The quantization parameters of a binary node's two inputs and output (per tensor), no clamp yet.
BinarySpec binary_spec(const NodeRef& node);
// The kernels take one weight zero point: per-channel weights must all have zero point 0.
void check_weight_zero_points(const NodeRef& node, const TensorInfo& weights);
std::vector<int32_t> constant_int32(const TensorInfo& tensor);

// The requantization of a product's 8-bit output (GemmSpec / Conv2dSpec): one multiplier or
// scale per weight scale, in the graph's rule. With a fused table activation
// (NodeAttributes::fused_table_input) the product requantizes to the parameters of the tensor the
// activation read, over its full range, and the plan looks the result up in the activation's
// table: the values the two unfused nodes compute.
template <class Spec>
void set_requantization(Spec& spec, const NodeRef& node, Requantization rule, const TensorInfo& weights,
                        int64_t channels) {
    const TensorInfo& in = node.input(0);
    const TensorInfo& node_out = node.output();
    spec.requantization = rule;
    if (!is_8bit(node_out.dtype)) return;  // int32 outputs (ConvInteger, MatMulInteger)
    const NodeAttributes& a = node.attrs();
    TensorInfo table_input;
    if (!a.fused_table_input.empty()) {
        table_input.dtype = node_out.dtype;
        table_input.quant = a.fused_table_input;
        spec.output_table = activation_table(a, table_input, node_out);
    }
    const TensorInfo& out = a.fused_table_input.empty() ? node_out : table_input;
    const size_t n = weights.quant.scales.size();
    if (n != 1 && static_cast<int64_t>(n) != channels) node.fail("weights need one scale or one per output channel");
    for (size_t c = 0; c < n; ++c) {
        const double in_s = in.quant.scales[0], w_s = weights.quant.scales[c], out_s = out.quant.scales[0];
        if (rule == Requantization::fixed) {
            spec.output_multipliers.push_back(requantization_multiplier(in_s, w_s, out_s));
        } else {
            spec.output_scales.push_back(static_cast<float>(in_s * w_s / out_s));
        }
    }
    spec.output_zero_point = out.quant.zero_points[0];
    if (a.fused_table_input.empty()) {
        std::tie(spec.output_min, spec.output_max) = fused_range(node, out);
    } else {
        const IntegerRange levels = levels_of(out);
        spec.output_min = levels.min, spec.output_max = levels.max;
    }
}

// A node that runs one kernel plan; `owner` keeps what the plan reads alive (packed weights).
std::unique_ptr<PreparedNode> kernel_node(KernelPlan plan, std::shared_ptr<const void> owner = nullptr);
// A node that runs plain C++ (the float path and the layout ops).
using NodeFunction = std::function<void(const uint8_t* const* inputs, uint8_t* output)>;
std::unique_ptr<PreparedNode> function_node(NodeFunction function);

}  // namespace haqm::ops
