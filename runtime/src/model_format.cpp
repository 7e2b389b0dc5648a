// The .haqm model file: writer and the loader that trusts nothing in the file.
// The byte layout, the checksum and the versioning rules are in docs/model-format.md; every
// constant and limit below is named there too.
#include "haqm/model_format.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace haqm {
namespace {

// ---- format constants (docs/model-format.md) ----

// "HAQM", then CR LF, ^Z, LF as in PNG: a file mangled by a text-mode transfer fails the magic.
constexpr uint8_t kMagic[8] = {'H', 'A', 'Q', 'M', '\r', '\n', 0x1a, '\n'};
constexpr uint16_t kMajorVersion = static_cast<uint16_t>(kModelFormatVersion);
constexpr uint16_t kMinorVersion = 0;
constexpr size_t kHeaderBytes = 32;
constexpr size_t kChecksumOffset = 8;
constexpr size_t kChecksummedFrom = 12;  // the checksum covers every byte after its own field
constexpr size_t kSectionEntryBytes = 24;
constexpr size_t kConstantAlignment = 64;  // a cache line, and enough for any vector load

// Limits that keep a hostile file from asking for absurd work or memory.
constexpr uint32_t kMaxStringBytes = 65536;
constexpr uint32_t kMaxRank = 8;
constexpr int64_t kMaxElements = int64_t(1) << 40;  // also the largest dimension

// Section ids. A reader skips sections it does not know unless their `required` flag is set.
enum SectionId : uint32_t {
    kTensorsSection = 1,
    kNodesSection = 2,
    kGraphSection = 3,
    kMetadataSection = 4,
    kConstantsSection = 5,
};
constexpr uint32_t kKnownSections[] = {kTensorsSection, kNodesSection, kGraphSection, kMetadataSection,
                                       kConstantsSection};
constexpr uint32_t kSectionRequiredFlag = 1;

const char* section_name(uint32_t id) {
    switch (id) {
    case kTensorsSection: return "tensors";
    case kNodesSection: return "nodes";
    case kGraphSection: return "graph";
    case kMetadataSection: return "metadata";
    case kConstantsSection: return "constants";
    default: return "unknown";
    }
}

// Enum codes in the file are fixed by the format, not by the C++ enums: dtypes and ops carry
// their file codes in their tables (HAQM_DTYPES in haqm/dtype.h, HAQM_OPS in haqm/graph.h), so
// reordering an enum cannot silently change the meaning of old files; activations are translated
// here. Adding an activation trips the static_assert until its file code is written here and in
// the docs.
static_assert(kActivationCount == 7, "new Activation: give it a file code here and in docs/model-format.md");

uint8_t activation_code(Activation a) {
    switch (a) {
    case Activation::none: return 0;
    case Activation::relu: return 1;
    case Activation::clip: return 2;
    case Activation::sigmoid: return 3;
    case Activation::hard_sigmoid: return 4;
    case Activation::hard_swish: return 5;
    case Activation::tanh: return 6;
    }
    throw Error("model format: unknown activation " + std::to_string(static_cast<int>(a)));
}
constexpr Activation kActivationByCode[] = {Activation::none,         Activation::relu,       Activation::clip,
                                            Activation::sigmoid,      Activation::hard_sigmoid,
                                            Activation::hard_swish,   Activation::tanh};

uint8_t requantization_code(Requantization r) { return r == Requantization::fixed ? 0 : 1; }
constexpr Requantization kRequantizationByCode[] = {Requantization::fixed, Requantization::float32};

// Constants are stored as little-endian element bytes and used in place, which only a
// little-endian host can do. Every target haqm builds for (x86-64, aarch64, armhf) is one.
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
constexpr bool kHostIsBigEndian = true;
#else
constexpr bool kHostIsBigEndian = false;
#endif

void require_little_endian_host(const std::string& what) {
    if (kHostIsBigEndian) {
        throw Error(what + ": big-endian hosts are not supported: constants are little-endian and used in place");
    }
}

// ---- CRC-32 (the zlib / PNG / Ethernet one: reflected polynomial 0xEDB88320, init and final
// xor 0xFFFFFFFF), eight bytes per step with eight lookup tables ("slicing by 8") so that checking
// a large model costs about a cycle per byte. ----

using CrcTables = std::array<std::array<uint32_t, 256>, 8>;

CrcTables make_crc_tables() {
    CrcTables t{};
    for (uint32_t byte = 0; byte < 256; ++byte) {
        uint32_t crc = byte;
        for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        t[0][byte] = crc;
    }
    // t[k][b]: the effect of byte b followed by k zero bytes.
    for (size_t k = 1; k < 8; ++k) {
        for (uint32_t byte = 0; byte < 256; ++byte) t[k][byte] = (t[k - 1][byte] >> 8) ^ t[0][t[k - 1][byte] & 0xff];
    }
    return t;
}

uint32_t crc32(const uint8_t* data, size_t size) {
    static const CrcTables t = make_crc_tables();
    uint32_t crc = 0xFFFFFFFFu;
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        const uint32_t lo = crc ^ (uint32_t(data[i]) | uint32_t(data[i + 1]) << 8 | uint32_t(data[i + 2]) << 16 |
                                   uint32_t(data[i + 3]) << 24);
        crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
              t[3][data[i + 4]] ^ t[2][data[i + 5]] ^ t[1][data[i + 6]] ^ t[0][data[i + 7]];
    }
    for (; i < size; ++i) crc = (crc >> 8) ^ t[0][(crc ^ data[i]) & 0xff];
    return crc ^ 0xFFFFFFFFu;
}

