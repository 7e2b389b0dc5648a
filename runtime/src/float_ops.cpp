// Float32 graph ops in plain C++ (see float_ops.h).
#include "float_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace haqm::detail {

float activate(float x, const NodeAttributes& a) {
    switch (a.activation) {
    case Activation::none: return x;
    case Activation::relu: return x > 0.0f ? x : 0.0f;
    case Activation::clip: return std::min(std::max(x, a.clip_min), a.clip_max);
    case Activation::sigmoid: return 1.0f / (1.0f + std::exp(-x));
    case Activation::hard_sigmoid: return std::max(0.0f, std::min(1.0f, a.alpha * x + a.beta));
    case Activation::hard_swish: return x * std::max(0.0f, std::min(1.0f, x / 6.0f + 0.5f));
    case Activation::tanh: return std::tanh(x);
    }
    return x;
}

namespace {

void activate_row(float* row, int64_t n, const NodeAttributes& a) {
    if (a.activation == Activation::none) return;
    if (a.activation == Activation::relu) {
        for (int64_t i = 0; i < n; ++i) row[i] = row[i] > 0.0f ? row[i] : 0.0f;
        return;
    }
    for (int64_t i = 0; i < n; ++i) row[i] = activate(row[i], a);
}

}  // namespace

HAQM_WIDE_VECTOR_CLONES void conv2d_f32(const float* x, const Shape& xs, const float* w, const Shape& ws, const float* bias,
                const NodeAttributes& a, float* out, const Shape& os) {
    const int64_t batch = xs[0], in_h = xs[1], in_w = xs[2], channels = xs[3];
    const int64_t kernel_h = ws[0], kernel_w = ws[1], group_in = ws[2], out_channels = ws[3];
    const int64_t out_h = os[1], out_w = os[2];
    const int64_t groups = a.groups, group_out = out_channels / groups;
    const bool per_channel = group_in == 1 && group_out == 1;  // depthwise, multiplier 1
    std::vector<float> acc(static_cast<size_t>(out_channels));
    for (int64_t n = 0; n < batch; ++n) {
        for (int64_t oh = 0; oh < out_h; ++oh) {
            for (int64_t ow = 0; ow < out_w; ++ow) {
                for (int64_t co = 0; co < out_channels; ++co) acc[static_cast<size_t>(co)] = bias ? bias[co] : 0.0f;
                for (int64_t kh = 0; kh < kernel_h; ++kh) {
                    const int64_t ih = oh * a.stride_h - a.pad_top + kh * a.dilation_h;
                    if (ih < 0 || ih >= in_h) continue;
                    for (int64_t kw = 0; kw < kernel_w; ++kw) {
                        const int64_t iw = ow * a.stride_w - a.pad_left + kw * a.dilation_w;
                        if (iw < 0 || iw >= in_w) continue;
                        const float* pixel = x + ((n * in_h + ih) * in_w + iw) * channels;
                        const float* tap = w + (kh * kernel_w + kw) * group_in * out_channels;
                        if (per_channel) {
                            float* dst = acc.data();
                            for (int64_t c = 0; c < channels; ++c) dst[c] += pixel[c] * tap[c];
                            continue;
                        }
                        for (int64_t g = 0; g < groups; ++g) {
                            for (int64_t ci = 0; ci < group_in; ++ci) {
                                const float v = pixel[g * group_in + ci];
                                const float* row = tap + ci * out_channels + g * group_out;
                                float* dst = acc.data() + g * group_out;
                                for (int64_t co = 0; co < group_out; ++co) dst[co] += v * row[co];
                            }
                        }
                    }
                }
                float* o = out + ((n * out_h + oh) * out_w + ow) * out_channels;
                std::copy(acc.begin(), acc.end(), o);
                activate_row(o, out_channels, a);
            }
        }
    }
}

HAQM_WIDE_VECTOR_CLONES void fully_connected_f32(const float* x, int64_t m, const float* w, int64_t k, int64_t n, const float* bias,
                         const NodeAttributes& a, float* out) {
    for (int64_t i = 0; i < m; ++i) {
        float* o = out + i * n;
        for (int64_t j = 0; j < n; ++j) o[j] = bias ? bias[j] : 0.0f;
        for (int64_t p = 0; p < k; ++p) {
            const float v = x[i * k + p];
            const float* row = w + p * n;
            for (int64_t j = 0; j < n; ++j) o[j] += v * row[j];
        }
        activate_row(o, n, a);
    }
}

