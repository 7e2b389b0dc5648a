// The .haqm format: round trips keep every field, a saved file is mapped in place, and every kind
// of damaged file is refused with a haqm::Error naming what is wrong (never a crash).
#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz/model_file_edit.h"
#include "haqm/model_format.h"
#include "test_support.h"

namespace haqm {
namespace {

namespace mf = haqm::model_file;
using testing::expect_error;

// ---- graphs ----

TensorInfo tensor(const std::string& name, DType dtype, Shape shape) {
    TensorInfo t;
    t.name = name;
    t.dtype = dtype;
    t.shape = std::move(shape);
    return t;
}

TensorQuant per_tensor(float scale, int32_t zero_point) {
    TensorQuant q;
    q.scales = {scale};
    q.zero_points = {zero_point};
    return q;
}

std::vector<float> ramp(size_t n, float start, float step) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = start + step * static_cast<float>(i);
    return v;
}

// The tiny float convolution: input [1,4,4,3], HWIO weights [3,3,3,8], bias [8], pads 1.
Graph float_conv_graph() {
    Graph g;
    const int32_t x = g.add_tensor(tensor("input", DType::float32, {1, 4, 4, 3}));
    TensorInfo w = tensor("conv1.weight", DType::float32, {3, 3, 3, 8});
    w.constant = ConstantData::from_vector(ramp(3 * 3 * 3 * 8, -1.0f, 0.01f));
    const int32_t wi = g.add_tensor(std::move(w));
    TensorInfo b = tensor("conv1.bias", DType::float32, {8});
    b.constant = ConstantData::from_vector(ramp(8, 0.5f, -0.125f));
    const int32_t bi = g.add_tensor(std::move(b));
    const int32_t y = g.add_tensor(tensor("conv1.out", DType::float32, {1, 4, 4, 8}));
    Node conv;
    conv.name = "conv1";
    conv.op = OpKind::conv;
    conv.inputs = {x, wi, bi};
    conv.outputs = {y};
    conv.attrs.pad_top = conv.attrs.pad_left = conv.attrs.pad_bottom = conv.attrs.pad_right = 1;
    conv.attrs.activation = Activation::relu;
    g.nodes.push_back(conv);
    g.inputs = {x};
    g.outputs = {y};
    return g;
}

// quantize -> int8 conv (per-channel 4-bit weights, int32 bias, fused clip) -> dequantize ->
// average pool -> transpose, with metadata: every field of the format carries a non-default value
// somewhere.
Graph quantized_graph() {
    Graph g;
    const int32_t x = g.add_tensor(tensor("input", DType::float32, {1, 4, 4, 3}));
    TensorInfo xq = tensor("input.q", DType::uint8, {1, 4, 4, 3});
    xq.quant = per_tensor(0.02f, 128);
    const int32_t xqi = g.add_tensor(std::move(xq));

    TensorInfo w = tensor("conv.weight", DType::int8, {3, 3, 3, 8});
    std::vector<int8_t> weights(3 * 3 * 3 * 8);
    for (size_t i = 0; i < weights.size(); ++i) weights[i] = static_cast<int8_t>(static_cast<int>(i % 16) - 8);
    w.constant = ConstantData::from_vector(weights);
    w.quant.scales = ramp(8, 0.001f, 0.0005f);
    w.quant.zero_points.assign(8, 0);
    w.quant.axis = 3;
    w.quant.bits = 4;
    const int32_t wi = g.add_tensor(std::move(w));

    TensorInfo b = tensor("conv.bias", DType::int32, {8});
    b.constant = ConstantData::from_vector(std::vector<int32_t>{-100000, 7, 0, 1, -1, 2147483647, -2147483647 - 1, 42});
    b.quant.scales = ramp(8, 2e-5f, 1e-5f);
    b.quant.zero_points.assign(8, 0);
    b.quant.bits = 32;
    const int32_t bi = g.add_tensor(std::move(b));

    TensorInfo yq = tensor("conv.out.q", DType::uint8, {1, 4, 4, 8});
    yq.quant = per_tensor(0.1f, 5);
    const int32_t yqi = g.add_tensor(std::move(yq));
    const int32_t yf = g.add_tensor(tensor("conv.out", DType::float32, {1, 4, 4, 8}));
    const int32_t pooled = g.add_tensor(tensor("pool.out", DType::float32, {1, 2, 2, 8}));
    const int32_t out = g.add_tensor(tensor("output", DType::float32, {1, 8, 2, 2}));

    Node quantize;
    quantize.name = "quantize_input";
    quantize.op = OpKind::quantize;
    quantize.inputs = {x};
    quantize.outputs = {xqi};
    g.nodes.push_back(quantize);

    Node conv;
    conv.name = "conv";
    conv.op = OpKind::conv;
    conv.inputs = {xqi, wi, bi};
    conv.outputs = {yqi};
    conv.attrs.pad_top = 1;
    conv.attrs.pad_left = 1;
    conv.attrs.pad_bottom = 1;
    conv.attrs.pad_right = 1;
    conv.attrs.activation = Activation::clip;
    conv.attrs.clip_min = 0.0f;
    conv.attrs.clip_max = 6.0f;
    conv.attrs.alpha = 0.1f;  // not used by clip; stored anyway
    conv.attrs.beta = -0.3f;
    conv.schedule = "tiled_vec";
    g.nodes.push_back(conv);

    Node dequantize;
    dequantize.name = "dequantize";
    dequantize.op = OpKind::dequantize;
    dequantize.inputs = {yqi};
    dequantize.outputs = {yf};
    g.nodes.push_back(dequantize);

    Node pool;
    pool.name = "pool";
    pool.op = OpKind::average_pool;
    pool.inputs = {yf};
    pool.outputs = {pooled};
    pool.attrs.kernel_h = 2;
    pool.attrs.kernel_w = 3;
    pool.attrs.stride_h = 2;
    pool.attrs.stride_w = 2;
    pool.attrs.pad_right = 1;
    pool.attrs.count_include_pad = true;
    pool.attrs.axis = -7;  // unused by pooling, stored anyway
    g.nodes.push_back(pool);

    Node transpose;
    transpose.name = "to_nchw";
    transpose.op = OpKind::transpose;
    transpose.inputs = {pooled};
    transpose.outputs = {out};
    transpose.attrs.perm = {0, 3, 1, 2};
    g.nodes.push_back(transpose);

    g.inputs = {x};
    g.outputs = {out, yqi};
    g.requantization = Requantization::fixed;
    g.metadata.mean = {0.485f, 0.456f, 0.406f};
    g.metadata.std = {0.229f, 0.224f, 0.225f};
    g.metadata.labels = {"T-shirt/top", "", "Ankle boot", "caf\xc3\xa9"};
    g.metadata.source = "models/tiny.onnx";
    return g;
}

// ---- comparing graphs field by field (floats by bit pattern: -0, NaN and infinities count) ----

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void expect_same_floats(const std::vector<float>& a, const std::vector<float>& b, const std::string& what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(same_bits(a[i], b[i])) << what << "[" << i << "]: " << a[i] << " vs " << b[i];
}

void expect_same_graph(const Graph& a, const Graph& b) {
    ASSERT_EQ(a.tensors.size(), b.tensors.size());
    for (size_t i = 0; i < a.tensors.size(); ++i) {
        const TensorInfo& x = a.tensors[i];
        const TensorInfo& y = b.tensors[i];
        SCOPED_TRACE("tensor " + std::to_string(i) + " '" + x.name + "'");
        EXPECT_EQ(x.name, y.name);
        EXPECT_EQ(x.dtype, y.dtype);
        EXPECT_EQ(x.shape, y.shape);
        expect_same_floats(x.quant.scales, y.quant.scales, "scales");
        EXPECT_EQ(x.quant.zero_points, y.quant.zero_points);
        EXPECT_EQ(x.quant.axis, y.quant.axis);
        EXPECT_EQ(x.quant.bits, y.quant.bits);
        ASSERT_EQ(x.constant.has_value(), y.constant.has_value());
        if (x.constant) {
            ASSERT_EQ(x.constant->size, y.constant->size);
            EXPECT_EQ(0, std::memcmp(x.constant->data, y.constant->data, x.constant->size));
        }
    }
    ASSERT_EQ(a.nodes.size(), b.nodes.size());
    for (size_t i = 0; i < a.nodes.size(); ++i) {
        const Node& x = a.nodes[i];
        const Node& y = b.nodes[i];
        SCOPED_TRACE("node " + std::to_string(i) + " '" + x.name + "'");
        EXPECT_EQ(x.name, y.name);
        EXPECT_EQ(x.op, y.op);
        EXPECT_EQ(x.inputs, y.inputs);
        EXPECT_EQ(x.outputs, y.outputs);
        EXPECT_EQ(x.schedule, y.schedule);
        const NodeAttributes& p = x.attrs;
        const NodeAttributes& q = y.attrs;
        EXPECT_EQ(p.kernel_h, q.kernel_h);
        EXPECT_EQ(p.kernel_w, q.kernel_w);
        EXPECT_EQ(p.stride_h, q.stride_h);
        EXPECT_EQ(p.stride_w, q.stride_w);
        EXPECT_EQ(p.dilation_h, q.dilation_h);
        EXPECT_EQ(p.dilation_w, q.dilation_w);
        EXPECT_EQ(p.pad_top, q.pad_top);
        EXPECT_EQ(p.pad_left, q.pad_left);
        EXPECT_EQ(p.pad_bottom, q.pad_bottom);
        EXPECT_EQ(p.pad_right, q.pad_right);
        EXPECT_EQ(p.groups, q.groups);
        EXPECT_EQ(p.count_include_pad, q.count_include_pad);
        EXPECT_EQ(p.activation, q.activation);
        EXPECT_TRUE(same_bits(p.alpha, q.alpha));
        EXPECT_TRUE(same_bits(p.beta, q.beta));
        EXPECT_TRUE(same_bits(p.clip_min, q.clip_min));
        EXPECT_TRUE(same_bits(p.clip_max, q.clip_max));
        EXPECT_EQ(p.axis, q.axis);
        EXPECT_EQ(p.perm, q.perm);
    }
    EXPECT_EQ(a.inputs, b.inputs);
    EXPECT_EQ(a.outputs, b.outputs);
    EXPECT_EQ(a.requantization, b.requantization);
    expect_same_floats(a.metadata.mean, b.metadata.mean, "mean");
    expect_same_floats(a.metadata.std, b.metadata.std, "std");
    EXPECT_EQ(a.metadata.labels, b.metadata.labels);
    EXPECT_EQ(a.metadata.source, b.metadata.source);
}

// ---- finding fields in the bytes, following docs/model-format.md ----

struct TensorFields {
    size_t record = 0;  // the record's size field
    size_t name = 0, dtype = 0, rank = 0, first_dim = 0, scale_count = 0, constant_flag = 0, constant_offset = 0,
           constant_size = 0;
};

TensorFields tensor_fields(const std::vector<uint8_t>& b, size_t index) {
    size_t at = mf::find_section(b, mf::kTensors).offset + 4;
    for (size_t i = 0; i < index; ++i) at += 4 + mf::get(b, at, 4);
    TensorFields f;
    f.record = at;
    f.name = at + 4;
    at = f.name + 4 + mf::get(b, f.name, 4);
    f.dtype = at++;
    f.rank = at;
    f.first_dim = at + 4;
    at += 4 + 8 * mf::get(b, at, 4);
    f.scale_count = at;
    at += 4 + 4 * mf::get(b, at, 4);
    at += 4 + 4 * mf::get(b, at, 4);  // zero points
    at += 8;                           // axis, bits
    f.constant_flag = at++;
    f.constant_offset = at;
    f.constant_size = at + 8;
    return f;
}

struct NodeFields {
    size_t op = 0, first_input = 0, activation = 0, count_include_pad = 0, perm_count = 0;
};

NodeFields node_fields(const std::vector<uint8_t>& b, size_t index) {
    size_t at = mf::find_section(b, mf::kNodes).offset + 4;
    for (size_t i = 0; i < index; ++i) at += 4 + mf::get(b, at, 4);
    NodeFields f;
    at += 4;                                // record size
    at += 4 + mf::get(b, at, 4);            // name
    f.op = at++;
    f.first_input = at + 4;
    at += 4 + 4 * mf::get(b, at, 4);  // inputs
    at += 4 + 4 * mf::get(b, at, 4);  // outputs
    at += 11 * 4;
    f.count_include_pad = at++;
    f.activation = at++;
    at += 4 * 4 + 4;  // alpha, beta, clip_min, clip_max, axis
    f.perm_count = at;
    return f;
}

Graph load(const std::vector<uint8_t>& bytes) { return load_model_bytes(bytes.data(), bytes.size()); }

// Applies `edit` to a fresh copy of the quantized graph's file, reseals it so the checksum holds,
// and expects the loader to refuse it with a message containing `fragment`.
template <class Edit>
void expect_corrupt(Edit&& edit, const std::string& fragment, bool reseal = true) {
    std::vector<uint8_t> bytes = serialize_model(quantized_graph());
    edit(bytes);
    if (reseal) mf::reseal(bytes);
    expect_error([&] { load(bytes); }, fragment);
}

// A scratch directory removed with its files at the end of the test.
class TempDir {
public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string pattern = std::string(base && *base ? base : "/tmp") + "/haqm_model_format_XXXXXX";
        std::vector<char> buffer(pattern.begin(), pattern.end());
        buffer.push_back('\0');
        if (!::mkdtemp(buffer.data())) throw std::runtime_error("mkdtemp failed");
        path_ = buffer.data();
    }
    ~TempDir() {
        for (const std::string& f : files()) std::remove((path_ + "/" + f).c_str());
        ::rmdir(path_.c_str());
    }
    const std::string& path() const { return path_; }
    std::vector<std::string> files() const {
        std::vector<std::string> names;
        // readdir64: a 32-bit build (armhf) without large-file support fails plain readdir with
        // EOVERFLOW on file systems with 64-bit inode numbers.
        if (DIR* d = ::opendir(path_.c_str())) {
            while (dirent64* e = ::readdir64(d)) {
                const std::string n = e->d_name;
                if (n != "." && n != "..") names.push_back(n);
            }
            ::closedir(d);
        }
        return names;
    }

private:
    std::string path_;
};

