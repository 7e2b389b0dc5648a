// Quantization schemes and parameters for the quantization library (calibration, PTQ):
// any bit width 1..8 or 16, signed or unsigned, symmetric or asymmetric, per tensor, per channel
// (any axis) or group-wise. Plain C++; formulas in docs/quantization.md.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "haqm/quant.h"

namespace haqm {

// Integer range of a quantized value for the library: bits 1..8 or 16. A signed 1-bit value is
// {-1, 0}; sign-magnitude binary weights are nonuniform.h's business.
IntegerRange quant_range(int bits, bool is_signed);

enum class Granularity { per_tensor, per_channel, per_group };

struct QuantScheme {
    int bits = 8;  // 1..8 or 16
    bool is_signed = true;
    bool symmetric = true;  // zero point fixed: 0 signed, 2^(bits-1) unsigned
    Granularity granularity = Granularity::per_tensor;
    int axis = 0;            // per_channel: the channel axis; negative counts from the end
    int64_t group_size = 0;  // per_group: consecutive elements of the last axis sharing parameters
};

// One (scale, zero point) per parameter set; see parameter_index for which element uses which.
struct QuantParams {
    QuantScheme scheme;
    std::vector<float> scales;
    std::vector<int32_t> zero_points;
};

// Number of parameter sets of a tensor of `shape` under `scheme`, and the set that element
// `index` (row-major) uses: per_tensor one; per_channel shape[axis] sets; per_group
// rows * ceil(last / group_size) sets, rows being the product of all dimensions but the last.
// Throws haqm::Error for an invalid scheme or shape.
size_t parameter_count(const QuantScheme& scheme, const std::vector<int64_t>& shape);
size_t parameter_index(const QuantScheme& scheme, const std::vector<int64_t>& shape, int64_t index);

// Parameters from observed ranges, one [min, max] per parameter set (docs/quantization.md):
//   symmetric:  scale = 2 * max(|min|, |max|) / (2^bits - 1)
//   asymmetric: the range is widened to include 0, scale = (max - min) / (2^bits - 1),
//               zero_point = clamp(qmin - round(min / scale)), so 0.0 is exactly representable.
// A zero-width range (or one whose step underflows float) gets scale 1: every value quantizes to
// the zero point. A step that overflows float is an error.
QuantParams params_from_ranges(const QuantScheme& scheme, const std::vector<float>& mins,
                               const std::vector<float>& maxs);

// Round trips with the library's parameters (round half to even, saturate), element by element.
std::vector<int32_t> quantize_tensor(const std::vector<float>& x, const std::vector<int64_t>& shape,
                                     const QuantParams& params);
std::vector<float> dequantize_tensor(const std::vector<int32_t>& q, const std::vector<int64_t>& shape,
                                     const QuantParams& params);

// Signal-to-quantization-noise ratio in dB: 10 log10(sum x^2 / sum (x - y)^2); +inf if exact.
double sqnr_db(const std::vector<float>& x, const std::vector<float>& y);

}  // namespace haqm