// ---- writing ----

// Appends little-endian fields byte by byte, the same on every host.
class ByteWriter {
public:
    std::vector<uint8_t>& bytes() { return out_; }
    size_t size() const { return out_.size(); }

    void u8(uint8_t v) { out_.push_back(v); }
    void u16(uint16_t v) { put(v, 2); }
    void u32(uint32_t v) { put(v, 4); }
    void u64(uint64_t v) { put(v, 8); }
    void i32(int32_t v) { put(static_cast<uint32_t>(v), 4); }
    void i64(int64_t v) { put(static_cast<uint64_t>(v), 8); }
    void f32(float v) {
        uint32_t bits;
        std::memcpy(&bits, &v, 4);
        put(bits, 4);
    }
    void count(size_t n, const std::string& what) {
        if (n > std::numeric_limits<uint32_t>::max()) throw Error("model format: " + what + " has too many entries");
        u32(static_cast<uint32_t>(n));
    }
    void string(const std::string& s, const std::string& what) {
        if (s.size() > kMaxStringBytes) {
            throw Error("model format: " + what + " is " + std::to_string(s.size()) + " bytes, the limit is " +
                        std::to_string(kMaxStringBytes));
        }
        u32(static_cast<uint32_t>(s.size()));
        out_.insert(out_.end(), s.begin(), s.end());
    }
    void pad_to(size_t alignment) { out_.resize((out_.size() + alignment - 1) / alignment * alignment, 0); }
    void patch_u32(size_t at, uint32_t v) {
        for (int i = 0; i < 4; ++i) out_[at + i] = static_cast<uint8_t>(v >> (8 * i));
    }
    void patch_u64(size_t at, uint64_t v) {
        for (int i = 0; i < 8; ++i) out_[at + i] = static_cast<uint8_t>(v >> (8 * i));
    }
    // A record is a u32 byte count and a body; the count lets older readers skip fields appended
    // by newer minor versions.
    size_t begin_record() {
        const size_t at = out_.size();
        u32(0);
        return at;
    }
    void end_record(size_t at) {
        const size_t body = out_.size() - at - 4;
        if (body > std::numeric_limits<uint32_t>::max()) throw Error("model format: a record exceeds 4 GiB");
        patch_u32(at, static_cast<uint32_t>(body));
    }

private:
    void put(uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
    std::vector<uint8_t> out_;
};

void write_ids(ByteWriter& w, const std::vector<int32_t>& ids, const std::string& what) {
    w.count(ids.size(), what);
    for (int32_t id : ids) w.i32(id);
}

// Tensor records; constants are referred to by their offset in the constants section, laid out
// here one after another at 64-byte boundaries.
void write_tensors(ByteWriter& w, const Graph& graph, std::vector<size_t>& constant_offsets,
                   size_t& constants_bytes) {
    w.count(graph.tensors.size(), "tensor list");
    size_t next_constant = 0;
    for (size_t i = 0; i < graph.tensors.size(); ++i) {
        const TensorInfo& t = graph.tensors[i];
        const std::string what = "tensor " + std::to_string(i) + " '" + t.name + "'";
        const size_t record = w.begin_record();
        w.string(t.name, what + " name");
        w.u8(dtype_info(t.dtype).file_code);
        w.count(t.shape.size(), what + " shape");
        for (int64_t d : t.shape) w.i64(d);
        w.count(t.quant.scales.size(), what + " scales");
        for (float s : t.quant.scales) w.f32(s);
        w.count(t.quant.zero_points.size(), what + " zero points");
        for (int32_t z : t.quant.zero_points) w.i32(z);
        w.i32(t.quant.axis);
        w.i32(t.quant.bits);
        w.u8(t.constant ? 1 : 0);
        if (t.constant) {
            constant_offsets.push_back(next_constant);
            w.u64(next_constant);
            w.u64(t.constant->size);
            next_constant += (t.constant->size + kConstantAlignment - 1) / kConstantAlignment * kConstantAlignment;
        }
        w.end_record(record);
    }
    constants_bytes = next_constant;
}

void write_nodes(ByteWriter& w, const Graph& graph) {
    w.count(graph.nodes.size(), "node list");
    for (size_t i = 0; i < graph.nodes.size(); ++i) {
        const Node& n = graph.nodes[i];
        const std::string what = "node " + std::to_string(i) + " '" + n.name + "'";
        const NodeAttributes& a = n.attrs;
        if (!a.fused_table_input.empty()) {
            throw Error(what + " has an activation table fused in at prepare time: save the graph before preparing it");
        }
        const size_t record = w.begin_record();
        w.string(n.name, what + " name");
        w.u8(op_file_code(n.op));
        write_ids(w, n.inputs, what + " inputs");
        write_ids(w, n.outputs, what + " outputs");
        for (int v : {a.kernel_h, a.kernel_w, a.stride_h, a.stride_w, a.dilation_h, a.dilation_w, a.pad_top, a.pad_left,
                      a.pad_bottom, a.pad_right, a.groups}) {
            w.i32(v);
        }
        w.u8(a.count_include_pad ? 1 : 0);
        w.u8(activation_code(a.activation));
        w.f32(a.alpha);
        w.f32(a.beta);
        w.f32(a.clip_min);
        w.f32(a.clip_max);
        w.i32(a.axis);
        w.count(a.perm.size(), what + " perm");
        for (int64_t p : a.perm) w.i64(p);
        w.string(n.schedule, what + " schedule");
        w.end_record(record);
    }
}

void write_graph(ByteWriter& w, const Graph& graph) {
    write_ids(w, graph.inputs, "graph inputs");
    write_ids(w, graph.outputs, "graph outputs");
    w.u8(requantization_code(graph.requantization));
}

void write_metadata(ByteWriter& w, const ModelMetadata& m) {
    w.count(m.mean.size(), "metadata mean");
    for (float v : m.mean) w.f32(v);
    w.count(m.std.size(), "metadata std");
    for (float v : m.std) w.f32(v);
    w.count(m.labels.size(), "metadata labels");
    for (size_t i = 0; i < m.labels.size(); ++i) w.string(m.labels[i], "label " + std::to_string(i));
    w.string(m.source, "metadata source");
}

// ---- reading ----

// Reads little-endian fields from bytes [pos, end) of the file and throws haqm::Error naming the
// file, the thing being read (`context`, e.g. "tensor 3 'conv1.weight'") and the field when a
// field does not fit.
class Cursor {
public:
    // `unit` names what ends at `end` in messages: "section" or "record".
    Cursor(const uint8_t* file, size_t begin, size_t end, const std::string& path, std::string context,
           const char* unit)
        : file_(file), pos_(begin), end_(end), path_(path), context_(std::move(context)), unit_(unit) {}

