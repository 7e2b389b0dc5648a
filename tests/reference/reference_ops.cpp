#include "reference_ops.h"

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <type_traits>

namespace haqm::reference {
namespace {

struct View {
    int64_t inner = 1, channels = 1, outer = 1;
};

View view_of(const Shape& shape, size_t parameters, int axis) {
    View v;
    int64_t total = 1;
    for (int64_t d : shape) {
        total *= d;
    }
    if (parameters == 1) {
        v.inner = total;
        return v;
    }
    const int rank = static_cast<int>(shape.size());
    const int a = axis < 0 ? axis + rank : axis;
    for (int i = 0; i < rank; ++i) {
        (i < a ? v.outer : i > a ? v.inner : v.channels) *= shape[i];
    }
    return v;
}

int64_t channel_of(const View& v, int64_t index) {
    return (index / v.inner) % v.channels;
}

IntegerRange type_range(bool is_signed) {
    return is_signed ? IntegerRange{-128, 127} : IntegerRange{0, 255};
}

}  // namespace

int32_t quantize_value(float x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax) {
    const float scaled = x / scale;  // float32 division, as ONNX computes it
    const double rounded = std::nearbyint(static_cast<double>(scaled));  // default mode: ties to even
    const double shifted = rounded + zero_point;
    return static_cast<int32_t>(std::min<double>(std::max<double>(shifted, qmin), qmax));
}

float dequantize_value(int32_t x, float scale, int32_t zero_point) {
    return static_cast<float>(x - zero_point) * scale;
}

int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
    if (a == std::numeric_limits<int32_t>::min() && b == std::numeric_limits<int32_t>::min()) {
        return std::numeric_limits<int32_t>::max();
    }
    const int64_t ab = static_cast<int64_t>(a) * b;
    const int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
    return static_cast<int32_t>((ab + nudge) / (1LL << 31));  // C++ division truncates toward zero
}

int32_t rounding_divide_by_pot(int32_t x, int exponent) {
    const int32_t mask = static_cast<int32_t>((1LL << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t multiply_by_quantized_multiplier(int32_t x, FixedPointMultiplier m) {
    const int left = m.shift > 0 ? m.shift : 0;
    const int right = m.shift > 0 ? 0 : -m.shift;
    const int64_t shifted = static_cast<int64_t>(x) * (int64_t(1) << left);
    const int32_t saturated = static_cast<int32_t>(std::clamp<int64_t>(
        shifted, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()));
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(saturated, m.multiplier), right);
}

int32_t requantize_value(int32_t acc, FixedPointMultiplier m, int32_t zero_point, int32_t lo, int32_t hi) {
    const int64_t value = static_cast<int64_t>(multiply_by_quantized_multiplier(acc, m)) + zero_point;
    return static_cast<int32_t>(std::clamp<int64_t>(value, lo, hi));
}

int32_t requantize_float_value(int32_t acc, float scale, int32_t zero_point, int32_t lo, int32_t hi) {
    const float scaled = static_cast<float>(acc) * scale;                  // float32 product
    const double rounded = std::nearbyint(static_cast<double>(scaled));    // ties to even
    return static_cast<int32_t>(std::clamp<double>(rounded + zero_point, lo, hi));
}

std::vector<int32_t> quantize(const std::vector<float>& x, const Shape& shape, const QuantizationSpec& spec,
                              bool is_signed) {
    const View v = view_of(shape, spec.scales.size(), spec.axis);
    const IntegerRange range = integer_range(spec.bits, is_signed);
    std::vector<int32_t> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
        const int64_t c = channel_of(v, static_cast<int64_t>(i));
        y[i] = quantize_value(x[i], spec.scales[c], spec.zero_points[c], range.min, range.max);
    }
    return y;
}

template <class Q>
std::vector<float> dequantize(const std::vector<Q>& x, const Shape& shape, const QuantizationSpec& spec) {
    const View v = view_of(shape, spec.scales.size(), spec.axis);
    std::vector<float> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
        const int64_t c = channel_of(v, static_cast<int64_t>(i));
        y[i] = dequantize_value(x[i], spec.scales[c], spec.zero_points[c]);
    }
    return y;
}
template std::vector<float> dequantize(const std::vector<int8_t>&, const Shape&, const QuantizationSpec&);
template std::vector<float> dequantize(const std::vector<uint8_t>&, const Shape&, const QuantizationSpec&);
template std::vector<float> dequantize(const std::vector<int32_t>&, const Shape&, const QuantizationSpec&);

