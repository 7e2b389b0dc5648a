// haqm run: classify one image and print the top-5 classes; --profile adds per-layer times.
#include <chrono>
#include <iostream>

#include "cli_common.h"
#include "commands.h"
#include "haqm/model.h"
#include "image_input.h"
#include "predictions.h"

namespace haqm::cli {
namespace {

const char* const kHelp = R"(usage: haqm run MODEL IMAGE [options]

Runs a model (.haqm, or .onnx in float) on one image and prints the five most likely classes with
their probabilities (the softmax of the output when the model does not end in Softmax). The image
(PNG, JPEG, PGM/PPM, BMP, ...) is converted to the model's channel count, resized bilinearly to its
input size, scaled to [0, 1] and normalized by the model's mean and std.

options:
  --threads N           threads of the kernels' thread pool (default: one per core)
  --schedule OP=NAME    kernel schedule per op ("conv") or node name; repeatable, or
                        comma-separated (e.g. conv=tiled_vec,fully_connected=tiled)
  --profile             print the time of each layer (from a second, warm run)
  -h, --help            this help

example:
  haqm run resnet.haqm boot.png --threads 1 --profile
)";

const std::vector<OptionSpec> kOptions = {
    {"--threads", "", true},
    {"--schedule", "", true, true},
    {"--profile", "", false},
};

void print_profile(const std::vector<LayerTime>& profile, std::ostream& out) {
    double total = 0;
    for (const LayerTime& layer : profile) total += layer.milliseconds;
    TextTable table({"node", "op", "schedule", "ms", "%"}, {false, false, false, true, true});
    for (const LayerTime& layer : profile) {
        table.add_row({layer.node, layer.op, layer.schedule.empty() ? "-" : layer.schedule, fixed(layer.milliseconds, 3),
                       fixed(total > 0 ? 100.0 * layer.milliseconds / total : 0.0, 1)});
    }
    table.add_row({"total", "", "", fixed(total, 3), "100.0"});
    table.print(out);
}

}  // namespace

int run_command(const std::vector<std::string>& arguments) {
    const std::optional<ParsedArgs> parsed = parse_command(arguments, kOptions, "run", kHelp);
    if (!parsed) return 0;  // --help
    const ParsedArgs& args = *parsed;
    if (args.positionals.size() != 2) {
        throw UsageError("expected MODEL and IMAGE, got " + std::to_string(args.positionals.size()) + " argument" +
                         (args.positionals.size() == 1 ? "" : "s"));
    }
    ModelOptions model_options;
    model_options.schedules = parse_schedules(args.all("--schedule"));
    apply_threads_option(args);
    const std::string& model_path = args.positionals[0];
    const std::string& image_path = args.positionals[1];

    Graph graph = load_graph(model_path);
    const ImageGeometry geometry = model_input_geometry(graph);
    const std::vector<float> input = image_to_input(load_image(image_path), geometry, graph.metadata);

    const Model model(std::move(graph), model_options);
    Session session(model);
    const auto start = std::chrono::steady_clock::now();
    const std::vector<float> output = session.run(input);
    const double milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

    const std::vector<float> probabilities = output_probabilities(model.graph(), output);
    TextTable table({"rank", "class", "probability"}, {true, false, true});
    int rank = 1;
    for (const RankedClass& entry : top_k(probabilities, 5)) {
        table.add_row({std::to_string(rank++), class_name(model.graph().metadata, entry.index), fixed(entry.score, 4)});
    }
    std::cout << image_path << ": ";
    if (probabilities.empty()) std::cout << "the model output is empty\n";
    else std::cout << class_name(model.graph().metadata, top_k(probabilities, 1)[0].index) << '\n';
    table.print(std::cout, "  ");
    std::cout << "inference " << fixed(milliseconds, 3) << " ms (first run)\n";

    if (args.has("--profile")) {
        // The first run pays for page faults and caches; the profile comes from the second.
        session.set_profiling(true);
        session.run(input);
        std::cout << "\nper-layer time:\n";
        print_profile(session.profile(), std::cout);
    }
    return 0;
}

}  // namespace haqm::cli
