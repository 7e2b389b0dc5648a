// Turning a picture into a model input: decode (PNG, JPEG, PGM/PPM, BMP, ... through stb_image),
// convert to the model's channel count, resize bilinearly to the input's H x W, scale to [0, 1]
// and normalize by the model metadata's mean and std. The result is the float32 NHWC tensor
// [1, H, W, C] that Session::run takes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "haqm/graph.h"

namespace haqm::cli {

// 8-bit pixels, rows top to bottom, channels interleaved (grey; grey+alpha; RGB; RGBA).
struct Image {
    int width = 0;
    int height = 0;
    int channels = 0;
    std::vector<uint8_t> pixels;  // height * width * channels
};

// What a model's image input looks like.
struct ImageGeometry {
    int64_t height = 0;
    int64_t width = 0;
    int64_t channels = 0;
};

inline constexpr int64_t kMaxImagePixels = int64_t(1) << 26;  // 8192 x 8192
inline constexpr int64_t kMaxImageFileBytes = int64_t(1) << 28;

// Decodes an image file; throws haqm::Error for a missing file, one stb cannot decode, a truncated
// binary PGM/PPM, or one larger than the limits above.
Image load_image(const std::string& path);

// The geometry of an image input of this shape: [1, H, W, C] (NHWC), [1, H, W] (one channel), or
// [1, K] with K a perfect square (a flattened square grey image, as MLPs take it). Throws
// haqm::Error for any other shape or a batch other than 1.
ImageGeometry image_geometry(const Shape& input_shape);

// The geometry of the graph's first input (which must be float32).
ImageGeometry model_input_geometry(const Graph& graph);

// Channel conversion between grey (1), grey+alpha (2), RGB (3) and RGBA (4), on values in [0, 1]:
// grey is replicated, alpha dropped (or added as 1), RGB becomes grey by the BT.601 luma weights.
// Throws haqm::Error for channel counts it cannot convert.
std::vector<float> convert_channels(const std::vector<float>& pixels, int64_t pixel_count, int from_channels,
                                    int to_channels);

// Bilinear resize with pixel centres aligned (the align_corners=false convention of PyTorch and
// OpenCV); the same size returns the input unchanged.
std::vector<float> resize_bilinear(const std::vector<float>& pixels, int64_t width, int64_t height, int64_t channels,
                                   int64_t new_width, int64_t new_height);

// The full pipeline: [1, H, W, C] float32 elements for `geometry`, (pixel / 255 - mean[c]) / std[c]
// with one mean/std for all channels or one per channel. Throws haqm::Error for a channel count
// that cannot be converted or mean/std entries that do not fit the channels.
std::vector<float> image_to_input(const Image& image, const ImageGeometry& geometry, const ModelMetadata& metadata);

}  // namespace haqm::cli
