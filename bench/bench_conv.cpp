// bench_conv: every haqm convolution schedule against oneDNN's and XNNPACK's int8 convolutions on
// ResNet-18 and MobileNet-v2 layers, side by side in one run (only results of the same run compare
// fairly on this kind of VM).
//
// Run:
//   bench_conv                                          all rows, then a summary table on stdout
//   bench_conv --benchmark_filter='/b1/threads:1'       batch 1, one thread
//   bench_conv --benchmark_out=bench_conv.json --benchmark_out_format=json
// Rows are named conv/<layer>/b<batch>/<implementation>/threads:<T>; each is the median of 3
// repetitions, with the counters
//   GOPS         2 * MACs of the true output (N*OH*OW*C_out*K*K*C_in/groups) / time
//   pct_of_peak  100 * GOPS / this machine's int8 dot-product peak at T threads, measured in this run
//   max_diff_vs_haqm  peer rows: largest difference of the peer's output from haqm's float-rule output
// and the summary table at the end gives each row's ratio to oneDNN and XNNPACK on the same layer,
// batch and thread count.
// All three compute the same quantized layer: u8 activations with a zero point, int8 symmetric
// per-channel weights, int32 bias, u8 output with a zero point. haqm rows use the Q31 fixed-point
// requantization, "+float" rows the float one (as oneDNN and XNNPACK do).
// The peers run where the target has them (bench/CMakeLists.txt, HAQM_BENCH_CONV_PEERS: x86-64).
// Environment: HAQM_BENCH_ALL=1 also runs the slow schedules (naive, the two loop interchanges,
// tiled, auto) on batch 8 and single-threaded schedules on two threads.
#if HAQM_BENCH_CONV_PEERS
#include <omp.h>
#endif

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench_support.h"
#include "haqm/kernels.h"
#include "haqm/quant.h"
#include "peak.h"
#include "peers/conv_peers.h"

