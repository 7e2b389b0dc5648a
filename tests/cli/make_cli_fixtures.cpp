// Writes the files the `haqm` command-line tests run on into one directory:
//   tiny.haqm       float model: [1,4,4,1] input, a 4x4 convolution to 10 channels, reshape to
//                   [1,10]; labels "label0".."label9"; mean 0.5, std 0.25
//   tiny2ch.haqm    the same with a two-channel input (no image converts to it)
//   random.haqm, random.onnx   4 KiB of seeded pseudo-random bytes
//   notes.txt       text, not an image
//   image.pgm       8x8 grey image (resized to 4x4 by `haqm run`)
//   images.idx / labels.idx    five 4x4 images and their labels
//   images_truncated.idx       the same images file cut short
//   tiny.onnx       FP32 ONNX (opset 13): [1,1,8,8] -> Conv 3x3 (4 channels) -> Relu ->
//                   GlobalAveragePool -> Flatten -> Gemm -> [1,10], for `haqm quantize`
//   calib/          three PGM images (a directory of calibration images); empty_dir/
//   overrides_unknown.txt, overrides_malformed.txt   bad --overrides files
#include <onnx/onnx_pb.h>

#include <cstdio>
#include <random>
#include <string>

#include "cli_test_files.h"
#include "haqm/graph.h"
#include "haqm/model_format.h"

namespace {

using namespace haqm;
using namespace haqm::cli::test_files;

Graph tiny_model(int64_t channels) {
    Graph graph;
    TensorInfo input;
    input.name = "image";
    input.shape = {1, 4, 4, channels};
    const int32_t x = graph.add_tensor(input);

    std::vector<float> weights(static_cast<size_t>(4 * 4 * channels * 10));
    for (size_t i = 0; i < weights.size(); ++i) weights[i] = 0.01f * static_cast<float>(int(i % 23) - 11);
    TensorInfo w;
    w.name = "conv.weight";
    w.shape = {4, 4, channels, 10};
    w.constant = ConstantData::from_vector(weights);
    const int32_t w_id = graph.add_tensor(w);

    TensorInfo b;
    b.name = "conv.bias";
    b.shape = {10};
    b.constant = ConstantData::from_vector(std::vector<float>{0.1f, -0.1f, 0.2f, 0.0f, 0.3f, -0.2f, 0.0f, 0.05f, 0.0f, 0.1f});
    const int32_t b_id = graph.add_tensor(b);

    TensorInfo conv_out;
    conv_out.name = "conv.out";
    conv_out.shape = {1, 1, 1, 10};
    const int32_t y = graph.add_tensor(conv_out);
    TensorInfo logits;
    logits.name = "logits";
    logits.shape = {1, 10};
    const int32_t z = graph.add_tensor(logits);

    Node conv;
    conv.name = "conv";
    conv.op = OpKind::conv;
    conv.inputs = {x, w_id, b_id};
    conv.outputs = {y};
    graph.nodes.push_back(conv);
    Node reshape;
    reshape.name = "flatten";
    reshape.op = OpKind::reshape;
    reshape.inputs = {y};
    reshape.outputs = {z};
    graph.nodes.push_back(reshape);
    graph.inputs = {x};
    graph.outputs = {z};
    graph.metadata.mean = {0.5f};
    graph.metadata.std = {0.25f};
    for (int i = 0; i < 10; ++i) graph.metadata.labels.push_back("label" + std::to_string(i));
    graph.metadata.source = "make_cli_fixtures";
    validate(graph);
    return graph;
}

void add_initializer(onnx::GraphProto& graph, const std::string& name, const std::vector<int64_t>& dims,
                     const std::vector<float>& values) {
    onnx::TensorProto* tensor = graph.add_initializer();
    tensor->set_name(name);
    tensor->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) tensor->add_dims(d);
    for (float v : values) tensor->add_float_data(v);
}

void set_float_tensor_type(onnx::ValueInfoProto* value, const std::string& name, const std::vector<int64_t>& dims) {
    value->set_name(name);
    onnx::TypeProto_Tensor* type = value->mutable_type()->mutable_tensor_type();
    type->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) type->mutable_shape()->add_dim()->set_dim_value(d);
}

onnx::NodeProto* add_node(onnx::GraphProto& graph, const std::string& op, const std::vector<std::string>& inputs,
                          const std::string& output) {
    onnx::NodeProto* node = graph.add_node();
    node->set_op_type(op);
    node->set_name(output);
    for (const std::string& input : inputs) node->add_input(input);
    node->add_output(output);
    return node;
}

void add_ints(onnx::NodeProto* node, const std::string& name, const std::vector<int64_t>& values) {
    onnx::AttributeProto* attribute = node->add_attribute();
    attribute->set_name(name);
    attribute->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : values) attribute->add_ints(v);
}

