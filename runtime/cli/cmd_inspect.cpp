// haqm inspect: what a model holds, layer by layer, and how much memory and work it needs.
#include <iostream>

#include "cli_common.h"
#include "commands.h"
#include "haqm/model.h"
#include "model_summary.h"

namespace haqm::cli {
namespace {

const char* const kHelp = R"(usage: haqm inspect MODEL

Prints a model's layers (name, op, input and output shapes and types, the kernel schedule each
runs, quantization parameters, weight sizes), its totals (parameters, multiply-accumulates) and its
activation memory plan (arena bytes against the lower bound of the largest live set, in-place
reuses). MODEL is a .haqm file or an .onnx file.

options:
  -h, --help            this help

example:
  haqm inspect resnet.haqm
)";

std::string metadata_values(const std::vector<float>& values) {
    std::string text;
    for (float value : values) text += (text.empty() ? "" : ", ") + fixed(value, 4);
    return text;
}

// "12.3 KiB (12595 bytes)": the rounded size to read, the exact one to compare.
std::string exact_bytes_text(int64_t bytes) {
    if (bytes < 1024) return byte_size_text(bytes);
    return byte_size_text(bytes) + " (" + std::to_string(bytes) + " bytes)";
}

}  // namespace

int inspect_command(const std::vector<std::string>& arguments) {
    const std::optional<ParsedArgs> parsed = parse_command(arguments, {}, "inspect", kHelp);
    if (!parsed) return 0;  // --help
    const ParsedArgs& args = *parsed;
    const std::string& model_path = single_model_argument(args);
    Graph graph = load_graph(model_path);
    const Model model(std::move(graph));
    const Graph& g = model.graph();

    std::cout << "model     " << model_path << '\n';
    if (!g.metadata.source.empty()) std::cout << "source    " << g.metadata.source << '\n';
    for (int32_t id : g.inputs) std::cout << "input     " << tensor_text(g, id) << '\n';
    for (int32_t id : g.outputs) std::cout << "output    " << tensor_text(g, id) << '\n';
    std::cout << "normalize mean [" << metadata_values(g.metadata.mean) << "], std [" << metadata_values(g.metadata.std)
              << "]\n";
    std::cout << "labels    " << (g.metadata.labels.empty() ? std::string("none") : std::to_string(g.metadata.labels.size()))
              << '\n';
    std::cout << "requant   " << (g.requantization == Requantization::fixed ? "fixed (Q31)" : "float") << "\n\n";

    TextTable layers({"#", "node", "op", "inputs -> outputs", "schedule", "quantization", "weights", "MACs"},
                     {true, false, false, false, false, false, true, true});
    const std::vector<std::string>& schedules = model.node_schedules();
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const Node& node = g.nodes[i];
        const LayerSummary layer = summarize_layer(g, node);
        const std::string schedule = i < schedules.size() && !schedules[i].empty() ? schedules[i] : "-";
        layers.add_row({std::to_string(i), node.name, layer.op, layer.flow, schedule, layer.quantization,
                        layer.weight_bytes ? byte_size_text(layer.weight_bytes) : "-",
                        layer.macs ? count_text(layer.macs) : "-"});
    }
    layers.print(std::cout);

    const ModelTotals totals = summarize_model(g);
    const MemoryPlan& plan = model.memory_plan();
    std::cout << "\ntotals\n";
    std::cout << "  layers          " << g.nodes.size() << '\n';
    std::cout << "  parameters      " << count_text(totals.parameters) << " (" << byte_size_text(totals.parameter_bytes)
              << ")\n";
    std::cout << "  MACs            " << count_text(totals.macs) << " per inference\n";
    std::cout << "\nmemory plan (activations)\n";
    std::cout << "  arena           " << exact_bytes_text(plan.arena_bytes) << '\n';
    std::cout << "  lower bound     " << exact_bytes_text(plan.lower_bound_bytes) << " (the largest live set)\n";
    std::cout << "  ratio           "
              << (plan.lower_bound_bytes > 0 ? fixed(double(plan.arena_bytes) / double(plan.lower_bound_bytes), 3) : "-")
              << '\n';
    std::cout << "  in place        " << plan.in_place_count
              << (plan.in_place_count == 1 ? " output reuses" : " outputs reuse") << " an input's bytes\n";
    return 0;
}

}  // namespace haqm::cli