namespace {

using haqm::bench::median_gops;
using haqm::bench::run_timed;
using haqm::bench::set_counters;
using haqm_bench::ConvShape;

constexpr double kMinSecondsPerRepetition = 0.1;
constexpr int kThreadCounts[] = {1, 2};
constexpr int kBatches[] = {1, 8};
constexpr uint8_t kInputZeroPoint = 120, kOutputZeroPoint = 128;
constexpr float kInputScale = 0.02f, kOutputScale = 0.5f;

struct Layer {
    const char* name;
    ConvShape shape;  // batch filled per row
};

// ResNet-18's 3x3 convolutions (stride 1 in each stage, stride 2 at the stage transitions) and
// MobileNet-v2's depthwise 3x3 and pointwise 1x1 layers (224x224 input).
// clang-format off: one layer per line
const Layer kLayers[] = {
    {"resnet18_56x56x64_64_s1",    {1, 56, 56, 64, 64, 3, 1, 1, 1}},
    {"resnet18_28x28x128_128_s1",  {1, 28, 28, 128, 128, 3, 1, 1, 1}},
    {"resnet18_14x14x256_256_s1",  {1, 14, 14, 256, 256, 3, 1, 1, 1}},
    {"resnet18_7x7x512_512_s1",    {1, 7, 7, 512, 512, 3, 1, 1, 1}},
    {"resnet18_56x56x64_128_s2",   {1, 56, 56, 64, 128, 3, 2, 1, 1}},
    {"resnet18_28x28x128_256_s2",  {1, 28, 28, 128, 256, 3, 2, 1, 1}},
    {"resnet18_14x14x256_512_s2",  {1, 14, 14, 256, 512, 3, 2, 1, 1}},
    {"mbv2_dw_112x112x32_s1",      {1, 112, 112, 32, 32, 3, 1, 1, 32}},
    {"mbv2_dw_112x112x96_s2",      {1, 112, 112, 96, 96, 3, 2, 1, 96}},
    {"mbv2_dw_56x56x144_s1",       {1, 56, 56, 144, 144, 3, 1, 1, 144}},
    {"mbv2_dw_28x28x192_s1",       {1, 28, 28, 192, 192, 3, 1, 1, 192}},
    {"mbv2_dw_14x14x384_s1",       {1, 14, 14, 384, 384, 3, 1, 1, 384}},
    {"mbv2_dw_7x7x960_s1",         {1, 7, 7, 960, 960, 3, 1, 1, 960}},
    {"mbv2_pw_56x56x24_144",       {1, 56, 56, 24, 144, 1, 1, 0, 1}},
    {"mbv2_pw_28x28x192_32",       {1, 28, 28, 192, 32, 1, 1, 0, 1}},
    {"mbv2_pw_14x14x384_64",       {1, 14, 14, 384, 64, 1, 1, 0, 1}},
    {"mbv2_pw_7x7x960_160",        {1, 7, 7, 960, 160, 1, 1, 0, 1}},
};
// clang-format on

// These schedules run at a few GOPS or less: above this many MACs a row takes seconds to minutes,
// so there they run only with HAQM_BENCH_ALL=1.
// (Which ones: the `slow` trait of schedules/schedule_table.h.)
constexpr double kSlowScheduleMacLimit = 200e6;  // every batch-1 layer here

bool is_depthwise(const ConvShape& s) {
    return s.groups > 1;
}

std::string layer_key(const Layer& layer, int batch) {
    return std::string(layer.name) + "/b" + std::to_string(batch);
}

std::string row_name(const Layer& layer, int batch, const std::string& implementation, int threads) {
    return "conv/" + layer_key(layer, batch) + "/" + implementation + "/threads:" + std::to_string(threads);
}

// The data of one layer and batch, made on first use and shared by every implementation.
struct LayerData {
    haqm_bench::ConvData peers;
    std::unique_ptr<haqm::PackedConvWeights> packed;
    haqm::Conv2dSpec spec;
    haqm::Shape input_shape;
    std::vector<uint8_t> output;
};

LayerData& layer_data(const Layer& layer, int batch) {
    static std::map<std::string, LayerData> cache;
    const std::string key = layer_key(layer, batch);
    auto found = cache.find(key);
    if (found != cache.end()) {
        return found->second;
    }
    ConvShape s = layer.shape;
    s.batch = batch;
    LayerData d;
    std::mt19937 random(static_cast<uint32_t>(std::hash<std::string>{}(key)));
    std::uniform_int_distribution<int> bytes(0, 255), weights(-127, 127), bias(-2000, 2000);
    std::uniform_real_distribution<float> weight_scale(0.002f, 0.02f);
    d.peers.input.resize(static_cast<size_t>(batch) * s.height * s.width * s.in_channels);
    for (auto& v : d.peers.input) {
        v = static_cast<uint8_t>(bytes(random));
    }
    const int64_t group_in = s.in_channels / s.groups;
    const haqm::Shape hwio{s.kernel, s.kernel, group_in, s.out_channels};
    d.peers.weights.resize(static_cast<size_t>(s.kernel * s.kernel * group_in * s.out_channels));
    for (auto& v : d.peers.weights) {
        v = static_cast<int8_t>(weights(random));
    }
    d.peers.input_zero_point = kInputZeroPoint;
    d.peers.output_zero_point = kOutputZeroPoint;
    d.peers.input_scale = kInputScale;
    d.peers.output_scale = kOutputScale;
    d.spec.stride_h = d.spec.stride_w = s.stride;
    d.spec.pad_top = d.spec.pad_left = d.spec.pad_bottom = d.spec.pad_right = s.pad;
    d.spec.groups = s.groups;
    d.spec.input_zero_point = kInputZeroPoint;
    d.spec.output_zero_point = kOutputZeroPoint;
    for (int c = 0; c < s.out_channels; ++c) {
        d.peers.bias.push_back(bias(random));
        const float w_scale = weight_scale(random);
        d.peers.weight_scales.push_back(w_scale);
        d.spec.output_multipliers.push_back(haqm::requantization_multiplier(kInputScale, w_scale, kOutputScale));
        d.spec.output_scales.push_back(kInputScale * w_scale / kOutputScale);
    }
    d.spec.bias = d.peers.bias;
    d.packed = std::make_unique<haqm::PackedConvWeights>(haqm::Span<const int8_t>(d.peers.weights), hwio, s.groups);
    d.input_shape = {batch, s.height, s.width, s.in_channels};
    const haqm::Shape out = haqm::conv2d_output_shape(d.input_shape, hwio, d.spec);
    d.output.resize(out[0] * out[1] * out[2] * out[3]);
    return cache.emplace(key, std::move(d)).first->second;
}

double peak(int threads) {
    return haqm::bench::cached_int8_peak_gops(threads).gops;
}

ConvShape batched(const Layer& layer, int batch) {
    ConvShape s = layer.shape;
    s.batch = batch;
    return s;
}

void bench_haqm(benchmark::State& state, const Layer& layer, int batch, const std::string& schedule,
                haqm::Requantization requantization, int threads) {
    const double peak_gops = peak(threads);
    LayerData& d = layer_data(layer, batch);
    haqm::Conv2dSpec spec = d.spec;
    spec.requantization = requantization;
    // Prepared once, as the runtime runs a model's nodes (the peers' primitives are created once too).
    const haqm::KernelPlan plan =
        haqm::plan_conv2d_q8(d.input_shape, haqm::DType::uint8, haqm::DType::uint8, *d.packed, spec, {schedule, ""});
    const auto run = [&] { plan.run(haqm::Span<const uint8_t>(d.peers.input), haqm::Span<uint8_t>(d.output)); };
    haqm::set_num_threads(threads);
    run();  // untimed: starts the thread pool, reports errors early
    const double gops = run_timed(state, haqm_bench::conv_ops(batched(layer, batch)), run);
    set_counters(state, gops, peak_gops);
    const std::string family = is_depthwise(layer.shape) ? "depthwise_conv2d_q8" : "conv2d_q8";
    std::string label = family + (requantization == haqm::Requantization::fixed ? ", Q31 fixed-point" : ", float");
    if (threads > 1 && !haqm::schedule_traits(family, schedule).parallel) {
        label += ", single-threaded schedule";
    }
    state.SetLabel(label);
}

#if HAQM_BENCH_CONV_PEERS
// The largest difference between a peer's output and haqm's with the same (float) requantization:
// shows that the peers compute the same layer (1 at most: float rounding of the scales at ties).
int max_difference_from_haqm(const std::vector<uint8_t>& peer_output, const LayerData& d) {
    haqm::Conv2dSpec spec = d.spec;
    spec.requantization = haqm::Requantization::float32;
    std::vector<uint8_t> expected(d.output.size());
    haqm::conv2d_q8(haqm::Span<const uint8_t>(d.peers.input), d.input_shape, *d.packed, spec,
                    haqm::Span<uint8_t>(expected));
    int largest = 0;
    for (size_t i = 0; i < expected.size(); ++i) {
        largest = std::max(largest, std::abs(int(peer_output[i]) - int(expected[i])));
    }
    return largest;
}

template <class Peer>
void bench_peer(benchmark::State& state, const Layer& layer, int batch, int threads) {
    const double peak_gops = peak(threads);
    LayerData& d = layer_data(layer, batch);
    omp_set_num_threads(threads);
    Peer peer(batched(layer, batch), d.peers, threads);
    peer.run();  // untimed: kernels are generated on first use
    const double gops = run_timed(state, haqm_bench::conv_ops(batched(layer, batch)), [&] { peer.run(); });
    set_counters(state, gops, peak_gops);
    state.counters["max_diff_vs_haqm"] = max_difference_from_haqm(peer.output(), d);
}
#endif

struct Row {
    std::string name, layer_key, implementation;
    int threads;
};

void register_rows(std::vector<Row>& rows) {
    const char* all = std::getenv("HAQM_BENCH_ALL");
    const bool run_slow_everywhere = all != nullptr && std::string(all) == "1";
    for (const Layer& layer : kLayers) {
        const std::string family = is_depthwise(layer.shape) ? "depthwise_conv2d_q8" : "conv2d_q8";
        for (int batch : kBatches) {
            for (int threads : kThreadCounts) {
                auto add = [&](const std::string& implementation, std::function<void(benchmark::State&)> body) {
                    const std::string name = row_name(layer, batch, implementation, threads);
                    haqm::bench::register_row(name, kMinSecondsPerRepetition, std::move(body));
                    rows.push_back({name, layer_key(layer, batch), implementation, threads});
                };
                const Layer* l = &layer;
                for (const std::string& schedule : haqm::schedules(family)) {
                    const haqm::ScheduleTraits traits = haqm::schedule_traits(family, schedule);
                    const bool slow = traits.slow;
                    const bool single_threaded = !traits.parallel;
                    const double macs = haqm_bench::conv_ops(batched(layer, batch)) / 2.0;
                    const bool too_slow = slow && (batch > 1 || macs > kSlowScheduleMacLimit);
                    if (!run_slow_everywhere && (too_slow || (single_threaded && threads > 1))) {
                        continue;
                    }
                    add("haqm_" + schedule, [=](benchmark::State& s) {
                        bench_haqm(s, *l, batch, schedule, haqm::Requantization::fixed, threads);
                    });
                    if (traits.vectorized && traits.tile_columns == 0) {  // and a float-requantization row
                        add("haqm_" + schedule + "+float", [=](benchmark::State& s) {
                            bench_haqm(s, *l, batch, schedule, haqm::Requantization::float32, threads);
                        });
                    }
                }
                // The peers after haqm's rows: OpenMP's and pthreadpool's workers keep spinning
                // for a while after a call and measurably slowed the next rows on two threads.
#if HAQM_BENCH_CONV_PEERS
                add("onednn", [=](benchmark::State& s) { bench_peer<haqm_bench::OnednnConv>(s, *l, batch, threads); });
                add("xnnpack",
                    [=](benchmark::State& s) { bench_peer<haqm_bench::XnnpackConv>(s, *l, batch, threads); });
#endif
            }
        }
    }
}

void print_summary(const std::vector<Row>& rows) {
    std::printf("\nSummary: median of %d repetitions; int8 peak this run: %.1f GOPS (1 thread), %.1f (2 threads)\n",
                haqm::bench::kRepetitions, peak(1), peak(2));
    std::printf("\n%-34s %7s  %-24s %9s %8s %9s %10s\n", "layer/batch", "threads", "implementation", "GOPS", "% peak",
                "vs oneDNN", "vs XNNPACK");
    std::string group;
    for (const Row& row : rows) {
        const auto found = median_gops().find(row.name);
        if (found == median_gops().end()) {
            continue;
        }
        const std::string row_group = row.layer_key + "/" + std::to_string(row.threads);
        if (!group.empty() && row_group != group) {
            std::printf("\n");
        }
        group = row_group;
        const std::string prefix = "conv/" + row.layer_key + "/";
        const std::string suffix = "/threads:" + std::to_string(row.threads);
        std::printf("%-34s %7d  %-24s %9.2f %7.1f%% %9s %10s\n", row.layer_key.c_str(), row.threads,
                    row.implementation.c_str(), found->second, 100.0 * found->second / peak(row.threads),
                    haqm::bench::ratio_text(found->second, prefix + "onednn" + suffix).c_str(),
                    haqm::bench::ratio_text(found->second, prefix + "xnnpack" + suffix).c_str());
    }
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    std::vector<Row> rows;
    register_rows(rows);
    haqm::bench::CollectingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    print_summary(rows);
    benchmark::Shutdown();
    return 0;
}
