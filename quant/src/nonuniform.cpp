#include "haqm/nonuniform.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "haqm/error.h"

namespace haqm {
namespace {

QuantScheme sharing_scheme(const ScaleSharing& sharing) {
    QuantScheme scheme;
    scheme.granularity = sharing.granularity;
    scheme.axis = sharing.axis;
    scheme.group_size = sharing.group_size;
    return scheme;
}

// The set of every one of `count` elements of a tensor of `shape` under `sharing`.
std::vector<size_t> element_sets(const std::string& who, size_t count, const std::vector<int64_t>& shape,
                                 const ScaleSharing& sharing) {
    const QuantScheme scheme = sharing_scheme(sharing);
    int64_t elements = 1;
    for (int64_t d : shape) {
        elements *= d;
    }
    if (elements != static_cast<int64_t>(count)) {
        throw Error(who + ": " + std::to_string(count) + " values for a shape of " + std::to_string(elements) +
                    " elements");
    }
    std::vector<size_t> sets(count);
    for (size_t i = 0; i < count; ++i) {
        sets[i] = parameter_index(scheme, shape, static_cast<int64_t>(i));
    }
    return sets;
}

// Checks the weights an encoder gets and returns their sets and the set count.
std::vector<size_t> weight_sets(const std::string& who, const std::vector<float>& w, const std::vector<int64_t>& shape,
                                const ScaleSharing& sharing, size_t* set_count) {
    if (w.empty()) {
        throw Error(who + ": no weights");
    }
    for (size_t i = 0; i < w.size(); ++i) {
        if (!std::isfinite(w[i])) {
            throw Error(who + ": weight " + std::to_string(i) + " is not finite");
        }
    }
    *set_count = parameter_count(sharing_scheme(sharing), shape);  // also rejects non-positive dimensions
    return element_sets(who, w.size(), shape, sharing);
}

// Checks the codes a decoder gets against `per_set`, the number of its scales or exponents.
std::vector<size_t> code_sets(const std::string& who, size_t code_count, const std::vector<int64_t>& shape,
                              const ScaleSharing& sharing, size_t per_set) {
    const size_t set_count = parameter_count(sharing_scheme(sharing), shape);
    if (set_count != per_set) {
        throw Error(who + ": " + std::to_string(per_set) + " scales or exponents for " + std::to_string(set_count) +
                    " sets");
    }
    return element_sets(who, code_count, shape, sharing);
}

int8_t sign_code(float w) {
    return w < 0.0f ? -1 : 1;
}

}  // namespace

LogQuantizer::LogQuantizer(int bits, double base, const ScaleSharing& sharing)
    : bits_(bits), base_(base), sharing_(sharing) {
    if (bits < 2 || bits > 8) {
        throw Error("log quantizer: bit width " + std::to_string(bits) + " is outside [2, 8]");
    }
    if (!std::isfinite(base) || !(base > 1.0)) {
        throw Error("log quantizer: base " + std::to_string(base) + " must be finite and > 1");
    }
}

LogCodes LogQuantizer::encode(const std::vector<float>& w, const std::vector<int64_t>& shape) const {
    size_t set_count = 0;
    const std::vector<size_t> sets = weight_sets("log quantizer", w, shape, sharing_, &set_count);
    const auto exponent = [this](float v) {
        return static_cast<int32_t>(std::lround(std::log(std::fabs(static_cast<double>(v))) / std::log(base_)));
    };
    std::vector<float> max_abs(set_count, 0.0f);
    for (size_t i = 0; i < w.size(); ++i) {
        max_abs[sets[i]] = std::max(max_abs[sets[i]], std::fabs(w[i]));
    }
    LogCodes encoded{std::vector<int8_t>(w.size(), 0), shape, sharing_, std::vector<int32_t>(set_count, 0)};
    for (size_t set = 0; set < set_count; ++set) {
        if (max_abs[set] > 0.0f) {  // an all-zero set keeps exponent 0 and only zero codes
            encoded.max_exponents[set] = exponent(max_abs[set]);
        }
    }
    const int32_t magnitudes = (1 << (bits_ - 1)) - 1;
    for (size_t i = 0; i < w.size(); ++i) {
        if (w[i] == 0.0f) {
            continue;
        }
        const int32_t lowest = encoded.max_exponents[sets[i]] - magnitudes + 1;
        int32_t e = exponent(w[i]);  // <= the set's max exponent: rounding is monotone
        if (e < lowest) {
            // Below the window: the nearest of 0 and the smallest magnitude, decided linearly
            // because the log domain has no zero.
            if (std::fabs(w[i]) < 0.5 * std::pow(base_, lowest)) {
                continue;
            }
            e = lowest;
        }
        const int32_t magnitude_code = e - lowest + 1;
        encoded.codes[i] = static_cast<int8_t>(w[i] < 0.0f ? -magnitude_code : magnitude_code);
    }
    return encoded;
}

std::vector<float> LogQuantizer::decode(const LogCodes& encoded) const {
    const std::vector<size_t> sets = code_sets("log quantizer", encoded.codes.size(), encoded.shape,
                                                  encoded.sharing, encoded.max_exponents.size());
    const int32_t magnitudes = (1 << (bits_ - 1)) - 1;
    std::vector<float> w(encoded.codes.size(), 0.0f);
    for (size_t i = 0; i < w.size(); ++i) {
        const int32_t c = encoded.codes[i];
        if (c < -magnitudes || c > magnitudes) {
            throw Error("log quantizer: code " + std::to_string(c) + " is outside [-" + std::to_string(magnitudes) +
                        ", " + std::to_string(magnitudes) + "]");
        }
        if (c != 0) {
            const double magnitude = std::pow(base_, encoded.max_exponents[sets[i]] - magnitudes + std::abs(c));
            w[i] = static_cast<float>(c < 0 ? -magnitude : magnitude);
        }
    }
    return w;
}

LogQuantizer power_of_two_quantizer(int bits, const ScaleSharing& sharing) {
    return LogQuantizer(bits, 2.0, sharing);
}

BinaryQuantizer::BinaryQuantizer(const ScaleSharing& sharing) : sharing_(sharing) {}

TernaryCodes BinaryQuantizer::encode(const std::vector<float>& w, const std::vector<int64_t>& shape) const {
    size_t set_count = 0;
    const std::vector<size_t> sets = weight_sets("binary quantizer", w, shape, sharing_, &set_count);
    std::vector<double> abs_sum(set_count, 0.0), count(set_count, 0.0);
    TernaryCodes encoded{std::vector<int8_t>(w.size()), shape, sharing_, {}, {}};
    for (size_t i = 0; i < w.size(); ++i) {
        abs_sum[sets[i]] += std::fabs(w[i]);
        count[sets[i]] += 1.0;
        encoded.codes[i] = sign_code(w[i]);
    }
    for (size_t set = 0; set < set_count; ++set) {
        encoded.positive_scales.push_back(static_cast<float>(abs_sum[set] / count[set]));
    }
    encoded.negative_scales = encoded.positive_scales;
    return encoded;
}

TernaryQuantizer::TernaryQuantizer(bool two_scales, const ScaleSharing& sharing)
    : two_scales_(two_scales), sharing_(sharing) {}

TernaryCodes TernaryQuantizer::encode(const std::vector<float>& w, const std::vector<int64_t>& shape) const {
    size_t set_count = 0;
    const std::vector<size_t> sets = weight_sets("ternary quantizer", w, shape, sharing_, &set_count);
    std::vector<double> abs_sum(set_count, 0.0), count(set_count, 0.0);
    for (size_t i = 0; i < w.size(); ++i) {
        abs_sum[sets[i]] += std::fabs(w[i]);
        count[sets[i]] += 1.0;
    }
    // TWN's approximation of the optimal threshold for uniform or Gaussian weights.
    std::vector<double> delta(set_count);
    for (size_t set = 0; set < set_count; ++set) {
        delta[set] = 0.7 * abs_sum[set] / count[set];
    }
    TernaryCodes encoded{std::vector<int8_t>(w.size(), 0), shape, sharing_, {}, {}};
    std::vector<double> positive_sum(set_count, 0.0), positive_count(set_count, 0.0);
    std::vector<double> negative_sum(set_count, 0.0), negative_count(set_count, 0.0);
    for (size_t i = 0; i < w.size(); ++i) {
        const size_t set = sets[i];
        if (w[i] > delta[set]) {
            encoded.codes[i] = 1;
            positive_sum[set] += w[i];
            positive_count[set] += 1.0;
        } else if (w[i] < -delta[set]) {
            encoded.codes[i] = -1;
            negative_sum[set] -= w[i];
            negative_count[set] += 1.0;
        }
    }
    const auto mean = [](double sum, double count) { return static_cast<float>(count > 0.0 ? sum / count : 0.0); };
    for (size_t set = 0; set < set_count; ++set) {
        if (two_scales_) {
            encoded.positive_scales.push_back(mean(positive_sum[set], positive_count[set]));
            encoded.negative_scales.push_back(mean(negative_sum[set], negative_count[set]));
        } else {
            const float scale =
                mean(positive_sum[set] + negative_sum[set], positive_count[set] + negative_count[set]);
            encoded.positive_scales.push_back(scale);
            encoded.negative_scales.push_back(scale);
        }
    }
    return encoded;
}

std::vector<float> decode(const TernaryCodes& encoded) {
    if (encoded.negative_scales.size() != encoded.positive_scales.size()) {
        throw Error("ternary decode: " + std::to_string(encoded.positive_scales.size()) + " positive and " +
                    std::to_string(encoded.negative_scales.size()) + " negative scales");
    }
    const std::vector<size_t> sets = code_sets("ternary decode", encoded.codes.size(), encoded.shape,
                                                  encoded.sharing, encoded.positive_scales.size());
    std::vector<float> w(encoded.codes.size());
    for (size_t i = 0; i < w.size(); ++i) {
        const int8_t c = encoded.codes[i];
        if (c < -1 || c > 1) {
            throw Error("ternary decode: code " + std::to_string(c) + " is outside {-1, 0, 1}");
        }
        w[i] = c > 0 ? encoded.positive_scales[sets[i]] : c < 0 ? -encoded.negative_scales[sets[i]] : 0.0f;
    }
    return w;
}

}  // namespace haqm
