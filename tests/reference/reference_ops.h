// The reference oracle: one plain scalar C++ implementation per op, written from the ONNX and
// TFLite/gemmlowp specifications and independent of the Halide code. Every kernel, schedule and
// target is compared with it bit for bit.
#pragma once
#include <cstdint>
#include <vector>

#include "haqm/kernels.h"

namespace haqm::reference {

// ONNX QuantizeLinear: saturate(round_half_even(x / scale) + zero_point) into [qmin, qmax].
int32_t quantize_value(float x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax);
// ONNX DequantizeLinear: (x - zero_point) * scale in float32.
float dequantize_value(int32_t x, float scale, int32_t zero_point);

// gemmlowp SaturatingRoundingDoublingHighMul and RoundingDivideByPOT; TFLite
// MultiplyByQuantizedMultiplier with a saturating left shift.
int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b);
int32_t rounding_divide_by_pot(int32_t x, int exponent);
int32_t multiply_by_quantized_multiplier(int32_t x, FixedPointMultiplier m);
int32_t requantize_value(int32_t acc, FixedPointMultiplier m, int32_t zero_point, int32_t lo, int32_t hi);
// The float rule (ONNX): round_half_even(float32(acc) * scale) + zero_point, clamped.
int32_t requantize_float_value(int32_t acc, float scale, int32_t zero_point, int32_t lo, int32_t hi);

// Whole-tensor versions over a (inner, channel, outer) view given by shape and axis, with one
// parameter set (per tensor) or one per channel, as the API takes them.
std::vector<int32_t> quantize(const std::vector<float>& x, const Shape& shape, const QuantizationSpec& spec,
                              bool is_signed);
template <class Q>
std::vector<float> dequantize(const std::vector<Q>& x, const Shape& shape, const QuantizationSpec& spec);
std::vector<int32_t> requantize(const std::vector<int32_t>& x, const Shape& shape, const RequantizationSpec& spec,
                                bool is_signed);

// Integer GEMM: a (M x K), b (K x N) both row-major, exact int64 accumulation; returns the
// int32 accumulators (asserting they fit); requantize_gemm applies the spec's rule per column,
// then its output table if it has one.
template <class A>
std::vector<int64_t> gemm_accumulators(const std::vector<A>& a, const std::vector<int8_t>& b, int64_t m, int64_t k,
                                       int64_t n, int32_t a_zero_point, int32_t b_zero_point,
                                       const std::vector<int32_t>& bias);
std::vector<int32_t> requantize_gemm(const std::vector<int64_t>& acc, int64_t n, const GemmSpec& spec,
                                     bool is_signed);

// Direct convolution, NHWC input and HWIO weights, exact int64 accumulation plus bias, for the
// given output shape and the leading paddings (padded taps read the input zero point).
template <class A>
std::vector<int64_t> conv2d_accumulators(const std::vector<A>& input, const Shape& in, const std::vector<int8_t>& weights,
                                         const Shape& w, const Conv2dSpec& spec, const Shape& out, int64_t pad_top,
                                         int64_t pad_left);

// 2-D pooling, NHWC, from the definitions in haqm/kernels.h: max over the in-image taps of each
// window, or the sum of (x - input zero point) over them requantized with the fixed rule by
// M[count] = input_scale / (output_scale * count); global_average pools the whole image.
Shape pooled_shape(const Shape& in, const Pool2dSpec& spec);
template <class T>
std::vector<int32_t> pool2d(const std::vector<T>& input, const Shape& in, const Pool2dSpec& spec);

// TFLite reference quantized Add (left_shift = 20) on same-shaped tensors.
template <class T>
std::vector<int32_t> add(const std::vector<T>& a, const std::vector<T>& b, const AddSpec& spec);

// a * b by the float rule (docs/arithmetic.md): clamp(round_half_even(float((a - za) * (b - zb)) *
// (sa * sb / so)) + zo) over the 8-bit range; a values NHWC [N, H, W, C], b [N, 1, 1, C] broadcast
// over each image (squeeze-excite), given with its values as integers.
struct MulParams {
    float a_scale;
    int32_t a_zero_point;
    float b_scale;
    int32_t b_zero_point;
    float output_scale;
    int32_t output_zero_point;
};
std::vector<int32_t> channel_mul(const std::vector<int32_t>& a, const Shape& a_nhwc, const std::vector<int32_t>& b,
                                 const MulParams& p, bool is_signed);

// y = table[x - min] for 256-entry tables of the value type.
template <class T>
std::vector<int32_t> lookup(const std::vector<T>& x, const std::vector<T>& table);

}  // namespace haqm::reference