std::vector<int32_t> requantize(const std::vector<int32_t>& x, const Shape& shape, const RequantizationSpec& spec,
                                bool is_signed) {
    const View v = view_of(shape, spec.multipliers.size(), spec.axis);
    const IntegerRange type = type_range(is_signed);
    const int32_t lo = spec.output_min.value_or(type.min), hi = spec.output_max.value_or(type.max);
    std::vector<int32_t> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
        const int64_t c = channel_of(v, static_cast<int64_t>(i));
        y[i] = requantize_value(x[i], spec.multipliers[c], spec.output_zero_point, lo, hi);
    }
    return y;
}

template <class A>
std::vector<int64_t> gemm_accumulators(const std::vector<A>& a, const std::vector<int8_t>& b, int64_t m, int64_t k,
                                       int64_t n, int32_t a_zero_point, int32_t b_zero_point,
                                       const std::vector<int32_t>& bias) {
    std::vector<int64_t> acc(m * n);
    for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
            int64_t sum = bias.empty() ? 0 : bias[j];
            for (int64_t p = 0; p < k; ++p) {
                sum += (static_cast<int64_t>(a[i * k + p]) - a_zero_point) * (static_cast<int64_t>(b[p * n + j]) - b_zero_point);
            }
            if (sum < std::numeric_limits<int32_t>::min() || sum > std::numeric_limits<int32_t>::max()) {
                throw std::logic_error("reference gemm: accumulator overflows int32; the test chose bad data");
            }
            acc[i * n + j] = sum;
        }
    }
    return acc;
}
template std::vector<int64_t> gemm_accumulators(const std::vector<uint8_t>&, const std::vector<int8_t>&, int64_t,
                                                int64_t, int64_t, int32_t, int32_t, const std::vector<int32_t>&);
template std::vector<int64_t> gemm_accumulators(const std::vector<int8_t>&, const std::vector<int8_t>&, int64_t,
                                                int64_t, int64_t, int32_t, int32_t, const std::vector<int32_t>&);

template <class A>
std::vector<int64_t> conv2d_accumulators(const std::vector<A>& input, const Shape& in, const std::vector<int8_t>& weights,
                                         const Shape& w, const Conv2dSpec& spec, const Shape& out, int64_t pad_top,
                                         int64_t pad_left) {
    const int64_t in_per_group = in[3] / spec.groups, out_per_group = w[3] / spec.groups;
    std::vector<int64_t> acc(out[0] * out[1] * out[2] * out[3]);
    for (int64_t b = 0; b < out[0]; ++b) {
        for (int64_t oy = 0; oy < out[1]; ++oy) {
            for (int64_t ox = 0; ox < out[2]; ++ox) {
                for (int64_t co = 0; co < out[3]; ++co) {
                    int64_t sum = spec.bias.empty() ? 0 : spec.bias[co];
                    const int64_t group = co / out_per_group;
                    for (int64_t ky = 0; ky < w[0]; ++ky) {
                        for (int64_t kx = 0; kx < w[1]; ++kx) {
                            const int64_t iy = oy * spec.stride_h + ky * spec.dilation_h - pad_top;
                            const int64_t ix = ox * spec.stride_w + kx * spec.dilation_w - pad_left;
                            const bool inside = iy >= 0 && iy < in[1] && ix >= 0 && ix < in[2];
                            for (int64_t ci = 0; ci < in_per_group; ++ci) {
                                const int64_t channel = group * in_per_group + ci;
                                const int64_t a = inside ? input[((b * in[1] + iy) * in[2] + ix) * in[3] + channel]
                                                         : spec.input_zero_point;
                                const int64_t wv = weights[((ky * w[1] + kx) * w[2] + ci) * w[3] + co];
                                sum += (a - spec.input_zero_point) * (wv - spec.weight_zero_point);
                            }
                        }
                    }
                    acc[((b * out[1] + oy) * out[2] + ox) * out[3] + co] = sum;
                }
            }
        }
    }
    return acc;
}
template std::vector<int64_t> conv2d_accumulators(const std::vector<uint8_t>&, const Shape&, const std::vector<int8_t>&,
                                                  const Shape&, const Conv2dSpec&, const Shape&, int64_t, int64_t);