std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Whether `p` lies in a mapping of the file `path` (from /proc/self/maps).
bool address_maps_file(const void* p, const std::string& path) {
    char resolved[PATH_MAX];
    if (!::realpath(path.c_str(), resolved)) return false;
    std::ifstream maps("/proc/self/maps");
    std::string line;
    const auto address = reinterpret_cast<uintptr_t>(p);
    while (std::getline(maps, line)) {
        std::istringstream fields(line);
        std::string range, perms, offset, device, inode, name;
        fields >> range >> perms >> offset >> device >> inode >> name;
        const size_t dash = range.find('-');
        const uintptr_t lo = std::stoull(range.substr(0, dash), nullptr, 16);
        const uintptr_t hi = std::stoull(range.substr(dash + 1), nullptr, 16);
        if (address >= lo && address < hi) return name == resolved;
    }
    return false;
}

// ---- round trips ----

TEST(ModelFormat, RoundTripFloatConv) {
    const Graph g = float_conv_graph();
    const std::vector<uint8_t> bytes = serialize_model(g);
    expect_same_graph(g, load(bytes));
}

TEST(ModelFormat, RoundTripQuantizedGraphWithMetadata) {
    const Graph g = quantized_graph();
    const std::vector<uint8_t> bytes = serialize_model(g);
    const Graph back = load(bytes);
    expect_same_graph(g, back);
    // Serializing the loaded graph gives the same bytes: the format holds nothing the graph lacks.
    EXPECT_EQ(serialize_model(back), bytes);
}