    size_t pos() const { return pos_; }
    size_t end() const { return end_; }
    size_t remaining() const { return end_ - pos_; }
    void set_context(std::string context) { context_ = std::move(context); }
    const std::string& context() const { return context_; }

    [[noreturn]] void fail(const std::string& what) const { throw Error(path_ + ": " + context_ + ": " + what); }

    uint8_t u8(const char* field) { return static_cast<uint8_t>(take(1, field)); }
    uint16_t u16(const char* field) { return static_cast<uint16_t>(take(2, field)); }
    uint32_t u32(const char* field) { return static_cast<uint32_t>(take(4, field)); }
    uint64_t u64(const char* field) { return take(8, field); }
    int32_t i32(const char* field) { return static_cast<int32_t>(u32(field)); }
    int64_t i64(const char* field) { return static_cast<int64_t>(u64(field)); }
    float f32(const char* field) {
        const uint32_t bits = u32(field);
        float v;
        std::memcpy(&v, &bits, 4);
        return v;
    }
    bool boolean(const char* field) {
        const uint8_t v = u8(field);
        if (v > 1) fail(std::string(field) + " is " + std::to_string(v) + ", not 0 or 1");
        return v == 1;
    }
    // An enum stored as one byte: a code in [0, count).
    // A code translated by `from_code`, which throws for codes it does not know.
    template <class FromCode>
    auto enum_code(const char* field, FromCode from_code) {
        const uint8_t v = u8(field);
        try {
            return from_code(v);
        } catch (const Error&) {
            fail("unknown " + std::string(field) + " code " + std::to_string(v));
        }
    }
    uint8_t code(const char* field, size_t count) {
        const uint8_t v = u8(field);
        if (v >= count) fail("unknown " + std::string(field) + " code " + std::to_string(v));
        return v;
    }
    // A u32 entry count, checked against the bytes left before anything is allocated for it.
    uint32_t count(const char* field, size_t min_bytes_per_entry) {
        const size_t at = pos_;
        const uint32_t n = u32(field);
        if (n > remaining() / min_bytes_per_entry) {
            fail(std::string(field) + " count " + std::to_string(n) + " at offset " + std::to_string(at) +
                 " needs at least " + std::to_string(uint64_t(n) * min_bytes_per_entry) + " bytes, " +
                 std::to_string(remaining()) + " remain");
        }
        return n;
    }
    std::string string(const char* field) {
        const size_t at = pos_;
        const uint32_t n = u32(field);
        if (n > kMaxStringBytes) {
            fail(std::string(field) + " at offset " + std::to_string(at) + " is " + std::to_string(n) +
                 " bytes, the limit is " + std::to_string(kMaxStringBytes));
        }
        need(n, field);
        std::string s(reinterpret_cast<const char*>(file_ + pos_), n);
        pos_ += n;
        return s;
    }
    std::vector<int32_t> ids(const char* field) {
        const uint32_t n = count(field, 4);
        std::vector<int32_t> v(n);
        for (auto& id : v) id = i32(field);
        return v;
    }
    std::vector<float> floats(const char* field) {
        const uint32_t n = count(field, 4);
        std::vector<float> v(n);
        for (auto& x : v) x = f32(field);
        return v;
    }
    // A record: a u32 body size, then the body, read through the returned cursor. Bytes of the
    // body that this reader does not know (fields a newer minor version appended) are skipped.
    Cursor record(const std::string& context) {
        const uint32_t n = u32("record size");
        need(n, "record");
        Cursor body(file_, pos_, pos_ + n, path_, context, "record");
        pos_ += n;
        return body;
    }

private:
    void need(size_t n, const char* field) const {
        if (n > remaining()) {
            fail(std::string(field) + " needs " + std::to_string(n) + " bytes at offset " + std::to_string(pos_) +
                 ", but its " + unit_ + " ends at " + std::to_string(end_));
        }
    }
    uint64_t take(int bytes, const char* field) {
        need(static_cast<size_t>(bytes), field);
        uint64_t v = 0;
        for (int i = 0; i < bytes; ++i) v |= uint64_t(file_[pos_ + i]) << (8 * i);
        pos_ += static_cast<size_t>(bytes);
        return v;
    }

