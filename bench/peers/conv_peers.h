// Peer-library int8 convolution wrappers (oneDNN, XNNPACK) for the convolution
// benchmark. This header deliberately includes neither Halide, haqm, oneDNN nor
// XNNPACK headers: the library types live behind a pimpl in conv_peers.cpp so
// benchmark code can include it without the peers' include paths.
//
// Common semantics of every peer:
//   acc[n,y,x,c] = bias[c] + sum_{ky,kx,ci} (in[n, y*S-P+ky, x*S-P+kx, ci] - in_zp) * w[ky,kx,ci,c]
//   out = clamp(round(acc * input_scale * weight_scales[c] / output_scale) + out_zp, 0, 255)
// (out-of-image taps contribute zero, i.e. the padding value is in_zp), no
// activation fusion. Rounding mode may differ between peers (ties), so outputs
// can differ by 1 from each other and from a reference.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace haqm_bench {

// Square kernel, symmetric padding. Activations NHWC.
// Weights: groups == 1          -> HWIO (kernel x kernel x in_channels x out_channels)
//          depthwise            -> H x W x C (groups == in_channels == out_channels)
// Other group counts are rejected (std::invalid_argument).
struct ConvShape {
    int batch, height, width, in_channels, out_channels, kernel, stride, pad, groups;
};

struct ConvData {
    std::vector<uint8_t> input;   // NHWC, batch*height*width*in_channels
    std::vector<int8_t> weights;  // see ConvShape
    std::vector<int32_t> bias;    // out_channels, in accumulator units
    uint8_t input_zero_point;
    uint8_t output_zero_point;
    float input_scale, output_scale;
    std::vector<float> weight_scales;  // per output channel (weights are symmetric)
};

int conv_output_extent(int in, int kernel, int stride, int pad);

// Multiply-accumulate count * 2 for one run of `s` (for GOPS reporting).
double conv_ops(const ConvShape& s);

// Each peer is constructed once per shape: weight reorders / packing, primitive
// creation and any one-off input preparation happen in the constructor; run()
// is the timed part. Input data is copied from ConvData at construction.

// oneDNN (2.6) convolution_forward, u8 src / s8 weights / s32 bias / u8 dst,
// src and dst in plain NHWC, weights in the primitive's preferred layout.
// Threads: oneDNN uses OpenMP; the constructor and run() call
// omp_set_num_threads(threads) on the calling thread.
class OnednnConv {
public:
    OnednnConv(const ConvShape& shape, const ConvData& data, int threads);
    ~OnednnConv();
    OnednnConv(const OnednnConv&) = delete;
    OnednnConv& operator=(const OnednnConv&) = delete;

    void run();
    const std::vector<uint8_t>& output() const;  // NHWC uint8
    // oneDNN implementation name picked for the primitive (e.g. "jit_int8:avx512_core_vnni").
    const char* implementation() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// XNNPACK (2022-02 snapshot) convolution. Per-channel int8 weights are only
// supported by the QC8 operator, whose activations are *signed* int8. The
// wrapper therefore keeps an int8 copy of the input (x - 128, zero point - 128)
// prepared in the constructor, and run() produces an int8 output. output()
// converts back to uint8 (+128) outside the timed run(); the shift is exact, so
// results equal a uint8 computation.
// Threads: a pthreadpool with `threads` threads (none for threads <= 1).
class XnnpackConv {
public:
    XnnpackConv(const ConvShape& shape, const ConvData& data, int threads);
    ~XnnpackConv();
    XnnpackConv(const XnnpackConv&) = delete;
    XnnpackConv& operator=(const XnnpackConv&) = delete;

    void run();
    const std::vector<uint8_t>& output() const;  // NHWC uint8 (converted on each call)

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace haqm_bench
