// bench_gemm: every haqm gemm_q8 schedule against oneDNN's int8 matmul and OpenBLAS sgemm, side
// by side in one run (the clock of this kind of VM wanders by several percent between runs, so
// only results of the same run compare fairly). The peers are those the target has
// (bench/CMakeLists.txt: HAQM_BENCH_ONEDNN, HAQM_BENCH_OPENBLAS); ARM builds run haqm's rows
// against the ARM peaks of peak.h.
//
// Run:
//   bench_gemm                                    all rows, then a summary table on stdout
//   bench_gemm --benchmark_filter='1024x1024x1024/threads:1'
//   bench_gemm --benchmark_filter='haqm_tiled_vec_par|onednn'
//   bench_gemm --benchmark_out=bench_gemm.json --benchmark_out_format=json   (rows also as JSON)
// Rows are named gemm/<implementation>/<M>x<N>x<K>/threads:<T>; each is the median of 3
// repetitions of at least 0.3 s of real time, with the counters
//   GOPS         2*M*N*K / time, in 1e9 operations per second
//   pct_of_peak  100 * GOPS / this machine's peak at T threads, measured in this run (peak.h):
//                the int8 dot-product peak, or the fp32 FMA peak for sgemm
//   vs_onednn    haqm rows: GOPS / oneDNN's GOPS on the same shape and thread count
// Environment:
//   HAQM_BENCH_ALL=1   also run the naive, interchange and tiled schedules on shapes above 3e8
//                      MACs (seconds to minutes each); without it they are left out
//   OPENBLAS_CORETYPE  OpenBLAS 0.3.21 does not recognise AMD Zen 4/5 and runs its Haswell (AVX2)
//                      kernels there; OPENBLAS_CORETYPE=SkylakeX selects its AVX-512 kernels. The
//                      sgemm rows' label names the kernels used.
#include <benchmark/benchmark.h>
#if HAQM_BENCH_OPENBLAS
#include <cblas.h>
#endif
#if HAQM_BENCH_ONEDNN
#include <omp.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <exception>
#include <map>
#include <memory>
#if HAQM_BENCH_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "haqm/kernels.h"
#include "haqm/quant.h"
#include "bench_support.h"
#include "peak.h"

namespace {

using haqm::bench::kRepetitions;
using haqm::bench::median_gops;
using haqm::bench::run_timed;
using haqm::bench::set_counters;

// One quantized problem for the int8 implementations: u8 activations with a zero point times
// symmetric int8 weights, requantized to u8 with an output zero point and one output scale.
constexpr int32_t kActivationZeroPoint = 128;
constexpr int32_t kOutputZeroPoint = 128;
constexpr double kActivationScale = 0.02;
constexpr double kWeightScale = 0.01;
constexpr double kOutputScale = 0.5;

constexpr int kThreadCounts[] = {1, 2};
constexpr double kMinSecondsPerRepetition = 0.3;

// Schedules with the `slow` trait (schedules/schedule_table.h) run at 1-3 GOPS: above this many
// MACs each of their rows takes seconds to minutes, so they run there only with HAQM_BENCH_ALL=1.
// Schedules without the `parallel` trait run on one thread whatever haqm::set_num_threads says.
constexpr double kSlowScheduleMacLimit = 300e6;

const char* const kOneDnnName = "onednn_u8s8u8";
const char* const kOpenBlasName = "openblas_sgemm";
const char* const kHaqmNaiveName = "haqm_naive";

struct GemmShape {
    int64_t m, n, k;

    std::string name() const { return std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k); }
    double macs() const { return static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k); }
    double ops() const { return 2.0 * macs(); }
};

// clang-format off: one shape per line
const GemmShape kShapes[] = {
    {64, 64, 64},       {256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024},
    {2048, 2048, 2048}, {1, 1000, 1024},  // a classifier on one image (MobileNet's 1024 features -> 1000 classes)
    {49, 512, 4608},  // ResNet-50's last 3x3 convolution as a GEMM: 7x7 pixels, 512 channels, 3*3*512 taps
    {3136, 64, 576},  // ResNet's first-stage 3x3 convolution: 56x56 pixels, 64 channels, 3*3*64 taps
};
// clang-format on

