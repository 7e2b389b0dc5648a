// haqm quantize: calibrate a float model on sample images and write the quantized .haqm file.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "cli_common.h"
#include "commands.h"
#include "haqm/model_format.h"
#include "haqm/quantizer.h"
#include "idx_dataset.h"
#include "image_input.h"

namespace haqm::cli {
namespace {

const char* const kHelp = R"(usage: haqm quantize MODEL.onnx --calib DATA -o OUT.haqm [options]

Post-training quantization: runs the float model on calibration images to observe activation
ranges, quantizes weights (symmetric) and activations (per tensor), writes the quantized model and
prints a per-layer report (bits, output scale and zero point, SQNR of each layer's output against
the float model).

options:
  --calib DATA          calibration images: an IDX images file (MNIST/Fashion-MNIST, .gz ok),
                        a directory of PNG/JPEG/PGM/PPM/BMP images (read in name order) or
                        one image
  -o, --output FILE     the .haqm file to write
  --calib-count N       number of calibration images (default 500)
  --weights BITS        int8 (default) or intN with N from 2 to 8
  --acts TYPE           activation type: uint8 (default) or int8
  --per-channel         one weight scale per output channel (default)
  --per-tensor          one weight scale per layer
  --observer NAME       activation range observer: minmax (default), percentile, mse or kl
  --overrides FILE      per-layer bits: lines "NODE weights=N acts=N", '#' starts a comment
  --bias-correction     correct each channel's mean output shift on the calibration data
  --requant MODE        requantization of the integer kernels: float (default) or fixed (Q31)
  -h, --help            this help

example:
  haqm quantize tools/models/fashion_resnet.onnx \
      --calib /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz -o resnet.haqm
)";

const std::vector<OptionSpec> kOptions = {
    {"--calib", "", true},        {"--output", "-o", true},     {"--calib-count", "", true},
    {"--weights", "", true},      {"--acts", "", true},         {"--per-channel", "", false},
    {"--per-tensor", "", false},  {"--observer", "", true},     {"--overrides", "", true},
    {"--bias-correction", "", false}, {"--requant", "", true},
};

bool is_image_file_name(const std::filesystem::path& path) {
    std::string extension = path.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static const std::set<std::string> known = {".png", ".jpg", ".jpeg", ".pgm", ".ppm", ".pnm",
                                                ".bmp", ".tga", ".gif"};
    return known.count(extension) != 0;
}

// Calibration inputs from an IDX file or a directory of images, converted like `haqm run` does.
std::vector<std::vector<float>> calibration_inputs(const std::string& data, int64_t count, const Graph& graph) {
    const ImageGeometry geometry = model_input_geometry(graph);
    std::vector<std::vector<float>> inputs;
    std::error_code error;
    if (std::filesystem::is_directory(data, error)) {
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(data, error)) {
            if (entry.is_regular_file() && is_image_file_name(entry.path())) files.push_back(entry.path());
        }
        if (error) throw Error("cannot list calibration directory '" + data + "': " + error.message());
        if (files.empty()) throw Error("calibration directory '" + data + "' holds no image files");
        std::sort(files.begin(), files.end());
        if (int64_t(files.size()) > count) files.resize(static_cast<size_t>(count));
        for (const auto& file : files) {
            inputs.push_back(image_to_input(load_image(file.string()), geometry, graph.metadata));
        }
        return inputs;
    }
    if (is_image_file_name(data)) return {image_to_input(load_image(data), geometry, graph.metadata)};
    const IdxImages images = read_idx_images(data);
    const int64_t used = std::min(count, images.count);
    for (int64_t i = 0; i < used; ++i) inputs.push_back(image_to_input(images.image(i), geometry, graph.metadata));
    return inputs;
}

int parse_weight_bits(const std::string& text) {
    if (text.size() >= 4 && text.compare(0, 3, "int") == 0) {
        const std::string digits = text.substr(3);
        if (digits.size() == 1 && digits[0] >= '2' && digits[0] <= '8') return digits[0] - '0';
    }
    throw UsageError("bad value '" + text + "' for --weights: expected int8 or intN with N from 2 to 8");
}

std::string read_text_file(const std::string& path, const std::string& what) {
    check_readable_file(path, what);
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) throw Error("cannot read " + what + " '" + path + "'");
    return text.str();
}

std::string sqnr_text(double db) {
    if (std::isinf(db) && db > 0) return "inf";
    if (!std::isfinite(db)) return "-";
    return fixed(db, 1);
}

std::string scale_text(float scale) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", double(scale));
    return text;
}

}  // namespace