    const uint8_t* file_;
    size_t pos_, end_;
    const std::string& path_;
    std::string context_;
    const char* unit_;
};

uint64_t read_le(const uint8_t* p, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint64_t(p[i]) << (8 * i);
    return v;
}

struct Section {
    uint32_t id = 0;
    uint32_t flags = 0;
    uint64_t offset = 0;
    uint64_t size = 0;
};

class ModelReader {
public:
    ModelReader(const uint8_t* file, size_t size, std::shared_ptr<const void> owner, const std::string& path)
        : file_(file), size_(size), owner_(std::move(owner)), path_(path) {}

    Graph read() {
        check_header();
        read_section_table();
        Graph graph;
        read_tensors(graph);
        read_nodes(graph);
        read_graph(graph);
        read_metadata(graph);
        try {
            validate(graph);
        } catch (const Error& e) {
            fail(std::string("invalid model: ") + e.what());
        }
        return graph;
    }

private:
    [[noreturn]] void fail(const std::string& what) const { throw Error(path_ + ": " + what); }

    void check_header() {
        if (size_ >= sizeof(kMagic) && std::memcmp(file_, kMagic, sizeof(kMagic)) != 0) {
            fail("not a haqm model (bad magic; expected the bytes \"HAQM\\r\\n\\x1a\\n\")");
        }
        if (size_ < kHeaderBytes) {
            fail("truncated: " + std::to_string(size_) + " bytes, shorter than the " + std::to_string(kHeaderBytes) +
                 "-byte header");
        }
        const auto major = static_cast<uint16_t>(read_le(file_ + 12, 2));
        const auto minor = static_cast<uint16_t>(read_le(file_ + 14, 2));
        const std::string version = std::to_string(major) + "." + std::to_string(minor);
        if (major > kMajorVersion) {
            fail("format version " + version + " is newer than this haqm reads (" + std::to_string(kMajorVersion) +
                 ".x); use a newer haqm");
        }
        if (major < kMajorVersion) {
            fail("format version " + version + " is not one this haqm reads (" + std::to_string(kMajorVersion) + ".x)");
        }
        // Minor versions only add (sections, record fields): any 1.x file is read, unknown parts skipped.
        const uint64_t declared_size = read_le(file_ + 16, 8);
        if (declared_size > size_) {
            fail("truncated: the header says " + std::to_string(declared_size) + " bytes, the file has " +
                 std::to_string(size_));
        }
        if (declared_size < size_) {
            fail("the header says " + std::to_string(declared_size) + " bytes, the file has " + std::to_string(size_) +
                 " (trailing bytes)");
        }
        const auto stored = static_cast<uint32_t>(read_le(file_ + kChecksumOffset, 4));
        const uint32_t actual = crc32(file_ + kChecksummedFrom, size_ - kChecksummedFrom);
        if (stored != actual) {
            fail("checksum mismatch (stored CRC-32 " + hex(stored) + ", computed " + hex(actual) +
                 "): the file is corrupt");
        }
    }

