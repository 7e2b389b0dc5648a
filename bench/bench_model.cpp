// Whole-model latency at batch 1: the bundled Fashion-MNIST models (tools/models/*.onnx) imported,
// quantized (int8 per-channel weights, uint8 activations, min-max on the first 500 training images,
// as PyTorch's PTQ in tools/torch_reference.py) and run with every convolution schedule, 1 and 2
// threads; haqm's FP32 path; then, in the same run, the peers on the same models: PyTorch int8
// (eager-mode PTQ, onednn engine) and FP32 (tools/peer_latency.py), and ONNX Runtime CPU on the FP32
// ONNX file and on the QDQ int8 file of the same quantized model (tools/export_qdq.py writes it to
// build/peers/; bench/peers/ort_latency.mjs, installed by scripts/install_peers.sh). Rows report the median latency (ms) and GOPS (2 x MACs
// per image); peer rows report haqm's speedup over them. A summary table ends the run.
//
//   build/host/bench/bench_model --benchmark_out=bench_model.json --benchmark_out_format=json
#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench_support.h"
#include "haqm/kernels.h"
#include "haqm/model.h"
#include "haqm/onnx_import.h"
#include "haqm/quantizer.h"
#include "idx_dataset.h"
#include "image_input.h"
#include "peak.h"

