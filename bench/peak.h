// This machine's arithmetic peaks, measured in the running process. Benchmarks state their
// results as a fraction of these: on a shared VM the clock wanders by several percent between
// runs, so a peak measured in another run (or taken from a data sheet) is not a fair ceiling.
#pragma once

namespace haqm::bench {

struct Peak {
    double gops = 0.0;      // 1e9 operations per second, summed over threads; 0 if not measured
    const char* kind = "";  // the instruction loop that was timed
};

// Each measurement runs its loop on `threads` threads at once for about 0.2 s, sums their rates
// and keeps the best of 3 repetitions. threads < 1 throws std::invalid_argument.

// int8 multiply-accumulate peak, 2 ops per u8 x s8 MAC: a vpdpbusd zmm loop where the CPU has
// AVX512-VNNI, else a vpmaddubsw + vpmaddwd + vpaddd ymm loop (AVX2).
Peak measure_int8_peak_gops(int threads);

// fp32 FMA peak, 2 flops per lane: a vfmadd231ps zmm loop with AVX-512F, else ymm with AVX2+FMA.
Peak measure_fp32_peak_gflops(int threads);

// The same peaks, measured on the first request for a thread count and reused afterwards, so
// many benchmarks can ask for them cheaply. Safe to call from several threads.
Peak cached_int8_peak_gops(int threads);
Peak cached_fp32_peak_gflops(int threads);

}  // namespace haqm::bench