void pool2d_f32(OpKind op, const float* x, const Shape& xs, const NodeAttributes& a, float* out, const Shape& os) {
    const int64_t batch = xs[0], in_h = xs[1], in_w = xs[2], channels = xs[3];
    if (op == OpKind::global_average_pool) {
        const double count = static_cast<double>(in_h * in_w);
        std::vector<double> sum(static_cast<size_t>(channels));
        for (int64_t n = 0; n < batch; ++n) {
            std::fill(sum.begin(), sum.end(), 0.0);
            for (int64_t p = 0; p < in_h * in_w; ++p) {
                const float* pixel = x + (n * in_h * in_w + p) * channels;
                for (int64_t c = 0; c < channels; ++c) sum[static_cast<size_t>(c)] += pixel[c];
            }
            for (int64_t c = 0; c < channels; ++c) out[n * channels + c] = static_cast<float>(sum[static_cast<size_t>(c)] / count);
        }
        return;
    }
    const bool is_max = op == OpKind::max_pool;
    const int64_t out_h = os[1], out_w = os[2];
    std::vector<float> acc(static_cast<size_t>(channels));
    for (int64_t n = 0; n < batch; ++n) {
        for (int64_t oh = 0; oh < out_h; ++oh) {
            for (int64_t ow = 0; ow < out_w; ++ow) {
                std::fill(acc.begin(), acc.end(), is_max ? -std::numeric_limits<float>::infinity() : 0.0f);
                int64_t taps = 0;
                for (int64_t kh = 0; kh < a.kernel_h; ++kh) {
                    const int64_t ih = oh * a.stride_h - a.pad_top + kh;
                    for (int64_t kw = 0; kw < a.kernel_w; ++kw) {
                        const int64_t iw = ow * a.stride_w - a.pad_left + kw;
                        const bool inside = ih >= 0 && ih < in_h && iw >= 0 && iw < in_w;
                        // count_include_pad counts taps in the padding, not beyond it
                        const bool in_padding = ih < in_h + a.pad_bottom && iw < in_w + a.pad_right;
                        if (inside || (a.count_include_pad && in_padding)) ++taps;
                        if (!inside) continue;
                        const float* pixel = x + ((n * in_h + ih) * in_w + iw) * channels;
                        for (int64_t c = 0; c < channels; ++c) {
                            acc[static_cast<size_t>(c)] = is_max ? std::max(acc[static_cast<size_t>(c)], pixel[c])
                                                                 : acc[static_cast<size_t>(c)] + pixel[c];
                        }
                    }
                }
                float* o = out + ((n * out_h + oh) * out_w + ow) * channels;
                for (int64_t c = 0; c < channels; ++c) {
                    o[c] = is_max ? acc[static_cast<size_t>(c)] : acc[static_cast<size_t>(c)] / static_cast<float>(std::max<int64_t>(taps, 1));
                }
            }
        }
    }
}

void mul_f32(const float* a, const Shape& as, const float* b, const Shape& bs, float* out) {
    int64_t total = 1;
    for (int64_t d : as) total *= d;
    if (as == bs) {
        for (int64_t i = 0; i < total; ++i) out[i] = a[i] * b[i];
        return;
    }
    const int64_t batch = as[0], pixels = as[1] * as[2], channels = as[3];
    for (int64_t n = 0; n < batch; ++n) {
        const float* scale = b + n * channels;
        for (int64_t p = 0; p < pixels; ++p) {
            const int64_t base = (n * pixels + p) * channels;
            for (int64_t c = 0; c < channels; ++c) out[base + c] = a[base + c] * scale[c];
        }
    }
    (void)bs;
}

void softmax_f32(const float* x, int64_t rows, int64_t cols, float* out) {
    for (int64_t r = 0; r < rows; ++r) {
        const float* in = x + r * cols;
        float* o = out + r * cols;
        const float top = *std::max_element(in, in + cols);
        double sum = 0.0;
        for (int64_t c = 0; c < cols; ++c) sum += (o[c] = std::exp(in[c] - top));
        for (int64_t c = 0; c < cols; ++c) o[c] = static_cast<float>(o[c] / sum);
    }
}

void gather_strided(const uint8_t* x, const Shape& shape, const Shape& strides, size_t element_bytes, uint8_t* out) {
    const size_t rank = shape.size();
    int64_t total = 1;
    for (int64_t d : shape) total *= d;
    std::vector<int64_t> index(rank, 0);
    for (int64_t i = 0; i < total; ++i) {
        int64_t source = 0;
        for (size_t d = 0; d < rank; ++d) source += index[d] * strides[d];
        std::memcpy(out + static_cast<size_t>(i) * element_bytes, x + static_cast<size_t>(source) * element_bytes, element_bytes);
        for (size_t d = 0; d < rank; ++d) {  // odometer step, last axis fastest
            const size_t axis = rank - 1 - d;
            if (++index[axis] < shape[axis]) break;
            index[axis] = 0;
        }
    }
}

void transpose_bytes(const uint8_t* x, const Shape& xs, const std::vector<int64_t>& perm, size_t element_bytes,
                     uint8_t* out) {
    const Shape in_strides = dense_strides(xs);
    Shape out_shape(xs.size()), strides(xs.size());
    for (size_t d = 0; d < xs.size(); ++d) {
        out_shape[d] = xs[static_cast<size_t>(perm[d])];
        strides[d] = in_strides[static_cast<size_t>(perm[d])];
    }
    gather_strided(x, out_shape, strides, element_bytes, out);
}

void copy_rows(const uint8_t* x, int64_t rows, int64_t block, int64_t out_row, uint8_t* out) {
    for (int64_t r = 0; r < rows; ++r) std::memcpy(out + r * out_row, x + r * block, static_cast<size_t>(block));
}

}  // namespace haqm::detail