TEST(ModelFormat, SpecialFloatsAndEmptyMetadataRoundTrip) {
    Graph g = float_conv_graph();
    g.nodes[0].attrs.activation = Activation::clip;
    g.nodes[0].attrs.clip_min = -std::numeric_limits<float>::infinity();
    g.nodes[0].attrs.clip_max = std::numeric_limits<float>::max();
    g.nodes[0].attrs.alpha = -0.0f;
    g.nodes[0].attrs.beta = std::numeric_limits<float>::denorm_min();
    g.metadata.mean.clear();
    g.metadata.std = {1e-30f};
    expect_same_graph(g, load(serialize_model(g)));
}

TEST(ModelFormat, HeaderMatchesTheDocumentedLayout) {
    const std::vector<uint8_t> bytes = serialize_model(quantized_graph());
    const uint8_t magic[8] = {'H', 'A', 'Q', 'M', '\r', '\n', 0x1a, '\n'};
    ASSERT_GE(bytes.size(), mf::kHeaderBytes);
    EXPECT_EQ(0, std::memcmp(bytes.data(), magic, 8));
    EXPECT_EQ(mf::get(bytes, mf::kMajorVersionOffset, 2), kModelFormatVersion);
    EXPECT_EQ(mf::get(bytes, mf::kMajorVersionOffset + 2, 2), 0u);
    EXPECT_EQ(mf::get(bytes, mf::kFileSizeOffset, 8), bytes.size());
    // The stored CRC-32 is zlib's over every byte after the checksum field.
    std::vector<uint8_t> resealed = bytes;
    mf::reseal(resealed);
    EXPECT_EQ(resealed, bytes);
    // Every constant starts on a 64-byte boundary of the file.
    const mf::SectionEntry constants = mf::find_section(bytes, mf::kConstants);
    EXPECT_EQ(constants.offset % 64, 0u);
    for (size_t i : {2, 3}) {
        const TensorFields f = tensor_fields(bytes, i);
        ASSERT_EQ(bytes[f.constant_flag], 1);
        EXPECT_EQ((constants.offset + mf::get(bytes, f.constant_offset, 8)) % 64, 0u) << "tensor " << i;
    }
}

