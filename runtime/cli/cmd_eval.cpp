// haqm eval: top-1 / top-5 accuracy and throughput on an IDX data set.
#include <algorithm>
#include <chrono>
#include <iostream>

#include "cli_common.h"
#include "commands.h"
#include "haqm/model.h"
#include "idx_dataset.h"
#include "image_input.h"
#include "predictions.h"
#include "progress.h"

namespace haqm::cli {
namespace {

const char* const kHelp = R"(usage: haqm eval MODEL --images IDX --labels IDX [options]

Classifies every image of an IDX data set (MNIST / Fashion-MNIST layout, plain or .gz) one at a
time (batch 1) and prints top-1 and top-5 accuracy and images per second. Images go through the
same conversion as 'haqm run'. Shows a progress bar on a terminal, a few plain lines otherwise.

options:
  --images FILE         IDX images file (magic 0x00000803)
  --labels FILE         IDX labels file (magic 0x00000801), one label per image
  --limit N             evaluate only the first N images
  --threads N           threads of the kernels' thread pool (default: one per core)
  --schedule OP=NAME    kernel schedule per op or node name (repeatable)
  -h, --help            this help

example:
  haqm eval resnet.haqm --images /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz \
      --labels /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz
)";

const std::vector<OptionSpec> kOptions = {
    {"--images", "", true}, {"--labels", "", true}, {"--limit", "", true},
    {"--threads", "", true}, {"--schedule", "", true, true},
};

std::string percent_text(int64_t hits, int64_t total) { return fixed(total ? 100.0 * double(hits) / double(total) : 0.0, 2) + " %"; }

}  // namespace

int eval_command(const std::vector<std::string>& arguments) {
    const std::optional<ParsedArgs> parsed = parse_command(arguments, kOptions, "eval", kHelp);
    if (!parsed) return 0;  // --help
    const ParsedArgs& args = *parsed;
    const std::string& model_path = single_model_argument(args);
    if (!args.has("--images")) throw UsageError("--images IDX is required");
    if (!args.has("--labels")) throw UsageError("--labels IDX is required");
    int64_t limit = -1;
    if (args.has("--limit")) limit = parse_integer(args.value("--limit"), "--limit", 1, int64_t(1) << 40);
    ModelOptions model_options;
    model_options.schedules = parse_schedules(args.all("--schedule"));
    apply_threads_option(args);

    Graph graph = load_graph(model_path);
    const ImageGeometry geometry = model_input_geometry(graph);
    const IdxImages images = read_idx_images(args.value("--images"));
    const std::vector<uint8_t> labels = read_idx_labels(args.value("--labels"));
    if (int64_t(labels.size()) != images.count) {
        throw Error("the images file holds " + std::to_string(images.count) + " images but the labels file " +
                    std::to_string(labels.size()) + " labels");
    }
    const int64_t count = limit > 0 ? std::min(limit, images.count) : images.count;

    const Model model(std::move(graph), model_options);
    Session session(model);
    Progress progress(std::cerr, is_terminal(stderr), "eval", count);
    int64_t top1 = 0, top5 = 0;
    size_t classes = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < count; ++i) {
        const std::vector<float> output = session.run(image_to_input(images.image(i), geometry, model.graph().metadata));
        classes = output.size();
        const int label = labels[static_cast<size_t>(i)];
        if (static_cast<size_t>(label) >= output.size()) {
            throw Error("label " + std::to_string(label) + " of image " + std::to_string(i) + " is outside the model's " +
                        std::to_string(output.size()) + " outputs");
        }
        // Softmax keeps the order, so the raw outputs rank the classes.
        const std::vector<RankedClass> best = top_k(output, 5);
        if (best[0].index == label) ++top1;
        for (const RankedClass& entry : best) {
            if (entry.index == label) ++top5;
        }
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        progress.update(i + 1, "top-1 " + percent_text(top1, i + 1) + "  " +
                                   fixed(elapsed > 0 ? double(i + 1) / elapsed : 0.0, 0) + " images/s");
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    progress.finish("top-1 " + percent_text(top1, count) + "  " + fixed(seconds > 0 ? double(count) / seconds : 0.0, 0) +
                    " images/s");

    auto row = [](const std::string& name, const std::string& value) {
        std::cout << name << std::string(name.size() < 10 ? 10 - name.size() : 1, ' ') << value << '\n';
    };
    row("model", model_path);
    row("images", std::to_string(count));
    row("top-1", percent_text(top1, count));
    if (classes > 5) row("top-5", percent_text(top5, count));
    row("images/s", fixed(seconds > 0 ? double(count) / seconds : 0.0, 1));
    row("seconds", fixed(seconds, 2));
    return 0;
}

}  // namespace haqm::cli