// Which of this run's peaks a row is measured against.
enum class Arithmetic { int8, fp32 };

struct Row {
    std::string name;  // the benchmark's name
    GemmShape shape;
    int threads;
    std::string implementation;
    Arithmetic arithmetic;
};

std::string benchmark_name(const std::string& implementation, const GemmShape& shape, int threads) {
    return "gemm/" + implementation + "/" + shape.name() + "/threads:" + std::to_string(threads);
}

// This run's peak for a row. Rows ask for it before doing any work: the first request for a thread
// count measures the peak (about 0.6 s), which must not compete with the row's own thread pool
// (OpenMP's and OpenBLAS's threads keep spinning for a while after each call).
double peak_gops(Arithmetic arithmetic, int threads) {
    return arithmetic == Arithmetic::int8 ? haqm::bench::cached_int8_peak_gops(threads).gops
                                          : haqm::bench::cached_fp32_peak_gflops(threads).gops;
}

// The inputs of one shape, made on first use and shared by every implementation and thread count,
// so all of them multiply the same numbers. Benchmarks run one at a time on the main thread, so
// the cache needs no lock.
struct ShapeData {
    std::vector<uint8_t> activations;  // M x K, row-major
    std::vector<int8_t> weights;       // K x N, row-major
    std::unique_ptr<haqm::PackedWeights> packed_weights;
    std::vector<float> activations_f32;  // the same values for sgemm, zero point removed
    std::vector<float> weights_f32;
};

const ShapeData& shape_data(const GemmShape& shape) {
    static std::map<std::string, ShapeData> cache;
    const auto found = cache.find(shape.name());
    if (found != cache.end()) {
        return found->second;
    }
    ShapeData data;
    std::mt19937 random(static_cast<uint32_t>(shape.m * 31 + shape.n * 17 + shape.k));
    std::uniform_int_distribution<int> activation_values(0, 255), weight_values(-128, 127);
    data.activations.resize(shape.m * shape.k);
    for (auto& value : data.activations) {
        value = static_cast<uint8_t>(activation_values(random));
    }
    data.weights.resize(shape.k * shape.n);
    for (auto& value : data.weights) {
        value = static_cast<int8_t>(weight_values(random));
    }
    data.packed_weights = std::make_unique<haqm::PackedWeights>(
        haqm::Span<const int8_t>(data.weights.data(), data.weights.size()), shape.k, shape.n);
    data.activations_f32.reserve(data.activations.size());
    for (uint8_t value : data.activations) {
        data.activations_f32.push_back(static_cast<float>(value) - kActivationZeroPoint);
    }
    data.weights_f32.assign(data.weights.begin(), data.weights.end());
    return cache.emplace(shape.name(), std::move(data)).first->second;
}

// The instruction set gemm_q8 runs `schedule` with when none is asked for: the first of the CPU's
// supported ones (best first) that the schedule was compiled for.
std::string dispatched_isa(const std::string& schedule) {
    const auto variants = haqm::kernel_variants("gemm_q8");
    for (const auto& isa : haqm::supported_isas()) {
        for (const auto& variant : variants) {
            if (variant.schedule == schedule && variant.isa == isa) {
                return isa;
            }
        }
    }
    return "none";
}

std::string haqm_label(const std::string& schedule, haqm::Requantization requantization, int threads) {
    std::string label = "isa " + dispatched_isa(schedule) + ", u8*s8->u8, " +
                        (requantization == haqm::Requantization::fixed ? "Q31 fixed-point" : "float") +
                        " requantization";
    if (haqm::schedule_traits("gemm_q8", schedule).parallel) {
        return label + ", threaded";
    }
    label += ", single-threaded schedule";
    return threads > 1 ? label + " (uses 1 of " + std::to_string(threads) + " threads)" : label;
}