TEST(ModelFormat, LoadedBytesAreCopiedAndAligned) {
    std::vector<uint8_t> bytes = serialize_model(float_conv_graph());
    const Graph g = load(bytes);
    std::fill(bytes.begin(), bytes.end(), 0);  // the graph keeps its own copy
    const Span<const float> w = g.tensors[1].constant->as<float>();
    EXPECT_EQ(reinterpret_cast<uintptr_t>(w.data()) % 64, 0u);
    EXPECT_FLOAT_EQ(w.data()[0], -1.0f);
    EXPECT_FLOAT_EQ(w.data()[215], -1.0f + 0.01f * 215);
}

// ---- files ----

TEST(ModelFormat, SaveAndLoadMapsTheFile) {
    TempDir dir;
    const std::string path = dir.path() + "/tiny.haqm";
    const Graph g = quantized_graph();
    save_model(g, path);
    EXPECT_EQ(read_file(path), serialize_model(g));
    EXPECT_EQ(dir.files(), std::vector<std::string>{"tiny.haqm"});  // no temporary file left

    Graph loaded = load_model(path);
    expect_same_graph(g, loaded);
    for (const TensorInfo& t : loaded.tensors) {
        if (!t.constant) continue;
        SCOPED_TRACE(t.name);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(t.constant->data) % 64, 0u);
        EXPECT_TRUE(address_maps_file(t.constant->data, path)) << "constant is not in a mapping of " << path;
    }
    // The mapping outlives the file's name and any copy of the graph.
    ConstantData bias = *loaded.tensors[3].constant;
    ASSERT_EQ(std::remove(path.c_str()), 0);
    loaded = Graph();
    EXPECT_EQ(bias.as<int32_t>().data()[5], 2147483647);
}

