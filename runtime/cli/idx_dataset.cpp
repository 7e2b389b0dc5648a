#include "idx_dataset.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "cli_common.h"

namespace haqm::cli {
namespace {

constexpr uint8_t kUnsignedByteType = 0x08;

// Reads a plain or gzip file through zlib, turning zlib's error state into haqm::Error.
class CompressedFile {
public:
    explicit CompressedFile(const std::string& path) : path_(path) {
        check_readable_file(path, "IDX file");
        file_ = gzopen(path.c_str(), "rb");
        if (!file_) throw Error("cannot open IDX file '" + path + "'");
        gzbuffer(file_, 1 << 17);
    }
    ~CompressedFile() {
        if (file_) gzclose(file_);
    }
    CompressedFile(const CompressedFile&) = delete;
    CompressedFile& operator=(const CompressedFile&) = delete;

    // Reads up to `size` bytes; returns how many were read (fewer only at the end of the data).
    size_t read(uint8_t* data, size_t size) {
        size_t done = 0;
        while (done < size) {
            const unsigned chunk = static_cast<unsigned>(std::min<size_t>(size - done, 1u << 30));
            const int got = gzread(file_, data + done, chunk);
            check_zlib();
            if (got <= 0) break;
            done += static_cast<size_t>(got);
        }
        return done;
    }

private:
    void check_zlib() {
        int code = Z_OK;
        const char* message = gzerror(file_, &code);
        if (code != Z_OK && code != Z_STREAM_END) {
            throw Error("IDX file '" + path_ + "' is corrupt: " +
                        (code == Z_BUF_ERROR ? std::string("the gzip data ends early") : std::string(message)));
        }
    }

    std::string path_;
    gzFile file_ = nullptr;
};

uint32_t big_endian_u32(const uint8_t* bytes) {
    return (uint32_t(bytes[0]) << 24) | (uint32_t(bytes[1]) << 16) | (uint32_t(bytes[2]) << 8) | uint32_t(bytes[3]);
}

// Reads the header, checks its magic (type 0x08, `dims` dimensions) and returns the dimensions,
// then the payload, which must be exactly the product of the dimensions long.
std::vector<uint8_t> read_idx(const std::string& path, uint8_t dims, const char* kind, std::vector<int64_t>& shape) {
    CompressedFile file(path);
    uint8_t magic[4];
    const size_t magic_size = file.read(magic, 4);
    if (magic_size < 4 || magic[0] != 0 || magic[1] != 0) {
        throw Error("'" + path + "' is not an IDX file (it does not start with the IDX magic)");
    }
    if (magic[2] != kUnsignedByteType || magic[3] != dims) {
        char found[16];
        std::snprintf(found, sizeof found, "0x%02X%02X%02X%02X", magic[0], magic[1], magic[2], magic[3]);
        char wanted[16];
        std::snprintf(wanted, sizeof wanted, "0x0000%02X%02X", kUnsignedByteType, dims);
        throw Error("'" + path + "' is not an IDX " + kind + " file: magic " + found + ", expected " + wanted);
    }
    std::vector<uint8_t> header(size_t(dims) * 4);
    if (file.read(header.data(), header.size()) != header.size()) {
        throw Error("IDX file '" + path + "' is truncated: its header ends early");
    }
    shape.clear();
    int64_t payload = 1;
    for (uint8_t d = 0; d < dims; ++d) {
        const int64_t extent = big_endian_u32(&header[size_t(d) * 4]);
        if (extent == 0) throw Error("IDX file '" + path + "' declares a dimension of 0");
        if (extent > kMaxIdxBytes / payload) {  // checked before multiplying: no overflow
            throw Error("IDX file '" + path + "' declares more than " + std::to_string(kMaxIdxBytes) +
                        " bytes of data, more than haqm reads");
        }
        payload *= extent;
        shape.push_back(extent);
    }
    // Grow the buffer as data arrives rather than trusting the header with one big allocation.
    std::vector<uint8_t> data;
    constexpr size_t kChunk = size_t(1) << 22;
    while (data.size() < size_t(payload)) {
        const size_t before = data.size();
        const size_t want = std::min(kChunk, size_t(payload) - before);
        data.resize(before + want);
        const size_t got = file.read(data.data() + before, want);
        data.resize(before + got);
        if (got < want) {
            throw Error("IDX file '" + path + "' is truncated: the header declares " + std::to_string(payload) +
                        " bytes of data, the file holds " + std::to_string(data.size()));
        }
    }
    uint8_t extra[1];
    if (file.read(extra, 1) != 0) {
        throw Error("IDX file '" + path + "' has data after the " + std::to_string(payload) +
                    " bytes its header declares");
    }
    return data;
}

}  // namespace

Image IdxImages::image(int64_t index) const {
    if (index < 0 || index >= count) throw Error("IDX image index " + std::to_string(index) + " is out of range");
    Image image;
    image.width = static_cast<int>(cols);
    image.height = static_cast<int>(rows);
    image.channels = 1;
    const size_t size = size_t(rows * cols);
    image.pixels.assign(pixels.begin() + static_cast<std::ptrdiff_t>(size_t(index) * size),
                        pixels.begin() + static_cast<std::ptrdiff_t>(size_t(index + 1) * size));
    return image;
}

IdxImages read_idx_images(const std::string& path) {
    std::vector<int64_t> shape;
    IdxImages images;
    images.pixels = read_idx(path, 3, "images", shape);
    images.count = shape[0];
    images.rows = shape[1];
    images.cols = shape[2];
    if (images.rows * images.cols > kMaxImagePixels) {
        throw Error("IDX file '" + path + "' declares images of " + std::to_string(images.rows) + "x" +
                    std::to_string(images.cols) + " pixels");
    }
    return images;
}

std::vector<uint8_t> read_idx_labels(const std::string& path) {
    std::vector<int64_t> shape;
    return read_idx(path, 1, "labels", shape);
}

}  // namespace haqm::cli