    static std::string hex(uint32_t v) {
        static const char digits[] = "0123456789abcdef";
        std::string s = "0x";
        for (int shift = 28; shift >= 0; shift -= 4) s += digits[(v >> shift) & 0xf];
        return s;
    }

    void read_section_table() {
        const uint64_t table_offset = read_le(file_ + 24, 4);
        const uint64_t section_count = read_le(file_ + 28, 4);
        if (table_offset < kHeaderBytes || table_offset > size_) {
            fail("section table offset " + std::to_string(table_offset) + " is outside the file of " +
                 std::to_string(size_) + " bytes");
        }
        if (section_count > (size_ - table_offset) / kSectionEntryBytes) {
            fail("truncated: " + std::to_string(section_count) + " section entries at offset " +
                 std::to_string(table_offset) + " need " + std::to_string(section_count * kSectionEntryBytes) +
                 " bytes, the file has " + std::to_string(size_ - table_offset) + " after it");
        }
        const uint64_t table_end = table_offset + section_count * kSectionEntryBytes;
        std::vector<Section> sections(section_count);
        for (size_t i = 0; i < sections.size(); ++i) {
            const uint8_t* e = file_ + table_offset + i * kSectionEntryBytes;
            Section& s = sections[i];
            s.id = static_cast<uint32_t>(read_le(e, 4));
            s.flags = static_cast<uint32_t>(read_le(e + 4, 4));
            s.offset = read_le(e + 8, 8);
            s.size = read_le(e + 16, 8);
            const std::string what = "section " + std::to_string(i) + " (" + section_name(s.id) + ", id " +
                                     std::to_string(s.id) + ")";
            if (s.offset < table_end || s.offset > size_ || s.size > size_ - s.offset) {
                fail("truncated: " + what + " needs " + std::to_string(s.size) + " bytes at offset " +
                     std::to_string(s.offset) + ", the file has " + std::to_string(size_) +
                     (s.offset < table_end ? " (and it overlaps the header or the section table)" : ""));
            }
            const bool known = std::find(std::begin(kKnownSections), std::end(kKnownSections), s.id) !=
                               std::end(kKnownSections);
            if (!known) {
                if (s.flags & kSectionRequiredFlag) {
                    fail(what + " is required but unknown to this haqm; use a newer haqm");
                }
                continue;
            }
            for (size_t j = 0; j < i; ++j) {
                if (sections[j].id == s.id) fail(what + " appears twice");
            }
            if (s.id == kConstantsSection && s.offset % kConstantAlignment != 0) {
                fail(what + " starts at offset " + std::to_string(s.offset) + ", not a multiple of " +
                     std::to_string(kConstantAlignment));
            }
            known_[index_of(s.id)] = s;
            present_[index_of(s.id)] = true;
        }
        std::sort(sections.begin(), sections.end(), [](const Section& a, const Section& b) { return a.offset < b.offset; });
        for (size_t i = 1; i < sections.size(); ++i) {
            if (sections[i].offset < sections[i - 1].offset + sections[i - 1].size) {
                fail("sections " + std::string(section_name(sections[i - 1].id)) + " and " +
                     section_name(sections[i].id) + " overlap at offset " + std::to_string(sections[i].offset));
            }
        }
        for (uint32_t id : kKnownSections) {
            if (!present_[index_of(id)]) fail(std::string("the ") + section_name(id) + " section is missing");
        }
    }

    static size_t index_of(uint32_t id) { return id - 1; }

    Cursor section_cursor(uint32_t id) const {
        const Section& s = known_[index_of(id)];
        return Cursor(file_, static_cast<size_t>(s.offset), static_cast<size_t>(s.offset + s.size), path_,
                      std::string(section_name(id)) + " section", "section");
    }

