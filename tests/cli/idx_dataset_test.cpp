#include "idx_dataset.h"

#include <gtest/gtest.h>

#include "cli_test_files.h"

namespace haqm::cli {
namespace {

using namespace test_files;

// Expects `call` to throw haqm::Error whose message holds `fragment`.
template <class Call>
void expect_error(Call call, const std::string& fragment) {
    try {
        call();
        FAIL() << "no error; expected one mentioning '" << fragment << "'";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
}

std::vector<uint8_t> three_images() {
    std::vector<uint8_t> pixels(3 * 2 * 4);
    for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 10);
    return pixels;
}

TEST(IdxDataset, ReadsPlainImagesAndLabels) {
    TempDir dir("haqm_idx_plain");
    write_bytes(dir.file("images"), idx_images_bytes(3, 2, 4, three_images()));
    write_bytes(dir.file("labels"), idx_labels_bytes({7, 0, 9}));
    const IdxImages images = read_idx_images(dir.file("images"));
    EXPECT_EQ(images.count, 3);
    EXPECT_EQ(images.rows, 2);
    EXPECT_EQ(images.cols, 4);
    EXPECT_EQ(images.pixels, three_images());
    const Image second = images.image(1);
    EXPECT_EQ(second.width, 4);
    EXPECT_EQ(second.height, 2);
    EXPECT_EQ(second.channels, 1);
    EXPECT_EQ(second.pixels.front(), 80);
    EXPECT_THROW(images.image(3), Error);
    EXPECT_EQ(read_idx_labels(dir.file("labels")), (std::vector<uint8_t>{7, 0, 9}));
}

TEST(IdxDataset, ReadsGzip) {
    TempDir dir("haqm_idx_gz");
    write_gzip(dir.file("images.gz"), idx_images_bytes(3, 2, 4, three_images()));
    write_gzip(dir.file("labels.gz"), idx_labels_bytes({1, 2, 3}));
    EXPECT_EQ(read_idx_images(dir.file("images.gz")).pixels, three_images());
    EXPECT_EQ(read_idx_labels(dir.file("labels.gz")), (std::vector<uint8_t>{1, 2, 3}));
}

TEST(IdxDataset, TruncatedFilesAreErrors) {
    TempDir dir("haqm_idx_truncated");
    std::vector<uint8_t> bytes = idx_images_bytes(3, 2, 4, three_images());
    bytes.resize(bytes.size() - 5);
    write_bytes(dir.file("images"), bytes);
    expect_error([&] { read_idx_images(dir.file("images")); }, "truncated");
    // Header cut short.
    bytes.resize(10);
    write_bytes(dir.file("header"), bytes);
    expect_error([&] { read_idx_images(dir.file("header")); }, "truncated");
    // A gzip stream cut in the middle: zlib sees the end of the data early.
    std::vector<uint8_t> big(3000 * 28 * 28);
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>((i * 7919) >> 3);
    write_gzip(dir.file("full.gz"), idx_images_bytes(3000, 28, 28, big));
    std::ifstream in(dir.file("full.gz"), std::ios::binary);
    std::vector<uint8_t> compressed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    compressed.resize(compressed.size() / 2);
    write_bytes(dir.file("cut.gz"), compressed);
    expect_error([&] { read_idx_images(dir.file("cut.gz")); }, "cut.gz");
}

TEST(IdxDataset, BadMagicAndShapesAreErrors) {
    TempDir dir("haqm_idx_magic");
    write_bytes(dir.file("labels"), idx_labels_bytes({1, 2, 3}));
    expect_error([&] { read_idx_images(dir.file("labels")); }, "not an IDX images file");
    write_bytes(dir.file("images"), idx_images_bytes(3, 2, 4, three_images()));
    expect_error([&] { read_idx_labels(dir.file("images")); }, "not an IDX labels file");
    write_bytes(dir.file("text"), {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
    expect_error([&] { read_idx_images(dir.file("text")); }, "not an IDX file");
    write_bytes(dir.file("empty"), {});
    expect_error([&] { read_idx_images(dir.file("empty")); }, "not an IDX file");
    write_bytes(dir.file("zero"), idx_images_bytes(0, 2, 4, {}));
    expect_error([&] { read_idx_images(dir.file("zero")); }, "dimension of 0");
    std::vector<uint8_t> trailing = idx_images_bytes(3, 2, 4, three_images());
    trailing.push_back(0);
    write_bytes(dir.file("trailing"), trailing);
    expect_error([&] { read_idx_images(dir.file("trailing")); }, "data after");
    // A header that claims terabytes must fail without allocating them.
    write_bytes(dir.file("huge"), idx_images_bytes(0xFFFFFFFFu, 0xFFFFu, 0xFFFFu, {1, 2, 3}));
    expect_error([&] { read_idx_images(dir.file("huge")); }, "more than");
    expect_error([&] { read_idx_images(dir.file("missing")); }, "No such file");
}

TEST(IdxDataset, CorruptGzipIsAnError) {
    TempDir dir("haqm_idx_corrupt");
    write_gzip(dir.file("images.gz"), idx_images_bytes(3, 2, 4, three_images()));
    std::ifstream in(dir.file("images.gz"), std::ios::binary);
    std::vector<uint8_t> compressed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Flip bytes of the deflate data (after the 10-byte gzip header) and of the CRC at the end.
    for (size_t i = 12; i < compressed.size(); i += 3) compressed[i] ^= 0x5A;
    write_bytes(dir.file("corrupt.gz"), compressed);
    expect_error([&] { read_idx_images(dir.file("corrupt.gz")); }, "corrupt.gz");
}

TEST(IdxDataset, ReadsFashionMnistWhenInstalled) {
    const std::string images = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    const std::string labels = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
    if (!std::filesystem::exists(images) || !std::filesystem::exists(labels)) GTEST_SKIP() << "dataset-fashion-mnist not installed";
    const IdxImages test = read_idx_images(images);
    EXPECT_EQ(test.count, 10000);
    EXPECT_EQ(test.rows, 28);
    EXPECT_EQ(test.cols, 28);
    const std::vector<uint8_t> test_labels = read_idx_labels(labels);
    ASSERT_EQ(test_labels.size(), 10000u);
    for (uint8_t label : test_labels) ASSERT_LT(label, 10);
}

}  // namespace
}  // namespace haqm::cli