template std::vector<int64_t> conv2d_accumulators(const std::vector<int8_t>&, const Shape&, const std::vector<int8_t>&,
                                                  const Shape&, const Conv2dSpec&, const Shape&, int64_t, int64_t);

std::vector<int32_t> requantize_gemm(const std::vector<int64_t>& acc, int64_t n, const GemmSpec& spec, bool is_signed) {
    const IntegerRange type = type_range(is_signed);
    const int32_t lo = spec.output_min.value_or(type.min), hi = spec.output_max.value_or(type.max);
    std::vector<int32_t> y(acc.size());
    for (size_t i = 0; i < acc.size(); ++i) {
        const size_t column = i % n;
        const int32_t value = static_cast<int32_t>(acc[i]);
        if (spec.requantization == Requantization::float32) {
            const float scale = spec.output_scales.size() == 1 ? spec.output_scales[0] : spec.output_scales[column];
            y[i] = requantize_float_value(value, scale, spec.output_zero_point, lo, hi);
        } else {
            const auto& mult = spec.output_multipliers.size() == 1 ? spec.output_multipliers[0]
                                                                   : spec.output_multipliers[column];
            y[i] = requantize_value(value, mult, spec.output_zero_point, lo, hi);
        }
        if (!spec.output_table.empty()) {  // the fused activation table: entry q - min, read as the type
            const uint8_t entry = spec.output_table[static_cast<size_t>(y[i] - type.min)];
            y[i] = is_signed ? static_cast<int32_t>(static_cast<int8_t>(entry)) : static_cast<int32_t>(entry);
        }
    }
    return y;
}

Shape pooled_shape(const Shape& in, const Pool2dSpec& spec) {
    if (spec.kind == PoolKind::global_average) {
        return {in[0], 1, 1, in[3]};
    }
    const int64_t rows = (in[1] + spec.pad_top + spec.pad_bottom - spec.kernel_h) / spec.stride_h + 1;
    const int64_t cols = (in[2] + spec.pad_left + spec.pad_right - spec.kernel_w) / spec.stride_w + 1;
    return {in[0], rows, cols, in[3]};
}

template <class T>
std::vector<int32_t> pool2d(const std::vector<T>& input, const Shape& in, const Pool2dSpec& spec) {
    Pool2dSpec s = spec;
    if (spec.kind == PoolKind::global_average) {  // one window: the image
        s.kernel_h = static_cast<int>(in[1]);
        s.kernel_w = static_cast<int>(in[2]);
        s.stride_h = s.stride_w = 1;
        s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 0;
    }
    const Shape out = pooled_shape(in, spec);
    const IntegerRange type = type_range(std::is_signed_v<T>);
    const int32_t lo = spec.output_min.value_or(type.min), hi = spec.output_max.value_or(type.max);
    std::vector<int32_t> y(out[0] * out[1] * out[2] * out[3]);
    for (int64_t b = 0; b < out[0]; ++b) {
        for (int64_t oy = 0; oy < out[1]; ++oy) {
            for (int64_t ox = 0; ox < out[2]; ++ox) {
                for (int64_t c = 0; c < out[3]; ++c) {
                    int64_t largest = std::numeric_limits<int64_t>::min(), sum = 0, taps = 0;
                    for (int64_t ky = 0; ky < s.kernel_h; ++ky) {
                        for (int64_t kx = 0; kx < s.kernel_w; ++kx) {
                            const int64_t iy = oy * s.stride_h + ky - s.pad_top;
                            const int64_t ix = ox * s.stride_w + kx - s.pad_left;
                            if (iy < 0 || iy >= in[1] || ix < 0 || ix >= in[2]) {
                                continue;  // padding: neither a candidate nor a summand
                            }
                            const int64_t v = input[((b * in[1] + iy) * in[2] + ix) * in[3] + c];
                            largest = std::max(largest, v);
                            sum += v - s.input_zero_point;
                            ++taps;
                        }
                    }
                    if (taps == 0) {
                        throw std::logic_error("reference pool: a window lies entirely in padding");
                    }
                    int64_t value = 0;
                    if (spec.kind == PoolKind::max) {
                        value = std::clamp<int64_t>(largest, lo, hi);
                    } else {
                        const int64_t count = s.count_include_pad ? int64_t(s.kernel_h) * s.kernel_w : taps;
                        const FixedPointMultiplier m = quantize_multiplier(
                            static_cast<double>(spec.input_scale) / (static_cast<double>(spec.output_scale) * count));
                        value = requantize_value(static_cast<int32_t>(sum), m, spec.output_zero_point, lo, hi);
                    }
                    y[((b * out[1] + oy) * out[2] + ox) * out[3] + c] = static_cast<int32_t>(value);
                }
            }
        }
    }
    return y;
}
template std::vector<int32_t> pool2d(const std::vector<uint8_t>&, const Shape&, const Pool2dSpec&);
template std::vector<int32_t> pool2d(const std::vector<int8_t>&, const Shape&, const Pool2dSpec&);