void bench_haqm(benchmark::State& state, const GemmShape& shape, const std::string& schedule,
                haqm::Requantization requantization, int threads) {
    const double peak = peak_gops(Arithmetic::int8, threads);
    const ShapeData& data = shape_data(shape);
    haqm::GemmSpec spec;
    spec.a_zero_point = kActivationZeroPoint;
    spec.requantization = requantization;
    spec.output_multipliers = {haqm::requantization_multiplier(kActivationScale, kWeightScale, kOutputScale)};
    spec.output_scales = {kActivationScale * kWeightScale / kOutputScale};
    spec.output_zero_point = kOutputZeroPoint;
    const haqm::KernelChoice choice{schedule, ""};  // "": the best instruction set this CPU runs
    std::vector<uint8_t> output(shape.m * shape.n);
    const haqm::Span<const uint8_t> activations(data.activations.data(), data.activations.size());
    const haqm::Span<uint8_t> result(output.data(), output.size());
    // Prepared once, as the runtime runs a model's nodes (oneDNN's primitive is created once too).
    const haqm::KernelPlan plan =
        haqm::plan_gemm_q8(shape.m, haqm::DType::uint8, haqm::DType::uint8, *data.packed_weights, spec, choice);
    const auto multiply = [&] { plan.run(activations, result); };

    haqm::set_num_threads(threads);
    multiply();  // untimed: starts the thread pool, faults the output in, reports errors early
    const double gops = run_timed(state, shape.ops(), multiply);
    set_counters(state, gops, peak);
    haqm::bench::set_ratio(state, "vs_onednn", gops, benchmark_name(kOneDnnName, shape, threads));
    state.SetLabel(haqm_label(schedule, requantization, threads));
}

#if HAQM_BENCH_ONEDNN
// oneDNN matmul on the same quantized problem: u8 x s8 with the activation zero point, one output
// scale and the output zero point, u8 out. The weights are declared in format `any`, so oneDNN
// picks its own blocked layout; the reorder into it is its pre-packing, done once like haqm's
// PackedWeights.
void bench_onednn(benchmark::State& state, const GemmShape& shape, int threads) {
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    const double peak = peak_gops(Arithmetic::int8, threads);
    const ShapeData& data = shape_data(shape);
    // Debian's oneDNN is built on OpenMP (libdnnl links libgomp): it runs on as many threads as the
    // calling thread's OpenMP setting, read when a primitive is created and when it runs.
    omp_set_num_threads(threads);

    const dnnl::memory::dims a_dims{shape.m, shape.k}, b_dims{shape.k, shape.n}, c_dims{shape.m, shape.n};
    const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    dnnl::stream stream(engine);
    dnnl::primitive_attr attributes;
    attributes.set_output_scales(0, {static_cast<float>(kActivationScale * kWeightScale / kOutputScale)});
    attributes.set_zero_points(DNNL_ARG_SRC, 0, {kActivationZeroPoint});
    attributes.set_zero_points(DNNL_ARG_DST, 0, {kOutputZeroPoint});
    const dnnl::matmul::primitive_desc matmul_desc(
        dnnl::matmul::desc({a_dims, dt::u8, tag::ab}, {b_dims, dt::s8, tag::any}, {c_dims, dt::u8, tag::ab}),
        attributes, engine);

    // oneDNN takes non-const handles; it only reads the activations and the user weights.
    dnnl::memory user_weights({b_dims, dt::s8, tag::ab}, engine, const_cast<int8_t*>(data.weights.data()));
    dnnl::memory weights(matmul_desc.weights_desc(), engine);
    dnnl::reorder(user_weights, weights).execute(stream, user_weights, weights);
    const dnnl::memory activations(matmul_desc.src_desc(), engine, const_cast<uint8_t*>(data.activations.data()));
    const dnnl::memory output(matmul_desc.dst_desc(), engine);
    const dnnl::matmul matmul(matmul_desc);
    const std::unordered_map<int, dnnl::memory> arguments{
        {DNNL_ARG_SRC, activations}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, output}};
    const auto multiply = [&] {
        matmul.execute(stream, arguments);
        stream.wait();
    };

    multiply();  // untimed: oneDNN compiles its kernels on first use
    const double gops = run_timed(state, shape.ops(), multiply);
    set_counters(state, gops, peak);
    state.SetLabel(std::string("impl ") + matmul_desc.impl_info_str() + ", u8*s8->u8");
}
#endif

