// Correctness check and quick timing for the peer convolution wrappers.
//
// Build and run (from bench/peers):
//   g++ -std=c++17 -O2 -fopenmp conv_peers_check.cpp conv_peers.cpp
//       -ldnnl -lXNNPACK -lpthreadpool -o /tmp/conv_peers_check
//   /tmp/conv_peers_check
// Correctness is checked with 1 and 2 threads; timing uses 1 thread.
#include "conv_peers.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

using namespace haqm_bench;

namespace {

// Random data with scales chosen so the requantized outputs spread over
// [0, 255] with a little clamping at the tails.
ConvData make_data(const ConvShape& s, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> u8(0, 255), s8(-127, 127), b(-5000, 5000);
    std::uniform_real_distribution<float> ws(0.005f, 0.02f);
    ConvData d;
    const size_t k2 = size_t(s.kernel) * s.kernel;
    d.input.resize(size_t(s.batch) * s.height * s.width * s.in_channels);
    d.weights.resize(s.groups == 1 ? k2 * s.in_channels * s.out_channels : k2 * s.out_channels);
    d.bias.resize(s.out_channels);
    d.weight_scales.resize(s.out_channels);
    for (auto& v : d.input) v = uint8_t(u8(rng));
    for (auto& v : d.weights) v = int8_t(s8(rng));
    for (auto& v : d.bias) v = b(rng);
    for (auto& v : d.weight_scales) v = ws(rng);
    d.input_zero_point = 121;
    d.output_zero_point = 131;
    d.input_scale = 0.04f;
    // Expected accumulator std: sqrt(taps) * std(uniform u8) * std(uniform s8).
    const double taps = double(s.in_channels / s.groups) * k2;
    const double acc_std = std::sqrt(taps) * 74.0 * 73.0;
    d.output_scale = float(d.input_scale * 0.0125 * acc_std / 45.0);
    return d;
}

// Scalar reference: integer accumulation, real-valued requantization with
// round-half-away-from-zero.
std::vector<uint8_t> reference(const ConvShape& s, const ConvData& d) {
    const int oh = conv_output_extent(s.height, s.kernel, s.stride, s.pad);
    const int ow = conv_output_extent(s.width, s.kernel, s.stride, s.pad);
    const int IC = s.in_channels, OC = s.out_channels, K = s.kernel;
    const bool dw = s.groups != 1;
    std::vector<uint8_t> out(size_t(s.batch) * oh * ow * OC);
    for (int n = 0; n < s.batch; ++n)
        for (int y = 0; y < oh; ++y)
            for (int x = 0; x < ow; ++x)
                for (int c = 0; c < OC; ++c) {
                    int64_t acc = d.bias[c];
                    for (int ky = 0; ky < K; ++ky)
                        for (int kx = 0; kx < K; ++kx) {
                            const int iy = y * s.stride - s.pad + ky, ix = x * s.stride - s.pad + kx;
                            if (iy < 0 || iy >= s.height || ix < 0 || ix >= s.width) continue;
                            const uint8_t* in = &d.input[((size_t(n) * s.height + iy) * s.width + ix) * IC];
                            if (dw) {
                                acc += (int(in[c]) - d.input_zero_point) * d.weights[(ky * K + kx) * OC + c];
                            } else {
                                for (int ci = 0; ci < IC; ++ci)
                                    acc += (int(in[ci]) - d.input_zero_point) *
                                           d.weights[((size_t(ky) * K + kx) * IC + ci) * OC + c];
                            }
                        }
                    const double mult = double(d.input_scale) * d.weight_scales[c] / d.output_scale;
                    const long q = std::lround(double(acc) * mult) + d.output_zero_point;
                    out[((size_t(n) * oh + y) * ow + x) * OC + c] = uint8_t(std::clamp(q, 0L, 255L));
                }
    return out;
}

struct Diff {
    int max = 0;
    size_t count = 0;
};

Diff compare(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
    Diff r;
    if (a.size() != b.size()) return {256, a.size()};
    for (size_t i = 0; i < a.size(); ++i) {
        const int dlt = std::abs(int(a[i]) - int(b[i]));
        r.max = std::max(r.max, dlt);
        r.count += dlt != 0;
    }
    return r;
}

template <typename Peer>
double median_seconds(Peer& p, int reps) {
    for (int i = 0; i < 3; ++i) p.run();  // warm-up
    std::vector<double> t(reps);
    for (auto& v : t) {
        const auto t0 = std::chrono::steady_clock::now();
        p.run();
        v = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    std::nth_element(t.begin(), t.begin() + reps / 2, t.end());
    return t[reps / 2];
}

}  // namespace

int main() {
    const ConvShape shapes[] = {
        {1, 8, 8, 16, 32, 3, 1, 1, 1},
        {1, 9, 7, 3, 5, 3, 2, 1, 1},
        {1, 10, 10, 32, 32, 3, 1, 1, 32},
    };
    bool ok = true;
    for (int threads = 1; threads <= 2; ++threads) {
        for (const auto& s : shapes) {
            const ConvData d = make_data(s, 1234u + s.in_channels);
            const auto ref = reference(s, d);
            size_t clamped = 0;
            for (uint8_t v : ref) clamped += v == 0 || v == 255;

            OnednnConv dnnl(s, d, threads);
            dnnl.run();
            XnnpackConv xnn(s, d, threads);
            xnn.run();
            const Diff dd = compare(dnnl.output(), ref), dx = compare(xnn.output(), ref);
            std::printf("%d thr, %dx%dx%dx%d->%d k%d s%d p%d g%d (%zu outputs, %zu clamped): "
                        "onednn[%s] max diff %d (%zu differ), xnnpack max diff %d (%zu differ)\n",
                        threads, s.batch, s.height, s.width, s.in_channels, s.out_channels, s.kernel, s.stride, s.pad,
                        s.groups, ref.size(), clamped, dnnl.implementation(), dd.max, dd.count, dx.max, dx.count);
            ok = ok && dd.max <= 1 && dx.max <= 1;
        }
    }

    // Timing, 1 thread.
    const ConvShape big{1, 56, 56, 64, 64, 3, 1, 1, 1};
    const ConvData d = make_data(big, 99);
    const double ops = conv_ops(big);
    {
        OnednnConv p(big, d, 1);
        const double t = median_seconds(p, 20);
        std::printf("onednn  1x56x56x64->64 k3 s1 p1, 1 thread [%s]: %.3f ms, %.1f GOPS\n", p.implementation(),
                    t * 1e3, ops / t * 1e-9);
    }
    {
        XnnpackConv p(big, d, 1);
        const double t = median_seconds(p, 20);
        std::printf("xnnpack 1x56x56x64->64 k3 s1 p1, 1 thread (qc8): %.3f ms, %.1f GOPS\n", t * 1e3,
                    ops / t * 1e-9);
    }
    std::printf(ok ? "PASS\n" : "FAIL\n");
    return ok ? 0 : 1;
}
