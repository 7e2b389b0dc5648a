// MNIST / Fashion-MNIST IDX files (images: magic 0x00000803, N x rows x cols unsigned bytes;
// labels: magic 0x00000801, N unsigned bytes), plain or gzip-compressed (zlib reads both).
// Everything the header declares is checked against what the file holds: a wrong magic, a zero
// dimension, a truncated file, trailing bytes or corrupt gzip data each throw haqm::Error naming
// the file.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "image_input.h"

namespace haqm::cli {

struct IdxImages {
    int64_t count = 0;
    int64_t rows = 0;
    int64_t cols = 0;
    std::vector<uint8_t> pixels;  // count * rows * cols, image after image

    // Image `index` as a one-channel Image.
    Image image(int64_t index) const;
};

// The largest IDX payload read (the 60k Fashion-MNIST training images are 47 MB).
inline constexpr int64_t kMaxIdxBytes = int64_t(1) << 32;

IdxImages read_idx_images(const std::string& path);
std::vector<uint8_t> read_idx_labels(const std::string& path);

}  // namespace haqm::cli