    void read_tensors(Graph& graph) {
        Cursor c = section_cursor(kTensorsSection);
        // An empty tensor record still has its size, name length, dtype, rank, quant counts, axis,
        // bits and constant flag.
        constexpr size_t kMinTensorRecord = 4 + 4 + 1 + 4 + 4 + 4 + 4 + 4 + 1;
        const uint32_t count = c.count("tensor", kMinTensorRecord);
        if (count > static_cast<uint32_t>(std::numeric_limits<int32_t>::max())) c.fail("too many tensors");
        const Section& constants = known_[index_of(kConstantsSection)];
        graph.tensors.reserve(count);
        for (uint32_t i = 0; i < count; ++i) {
            Cursor r = c.record("tensor " + std::to_string(i));
            TensorInfo t;
            t.name = r.string("name");
            r.set_context("tensor " + std::to_string(i) + " '" + t.name + "'");
            t.dtype = r.enum_code("dtype", dtype_from_file_code);
            const uint32_t rank = r.count("shape", 8);
            if (rank > kMaxRank) r.fail("rank " + std::to_string(rank) + " exceeds the limit of " + std::to_string(kMaxRank));
            int64_t elements = 1;
            for (uint32_t d = 0; d < rank; ++d) {
                const int64_t dim = r.i64("dimension");
                if (dim < 0 || dim > kMaxElements) {
                    r.fail("dimension " + std::to_string(d) + " is " + std::to_string(dim) + ", outside [0, 2^40]");
                }
                if (__builtin_mul_overflow(elements, dim, &elements) || elements > kMaxElements) {
                    r.fail("shape has more than 2^40 elements");
                }
                t.shape.push_back(dim);
            }
            const uint64_t bytes = dtype_storage_bytes(t.dtype, t.shape);
            if (bytes > std::numeric_limits<size_t>::max()) {
                r.fail("its " + std::to_string(elements) + " elements are too large for this platform");
            }
            t.quant.scales = r.floats("scales");
            t.quant.zero_points = r.ids("zero points");
            t.quant.axis = r.i32("quant axis");
            t.quant.bits = r.i32("quant bits");
            if (r.boolean("constant flag")) {
                const uint64_t offset = r.u64("constant offset");
                const uint64_t size = r.u64("constant size");
                const uint64_t file_offset = constants.offset + offset;
                if (offset % kConstantAlignment != 0) {
                    r.fail("constant offset " + std::to_string(offset) + " is not a multiple of " +
                           std::to_string(kConstantAlignment));
                }
                if (size != bytes) {
                    r.fail("constant holds " + std::to_string(size) + " bytes, its " + dtype_name(t.dtype) + " shape of " +
                           std::to_string(elements) + " elements needs " + std::to_string(bytes));
                }
                if (offset > constants.size || size > constants.size - offset) {
                    r.fail("truncated: needs " + std::to_string(size) + " bytes at offset " +
                           std::to_string(offset > constants.size ? offset : file_offset) +
                           (offset > constants.size ? " of the constants section" : "") +
                           ", the constants section ends at " + std::to_string(constants.offset + constants.size));
                }
                ConstantData data;
                data.owner = owner_;
                data.data = file_ + file_offset;
                data.size = static_cast<size_t>(size);
                t.constant = std::move(data);
            }
            graph.tensors.push_back(std::move(t));
        }
    }

    void check_id(const Cursor& c, int32_t id, size_t tensor_count, bool may_be_absent, const char* what) const {
        if (id == -1 && may_be_absent) return;
        if (id < 0 || static_cast<size_t>(id) >= tensor_count) {
            c.fail(std::string(what) + " refers to tensor " + std::to_string(id) + ", the model has " +
                   std::to_string(tensor_count));
        }
    }

