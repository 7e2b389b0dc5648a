// bench_peak: this machine's int8 dot-product and fp32 FMA peaks at 1 and 2 threads, as Google
// Benchmark rows with a GOPS counter (fp32: GFLOPS) and the timed instruction as the label.
// bench_gemm measures the same peaks again in its own run for its pct_of_peak column; this binary
// shows them alone, e.g. to see how much they drift between runs (--benchmark_repetitions=N).
#include <benchmark/benchmark.h>

#include <string>

#include "peak.h"

namespace {

using haqm::bench::Peak;

constexpr int kThreadCounts[] = {1, 2};

// Each iteration is one full measurement (3 repetitions of ~0.2 s per thread count); the
// measurement is the result, so the benchmark's own time per iteration means little.
void report_peak(benchmark::State& state, Peak (*measure)(int), int threads) {
    Peak peak;
    for (auto _ : state) {
        peak = measure(threads);
    }
    state.counters["GOPS"] = peak.gops;
    state.SetLabel(peak.kind);
}

void register_peak(const std::string& name, Peak (*measure)(int)) {
    for (int threads : kThreadCounts) {
        benchmark::RegisterBenchmark(("peak/" + name + "/threads:" + std::to_string(threads)).c_str(), report_peak,
                                     measure, threads)
            ->Iterations(1)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
    }
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    register_peak("int8_dot", haqm::bench::measure_int8_peak_gops);
    register_peak("fp32_fma", haqm::bench::measure_fp32_peak_gflops);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