#if HAQM_BENCH_OPENBLAS
// fp32 sgemm on the same values (activations with the zero point removed), for scale: what a
// float implementation of the layer costs here.
void bench_openblas(benchmark::State& state, const GemmShape& shape, int threads) {
    const double peak = peak_gops(Arithmetic::fp32, threads);
    const ShapeData& data = shape_data(shape);
    openblas_set_num_threads(threads);
    std::vector<float> output(shape.m * shape.n);
    const auto m = static_cast<blasint>(shape.m), n = static_cast<blasint>(shape.n), k = static_cast<blasint>(shape.k);
    const auto multiply = [&] {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, data.activations_f32.data(), k,
                    data.weights_f32.data(), n, 0.0f, output.data(), n);
    };

    multiply();  // untimed: starts OpenBLAS's threads, faults the output in
    const double gops = run_timed(state, shape.ops(), multiply);
    set_counters(state, gops, peak);
    state.SetLabel(std::string("fp32, OpenBLAS ") + openblas_get_corename() + " kernels");
}
#endif

template <class Body>
void register_row(std::vector<Row>& rows, Row row, Body body) {
    haqm::bench::register_row(row.name, kMinSecondsPerRepetition, body);
    rows.push_back(std::move(row));
}

// In registration order: per shape and thread count, oneDNN first (haqm's vs_onednn needs its
// result), then haqm's schedules, then OpenBLAS last (its threads keep spinning for a while after
// a call, which would slow whatever runs next on two threads; the next group starts with
// oneDNN's untimed setup).
void register_rows(std::vector<Row>& rows, std::vector<Row>& skipped) {
    const char* run_all = std::getenv("HAQM_BENCH_ALL");
    const bool run_slow_everywhere = run_all != nullptr && std::string(run_all) == "1";
    const auto schedules = haqm::schedules("gemm_q8");
    for (const auto& shape : kShapes) {
        for (int threads : kThreadCounts) {
            auto row = [&](const std::string& implementation, Arithmetic arithmetic) {
                return Row{benchmark_name(implementation, shape, threads), shape, threads, implementation, arithmetic};
            };
#if HAQM_BENCH_ONEDNN
            register_row(rows, row(kOneDnnName, Arithmetic::int8),
                         [shape, threads](benchmark::State& state) { bench_onednn(state, shape, threads); });
#endif
            for (const auto& schedule : schedules) {
                Row haqm_row = row("haqm_" + schedule, Arithmetic::int8);
                const haqm::ScheduleTraits traits = haqm::schedule_traits("gemm_q8", schedule);
                if (traits.slow && shape.macs() > kSlowScheduleMacLimit &&
                    !run_slow_everywhere) {
                    skipped.push_back(std::move(haqm_row));
                    continue;
                }
                register_row(rows, std::move(haqm_row), [shape, schedule, threads](benchmark::State& state) {
                    bench_haqm(state, shape, schedule, haqm::Requantization::fixed, threads);
                });
                // The float requantization of the fast schedules: the same epilogue as oneDNN's.
                if (traits.vectorized) {  // and a float-requantization row
                    register_row(rows, row("haqm_" + schedule + "+float", Arithmetic::int8),
                                 [shape, schedule, threads](benchmark::State& state) {
                                     bench_haqm(state, shape, schedule, haqm::Requantization::float32, threads);
                                 });
                }
            }
#if HAQM_BENCH_OPENBLAS
            register_row(rows, row(kOpenBlasName, Arithmetic::fp32),
                         [shape, threads](benchmark::State& state) { bench_openblas(state, shape, threads); });
#endif
        }
    }
}