    void read_nodes(Graph& graph) {
        Cursor c = section_cursor(kNodesSection);
        // size, name length, op, input and output counts, 11 window ints, 2 flag bytes, 4 floats,
        // axis, perm count, schedule length
        constexpr size_t kMinNodeRecord = 4 + 4 + 1 + 4 + 4 + 11 * 4 + 2 + 4 * 4 + 4 + 4 + 4;
        const uint32_t count = c.count("node", kMinNodeRecord);
        const size_t tensor_count = graph.tensors.size();
        graph.nodes.reserve(count);
        for (uint32_t i = 0; i < count; ++i) {
            Cursor r = c.record("node " + std::to_string(i));
            Node n;
            n.name = r.string("name");
            r.set_context("node " + std::to_string(i) + " '" + n.name + "'");
            n.op = r.enum_code("op", op_from_file_code);
            n.inputs = r.ids("inputs");
            for (int32_t id : n.inputs) check_id(r, id, tensor_count, true, "an input");
            n.outputs = r.ids("outputs");
            for (int32_t id : n.outputs) check_id(r, id, tensor_count, false, "an output");
            NodeAttributes& a = n.attrs;
            for (int* v : {&a.kernel_h, &a.kernel_w, &a.stride_h, &a.stride_w, &a.dilation_h, &a.dilation_w, &a.pad_top,
                           &a.pad_left, &a.pad_bottom, &a.pad_right, &a.groups}) {
                *v = r.i32("window attribute");
            }
            a.count_include_pad = r.boolean("count_include_pad");
            a.activation = kActivationByCode[r.code("activation", kActivationCount)];
            a.alpha = r.f32("alpha");
            a.beta = r.f32("beta");
            a.clip_min = r.f32("clip_min");
            a.clip_max = r.f32("clip_max");
            a.axis = r.i32("axis");
            const uint32_t perm = r.count("perm", 8);
            if (perm > kMaxRank) r.fail("perm has " + std::to_string(perm) + " axes, the limit is " + std::to_string(kMaxRank));
            for (uint32_t p = 0; p < perm; ++p) a.perm.push_back(r.i64("perm"));
            n.schedule = r.string("schedule");
            graph.nodes.push_back(std::move(n));
        }
    }

    void read_graph(Graph& graph) {
        Cursor c = section_cursor(kGraphSection);
        graph.inputs = c.ids("graph inputs");
        for (int32_t id : graph.inputs) check_id(c, id, graph.tensors.size(), false, "a graph input");
        graph.outputs = c.ids("graph outputs");
        for (int32_t id : graph.outputs) check_id(c, id, graph.tensors.size(), false, "a graph output");
        graph.requantization = kRequantizationByCode[c.code("requantization", 2)];
    }

    void read_metadata(Graph& graph) {
        Cursor c = section_cursor(kMetadataSection);
        ModelMetadata& m = graph.metadata;
        m.mean = c.floats("mean");
        m.std = c.floats("std");
        const uint32_t labels = c.count("labels", 4);
        m.labels.reserve(labels);
        for (uint32_t i = 0; i < labels; ++i) m.labels.push_back(c.string("label"));
        m.source = c.string("source");
    }