namespace {

const std::string kSource = HAQM_SOURCE_DIR;
const std::vector<std::string> kModels = {"fashion_resnet", "fashion_mobilenet_v3"};
constexpr int kPeerRuns = 300;

struct LoadedModel {
    std::string name;
    haqm::Graph float_graph;
    haqm::Graph int8_graph;
    std::vector<float> input;  // the first test image
    double macs = 0;
};

// Multiply-accumulates of one image: convolutions and fully connected layers.
double count_macs(const haqm::Graph& g) {
    double macs = 0;
    for (const haqm::Node& n : g.nodes) macs += static_cast<double>(haqm::node_macs(g, n));
    return macs;
}

std::vector<LoadedModel>& models() {
    static std::vector<LoadedModel> loaded = [] {
        const auto train = haqm::cli::read_idx_images("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
        const auto test = haqm::cli::read_idx_images("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
        std::vector<LoadedModel> out;
        for (const auto& name : kModels) {
            LoadedModel m;
            m.name = name;
            m.float_graph = haqm::import_onnx(kSource + "/tools/models/" + name + ".onnx");
            const auto geometry = haqm::cli::model_input_geometry(m.float_graph);
            std::vector<std::vector<float>> calibration;
            for (int64_t i = 0; i < 500; ++i) calibration.push_back(haqm::cli::image_to_input(train.image(i), geometry, m.float_graph.metadata));
            m.int8_graph = haqm::quantize_graph(m.float_graph, calibration, {}).graph;
            m.input = haqm::cli::image_to_input(test.image(0), geometry, m.float_graph.metadata);
            m.macs = count_macs(m.float_graph);
            out.push_back(std::move(m));
        }
        return out;
    }();
    return loaded;
}

std::string row_name(const std::string& model, const std::string& what, int threads) {
    return model + "/" + what + "/threads:" + std::to_string(threads);
}

void register_haqm_row(size_t index, const std::string& schedule, bool int8, int threads) {
    const std::string model_name = kModels[index];
    const std::string what = int8 ? "haqm_int8/" + schedule : "haqm_fp32";
    haqm::bench::register_row(row_name(model_name, what, threads), 0.2, [=](benchmark::State& state) {
        const LoadedModel& m = models()[index];
        haqm::set_num_threads(threads);
        haqm::ModelOptions options;
        if (!schedule.empty() && schedule != "default") options.schedules["conv"] = schedule;
        const haqm::Model model(int8 ? m.int8_graph : m.float_graph, options);
        haqm::Session session(model);
        session.run(m.input);  // warm up
        const double gops = haqm::bench::run_timed(state, 2 * m.macs, [&] { benchmark::DoNotOptimize(session.run(m.input)); });
        haqm::bench::set_counters(state, gops, int8 ? haqm::bench::cached_int8_peak_gops(threads).gops
                                                   : haqm::bench::cached_fp32_peak_gflops(threads).gops);
        state.counters["ms"] = 2 * m.macs / gops / 1e6;
    });
}

// The fixed cost of one node: a chain of kChain identical tiny nodes, so the time per node is what
// the runtime and the kernel call cost beyond the arithmetic. conv: a 1x1 convolution of a
// 1x4x4x8 uint8 tensor to 8 channels (128 MACs); reshape: a copy-free reshape of the same tensor
// (the planner aliases it, so this is the executor's own cost per node).
constexpr int kChain = 64;

haqm::Graph node_chain(haqm::OpKind op) {
    haqm::Graph g;
    const haqm::Shape shape{1, 4, 4, 8};
    const haqm::TensorQuant activation{{0.05f}, {128}, 0, 8};
    int32_t x = g.add_tensor({"x", haqm::DType::uint8, shape, activation, std::nullopt});
    g.inputs = {x};
    std::vector<int8_t> weights(64);
    for (size_t i = 0; i < weights.size(); ++i) weights[i] = static_cast<int8_t>(int(i * 37 % 255) - 127);
    const int32_t w = g.add_tensor({"w", haqm::DType::int8, {1, 1, 8, 8}, {{0.01f}, {0}, 0, 8},
                                    haqm::ConstantData::from_vector(weights)});
    for (int i = 0; i < kChain; ++i) {
        const std::string name = "n" + std::to_string(i);
        const int32_t y = g.add_tensor({name, haqm::DType::uint8, shape, activation, std::nullopt});
        haqm::Node node;
        node.name = name;
        node.op = op;
        node.inputs = op == haqm::OpKind::conv ? std::vector<int32_t>{x, w} : std::vector<int32_t>{x};
        node.outputs = {y};
        g.nodes.push_back(node);
        x = y;
    }
    g.outputs = {x};
    return g;
}

void register_node_cost_row(const std::string& what, haqm::OpKind op) {
    haqm::bench::register_row("node_cost/" + what + "/threads:1", 0.2, [=](benchmark::State& state) {
        haqm::set_num_threads(1);
        const haqm::Model model(node_chain(op));
        haqm::Session session(model);
        const std::vector<uint8_t> input(128, 130);
        const std::vector<haqm::TensorView> views{{input.data(), haqm::DType::uint8, {1, 4, 4, 8}, {}}};
        session.run(views);
        const auto start = std::chrono::steady_clock::now();
        for (auto _ : state) session.run(views);
        const std::chrono::duration<double, std::micro> elapsed = std::chrono::steady_clock::now() - start;
        state.counters["us_per_node"] = elapsed.count() / static_cast<double>(state.iterations()) / kChain;
    });
}

// Runs a peer script and returns the "median_ms" of the JSON line whose "peer" matches.
double peer_median_ms(const std::string& command, const std::string& peer) {
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen((command + " 2>/dev/null").c_str(), "r"), pclose);
    if (!pipe) throw std::runtime_error("cannot run: " + command);
    std::array<char, 4096> line{};
    while (std::fgets(line.data(), static_cast<int>(line.size()), pipe.get())) {
        const std::string text(line.data());
        if (text.find("\"peer\": \"" + peer + "\"") == std::string::npos && text.find("\"peer\":\"" + peer + "\"") == std::string::npos) continue;
        const size_t at = text.find("\"median_ms\"");
        if (at == std::string::npos) continue;
        return std::stod(text.substr(text.find(':', at) + 1));
    }
    throw std::runtime_error("no " + peer + " result from: " + command);
}

std::map<std::string, double>& peer_ms() {
    static std::map<std::string, double> results;
    return results;
}

void register_peer_row(size_t index, const std::string& peer, int threads) {
    const std::string model_name = kModels[index];
    const std::string runs = " --runs " + std::to_string(kPeerRuns) + " --threads " + std::to_string(threads);
    const std::string ort = "node " + kSource + "/bench/peers/ort_latency.mjs ";
    const std::string qdq = kSource + "/build/peers/" + model_name + "_qdq.onnx";
    std::string command = "/usr/bin/python3 " + kSource + "/tools/peer_latency.py " + model_name + runs;
    if (peer == "onnxruntime-cpu") command = ort + kSource + "/tools/models/" + model_name + ".onnx" + runs;
    if (peer == "onnxruntime-int8") {
        command = "{ test -f " + qdq + " || /usr/bin/python3 " + kSource + "/tools/export_qdq.py " + model_name + " " + qdq +
                  " >/dev/null 2>&1; } && " + ort + qdq + runs;
    }
    const std::string reported = peer == "onnxruntime-int8" ? "onnxruntime-cpu" : peer;
    const std::string name = row_name(model_name, peer, threads);
    benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
        try {
            const double ms = peer_median_ms(command, reported);
            for (auto _ : state) state.SetIterationTime(ms / 1e3);
            const double macs = models()[index].macs;
            state.counters["ms"] = ms;
            state.counters["GOPS"] = 2 * macs / ms / 1e6;
            peer_ms()[name] = ms;
            // haqm's row ran before this one: speedup = peer ms / haqm ms = haqm GOPS / peer GOPS.
            const auto haqm = haqm::bench::median_gops().find(row_name(model_name, "haqm_int8/default", threads));
            if (haqm != haqm::bench::median_gops().end()) state.counters["haqm_speedup"] = haqm->second * ms * 1e6 / (2 * macs);
        } catch (const std::exception& e) {
            state.SkipWithError(e.what());
        }
    })->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
}