template <class T>
std::vector<int32_t> add(const std::vector<T>& a, const std::vector<T>& b, const AddSpec& spec) {
    constexpr int left_shift = 20;
    const double twice_max = 2.0 * std::max<double>(spec.a_scale, spec.b_scale);
    const FixedPointMultiplier ma = quantize_multiplier(spec.a_scale / twice_max);
    const FixedPointMultiplier mb = quantize_multiplier(spec.b_scale / twice_max);
    const FixedPointMultiplier mout = quantize_multiplier(twice_max / ((1 << left_shift) * double(spec.output_scale)));
    const IntegerRange type = type_range(std::is_signed_v<T>);
    const int32_t lo = spec.output_min.value_or(type.min), hi = spec.output_max.value_or(type.max);
    std::vector<int32_t> y(a.size());
    for (size_t i = 0; i < a.size(); ++i) {
        const int32_t a_shifted = (int32_t(a[i]) - spec.a_zero_point) * (1 << left_shift);
        const int32_t b_shifted = (int32_t(b[i]) - spec.b_zero_point) * (1 << left_shift);
        const int32_t sum = multiply_by_quantized_multiplier(a_shifted, ma) + multiply_by_quantized_multiplier(b_shifted, mb);
        y[i] = requantize_value(sum, mout, spec.output_zero_point, lo, hi);
    }
    return y;
}
template std::vector<int32_t> add(const std::vector<uint8_t>&, const std::vector<uint8_t>&, const AddSpec&);

std::vector<int32_t> channel_mul(const std::vector<int32_t>& a, const Shape& a_nhwc, const std::vector<int32_t>& b,
                                 const MulParams& p, bool is_signed) {
    const IntegerRange type = type_range(is_signed);
    const float scale = p.a_scale * p.b_scale / p.output_scale;
    const int64_t channels = a_nhwc[3], pixels = a_nhwc[1] * a_nhwc[2];
    std::vector<int32_t> y(a.size());
    for (size_t i = 0; i < a.size(); ++i) {
        const int64_t image = static_cast<int64_t>(i) / (pixels * channels), c = static_cast<int64_t>(i) % channels;
        const int32_t bv = b[static_cast<size_t>(image * channels + c)];
        const float product = static_cast<float>((a[i] - p.a_zero_point) * (bv - p.b_zero_point)) * scale;
        const double level = std::nearbyint(static_cast<double>(product)) + p.output_zero_point;
        y[i] = static_cast<int32_t>(std::clamp<double>(level, type.min, type.max));
    }
    return y;
}
template std::vector<int32_t> add(const std::vector<int8_t>&, const std::vector<int8_t>&, const AddSpec&);

template <class T>
std::vector<int32_t> lookup(const std::vector<T>& x, const std::vector<T>& table) {
    const int32_t lowest = std::numeric_limits<T>::min();
    std::vector<int32_t> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
        y[i] = table.at(static_cast<size_t>(int32_t(x[i]) - lowest));
    }
    return y;
}
template std::vector<int32_t> lookup(const std::vector<uint8_t>&, const std::vector<uint8_t>&);
template std::vector<int32_t> lookup(const std::vector<int8_t>&, const std::vector<int8_t>&);

}  // namespace haqm::reference
