// The bundled Fashion-MNIST models (tools/models, trained by tools/train_fashion_mnist.py) on the
// real test set (Debian's dataset-fashion-mnist), against PyTorch's own outputs recorded by
// tools/torch_reference.py in tests/data:
//  - haqm's FP32 path gives PyTorch's FP32 logits (max abs difference < 1e-4, first 100 images);
//  - haqm's int8 PTQ (calibrated on the first 500 training images, min-max, per-channel weights,
//    uint8 activations: PyTorch's eager-mode setup; every tensor gets the same scale and zero
//    point as PyTorch's, and BN folding and weight rounding follow PyTorch's float32 order) picks
//    PyTorch int8's top-1 class on >= 99.5% of the 10k test images.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>

#include "haqm/model.h"
#include "haqm/onnx_import.h"
#include "haqm/quantizer.h"
#include "idx_dataset.h"
#include "image_input.h"

namespace haqm {
namespace {

const std::string kSource = HAQM_SOURCE_DIR;
const std::string kData = HAQM_FASHION_MNIST_DIR;

template <class T>
std::vector<T> read_binary(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw Error("cannot open " + path);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    std::vector<T> values(bytes.size() / sizeof(T));
    std::copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(values.size() * sizeof(T)),
              reinterpret_cast<char*>(values.data()));
    return values;
}

size_t top1(const std::vector<float>& scores) {
    return static_cast<size_t>(std::max_element(scores.begin(), scores.end()) - scores.begin());
}

class FashionModel : public ::testing::TestWithParam<std::string> {
protected:
    static const cli::IdxImages& test_images() {
        static const cli::IdxImages images = cli::read_idx_images(kData + "/t10k-images-idx3-ubyte.gz");
        return images;
    }
    static const cli::IdxImages& train_images() {
        static const cli::IdxImages images = cli::read_idx_images(kData + "/train-images-idx3-ubyte.gz");
        return images;
    }
    static std::vector<float> input(const Graph& g, const cli::IdxImages& images, int64_t index) {
        return cli::image_to_input(images.image(index), cli::model_input_geometry(g), g.metadata);
    }
};

TEST_P(FashionModel, Fp32MatchesPyTorch) {
    const Graph graph = import_onnx(kSource + "/tools/models/" + GetParam() + ".onnx");
    const auto expected = read_binary<float>(kSource + "/tests/data/" + GetParam() + "_fp32_logits.bin");
    ASSERT_EQ(expected.size(), 100u * 10u);
    const Model model(graph);
    Session session(model);
    double largest = 0;
    for (int64_t i = 0; i < 100; ++i) {
        const auto logits = session.run(input(graph, test_images(), i));
        ASSERT_EQ(logits.size(), 10u);
        for (size_t c = 0; c < 10; ++c) largest = std::max(largest, double(std::abs(logits[c] - expected[size_t(i) * 10 + c])));
    }
    std::printf("%s: largest |haqm - PyTorch| FP32 logit difference over 100 images: %.3g\n", GetParam().c_str(), largest);
    EXPECT_LT(largest, 1e-4);
}

TEST_P(FashionModel, Int8AgreesWithPyTorchInt8OnTop1) {
    const Graph graph = import_onnx(kSource + "/tools/models/" + GetParam() + ".onnx");
    const auto torch_top1 = read_binary<uint8_t>(kSource + "/tests/data/" + GetParam() + "_torch_int8_top1.bin");
    const auto labels = cli::read_idx_labels(kData + "/t10k-labels-idx1-ubyte.gz");
    ASSERT_EQ(torch_top1.size(), 10000u);
    std::vector<std::vector<float>> calibration;
    for (int64_t i = 0; i < 500; ++i) calibration.push_back(input(graph, train_images(), i));
    QuantizeOptions options;  // int8 per-channel weights, uint8 activations, min-max
    const QuantizeResult quantized = quantize_graph(graph, calibration, options);
    const Model model(quantized.graph);
    Session session(model);
    int64_t agree = 0, correct = 0, torch_correct = 0;
    for (int64_t i = 0; i < 10000; ++i) {
        const size_t predicted = top1(session.run(input(graph, test_images(), i)));
        agree += predicted == torch_top1[static_cast<size_t>(i)];
        correct += predicted == labels[static_cast<size_t>(i)];
        torch_correct += torch_top1[static_cast<size_t>(i)] == labels[static_cast<size_t>(i)];
    }
    std::printf("%s int8: top-1 %.2f%% (PyTorch int8 %.2f%%), agreement with PyTorch int8 %.2f%%\n", GetParam().c_str(),
                correct / 100.0, torch_correct / 100.0, agree / 100.0);
    EXPECT_GE(agree, 9950);
}

// The goal for the memory planner: an arena within 10% of the largest live set.
TEST_P(FashionModel, MemoryPlanIsWithinTenPercentOfTheLowerBound) {
    const Graph graph = import_onnx(kSource + "/tools/models/" + GetParam() + ".onnx");
    std::vector<std::vector<float>> calibration;
    for (int64_t i = 0; i < 20; ++i) calibration.push_back(input(graph, train_images(), i));
    const Graph quantized = quantize_graph(graph, calibration, {}).graph;
    for (const Graph* g : {&graph, &quantized}) {
        const MemoryPlan plan = plan_memory(*g);
        std::printf("%s %s: arena %lld bytes, lower bound %lld, %d in place\n", GetParam().c_str(),
                    g == &graph ? "FP32" : "int8", static_cast<long long>(plan.arena_bytes),
                    static_cast<long long>(plan.lower_bound_bytes), plan.in_place_count);
        EXPECT_LE(plan.arena_bytes, plan.lower_bound_bytes * 11 / 10);
    }
}

INSTANTIATE_TEST_SUITE_P(Bundled, FashionModel, ::testing::Values("fashion_resnet", "fashion_mobilenet_v3"));

}  // namespace
}  // namespace haqm