void print_summary() {
    std::printf("\nbatch-1 latency, median ms (speedup of haqm int8 default schedule over each peer)\n");
    std::printf("%-22s %7s %10s %10s %22s %22s %22s %22s\n", "model", "threads", "haqm int8", "haqm fp32",
                "PyTorch int8 onednn", "PyTorch fp32", "ONNX Runtime fp32", "ONNX Runtime int8");
    for (const auto& model : kModels) {
        for (int threads : {1, 2}) {
            const auto ms_of = [&](const std::string& what) {
                const auto found = haqm::bench::median_gops().find(row_name(model, what, threads));
                double macs = 0;
                for (const auto& m : models()) if (m.name == model) macs = m.macs;
                return found == haqm::bench::median_gops().end() ? 0.0 : 2 * macs / found->second / 1e6;
            };
            const double haqm_ms = ms_of("haqm_int8/default");
            const auto peer = [&](const std::string& p) {
                const auto found = peer_ms().find(row_name(model, p, threads));
                char text[64] = "-";
                if (found != peer_ms().end() && haqm_ms > 0) std::snprintf(text, sizeof(text), "%.3f (%.2fx)", found->second, found->second / haqm_ms);
                return std::string(text);
            };
            std::printf("%-22s %7d %10.3f %10.3f %22s %22s %22s %22s\n", model.c_str(), threads, haqm_ms, ms_of("haqm_fp32"),
                        peer("pytorch-int8-onednn").c_str(), peer("pytorch-fp32").c_str(), peer("onnxruntime-cpu").c_str(),
                        peer("onnxruntime-int8").c_str());
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    for (size_t m = 0; m < kModels.size(); ++m) {
        for (int threads : {1, 2}) {
            register_haqm_row(m, "default", true, threads);
            for (const auto& schedule : haqm::schedules("conv2d_q8")) register_haqm_row(m, schedule, true, threads);
            register_haqm_row(m, "", false, threads);
        }
    }
    register_node_cost_row("conv_1x1_8ch_4x4", haqm::OpKind::conv);
    register_node_cost_row("reshape", haqm::OpKind::reshape);
    // Peers after every haqm row: their worker threads spin after a call and would slow haqm's rows.
    for (size_t m = 0; m < kModels.size(); ++m) {
        for (int threads : {1, 2}) {
            for (const char* peer : {"pytorch-int8-onednn", "pytorch-fp32", "onnxruntime-cpu", "onnxruntime-int8"}) {
                register_peer_row(m, peer, threads);
            }
        }
    }
    haqm::bench::CollectingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    print_summary();
    benchmark::Shutdown();
    return 0;
}
