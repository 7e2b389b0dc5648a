// haqm bench: batch-1 latency of a model, one row per schedule choice.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "cli_common.h"
#include "commands.h"
#include "haqm/kernels.h"
#include "haqm/model.h"
#include "image_input.h"
#include "latency.h"

namespace haqm::cli {
namespace {

const char* const kHelp = R"(usage: haqm bench MODEL [options]

Measures the batch-1 latency of a model (.haqm or .onnx) on a fixed pseudo-random input: warm-up
runs, then timed runs, reported as median, p90, p99 and min in milliseconds. One row per schedule
choice: the defaults (or the --schedule choices), or with --all-schedules one row per convolution
schedule compiled in.

options:
  --runs N              timed runs per row (default 100)
  --warmup N            untimed runs before them (default 10)
  --threads N           threads of the kernels' thread pool (default: one per core)
  --schedule OP=NAME    kernel schedule per op ("conv", "fully_connected", ...) or node name;
                        repeatable, or comma-separated
  --all-schedules       one row per conv2d_q8 schedule (conv=NAME on top of --schedule)
  --profile             then, per row, each node's median time over as many runs again (per-node
                        clocks on), with its op, schedule and share of the sum
  --json FILE           also write the results as JSON
  -h, --help            this help

example:
  haqm bench resnet.haqm --threads 1 --all-schedules --json bench.json
  haqm bench resnet.haqm --threads 1 --profile
)";

const std::vector<OptionSpec> kOptions = {
    {"--runs", "", true},     {"--warmup", "", true},         {"--threads", "", true},
    {"--schedule", "", true, true}, {"--all-schedules", "", false}, {"--json", "", true},
    {"--profile", "", false},
};


struct BenchRow {
    std::string label;
    std::map<std::string, std::string> schedules;
    LatencyStats stats;
    std::vector<LayerTime> profile;  // with --profile: per node, the median milliseconds
    std::string error;  // set when this choice could not run
};

std::string schedules_label(const std::map<std::string, std::string>& schedules) {
    if (schedules.empty()) return "default";
    std::string label;
    for (const auto& [op, name] : schedules) label += (label.empty() ? "" : ",") + op + "=" + name;
    return label;
}

// A fixed input: seeded pixels through the model's own normalization when the input is an image,
// seeded values in [0, 1) otherwise. Latency does not depend on the values, only repeatability.
std::vector<float> bench_input(const Graph& graph) {
    std::mt19937 generator(20261125);
    try {
        const ImageGeometry geometry = model_input_geometry(graph);
        Image image;
        image.width = static_cast<int>(geometry.width);
        image.height = static_cast<int>(geometry.height);
        image.channels = static_cast<int>(geometry.channels);
        image.pixels.resize(size_t(image.width) * size_t(image.height) * size_t(image.channels));
        std::uniform_int_distribution<int> pixel(0, 255);
        for (uint8_t& value : image.pixels) value = static_cast<uint8_t>(pixel(generator));
        return image_to_input(image, geometry, graph.metadata);
    } catch (const Error&) {
        if (graph.inputs.empty()) throw Error("the model has no input");
        std::vector<float> input(static_cast<size_t>(graph.tensors.at(size_t(graph.inputs[0])).elements()));
        std::uniform_real_distribution<float> value(0.0f, 1.0f);
        for (float& v : input) v = value(generator);
        return input;
    }
}

void measure(const Graph& graph, const std::vector<float>& input, int warmup, int runs, bool profile, BenchRow& row) {
    ModelOptions options;
    options.schedules = row.schedules;
    const Model model(graph, options);
    Session session(model);
    for (int i = 0; i < warmup; ++i) session.run(input);
    std::vector<double> times;
    times.reserve(size_t(runs));
    for (int i = 0; i < runs; ++i) {
        const auto start = std::chrono::steady_clock::now();
        session.run(input);
        times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    row.stats = summarize_latencies(times);
    if (!profile) return;
    // Separate runs with the per-node clocks on, so they do not enter the latency above.
    session.set_profiling(true);
    std::vector<std::vector<double>> per_node;
    for (int i = 0; i < runs; ++i) {
        session.run(input);
        const auto& layers = session.profile();
        if (per_node.empty()) {
            per_node.resize(layers.size());
            row.profile = layers;
        }
        for (size_t n = 0; n < layers.size(); ++n) per_node[n].push_back(layers[n].milliseconds);
    }
    for (size_t n = 0; n < per_node.size(); ++n) row.profile[n].milliseconds = summarize_latencies(per_node[n]).median_ms;
}

void print_profile(const BenchRow& row) {
    double sum = 0;
    for (const LayerTime& layer : row.profile) sum += layer.milliseconds;
    std::cout << "\nper node, " << row.label << " (median of the profiled runs; sum " << fixed(sum * 1000.0, 1)
              << " us):\n";
    TextTable table({"node", "op", "schedule", "us", "share"}, {false, false, false, true, true});
    for (const LayerTime& layer : row.profile) {
        table.add_row({layer.node, layer.op, layer.schedule, fixed(layer.milliseconds * 1000.0, 2),
                       fixed(sum > 0 ? 100.0 * layer.milliseconds / sum : 0.0, 1) + "%"});
    }
    table.print(std::cout);
}

void write_json(const std::string& path, const std::string& model_path, const std::string& threads, int runs,
                int warmup, const std::vector<BenchRow>& rows) {
    std::ostringstream json;
    json << "{\n  \"model\": " << json_string(model_path) << ",\n  \"threads\": "
         << (threads.empty() ? "null" : threads) << ",\n  \"runs\": " << runs << ",\n  \"warmup\": " << warmup
         << ",\n  \"results\": [";
    for (size_t i = 0; i < rows.size(); ++i) {
        const BenchRow& row = rows[i];
        json << (i ? ",\n" : "\n") << "    {\"label\": " << json_string(row.label) << ", \"schedules\": {";
        bool first = true;
        for (const auto& [op, name] : row.schedules) {
            json << (first ? "" : ", ") << json_string(op) << ": " << json_string(name);
            first = false;
        }
        json << "}";
        if (row.error.empty()) {
            json << ", \"median_ms\": " << row.stats.median_ms << ", \"p90_ms\": " << row.stats.p90_ms
                 << ", \"p99_ms\": " << row.stats.p99_ms << ", \"min_ms\": " << row.stats.min_ms
                 << ", \"mean_ms\": " << row.stats.mean_ms;
        } else {
            json << ", \"error\": " << json_string(row.error);
        }
        json << "}";
    }
    json << "\n  ]\n}\n";
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << json.str();
    out.close();
    if (!out) throw Error("cannot write JSON file '" + path + "'");
}

}  // namespace

