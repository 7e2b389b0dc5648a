// This machine's arithmetic peaks, measured in the running process. Benchmarks state their
// results as a fraction of these: on a shared VM the clock wanders by several percent between
// runs, so a peak measured in another run (or taken from a data sheet) is not a fair ceiling.
#pragma once

namespace haqm::bench {

// HAQM_BENCH_SMOKE=1: every measurement runs for milliseconds instead of tenths of a second. For
// running the bench binaries under qemu in CI (scripts/device_kit.sh): the numbers then mean nothing.
bool smoke_run();

struct Peak {
    double gops = 0.0;      // 1e9 operations per second, summed over threads; 0 if not measured
    const char* kind = "";  // the instruction loop that was timed
};

// Each measurement runs its loop on `threads` threads at once for about 0.2 s, sums their rates
// and keeps the best of 3 repetitions. threads < 1 throws std::invalid_argument.

// int8 multiply-accumulate peak, 2 ops per MAC: a vpdpbusd zmm loop where the CPU has AVX512-VNNI,
// else a vpmaddubsw + vpmaddwd + vpaddd ymm loop (AVX2); on aarch64 sdot where the CPU has the dot
// product, else smlal (the 16-bit multiply-accumulate of cores without it, such as the Raspberry
// Pi 4's Cortex-A72); on armhf vmlal.s8.
Peak measure_int8_peak_gops(int threads);

// fp32 FMA peak, 2 flops per lane: a vfmadd231ps zmm loop with AVX-512F, else ymm with AVX2+FMA;
// NEON fmla (aarch64) or vmla.f32 (armhf) on ARM.
Peak measure_fp32_peak_gflops(int threads);

// The same peaks, measured on the first request for a thread count and reused afterwards, so
// many benchmarks can ask for them cheaply. Safe to call from several threads.
Peak cached_int8_peak_gops(int threads);
Peak cached_fp32_peak_gflops(int threads);

}  // namespace haqm::bench