std::vector<float> seeded_values(size_t count, float scale, uint32_t seed) {
    std::mt19937 generator(seed);
    std::uniform_real_distribution<float> value(-scale, scale);
    std::vector<float> values(count);
    for (float& v : values) v = value(generator);
    return values;
}

void write_tiny_onnx(const std::string& path) {
    onnx::ModelProto model;
    model.set_ir_version(7);
    model.set_producer_name("make_cli_fixtures");
    onnx::OperatorSetIdProto* opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(13);
    onnx::GraphProto& graph = *model.mutable_graph();
    graph.set_name("tiny");
    set_float_tensor_type(graph.add_input(), "input", {1, 1, 8, 8});
    set_float_tensor_type(graph.add_output(), "logits", {1, 10});
    add_initializer(graph, "conv.weight", {4, 1, 3, 3}, seeded_values(36, 0.5f, 1));
    add_initializer(graph, "conv.bias", {4}, seeded_values(4, 0.1f, 2));
    add_initializer(graph, "fc.weight", {10, 4}, seeded_values(40, 0.5f, 3));
    add_initializer(graph, "fc.bias", {10}, seeded_values(10, 0.1f, 4));
    onnx::NodeProto* conv = add_node(graph, "Conv", {"input", "conv.weight", "conv.bias"}, "conv");
    add_ints(conv, "kernel_shape", {3, 3});
    add_ints(conv, "pads", {1, 1, 1, 1});
    add_node(graph, "Relu", {"conv"}, "relu");
    add_node(graph, "GlobalAveragePool", {"relu"}, "pool");
    onnx::NodeProto* flatten = add_node(graph, "Flatten", {"pool"}, "flat");
    onnx::AttributeProto* axis = flatten->add_attribute();
    axis->set_name("axis");
    axis->set_type(onnx::AttributeProto::INT);
    axis->set_i(1);
    onnx::NodeProto* gemm = add_node(graph, "Gemm", {"flat", "fc.weight", "fc.bias"}, "logits");
    onnx::AttributeProto* trans_b = gemm->add_attribute();
    trans_b->set_name("transB");
    trans_b->set_type(onnx::AttributeProto::INT);
    trans_b->set_i(1);
    std::string bytes;
    if (!model.SerializeToString(&bytes)) throw std::runtime_error("cannot serialize tiny.onnx");
    write_bytes(path, std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_cli_fixtures DIR\n");
        return 2;
    }
    const std::string dir = std::string(argv[1]) + "/";
    try {
        std::filesystem::create_directories(dir);
        std::mt19937 generator(4);
        std::vector<uint8_t> random(4096);
        for (uint8_t& byte : random) byte = static_cast<uint8_t>(generator());
        write_bytes(dir + "random.haqm", random);
        write_bytes(dir + "random.onnx", random);
        const std::string text = "These are notes, not an image.\n";
        write_bytes(dir + "notes.txt", std::vector<uint8_t>(text.begin(), text.end()));

        std::vector<uint8_t> pixels(64);
        for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 4);
        write_pgm(dir + "image.pgm", 8, 8, pixels);

        std::vector<uint8_t> idx_pixels(5 * 16);
        for (size_t i = 0; i < idx_pixels.size(); ++i) idx_pixels[i] = static_cast<uint8_t>(i * 3);
        const std::vector<uint8_t> images = idx_images_bytes(5, 4, 4, idx_pixels);
        write_bytes(dir + "images.idx", images);
        write_bytes(dir + "images_truncated.idx", std::vector<uint8_t>(images.begin(), images.end() - 7));
        write_bytes(dir + "labels.idx", idx_labels_bytes({0, 1, 2, 3, 4}));

        std::filesystem::create_directories(dir + "calib");
        for (int i = 0; i < 3; ++i) {
            std::vector<uint8_t> calib(100);
            for (size_t p = 0; p < calib.size(); ++p) calib[p] = static_cast<uint8_t>((p * (i + 3) * 7) % 256);
            write_pgm(dir + "calib/" + std::to_string(i) + ".pgm", 10, 10, calib);
        }
        write_bytes(dir + "calib/README", {'x', '\n'});  // not an image: skipped
        write_tiny_onnx(dir + "tiny.onnx");
        std::filesystem::create_directories(dir + "empty_dir");
        const std::string overrides = "# a layer the model does not have\nnope weights=4\n";
        write_bytes(dir + "overrides_unknown.txt", std::vector<uint8_t>(overrides.begin(), overrides.end()));
        const std::string malformed = "conv weights=eight\n";
        write_bytes(dir + "overrides_malformed.txt", std::vector<uint8_t>(malformed.begin(), malformed.end()));

        save_model(tiny_model(1), dir + "tiny.haqm");
        save_model(tiny_model(2), dir + "tiny2ch.haqm");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_cli_fixtures: %s\n", e.what());
        return 1;
    }
    return 0;
}