    const uint8_t* file_;
    size_t size_;
    std::shared_ptr<const void> owner_;
    const std::string& path_;
    std::array<Section, std::size(kKnownSections)> known_{};
    std::array<bool, std::size(kKnownSections)> present_{};
};

std::string errno_text() { return std::strerror(errno); }

// Closes a file descriptor on every path out of a scope.
struct FileDescriptor {
    int fd = -1;
    ~FileDescriptor() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

std::vector<uint8_t> serialize_model(const Graph& graph) {
    require_little_endian_host("model format");
    // A file that would not load is not written.
    validate(graph);

    ByteWriter w;
    constexpr uint32_t kSectionCount = std::size(kKnownSections);
    const size_t table_offset = kHeaderBytes;
    w.bytes().resize(table_offset + kSectionCount * kSectionEntryBytes, 0);

    std::array<Section, kSectionCount> sections{};
    std::vector<size_t> constant_offsets;
    size_t constants_bytes = 0;
    const auto section = [&](size_t index, uint32_t id, auto&& write_body) {
        sections[index].id = id;
        sections[index].flags = kSectionRequiredFlag;
        sections[index].offset = w.size();
        write_body();
        sections[index].size = w.size() - sections[index].offset;
        w.pad_to(8);  // not needed by the reader; keeps hex dumps readable
    };
    section(0, kTensorsSection, [&] { write_tensors(w, graph, constant_offsets, constants_bytes); });
    section(1, kNodesSection, [&] { write_nodes(w, graph); });
    section(2, kGraphSection, [&] { write_graph(w, graph); });
    section(3, kMetadataSection, [&] { write_metadata(w, graph.metadata); });
    w.pad_to(kConstantAlignment);
    const size_t constants_start = w.size();
    w.bytes().resize(constants_start + constants_bytes, 0);
    size_t k = 0;
    for (const TensorInfo& t : graph.tensors) {
        if (!t.constant) continue;
        if (t.constant->size > 0) std::memcpy(w.bytes().data() + constants_start + constant_offsets[k], t.constant->data, t.constant->size);
        ++k;
    }
    sections[4] = {kConstantsSection, kSectionRequiredFlag, constants_start, constants_bytes};

    for (size_t i = 0; i < kSectionCount; ++i) {
        const size_t e = table_offset + i * kSectionEntryBytes;
        w.patch_u32(e, sections[i].id);
        w.patch_u32(e + 4, sections[i].flags);
        w.patch_u64(e + 8, sections[i].offset);
        w.patch_u64(e + 16, sections[i].size);
    }
    std::vector<uint8_t>& out = w.bytes();
    std::memcpy(out.data(), kMagic, sizeof(kMagic));
    out[12] = static_cast<uint8_t>(kMajorVersion);
    out[13] = static_cast<uint8_t>(kMajorVersion >> 8);
    out[14] = static_cast<uint8_t>(kMinorVersion);
    out[15] = static_cast<uint8_t>(kMinorVersion >> 8);
    w.patch_u64(16, out.size());
    w.patch_u32(24, static_cast<uint32_t>(table_offset));
    w.patch_u32(28, kSectionCount);
    w.patch_u32(kChecksumOffset, crc32(out.data() + kChecksummedFrom, out.size() - kChecksummedFrom));
    return std::move(out);
}

void save_model(const Graph& graph, const std::string& path) {
    const std::vector<uint8_t> bytes = serialize_model(graph);
    // A unique name in the same directory, so the final rename is atomic and never crosses file
    // systems; O_EXCL never opens someone else's file.
    static std::atomic<unsigned> counter{0};
    std::string temp;
    FileDescriptor file;
    for (int attempt = 0; attempt < 100 && file.fd < 0; ++attempt) {
        temp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
        file.fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (file.fd < 0 && errno != EEXIST) break;
    }
    if (file.fd < 0) throw Error(path + ": cannot create a temporary file next to it: " + errno_text());
    const auto fail = [&](const std::string& what) {
        const std::string reason = errno_text();
        ::close(file.fd);
        file.fd = -1;
        ::unlink(temp.c_str());
        throw Error(path + ": " + what + ": " + reason);
    };
    size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t n = ::write(file.fd, bytes.data() + written, bytes.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail("cannot write");
        written += static_cast<size_t>(n);
    }
    // On disk before the rename, so a crash leaves the old file or the whole new one.
    if (::fsync(file.fd) != 0) fail("cannot flush");
    if (::close(file.fd) != 0) {
        file.fd = -1;
        const std::string reason = errno_text();
        ::unlink(temp.c_str());
        throw Error(path + ": cannot write: " + reason);
    }
    file.fd = -1;
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const std::string reason = errno_text();
        ::unlink(temp.c_str());
        throw Error(path + ": cannot replace it with the new file: " + reason);
    }
}

Graph load_model(const std::string& path) {
    require_little_endian_host(path);
    FileDescriptor file;
    file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (file.fd < 0) throw Error(path + ": cannot open: " + errno_text());
    struct stat info;
    if (::fstat(file.fd, &info) != 0) throw Error(path + ": cannot stat: " + errno_text());
    if (!S_ISREG(info.st_mode)) throw Error(path + ": not a regular file");
    if (info.st_size == 0) throw Error(path + ": truncated: the file is empty");
    if (static_cast<uint64_t>(info.st_size) > std::numeric_limits<size_t>::max()) {
        throw Error(path + ": " + std::to_string(info.st_size) + " bytes do not fit in this process's address space");
    }
    const auto size = static_cast<size_t>(info.st_size);
    // Private read-only mapping: the constants are used in place; pages load on first touch.
    void* mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, file.fd, 0);
    if (mapped == MAP_FAILED) throw Error(path + ": cannot map: " + errno_text());
    // The mapping lives as long as any constant of the graph (every ConstantData holds `owner`).
    std::shared_ptr<const void> owner(mapped, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
    return ModelReader(static_cast<const uint8_t*>(mapped), size, owner, path).read();
}

Graph load_model_bytes(const uint8_t* data, size_t size) {
    static const std::string kName = "model bytes";
    require_little_endian_host(kName);
    if (size == 0) throw Error(kName + ": truncated: no bytes");
    if (data == nullptr) throw Error(kName + ": data is null");
    // One 64-byte-aligned copy that the constants point into, as they point into a mapped file.
    // Exactly `size` bytes, so AddressSanitizer sees any read past the end.
    constexpr auto kAlignment = std::align_val_t(kConstantAlignment);
    auto* copy = static_cast<uint8_t*>(::operator new(size, kAlignment));
    std::shared_ptr<const void> owner(copy, [](const void* p) { ::operator delete(const_cast<void*>(p), kAlignment); });
    std::memcpy(copy, data, size);
    return ModelReader(copy, size, owner, kName).read();
}

}  // namespace haqm
