#include "image_input.h"

#include <stb/stb_image_write.h>
#include <gtest/gtest.h>

#include "cli_test_files.h"

namespace haqm::cli {
namespace {

using namespace test_files;

TEST(ImageInput, LoadsPgmWrittenByHand) {
    TempDir dir("haqm_image_pgm");
    write_pgm(dir.file("a.pgm"), 3, 2, {0, 10, 20, 30, 40, 255});
    const Image image = load_image(dir.file("a.pgm"));
    EXPECT_EQ(image.width, 3);
    EXPECT_EQ(image.height, 2);
    EXPECT_EQ(image.channels, 1);
    EXPECT_EQ(image.pixels, (std::vector<uint8_t>{0, 10, 20, 30, 40, 255}));
}

TEST(ImageInput, LoadsPngWithStbWriter) {
    TempDir dir("haqm_image_png");
    const std::vector<uint8_t> rgb = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30};
    ASSERT_NE(stbi_write_png(dir.file("a.png").c_str(), 2, 2, 3, rgb.data(), 2 * 3), 0);
    const Image image = load_image(dir.file("a.png"));
    EXPECT_EQ(image.width, 2);
    EXPECT_EQ(image.height, 2);
    EXPECT_EQ(image.channels, 3);
    EXPECT_EQ(image.pixels, rgb);
}

TEST(ImageInput, NonImageAndMissingFilesAreClearErrors) {
    TempDir dir("haqm_image_bad");
    write_bytes(dir.file("notes.txt"), {'h', 'e', 'l', 'l', 'o', '\n'});
    try {
        load_image(dir.file("notes.txt"));
        FAIL() << "a text file decoded as an image";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot decode image"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("notes.txt"), std::string::npos) << e.what();
    }
    try {
        load_image(dir.file("missing.png"));
        FAIL() << "a missing file loaded";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
    }
    // A PGM whose header promises more pixels than it has.
    write_bytes(dir.file("short.pgm"), {'P', '5', '\n', '4', ' ', '4', '\n', '2', '5', '5', '\n', 1, 2});
    EXPECT_THROW(load_image(dir.file("short.pgm")), Error);
}

TEST(ImageInput, GeometryOfInputShapes) {
    const ImageGeometry nhwc = image_geometry({1, 28, 32, 3});
    EXPECT_EQ(nhwc.height, 28);
    EXPECT_EQ(nhwc.width, 32);
    EXPECT_EQ(nhwc.channels, 3);
    const ImageGeometry nhw = image_geometry({1, 28, 28});
    EXPECT_EQ(nhw.channels, 1);
    const ImageGeometry flat = image_geometry({1, 784});
    EXPECT_EQ(flat.height, 28);
    EXPECT_EQ(flat.width, 28);
    EXPECT_THROW(image_geometry({1, 785}), Error);
    EXPECT_THROW(image_geometry({2, 28, 28, 1}), Error);
    EXPECT_THROW(image_geometry({1, 2, 3, 4, 5}), Error);
    EXPECT_THROW(image_geometry({}), Error);
}

TEST(ImageInput, ChannelConversions) {
    // Grey replicated to RGB and RGBA (alpha 1).
    EXPECT_EQ(convert_channels({0.25f}, 1, 1, 3), (std::vector<float>{0.25f, 0.25f, 0.25f}));
    EXPECT_EQ(convert_channels({0.25f}, 1, 1, 4), (std::vector<float>{0.25f, 0.25f, 0.25f, 1.0f}));
    // RGB to grey by the BT.601 luma weights.
    const std::vector<float> grey = convert_channels({1.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f}, 2, 3, 1);
    ASSERT_EQ(grey.size(), 2u);
    EXPECT_NEAR(grey[0], 0.299f, 1e-6);
    EXPECT_NEAR(grey[1], 0.587f, 1e-6);
    // Alpha dropped.
    EXPECT_EQ(convert_channels({0.1f, 0.2f, 0.3f, 0.4f}, 1, 4, 3), (std::vector<float>{0.1f, 0.2f, 0.3f}));
    EXPECT_EQ(convert_channels({0.5f, 0.9f}, 1, 2, 1), (std::vector<float>{0.5f}));
    // Nothing sensible converts to two or five channels.
    EXPECT_THROW(convert_channels({0.5f, 0.5f, 0.5f}, 1, 3, 2), Error);
    EXPECT_THROW(convert_channels({0.5f}, 1, 1, 5), Error);
}

TEST(ImageInput, BilinearResize) {
    // Same size: unchanged.
    const std::vector<float> two_by_two = {0.0f, 1.0f, 2.0f, 3.0f};
    EXPECT_EQ(resize_bilinear(two_by_two, 2, 2, 1, 2, 2), two_by_two);
    // Downscale 2x2 -> 1x1 with centred pixels: the mean of the four.
    const std::vector<float> one = resize_bilinear(two_by_two, 2, 2, 1, 1, 1);
    ASSERT_EQ(one.size(), 1u);
    EXPECT_FLOAT_EQ(one[0], 1.5f);
    // Upscale a row 0, 1 to four pixels: centres at -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
    const std::vector<float> row = resize_bilinear({0.0f, 1.0f}, 2, 1, 1, 4, 1);
    ASSERT_EQ(row.size(), 4u);
    EXPECT_FLOAT_EQ(row[0], 0.0f);
    EXPECT_FLOAT_EQ(row[1], 0.25f);
    EXPECT_FLOAT_EQ(row[2], 0.75f);
    EXPECT_FLOAT_EQ(row[3], 1.0f);
    // Channels stay apart.
    const std::vector<float> rgb = resize_bilinear({0.0f, 10.0f, 1.0f, 20.0f}, 2, 1, 2, 1, 1);
    EXPECT_EQ(rgb, (std::vector<float>{0.5f, 15.0f}));
}

TEST(ImageInput, PipelineScalesNormalizesAndResizes) {
    Image image;
    image.width = 2;
    image.height = 2;
    image.channels = 1;
    image.pixels = {0, 255, 255, 0};
    ModelMetadata metadata;
    metadata.mean = {0.5f};
    metadata.std = {0.5f};
    const std::vector<float> same = image_to_input(image, {2, 2, 1}, metadata);
    EXPECT_EQ(same, (std::vector<float>{-1.0f, 1.0f, 1.0f, -1.0f}));
    // Grey to three channels with per-channel mean and std, resized to 1x1 (mean pixel 0.5).
    metadata.mean = {0.5f, 0.0f, 0.25f};
    metadata.std = {1.0f, 0.5f, 0.25f};
    const std::vector<float> rgb = image_to_input(image, {1, 1, 3}, metadata);
    ASSERT_EQ(rgb.size(), 3u);
    EXPECT_FLOAT_EQ(rgb[0], 0.0f);
    EXPECT_FLOAT_EQ(rgb[1], 1.0f);
    EXPECT_FLOAT_EQ(rgb[2], 1.0f);
}

TEST(ImageInput, PipelineRejectsWhatCannotFit) {
    Image image;
    image.width = 1;
    image.height = 1;
    image.channels = 3;
    image.pixels = {1, 2, 3};
    ModelMetadata metadata;
    EXPECT_THROW(image_to_input(image, {4, 4, 2}, metadata), Error);  // RGB to two channels
    EXPECT_THROW(image_to_input(image, {4, 4, 7}, metadata), Error);
    metadata.mean = {0.1f, 0.2f};  // two means for three channels
    EXPECT_THROW(image_to_input(image, {4, 4, 3}, metadata), Error);
    metadata.mean = {0.0f};
    metadata.std = {0.0f};
    EXPECT_THROW(image_to_input(image, {4, 4, 3}, metadata), Error);
    Image empty;
    EXPECT_THROW(image_to_input(empty, {4, 4, 3}, ModelMetadata{}), Error);
}

}  // namespace
}  // namespace haqm::cli
