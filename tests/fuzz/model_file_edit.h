// Test-side editing of .haqm bytes, written from docs/model-format.md rather than from the
// runtime's code: read and patch little-endian fields, find a section, and "reseal" a file (set the
// header's file size and CRC-32 to match the bytes) so that a deliberate corruption reaches the
// loader's deeper checks instead of stopping at the checksum. Used by tests/model_format_test.cpp
// and by the .haqm fuzzer.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace haqm::model_file {

inline constexpr size_t kHeaderBytes = 32;
inline constexpr size_t kChecksumOffset = 8;
inline constexpr size_t kMajorVersionOffset = 12;
inline constexpr size_t kFileSizeOffset = 16;
inline constexpr size_t kSectionTableOffsetField = 24;
inline constexpr size_t kSectionCountOffset = 28;
inline constexpr size_t kSectionEntryBytes = 24;

enum Section : uint32_t { kTensors = 1, kNodes = 2, kGraph = 3, kMetadata = 4, kConstants = 5 };

inline uint64_t get(const std::vector<uint8_t>& b, size_t at, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint64_t(b.at(at + i)) << (8 * i);
    return v;
}

inline void put(std::vector<uint8_t>& b, size_t at, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) b.at(at + i) = static_cast<uint8_t>(v >> (8 * i));
}

// CRC-32 as zlib computes it (reflected 0xEDB88320, init and final xor 0xFFFFFFFF), one byte a step.
inline uint32_t crc32(const uint8_t* data, size_t size) {
    static const std::array<uint32_t, 256> table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

// Makes the header's file size and checksum agree with the bytes (no-op on a file shorter than
// the header).
inline void reseal(std::vector<uint8_t>& b) {
    if (b.size() < kHeaderBytes) return;
    put(b, kFileSizeOffset, b.size(), 8);
    put(b, kChecksumOffset, crc32(b.data() + kChecksumOffset + 4, b.size() - kChecksumOffset - 4), 4);
}

struct SectionEntry {
    size_t entry_offset = 0;  // where the table entry is
    uint64_t offset = 0;
    uint64_t size = 0;
};

// The table entry of section `id`; entry_offset 0 if it is absent.
inline SectionEntry find_section(const std::vector<uint8_t>& b, uint32_t id) {
    const size_t table = get(b, kSectionTableOffsetField, 4);
    const size_t count = get(b, kSectionCountOffset, 4);
    for (size_t i = 0; i < count; ++i) {
        const size_t e = table + i * kSectionEntryBytes;
        if (get(b, e, 4) == id) return {e, get(b, e + 8, 8), get(b, e + 16, 8)};
    }
    return {};
}

}  // namespace haqm::model_file