TEST(ModelFormat, SaveReplacesAnExistingFileWhole) {
    TempDir dir;
    const std::string path = dir.path() + "/model.haqm";
    save_model(float_conv_graph(), path);
    save_model(quantized_graph(), path);
    expect_same_graph(quantized_graph(), load_model(path));
    EXPECT_EQ(dir.files().size(), 1u);
}

TEST(ModelFormat, FailedSaveLeavesNothingBehind) {
    TempDir dir;
    const std::string path = dir.path() + "/model.haqm";
    save_model(float_conv_graph(), path);
    const std::vector<uint8_t> before = read_file(path);

    Graph bad = float_conv_graph();
    bad.nodes[0].inputs[0] = 42;  // refused before anything is written
    EXPECT_THROW(save_model(bad, path), Error);
    EXPECT_EQ(read_file(path), before);
    EXPECT_EQ(dir.files(), std::vector<std::string>{"model.haqm"});

    expect_error([&] { save_model(float_conv_graph(), dir.path() + "/no/such/dir/m.haqm"); }, "/no/such/dir/m.haqm");
    EXPECT_EQ(dir.files(), std::vector<std::string>{"model.haqm"});
}

TEST(ModelFormat, LoadErrorsNameThePath) {
    TempDir dir;
    expect_error([&] { load_model(dir.path() + "/missing.haqm"); }, "missing.haqm: cannot open");
    expect_error([&] { load_model(dir.path()); }, "not a regular file");
    const std::string empty = dir.path() + "/empty.haqm";
    std::ofstream(empty).close();
    expect_error([&] { load_model(empty); }, "empty.haqm: truncated");
    const std::string text = dir.path() + "/text.haqm";
    std::ofstream(text) << "this is not a model but it is long enough for a header\n";
    expect_error([&] { load_model(text); }, "text.haqm: not a haqm model (bad magic");
}

TEST(ModelFormat, SerializeRefusesAnInvalidGraph) {
    Graph g = float_conv_graph();
    g.tensors[3].shape = {1, 4, 4, 9};
    EXPECT_THROW(serialize_model(g), Error);
}

// ---- damaged files ----

TEST(ModelFormatCorrupt, BadMagic) {
    expect_corrupt([](std::vector<uint8_t>& b) { b[0] = 'X'; }, "model bytes: not a haqm model (bad magic", false);
    // A text-mode transfer that turned CR LF into LF.
    expect_corrupt([](std::vector<uint8_t>& b) { b.erase(b.begin() + 4); }, "bad magic", false);
}