void print_summary(const std::vector<Row>& rows, const std::vector<Row>& skipped) {
    std::vector<const Row*> finished;
    std::set<std::pair<Arithmetic, int>> peaks_used;
    for (const auto& row : rows) {
        if (median_gops().count(row.name) != 0) {
            finished.push_back(&row);
            peaks_used.insert({row.arithmetic, row.threads});
        }
    }
    if (finished.empty()) {
        return;
    }
    std::printf("\nSummary: median of %d repetitions. %% of peak is against this run's peaks:\n", kRepetitions);
    for (const auto& [arithmetic, threads] : peaks_used) {
        const haqm::bench::Peak peak = arithmetic == Arithmetic::int8 ? haqm::bench::cached_int8_peak_gops(threads)
                                                                      : haqm::bench::cached_fp32_peak_gflops(threads);
        std::printf("  %s peak, %d thread%s: %.1f GOPS (%s)\n", arithmetic == Arithmetic::int8 ? "int8" : "fp32",
                    threads, threads == 1 ? "" : "s", peak.gops, peak.kind);
    }
    std::printf("\n%-16s %7s  %-26s %9s %8s %10s %9s\n", "shape (MxNxK)", "threads", "implementation", "GOPS", "% peak",
                "vs oneDNN", "vs naive");
    std::string group;
    for (const Row* row : finished) {
        const std::string row_group = row->shape.name() + "/" + std::to_string(row->threads);
        if (!group.empty() && row_group != group) {
            std::printf("\n");
        }
        group = row_group;
        const double gops = median_gops().at(row->name);
        const double peak = peak_gops(row->arithmetic, row->threads);
        char percent[16] = "-";
        if (peak > 0.0) {
            std::snprintf(percent, sizeof(percent), "%.1f%%", 100.0 * gops / peak);
        }
        std::printf("%-16s %7d  %-26s %9.2f %8s %10s %9s\n", row->shape.name().c_str(), row->threads,
                    row->implementation.c_str(), gops, percent,
                    haqm::bench::ratio_text(gops, benchmark_name(kOneDnnName, row->shape, row->threads)).c_str(),
                    haqm::bench::ratio_text(gops, benchmark_name(kHaqmNaiveName, row->shape, row->threads)).c_str());
    }
    // Only for shapes that ran: with a --benchmark_filter that excludes them the note is noise.
    std::set<std::string> schedules, shapes;
    for (const auto& row : skipped) {
        const bool shape_ran = std::any_of(finished.begin(), finished.end(),
                                           [&](const Row* done) { return done->shape.name() == row.shape.name(); });
        if (shape_ran) {
            schedules.insert(row.implementation);
            shapes.insert(row.shape.name());
        }
    }
    if (!shapes.empty()) {
        std::string names;
        for (const auto& name : schedules) {
            names += (names.empty() ? "" : ", ") + name;
        }
        names += " not run on";
        for (const auto& name : shapes) {
            names += " " + name;
        }
        std::printf("\n%s (above %.0e MACs; HAQM_BENCH_ALL=1 runs them)\n", names.c_str(), kSlowScheduleMacLimit);
    }
}

}  // namespace

// OpenBLAS's worker threads spin for about 2^28 cycles after each call, which steals the second
// core from whatever runs next on a 2-core machine. OpenBLAS reads its timeout only when it loads,
// so the program sets it and restarts itself. (OpenMP under oneDNN spins only briefly by default;
// making it sleep would charge oneDNN a wake-up per call on small shapes.)
void restart_with_sleeping_openblas_threads(char** argv) {
    if (!HAQM_BENCH_OPENBLAS || std::getenv("HAQM_BENCH_RESTARTED") != nullptr) {
        return;
    }
    setenv("HAQM_BENCH_RESTARTED", "1", 1);
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
    execv("/proc/self/exe", argv);
    std::perror("bench_gemm: restart failed, OpenBLAS threads may spin");
}

int main(int argc, char** argv) {
    restart_with_sleeping_openblas_threads(argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    std::vector<Row> rows, skipped;
    register_rows(rows, skipped);
    haqm::bench::CollectingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    print_summary(rows, skipped);
    benchmark::Shutdown();
    return 0;
}
