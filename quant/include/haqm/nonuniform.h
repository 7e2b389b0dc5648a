// Non-uniform weight quantizers: logarithmic (power of two and other bases), binary and ternary.
// encode() turns float weights into small integer codes plus per-set scales or exponents; decode()
// turns them back into floats. Sets follow ScaleSharing (the QuantScheme rule of
// parameter_index). Rules in docs/quantization.md.
#pragma once
#include <cstdint>
#include <vector>

#include "haqm/quant_params.h"

namespace haqm {

// Which weights share one scale (or one maximum exponent): per tensor, per channel along `axis`,
// or per group of `group_size` consecutive elements of the last axis.
struct ScaleSharing {
    Granularity granularity = Granularity::per_tensor;
    int axis = 0;
    int64_t group_size = 0;
};

// Logarithmic quantization (Miyashita et al., "Convolutional Neural Networks using Logarithmic
// Data Representation", 2016). With L = 2^(bits-1) - 1 magnitudes, a code c in [-L, L] means
//   c = 0: 0,   c != 0: sign(c) * base^(max_exponent - L + |c|).
// Encoding rounds in the log domain: e = round(log_base |w|) (so with base 2, 0.75 -> 1, not 0.5),
// max_exponent is e of the set's max |w|, and exponents below the L-exponent window become the
// smallest magnitude if |w| is at least half of it, else zero.
struct LogCodes {
    std::vector<int8_t> codes;
    std::vector<int64_t> shape;
    ScaleSharing sharing;
    std::vector<int32_t> max_exponents;  // one per set
};

class LogQuantizer {
public:
    // Throws haqm::Error unless 2 <= bits <= 8 and base > 1 is finite.
    LogQuantizer(int bits, double base, const ScaleSharing& sharing = {});

    // Throws haqm::Error for empty or non-finite weights or a shape that does not hold them.
    LogCodes encode(const std::vector<float>& w, const std::vector<int64_t>& shape) const;
    // Throws haqm::Error for codes outside [-L, L] or exponents that do not match the shape.
    std::vector<float> decode(const LogCodes& encoded) const;

private:
    int bits_;
    double base_;
    ScaleSharing sharing_;
};

// Power-of-two quantization: logarithmic with base 2.
LogQuantizer power_of_two_quantizer(int bits, const ScaleSharing& sharing = {});

// Codes in {-1, 0, +1} (binary codes never use 0) with one magnitude for the positive and one for
// the negative codes of each set: decode gives positive_scales[set] * c for c > 0 and
// negative_scales[set] * c for c < 0.
struct TernaryCodes {
    std::vector<int8_t> codes;
    std::vector<int64_t> shape;
    ScaleSharing sharing;
    std::vector<float> positive_scales;  // one per set
    std::vector<float> negative_scales;  // one per set
};

// Binary weights (XNOR-Net, Rastegari et al. 2016): code sign(w) in {-1, +1} (0 encodes as +1),
// both scales alpha = mean |w| of the set.
class BinaryQuantizer {
public:
    explicit BinaryQuantizer(const ScaleSharing& sharing = {});

    // Throws haqm::Error for empty or non-finite weights or a shape that does not hold them.
    TernaryCodes encode(const std::vector<float>& w, const std::vector<int64_t>& shape) const;

private:
    ScaleSharing sharing_;
};

// Ternary weights (Li & Liu, "Ternary Weight Networks", 2016): per set, delta = 0.7 * mean |w|;
// code +1 if w > delta, -1 if w < -delta, else 0. One scale: both scales are the mean |w| over
// |w| > delta. Two scales (the asymmetric magnitudes of Zhu et al., "Trained Ternary
// Quantization", 2017, here computed rather than trained): the positive scale is the mean of
// w > delta, the negative one the mean of |w| over w < -delta. A scale with no weights is 0.
class TernaryQuantizer {
public:
    explicit TernaryQuantizer(bool two_scales = false, const ScaleSharing& sharing = {});

    // Throws haqm::Error for empty or non-finite weights or a shape that does not hold them.
    TernaryCodes encode(const std::vector<float>& w, const std::vector<int64_t>& shape) const;

private:
    bool two_scales_;
    ScaleSharing sharing_;
};

// Decodes binary and ternary codes. Throws haqm::Error for codes outside {-1, 0, 1} or scales
// that do not match the shape.
std::vector<float> decode(const TernaryCodes& encoded);

}  // namespace haqm