TEST(ModelFormatCorrupt, NewerMajorVersionIsRefused) {
    expect_corrupt([](std::vector<uint8_t>& b) { mf::put(b, mf::kMajorVersionOffset, kModelFormatVersion + 1, 2); },
                   "format version 2.0 is newer than this haqm reads (1.x)");
    expect_corrupt([](std::vector<uint8_t>& b) { mf::put(b, mf::kMajorVersionOffset, 0, 2); }, "format version 0.0");
}

TEST(ModelFormatCorrupt, NewerMinorVersionIsRead) {
    std::vector<uint8_t> bytes = serialize_model(quantized_graph());
    mf::put(bytes, mf::kMajorVersionOffset + 2, 7, 2);
    mf::reseal(bytes);
    expect_same_graph(quantized_graph(), load(bytes));
}

// Inserts a section table entry (and 64 bytes, so constants stay aligned), with `body` at the end.
std::vector<uint8_t> with_extra_section(std::vector<uint8_t> b, uint32_t id, uint32_t flags,
                                        const std::vector<uint8_t>& body) {
    const size_t table = mf::get(b, mf::kSectionTableOffsetField, 4);
    const size_t count = mf::get(b, mf::kSectionCountOffset, 4);
    const size_t table_end = table + count * mf::kSectionEntryBytes;
    for (size_t i = 0; i < count; ++i) {
        const size_t e = table + i * mf::kSectionEntryBytes;
        mf::put(b, e + 8, mf::get(b, e + 8, 8) + 64, 8);
    }
    std::vector<uint8_t> entry(64, 0);
    b.insert(b.begin() + static_cast<std::ptrdiff_t>(table_end), entry.begin(), entry.end());
    mf::put(b, table_end, id, 4);
    mf::put(b, table_end + 4, flags, 4);
    mf::put(b, table_end + 8, b.size(), 8);
    mf::put(b, table_end + 16, body.size(), 8);
    b.insert(b.end(), body.begin(), body.end());
    mf::put(b, mf::kSectionCountOffset, count + 1, 4);
    mf::reseal(b);
    return b;
}

TEST(ModelFormatCorrupt, UnknownSectionsSkippedUnlessRequired) {
    const std::vector<uint8_t> bytes = serialize_model(quantized_graph());
    const std::vector<uint8_t> body = {1, 2, 3, 4, 5};
    expect_same_graph(quantized_graph(), load(with_extra_section(bytes, 77, 0, body)));
    expect_error([&] { load(with_extra_section(bytes, 77, 1, body)); }, "required but unknown");
    expect_error([&] { load(with_extra_section(bytes, mf::kNodes, 1, body)); }, "appears twice");
}

TEST(ModelFormatCorrupt, ChecksumMismatch) {
    expect_corrupt(
        [](std::vector<uint8_t>& b) { b[mf::find_section(b, mf::kMetadata).offset + 20] ^= 0x40; },
        "checksum mismatch", false);
    expect_corrupt([](std::vector<uint8_t>& b) { b.back() ^= 1; }, "checksum mismatch", false);
}

TEST(ModelFormatCorrupt, EveryPrefixIsRefused) {
    const std::vector<uint8_t> bytes = serialize_model(quantized_graph());
    for (size_t n = 0; n < bytes.size(); ++n) {
        std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
        EXPECT_THROW(load(prefix), Error) << n << " bytes";
        // With size and checksum made consistent, the section and record bounds must catch it.
        mf::reseal(prefix);
        EXPECT_THROW(load(prefix), Error) << n << " bytes, resealed";
    }
    expect_corrupt([](std::vector<uint8_t>& b) { b.resize(b.size() - 1); }, "truncated: the header says", false);
    expect_corrupt([](std::vector<uint8_t>& b) { b.push_back(0); }, "trailing bytes", false);
}

TEST(ModelFormatCorrupt, SectionOutsideTheFile) {
    expect_corrupt(
        [](std::vector<uint8_t>& b) {
            const mf::SectionEntry s = mf::find_section(b, mf::kConstants);
            mf::put(b, s.entry_offset + 16, s.size + 64, 8);
        },
        "truncated: section 4 (constants, id 5) needs");
    expect_corrupt(
        [](std::vector<uint8_t>& b) { mf::put(b, mf::find_section(b, mf::kTensors).entry_offset + 8, 8, 8); },
        "overlaps the header");
    expect_corrupt(
        [](std::vector<uint8_t>& b) {
            const mf::SectionEntry nodes = mf::find_section(b, mf::kNodes);
            mf::put(b, nodes.entry_offset + 8, nodes.offset - 8, 8);
        },
        "overlap");
    expect_corrupt(
        [](std::vector<uint8_t>& b) {
            const size_t entry = mf::find_section(b, mf::kGraph).entry_offset;
            mf::put(b, entry, 99, 4);     // an unknown id ...
            mf::put(b, entry + 4, 0, 4);  // ... that may be skipped
        },
        "the graph section is missing");
}

