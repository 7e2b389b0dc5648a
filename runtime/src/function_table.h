// The one rule that turns a float function into a quantized 256-entry table (build_lut and the
// activation op unit, which also makes the tables fused into product epilogues, both use it).
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "haqm/kernels.h"

namespace haqm::detail {

// The level of one float value: v / scale in float32 (as ONNX's QuantizeLinear and PyTorch's
// quantize divide), rounded half to even, plus the zero point, clamped to `range`.
int32_t quantize_level(float v, float scale, int32_t zero_point, IntegerRange range);

// Entry q - in_range.min, for every 8-bit input level q of the signed or unsigned type: f at the
// dequantized x = (q - in_zero_point) * in_scale (float32), quantized by quantize_level to the
// output's parameters and out_range; stored as the output type's byte.
std::vector<uint8_t> function_table(const std::function<float(float)>& f, bool is_signed, float in_scale,
                                    int32_t in_zero_point, float out_scale, int32_t out_zero_point,
                                    IntegerRange out_range);

}  // namespace haqm::detail
