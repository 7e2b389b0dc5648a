#include "node_helpers.h"

#include <algorithm>
#include <cmath>

#include "../float_ops.h"
#include "../function_table.h"

namespace haqm::ops {

int64_t window_output(int64_t in, int64_t kernel, int stride, int dilation, int pad_begin, int pad_end) {
    const int64_t extent = int64_t(dilation) * (kernel - 1) + 1;
    const int64_t padded = in + pad_begin + pad_end;
    if (padded < extent) return 0;
    return (padded - extent) / stride + 1;
}

void check_window(const NodeRef& node) {
    const NodeAttributes& a = node.attrs();
    if (a.stride_h < 1 || a.stride_w < 1 || a.dilation_h < 1 || a.dilation_w < 1) node.fail("stride and dilation must be >= 1");
    if (a.pad_top < 0 || a.pad_left < 0 || a.pad_bottom < 0 || a.pad_right < 0) node.fail("negative padding");
    if (a.kernel_h < 1 || a.kernel_w < 1) node.fail("kernel size must be >= 1");
    constexpr int kLimit = 1 << 16;
    for (int v : {a.stride_h, a.stride_w, a.dilation_h, a.dilation_w, a.pad_top, a.pad_left, a.pad_bottom, a.pad_right,
                  a.kernel_h, a.kernel_w, a.groups}) {
        if (v > kLimit) node.fail("window parameter " + std::to_string(v) + " is too large");
    }
}

IntegerRange levels_of(const TensorInfo& t) {
    const int bits = t.quant.empty() ? 8 : std::min(t.quant.bits, 8);
    return integer_range(bits, t.dtype == DType::int8);
}

std::pair<std::optional<int32_t>, std::optional<int32_t>> fused_range(const NodeRef& node, const TensorInfo& out) {
    const NodeAttributes& a = node.attrs();
    if (!is_8bit(out.dtype)) {
        if (a.activation != Activation::none) node.fail("a fused activation needs an 8-bit output");
        return {std::nullopt, std::nullopt};
    }
    const IntegerRange r = levels_of(out);
    if (a.activation == Activation::none) return {r.min, r.max};
    const float scale = out.quant.scales[0];
    const int32_t zp = out.quant.zero_points[0];
    const auto level = [&](float v) { return detail::quantize_level(v, scale, zp, r); };
    if (a.activation == Activation::relu) return {std::clamp(zp, r.min, r.max), r.max};
    if (a.activation == Activation::clip) {
        return {std::isfinite(a.clip_min) ? level(a.clip_min) : r.min, std::isfinite(a.clip_max) ? level(a.clip_max) : r.max};
    }
    node.fail(std::string("activation ") + activation_name(a.activation) + " cannot be fused into a quantized op");
}

std::vector<uint8_t> activation_table(const NodeAttributes& attrs, const TensorInfo& in, const TensorInfo& out) {
    return detail::function_table([&](float x) { return detail::activate(x, attrs); }, in.dtype == DType::int8,
                                  in.quant.scales[0], in.quant.zero_points[0], out.quant.scales[0],
                                  out.quant.zero_points[0], levels_of(out));
}

BinarySpec binary_spec(const NodeRef& node) {
    const TensorQuant &a = node.input(0).quant, &b = node.input(1).quant, &out = node.output().quant;
    BinarySpec spec;
    spec.a_scale = a.scales[0], spec.a_zero_point = a.zero_points[0];
    spec.b_scale = b.scales[0], spec.b_zero_point = b.zero_points[0];
    spec.output_scale = out.scales[0], spec.output_zero_point = out.zero_points[0];
    return spec;
}

void check_weight_zero_points(const NodeRef& node, const TensorInfo& w) {
    const auto& z = w.quant.zero_points;
    if (z.size() != 1 && std::any_of(z.begin(), z.end(), [](int32_t v) { return v != 0; })) {
        node.fail("per-channel weights need zero points of 0");
    }
}

std::vector<int32_t> constant_int32(const TensorInfo& t) {
    const auto s = t.constant->as<int32_t>();
    return std::vector<int32_t>(s.data(), s.data() + s.size());
}

namespace {

class KernelNode final : public PreparedNode {
public:
    KernelNode(KernelPlan plan, std::shared_ptr<const void> owner) : owner_(std::move(owner)), plan_(std::move(plan)) {
        schedule_ = plan_.schedule();
    }
    void run(const uint8_t* const* inputs, uint8_t* output) const override {
        plan_.run(reinterpret_cast<const void* const*>(inputs), output);
    }

private:
    std::shared_ptr<const void> owner_;
    KernelPlan plan_;
};

class FunctionNode final : public PreparedNode {
public:
    explicit FunctionNode(NodeFunction function) : function_(std::move(function)) {}
    void run(const uint8_t* const* inputs, uint8_t* output) const override { function_(inputs, output); }

private:
    NodeFunction function_;
};

}  // namespace

std::unique_ptr<PreparedNode> kernel_node(KernelPlan plan, std::shared_ptr<const void> owner) {
    return std::make_unique<KernelNode>(std::move(plan), std::move(owner));
}
std::unique_ptr<PreparedNode> function_node(NodeFunction function) {
    return std::make_unique<FunctionNode>(std::move(function));
}

}  // namespace haqm::ops