TEST(ModelFormatCorrupt, OutOfRangeTensorIds) {
    expect_corrupt([](std::vector<uint8_t>& b) { mf::put(b, node_fields(b, 1).first_input, 99, 4); },
                   "node 1 'conv': an input refers to tensor 99, the model has 8");
    expect_corrupt([](std::vector<uint8_t>& b) { mf::put(b, node_fields(b, 1).first_input, uint32_t(-2), 4); },
                   "refers to tensor -2");
    expect_corrupt(
        [](std::vector<uint8_t>& b) {
            mf::put(b, mf::find_section(b, mf::kGraph).offset + 4, 8, 4);  // the first graph input
        },
        "a graph input refers to tensor 8");
    // -1 (absent) is only allowed for optional inputs: validate() refuses it for the data input.
    expect_corrupt([](std::vector<uint8_t>& b) { mf::put(b, node_fields(b, 1).first_input, uint32_t(-1), 4); },
                   "invalid model");
}

TEST(ModelFormatCorrupt, BadEnums) {
    expect_corrupt([](std::vector<uint8_t>& b) { b[tensor_fields(b, 2).dtype] = 200; },
                   "tensor 2 'conv.weight': unknown dtype code 200");
    expect_corrupt([](std::vector<uint8_t>& b) { b[node_fields(b, 1).op] = 200; }, "node 1 'conv': unknown op code 200");
    expect_corrupt([](std::vector<uint8_t>& b) { b[node_fields(b, 1).activation] = 7; }, "unknown activation code 7");
    expect_corrupt([](std::vector<uint8_t>& b) { b[node_fields(b, 3).count_include_pad] = 2; },
                   "count_include_pad is 2, not 0 or 1");
    expect_corrupt([](std::vector<uint8_t>& b) { b[tensor_fields(b, 0).constant_flag] = 3; }, "constant flag is 3");
    expect_corrupt(
        [](std::vector<uint8_t>& b) {
            const mf::SectionEntry g = mf::find_section(b, mf::kGraph);
            b[g.offset + g.size - 1] = 2;  // requantization is the graph section's last byte
        },
        "unknown requantization code 2");
}

TEST(ModelFormatCorrupt, HugeCountsAreRefusedBeforeAllocating) {
    expect_corrupt([](std::vector<uint8_t>& b) { mf::put(b, mf::find_section(b, mf::kTensors).offset, 0xFFFFFFFF, 4); },
                   "tensor count 4294967295");
    expect_corrupt([](std::vector<uint8_t>& b) { mf::put(b, mf::find_section(b, mf::kNodes).offset, 0x10000000, 4); },
                   "node count 268435456");
    expect_corrupt([](std::vector<uint8_t>& b) { mf::put(b, tensor_fields(b, 2).scale_count, 0x7FFFFFFF, 4); },
                   "scales count 2147483647");
    expect_corrupt([](std::vector<uint8_t>& b) { mf::put(b, tensor_fields(b, 2).rank, 0xFFFFFFF0, 4); }, "shape count");
    expect_corrupt([](std::vector<uint8_t>& b) { mf::put(b, tensor_fields(b, 2).rank, 9, 4); }, "rank 9 exceeds");
    expect_corrupt([](std::vector<uint8_t>& b) { mf::put(b, node_fields(b, 4).perm_count, 1000, 4); }, "perm count 1000");
    expect_corrupt([](std::vector<uint8_t>& b) { mf::put(b, tensor_fields(b, 1).name, 0xFFFFFF, 4); },
                   "name at offset");
    expect_corrupt([](std::vector<uint8_t>& b) { mf::put(b, tensor_fields(b, 1).record, 0xFFFFFFFF, 4); },
                   "record needs 4294967295 bytes");
    expect_corrupt([](std::vector<uint8_t>& b) { mf::put(b, mf::kSectionCountOffset, 0xFFFFFFFF, 4); },
                   "truncated: 4294967295 section entries");
    expect_corrupt([](std::vector<uint8_t>& b) { mf::put(b, mf::find_section(b, mf::kMetadata).offset, 0xFFFFFFFF, 4); },
                   "mean count 4294967295");
}