int quantize_command(const std::vector<std::string>& arguments) {
    const std::optional<ParsedArgs> parsed = parse_command(arguments, kOptions, "quantize", kHelp);
    if (!parsed) return 0;  // --help
    const ParsedArgs& args = *parsed;
    const std::string& model_path = single_model_argument(args);
    if (!args.has("--calib")) throw UsageError("--calib DATA is required");
    if (!args.has("--output")) throw UsageError("-o OUT.haqm is required");
    if (args.has("--per-channel") && args.has("--per-tensor")) {
        throw UsageError("--per-channel and --per-tensor exclude each other");
    }

    QuantizeOptions options;
    options.weight_bits = parse_weight_bits(args.value("--weights", "int8"));
    const std::string acts = args.value("--acts", "uint8");
    if (acts == "uint8") options.activation_dtype = DType::uint8;
    else if (acts == "int8") options.activation_dtype = DType::int8;
    else throw UsageError("bad value '" + acts + "' for --acts: expected int8 or uint8");
    options.per_channel = !args.has("--per-tensor");
    options.observer = args.value("--observer", "minmax");
    if (options.observer != "minmax" && options.observer != "percentile" && options.observer != "mse" &&
        options.observer != "kl") {
        throw UsageError("bad value '" + options.observer + "' for --observer: expected minmax, percentile, mse or kl");
    }
    options.bias_correction = args.has("--bias-correction");
    const std::string requant = args.value("--requant", "float");
    if (requant == "float") options.requantization = Requantization::float32;
    else if (requant == "fixed") options.requantization = Requantization::fixed;
    else throw UsageError("bad value '" + requant + "' for --requant: expected float or fixed");
    const int64_t calib_count = parse_integer(args.value("--calib-count", "500"), "--calib-count", 1, 1000000);
    const std::string output_path = args.value("--output");
    const std::string data = args.value("--calib");

    // Fail before the slow part when the result could not be written anyway.
    const std::filesystem::path output_directory = std::filesystem::absolute(output_path).parent_path();
    std::error_code directory_error;
    if (!std::filesystem::is_directory(output_directory, directory_error)) {
        throw Error("cannot write '" + output_path + "': directory '" + output_directory.string() + "' does not exist");
    }

    const Graph float_graph = load_graph(model_path);
    const bool already_quantized = std::any_of(float_graph.tensors.begin(), float_graph.tensors.end(),
                                               [](const TensorInfo& tensor) { return !tensor.quant.empty(); });
    if (already_quantized) {
        throw Error("model '" + model_path + "' is already quantized; haqm quantize takes a float model");
    }

    if (args.has("--overrides")) {
        const std::string overrides_path = args.value("--overrides");
        try {
            options.layer_overrides = parse_layer_overrides(read_text_file(overrides_path, "overrides file"));
        } catch (const Error& e) {
            const std::string message = e.what();
            if (message.find(overrides_path) != std::string::npos) throw;
            throw Error("overrides file '" + overrides_path + "': " + message);
        }
        for (const auto& entry : options.layer_overrides) {
            const bool known = std::any_of(float_graph.nodes.begin(), float_graph.nodes.end(),
                                           [&](const Node& node) { return node.name == entry.first; });
            if (!known) {
                throw Error("overrides file '" + overrides_path + "' names layer '" + entry.first +
                            "', which the model does not have (see 'haqm inspect " + model_path + "')");
            }
        }
    }

    const std::vector<std::vector<float>> calibration = calibration_inputs(data, calib_count, float_graph);
    std::cerr << "calibrating on " << calibration.size() << " images from " << data << " (observer "
              << options.observer << ")\n";
    const QuantizeResult result = quantize_graph(float_graph, calibration, options);

    TextTable table({"node", "op", "weight bits", "act bits", "scale", "zero point", "SQNR dB"},
                    {false, false, true, true, true, true, true});
    for (const LayerReport& layer : result.report) {
        table.add_row({layer.node, layer.op, layer.weight_bits ? std::to_string(layer.weight_bits) : "-",
                       std::to_string(layer.activation_bits), scale_text(layer.output_scale),
                       std::to_string(layer.output_zero_point), sqnr_text(layer.sqnr_db)});
    }
    // Saved before the report is printed, so a failed save does not look like a success.
    save_model(result.graph, output_path);
    table.print(std::cout);
    std::error_code size_error;
    const auto size = std::filesystem::file_size(output_path, size_error);
    std::cout << "\nwrote " << output_path;
    if (!size_error) std::cout << " (" << byte_size_text(static_cast<int64_t>(size)) << ")";
    std::cout << '\n';
    return 0;
}

}  // namespace haqm::cli