int bench_command(const std::vector<std::string>& arguments) {
    const std::optional<ParsedArgs> parsed = parse_command(arguments, kOptions, "bench", kHelp);
    if (!parsed) return 0;  // --help
    const ParsedArgs& args = *parsed;
    const std::string& model_path = single_model_argument(args);
    const int runs = static_cast<int>(parse_integer(args.value("--runs", "100"), "--runs", 1, 1000000));
    const int warmup = static_cast<int>(parse_integer(args.value("--warmup", "10"), "--warmup", 0, 1000000));
    const std::map<std::string, std::string> base_schedules = parse_schedules(args.all("--schedule"));
    apply_threads_option(args);
    const Graph graph = load_graph(model_path);
    const std::vector<float> input = bench_input(graph);

    std::vector<BenchRow> rows;
    if (args.has("--all-schedules")) {
        const bool has_integer_conv = std::any_of(graph.nodes.begin(), graph.nodes.end(), [&](const Node& node) {
            return node.op == OpKind::conv && !node.inputs.empty() &&
                   is_quantized_dtype(graph.tensors.at(static_cast<size_t>(node.inputs[0])).dtype);
        });
        if (!has_integer_conv) {
            std::cerr << "haqm: note: " << model_path
                      << " has no quantized convolution; the conv schedules apply to the integer kernels only\n";
        }
        for (const std::string& schedule : schedules("conv2d_q8")) {
            BenchRow row;
            row.schedules = base_schedules;
            row.schedules["conv"] = schedule;
            row.label = schedules_label(row.schedules);
            rows.push_back(row);
        }
    } else {
        rows.push_back({schedules_label(base_schedules), base_schedules, {}, {}, {}});
    }
    const bool keep_going = rows.size() > 1;  // one failing schedule must not hide the others
    int succeeded = 0;
    for (BenchRow& row : rows) {
        try {
            measure(graph, input, warmup, runs, args.has("--profile"), row);
            ++succeeded;
        } catch (const Error& e) {
            if (!keep_going) throw;
            row.error = e.what();
        }
    }

    std::cout << model_path << ": batch 1, " << runs << " runs after " << warmup << " warm-up, "
              << (args.has("--threads") ? args.value("--threads") + " thread(s)" : "default threads") << "\n";
    // Sub-millisecond models get a fourth decimal so their rows still differ.
    int decimals = 3;
    for (const BenchRow& row : rows) {
        if (row.error.empty() && row.stats.min_ms < 1.0) decimals = 4;
    }
    TextTable table({"schedule", "median ms", "p90 ms", "p99 ms", "min ms"}, {false, true, true, true, true});
    for (const BenchRow& row : rows) {
        if (row.error.empty()) {
            table.add_row({row.label, fixed(row.stats.median_ms, decimals), fixed(row.stats.p90_ms, decimals),
                           fixed(row.stats.p99_ms, decimals), fixed(row.stats.min_ms, decimals)});
        } else {
            table.add_row({row.label, "failed", "-", "-", "-"});
        }
    }
    table.print(std::cout);
    for (const BenchRow& row : rows) {
        if (row.error.empty() && !row.profile.empty()) print_profile(row);
    }
    for (const BenchRow& row : rows) {
        if (!row.error.empty()) std::cerr << "haqm: " << row.label << " failed: " << row.error << '\n';
    }
    if (args.has("--json")) {
        write_json(args.value("--json"), model_path, args.has("--threads") ? args.value("--threads") : "", runs,
                   warmup, rows);
    }
    if (succeeded == 0) throw Error("no schedule choice could run the model");
    return 0;
}

}  // namespace haqm::cli