TEST(ModelFormatCorrupt, ShapeOverflow) {
    // [2^32, 2^32, 3, 8]: each dimension is allowed, the product is not.
    expect_corrupt(
        [](std::vector<uint8_t>& b) {
            const TensorFields f = tensor_fields(b, 2);
            mf::put(b, f.first_dim, uint64_t(1) << 32, 8);
            mf::put(b, f.first_dim + 8, uint64_t(1) << 32, 8);
        },
        "more than 2^40 elements");
    expect_corrupt([](std::vector<uint8_t>& b) { mf::put(b, tensor_fields(b, 0).first_dim, uint64_t(-1), 8); },
                   "dimension 0 is -1");
    expect_corrupt([](std::vector<uint8_t>& b) { mf::put(b, tensor_fields(b, 0).first_dim, uint64_t(1) << 62, 8); },
                   "outside [0, 2^40]");
}

TEST(ModelFormatCorrupt, MisalignedConstant) {
    expect_corrupt(
        [](std::vector<uint8_t>& b) {
            const TensorFields f = tensor_fields(b, 3);
            mf::put(b, f.constant_offset, mf::get(b, f.constant_offset, 8) + 4, 8);
        },
        "tensor 3 'conv.bias': constant offset 260 is not a multiple of 64");
    expect_corrupt(
        [](std::vector<uint8_t>& b) {
            // The constants section itself 8 bytes early.
            const mf::SectionEntry c = mf::find_section(b, mf::kConstants);
            mf::put(b, c.entry_offset + 8, c.offset - 8, 8);
        },
        "not a multiple of 64");
}

TEST(ModelFormatCorrupt, WrongConstantSize) {
    expect_corrupt(
        [](std::vector<uint8_t>& b) {
            const TensorFields f = tensor_fields(b, 2);
            mf::put(b, f.constant_size, mf::get(b, f.constant_size, 8) - 1, 8);
        },
        "tensor 2 'conv.weight': constant holds 215 bytes, its int8 shape of 216 elements needs 216");
    // A changed shape no longer matches the stored bytes.
    expect_corrupt([](std::vector<uint8_t>& b) { mf::put(b, tensor_fields(b, 2).first_dim + 8 * 3, 4, 8); },
                   "constant holds 216 bytes, its int8 shape of 108 elements needs 108");
    expect_corrupt([](std::vector<uint8_t>& b) { mf::put(b, tensor_fields(b, 3).first_dim, 9, 8); },
                   "constant holds 32 bytes, its int32 shape of 9 elements needs 36");
}

TEST(ModelFormatCorrupt, ConstantOutsideItsSection) {
    expect_corrupt(
        [](std::vector<uint8_t>& b) { mf::put(b, tensor_fields(b, 3).constant_offset, uint64_t(64) << 40, 8); },
        "tensor 3 'conv.bias': truncated: needs 32 bytes at offset 70368744177664 of the constants section");
    expect_corrupt(
        [](std::vector<uint8_t>& b) {
            const TensorFields f = tensor_fields(b, 3);
            const mf::SectionEntry c = mf::find_section(b, mf::kConstants);
            mf::put(b, f.constant_offset, (c.size + 63) / 64 * 64, 8);
        },
        "constants section ends at");
}

TEST(ModelFormatCorrupt, InvalidGraphIsRefusedByValidate) {
    // The output shape of the conv no longer follows from its inputs: a structural check passes,
    // validate() does not.
    expect_corrupt([](std::vector<uint8_t>& b) { mf::put(b, tensor_fields(b, 4).first_dim + 8, 3, 8); },
                   "model bytes: invalid model: graph: node 'conv'");
}

// A deterministic miniature fuzz run, on every target: each byte flipped in turn, with the
// checksum made to match, must load or throw haqm::Error, and never crash.
TEST(ModelFormatCorrupt, EveryByteFlippedLoadsOrThrows) {
    const std::vector<uint8_t> bytes = serialize_model(quantized_graph());
    size_t refused = 0;
    for (size_t i = 0; i < bytes.size(); ++i) {
        for (uint8_t mask : {uint8_t(0x01), uint8_t(0x80), uint8_t(0xFF)}) {
            std::vector<uint8_t> damaged = bytes;
            damaged[i] ^= mask;
            mf::reseal(damaged);
            try {
                load(damaged);
            } catch (const Error&) {
                ++refused;
            }
        }
    }
    EXPECT_GT(refused, 0u);
}

}  // namespace
}  // namespace haqm
