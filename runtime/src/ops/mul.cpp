// mul: a * b of the same shape, or b [N, 1, 1, C] broadcast over a NHWC (squeeze-excite's
// channel scale). Quantized: the float rule of docs/arithmetic.md, in plain C++.
#include <algorithm>
#include <memory>

#include "../float_ops.h"
#include "node_helpers.h"

namespace haqm::ops {
namespace {

void check(const NodeRef& node) {
    const Shape& x = node.input(0).shape;
    const Shape& b = node.input(1).shape;
    const bool channel_broadcast = x.size() == 4 && b.size() == 4 && b[0] == x[0] && b[1] == 1 && b[2] == 1 && b[3] == x[3];
    if (x != b && !channel_broadcast) {
        node.fail("input shapes " + shape_text(x) + " and " + shape_text(b) + " are neither equal nor [N,1,1,C] over NHWC");
    }
}

// out = clamp(round_half_even(float32((a - za) * (b - zb)) * scale) + zo), scale = sa * sb / so.
// Written as rows of channels so the inner loop vectorizes: the product is clamped to +-1024
// (beyond any 8-bit result) and rounded by adding and subtracting 1.5 * 2^23, which rounds half to
// even in the default rounding mode for |x| < 2^22.
struct QuantizedMul {
    int32_t za, zb, zo;
    IntegerRange levels;
    float scale;
    int64_t rows, channels, pixels_per_batch;
    bool broadcast;
};

// The parameters are copied into locals: stores through the byte output may alias anything the
// compiler cannot prove apart, and reloading them every element would keep the loop scalar.
template <class T>
[[gnu::always_inline]] inline void mul_rows(const QuantizedMul& q, const T* a, const T* b, T* out) {
    constexpr float kRound = 12582912.0f;  // 1.5 * 2^23
    const int32_t za = q.za, zb = q.zb, zo = q.zo, lo = q.levels.min, hi = q.levels.max;
    const float scale = q.scale;
    const int64_t rows = q.rows, channels = q.channels, pixels_per_batch = q.pixels_per_batch;
    const bool broadcast = q.broadcast;
    for (int64_t row = 0; row < rows; ++row) {
        const T* a_row = a + row * channels;
        const T* b_row = b + (broadcast ? (row / pixels_per_batch) * channels : 0);
        T* out_row = out + row * channels;
        for (int64_t c = 0; c < channels; ++c) {
            const float product = static_cast<float>((int32_t(a_row[c]) - za) * (int32_t(b_row[c]) - zb)) * scale;
            // Ternaries on values, not std::min/max on references: those kept the loop scalar.
            const float clamped = product < -1024.0f ? -1024.0f : product > 1024.0f ? 1024.0f : product;
            const int32_t level = static_cast<int32_t>((clamped + kRound) - kRound) + zo;
            out_row[c] = static_cast<T>(level < lo ? lo : level > hi ? hi : level);
        }
    }
}

HAQM_WIDE_VECTOR_CLONES void mul_q8(const QuantizedMul& q, bool is_signed, const uint8_t* a, const uint8_t* b, uint8_t* out) {
    if (is_signed) {
        mul_rows(q, reinterpret_cast<const int8_t*>(a), reinterpret_cast<const int8_t*>(b), reinterpret_cast<int8_t*>(out));
    } else {
        mul_rows(q, a, b, out);
    }
}

std::unique_ptr<PreparedNode> prepare(const PrepareContext& context) {
    const NodeRef& node = context.node;
    const TensorInfo& a = node.input(0);
    const TensorInfo& b = node.input(1);
    const TensorInfo& out = node.output();
    if (!quantized_input(node)) {
        const Shape a_shape = a.shape, b_shape = b.shape;
        return function_node([a_shape, b_shape](const uint8_t* const* in, uint8_t* o) {
            detail::mul_f32(reinterpret_cast<const float*>(in[0]), a_shape, reinterpret_cast<const float*>(in[1]), b_shape,
                            reinterpret_cast<float*>(o));
        });
    }
    if (b.dtype != a.dtype || out.dtype != a.dtype) node.fail("inputs and output must have the same 8-bit type");
    if (node.attrs().activation != Activation::none) node.fail("a quantized mul takes no fused activation");
    QuantizedMul mul{};
    mul.za = a.quant.zero_points[0], mul.zb = b.quant.zero_points[0], mul.zo = out.quant.zero_points[0];
    mul.levels = levels_of(out);
    mul.scale = a.quant.scales[0] * b.quant.scales[0] / out.quant.scales[0];  // in float32, as the oracle
    mul.broadcast = a.shape != b.shape;
    mul.channels = mul.broadcast ? a.shape.back() : a.elements();
    mul.rows = a.elements() / mul.channels;
    mul.pixels_per_batch = mul.broadcast ? a.shape[1] * a.shape[2] : 1;
    const bool is_signed = a.dtype == DType::int8;
    return function_node([mul, is_signed](const uint8_t* const* in, uint8_t* o) { mul_q8(mul, is_signed, in[0], in[1], o); });
}

}  // namespace

extern const OpDefinition mul_op = {
    "mul", 2, 2, -1, {TypeRule::same_type, true}, same_shape, check, output_elements, no_kernel, op_name_only,
    HAQM_PREPARE(prepare),
};

}  // namespace haqm::ops
