// Small files the CLI tests write: PGM images, IDX data sets (plain or gzip), raw bytes.
#pragma once
#include <zlib.h>

#include <cstdint>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace haqm::cli::test_files {

// A fresh directory under the system temp dir, removed with the object.
class TempDir {
public:
    explicit TempDir(const std::string& name)
        : path_(std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()))) {
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline void write_gzip(const std::string& path, const std::vector<uint8_t>& bytes) {
    gzFile file = gzopen(path.c_str(), "wb");
    gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(file);
}

// Binary PGM (P5), 8-bit grey.
inline void write_pgm(const std::string& path, int width, int height, const std::vector<uint8_t>& pixels) {
    std::vector<uint8_t> bytes;
    const std::string header = "P5\n" + std::to_string(width) + " " + std::to_string(height) + "\n255\n";
    bytes.assign(header.begin(), header.end());
    bytes.insert(bytes.end(), pixels.begin(), pixels.end());
    write_bytes(path, bytes);
}

inline void append_u32_big_endian(std::vector<uint8_t>& bytes, uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<uint8_t>(value >> shift));
}

// IDX images file bytes: magic 0x00000803, count, rows, cols, then the pixels.
inline std::vector<uint8_t> idx_images_bytes(uint32_t count, uint32_t rows, uint32_t cols,
                                             const std::vector<uint8_t>& pixels) {
    std::vector<uint8_t> bytes;
    append_u32_big_endian(bytes, 0x00000803);
    append_u32_big_endian(bytes, count);
    append_u32_big_endian(bytes, rows);
    append_u32_big_endian(bytes, cols);
    bytes.insert(bytes.end(), pixels.begin(), pixels.end());
    return bytes;
}

// IDX labels file bytes: magic 0x00000801, count, then the labels.
inline std::vector<uint8_t> idx_labels_bytes(const std::vector<uint8_t>& labels) {
    std::vector<uint8_t> bytes;
    append_u32_big_endian(bytes, 0x00000801);
    append_u32_big_endian(bytes, static_cast<uint32_t>(labels.size()));
    bytes.insert(bytes.end(), labels.begin(), labels.end());
    return bytes;
}

}  // namespace haqm::cli::test_files
