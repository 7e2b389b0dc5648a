// pool_q8, add_q8 and lut_q8 on every schedule x ISA against the reference oracle (1x1 images,
// channels 1/3/5/17 and vector-sized ones, padding, strides, extreme values), build_lut against
// hand-derived values, and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <type_traits>

#include "reference/reference_ops.h"
#include "haqm/graph.h"
#include "test_support.h"
#include "../runtime/src/table_lookup.h"

namespace haqm {
namespace {

using testing::expect_error;
using testing::random_float;
using testing::random_int;
using testing::random_ints;

int64_t element_count(const Shape& shape) {
    int64_t count = 1;
    for (int64_t d : shape) {
        count *= d;
    }
    return count;
}

template <class T>
IntegerRange range_of() {
    return integer_range(8, std::is_signed_v<T>);
}

template <class T>
void expect_equal(const std::vector<T>& result, const std::vector<int32_t>& expected) {
    ASSERT_EQ(result.size(), expected.size());
    int failures = 0;
    for (size_t i = 0; i < result.size() && failures < 5; ++i) {
        if (int32_t(result[i]) != expected[i]) {
            ADD_FAILURE() << "element " << i << ": got " << int32_t(result[i]) << ", expected " << expected[i];
            ++failures;
        }
    }
}

// (schedule, isa) pairs of a family plus the default choice, named for gtest.
using Variant = std::tuple<std::string, std::string>;

std::vector<Variant> variants_of(const std::string& family) {
    std::vector<Variant> variants{{"", ""}};
    for (const auto& v : kernel_variants(family)) {
        variants.emplace_back(v.schedule, v.isa);
    }
    return variants;
}

std::string variant_name(const ::testing::TestParamInfo<Variant>& info) {
    const std::string name = std::get<0>(info.param) + "_" + std::get<1>(info.param);
    return testing::param_name(name == "_" ? "default" : name);
}

class KernelVariantTest : public ::testing::TestWithParam<Variant> {
protected:
    KernelChoice choice() const { return {std::get<0>(GetParam()), std::get<1>(GetParam())}; }
};

// ---------------------------------------------------------------------------------------------
// pool_q8

struct PoolCase {
    Shape input;  // NHWC
    int kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, pad_bottom, pad_right;
};

std::string describe(const Shape& in, const Pool2dSpec& spec) {
    const char* kinds[] = {"max", "average", "global_average"};
    return std::string(kinds[static_cast<int>(spec.kind)]) + " in " + std::to_string(in[0]) + "x" +
           std::to_string(in[1]) + "x" + std::to_string(in[2]) + "x" + std::to_string(in[3]) + " kernel " +
           std::to_string(spec.kernel_h) + "x" + std::to_string(spec.kernel_w) + " stride " +
           std::to_string(spec.stride_h) + "x" + std::to_string(spec.stride_w) + " pads " +
           std::to_string(spec.pad_top) + "," + std::to_string(spec.pad_left) + "," +
           std::to_string(spec.pad_bottom) + "," + std::to_string(spec.pad_right) +
           (spec.count_include_pad ? " count_include_pad" : "");
}

template <class T>
void expect_pool_matches(const std::vector<T>& input, const Shape& in, const Pool2dSpec& spec,
                         const KernelChoice& choice) {
    SCOPED_TRACE(describe(in, spec) + " schedule '" + choice.schedule + "' isa '" + choice.isa + "'");
    const Shape out = pool_output_shape(in, spec);
    ASSERT_EQ(out, reference::pooled_shape(in, spec));
    std::vector<T> result(element_count(out));
    pool_q8(Span<const T>(input), in, spec, Span<T>(result), choice);
    expect_equal(result, reference::pool2d(input, in, spec));
}

// Random quantization for a case: zero points anywhere, output scales from a fifth to three
// times the input's, sometimes a fused ReLU.
template <class T>
Pool2dSpec random_pool_spec(const PoolCase& c, PoolKind kind) {
    const IntegerRange range = range_of<T>();
    Pool2dSpec spec;
    spec.kind = kind;
    spec.kernel_h = c.kernel_h;
    spec.kernel_w = c.kernel_w;
    spec.stride_h = c.stride_h;
    spec.stride_w = c.stride_w;
    spec.pad_top = c.pad_top;
    spec.pad_left = c.pad_left;
    spec.pad_bottom = c.pad_bottom;
    spec.pad_right = c.pad_right;
    spec.count_include_pad = random_int(0, 1) == 1;
    spec.input_zero_point = random_int(range.min, range.max);
    spec.input_scale = std::ldexp(random_float(0.5f, 1.0f), random_int(-12, 0));
    spec.output_scale = spec.input_scale * random_float(0.2f, 3.0f);
    spec.output_zero_point = random_int(range.min, range.max);
    if (random_int(0, 2) == 0) {
        spec.output_min = spec.output_zero_point;
    }
    return spec;
}

template <class T>
void run_pool_kinds(const PoolCase& c, const KernelChoice& choice) {
    const IntegerRange range = range_of<T>();
    const auto input = random_ints<T>(element_count(c.input), range.min, range.max);
    for (PoolKind kind : {PoolKind::max, PoolKind::average, PoolKind::global_average}) {
        expect_pool_matches(input, c.input, random_pool_spec<T>(c, kind), choice);
    }
}

const std::vector<PoolCase> kPoolCases = {
    // N, H, W, C                kh kw sh sw pt pl pb pr
    {{1, 1, 1, 1}, 1, 1, 1, 1, 0, 0, 0, 0},     {{1, 1, 1, 3}, 2, 2, 1, 1, 1, 1, 0, 0},
    {{2, 1, 1, 5}, 3, 3, 2, 2, 1, 1, 1, 1},     {{1, 5, 5, 17}, 3, 3, 1, 1, 1, 1, 1, 1},
    {{1, 7, 6, 1}, 2, 2, 2, 2, 0, 0, 0, 0},     {{2, 9, 7, 3}, 3, 2, 2, 1, 2, 0, 1, 1},
    {{1, 8, 8, 64}, 3, 3, 2, 2, 1, 1, 1, 1},    {{1, 6, 11, 33}, 5, 3, 1, 2, 2, 1, 4, 2},
    {{3, 4, 4, 16}, 4, 4, 4, 4, 0, 0, 0, 0},    {{1, 13, 13, 17}, 7, 7, 3, 3, 3, 3, 3, 3},
    {{1, 2, 9, 5}, 1, 9, 1, 1, 0, 0, 0, 0},     {{1, 12, 10, 40}, 2, 3, 2, 3, 1, 2, 0, 0},
};

using PoolTest = KernelVariantTest;

TEST_P(PoolTest, MatchesReferenceOnOddShapes) {
    for (const auto& c : kPoolCases) {
        run_pool_kinds<uint8_t>(c, choice());
        run_pool_kinds<int8_t>(c, choice());
    }
}

// Random geometries: any kernel that fits, strides 1..3, pads below the kernel.
TEST_P(PoolTest, MatchesReferenceOnRandomShapes) {
    for (int repeat = 0; repeat < 12; ++repeat) {
        PoolCase c;
        c.input = {random_int(1, 2), random_int(1, 12), random_int(1, 12), random_int(1, 40)};
        c.kernel_h = random_int(1, 5);
        c.kernel_w = random_int(1, 5);
        c.stride_h = random_int(1, 3);
        c.stride_w = random_int(1, 3);
        c.pad_top = random_int(0, c.kernel_h - 1);
        c.pad_left = random_int(0, c.kernel_w - 1);
        c.pad_bottom = random_int(0, c.kernel_h - 1);
        c.pad_right = random_int(0, c.kernel_w - 1);
        // Kernels larger than the padded image are errors, tested below: clip them.
        c.kernel_h = static_cast<int>(std::min<int64_t>(c.kernel_h, c.input[1] + c.pad_top + c.pad_bottom));
        c.kernel_w = static_cast<int>(std::min<int64_t>(c.kernel_w, c.input[2] + c.pad_left + c.pad_right));
        run_pool_kinds<uint8_t>(c, choice());
        run_pool_kinds<int8_t>(c, choice());
    }
}

// Global average pools of the sizes networks end with, and scales that change a lot.
TEST_P(PoolTest, GlobalAverageChangesScale) {
    for (const Shape& in : std::vector<Shape>{{1, 7, 7, 17}, {2, 1, 1, 3}, {1, 13, 11, 64}, {1, 3, 5, 1}}) {
        for (float ratio : {0.01f, 1.0f, 40.0f}) {
            Pool2dSpec spec;
            spec.kind = PoolKind::global_average;
            spec.input_zero_point = random_int(0, 255);
            spec.input_scale = 0.05f;
            spec.output_scale = 0.05f * ratio;
            spec.output_zero_point = random_int(0, 255);
            expect_pool_matches(random_ints<uint8_t>(element_count(in), 0, 255), in, spec, choice());
        }
    }
}

// Every input at one end of the range and the zero point at the other: the largest sums, and
// padding that must neither win a max nor count in an average.
TEST_P(PoolTest, MatchesReferenceAtExtremeValues) {
    const PoolCase c{{2, 5, 7, 17}, 3, 3, 2, 2, 2, 2, 2, 2};
    for (PoolKind kind : {PoolKind::max, PoolKind::average, PoolKind::global_average}) {
        for (bool low : {false, true}) {
            Pool2dSpec spec = random_pool_spec<int8_t>(c, kind);
            spec.input_zero_point = low ? 127 : -128;
            spec.output_min.reset();
            const std::vector<int8_t> s8(element_count(c.input), low ? -128 : 127);
            expect_pool_matches(s8, c.input, spec, choice());
            spec.input_zero_point += 128;
            spec.output_zero_point += 128;
            const std::vector<uint8_t> u8(element_count(c.input), low ? 0 : 255);
            expect_pool_matches(u8, c.input, spec, choice());
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AllSchedulesAndIsas, PoolTest, ::testing::ValuesIn(variants_of("pool_q8")), variant_name);

TEST(PoolErrors, BadGeometryIsAClearError) {
    Pool2dSpec spec;
    spec.kernel_h = spec.kernel_w = 3;
    const Shape in = {1, 4, 4, 3};
    auto with = [&](auto change) {
        Pool2dSpec s = spec;
        change(s);
        return s;
    };
    expect_error([&] { pool_output_shape(in, with([](Pool2dSpec& s) { s.kernel_h = 0; })); }, "kernel h = 0");
    expect_error([&] { pool_output_shape(in, with([](Pool2dSpec& s) { s.stride_w = 0; })); }, "stride w = 0");
    expect_error([&] { pool_output_shape(in, with([](Pool2dSpec& s) { s.kernel_w = 7; })); },
                 "kernel w = 7 is larger than the padded input (4)");
    expect_error([&] { pool_output_shape(in, with([](Pool2dSpec& s) { s.pad_bottom = 3; })); },
                 "padding on h (0, 3) must be smaller than the kernel (3)");
    expect_error([&] { pool_output_shape(in, with([](Pool2dSpec& s) { s.pad_left = -1; })); },
                 "negative padding on w");
    expect_error([&] { pool_output_shape({1, 4, 4}, spec); }, "rank 4");
    expect_error([&] { pool_output_shape({1, 0, 4, 3}, spec); }, "dimension 1 is 0");
    // A global pool ignores the window fields, but its window is the whole image.
    const Pool2dSpec global = with([](Pool2dSpec& s) {
        s.kind = PoolKind::global_average;
        s.kernel_h = 0;
    });
    EXPECT_EQ(pool_output_shape(in, global), (Shape{1, 1, 1, 3}));
    expect_error([&] { pool_output_shape({1, 4096, 4096, 1}, global); }, "16777216 taps exceeds 8388608");
    EXPECT_EQ(pool_output_shape({1, 5, 6, 2}, with([](Pool2dSpec& s) {
                                    s.stride_h = 2;
                                    s.pad_top = s.pad_bottom = 1;
                                })),
              (Shape{1, 3, 4, 2}));
}

TEST(PoolErrors, BadBuffersAndQuantizationAreClearErrors) {
    Pool2dSpec spec;
    spec.kind = PoolKind::average;
    spec.kernel_h = spec.kernel_w = 2;
    const Shape in = {1, 4, 4, 3};
    std::vector<uint8_t> input(48), output(27);
    expect_error([&] { pool_q8(Span<const uint8_t>(input.data(), 47), in, spec, Span<uint8_t>(output)); },
                 "pool_q8: input holds 47 elements, needs 48");
    expect_error([&] { pool_q8(Span<const uint8_t>(input), in, spec, Span<uint8_t>(output.data(), 26)); },
                 "pool_q8: output holds 26 elements, needs 27");
    expect_error([&] { pool_q8(Span<const uint8_t>(nullptr, 48), in, spec, Span<uint8_t>(output)); },
                 "input is null");
    Pool2dSpec bad = spec;
    bad.input_zero_point = 300;
    expect_error([&] { pool_q8(Span<const uint8_t>(input), in, bad, Span<uint8_t>(output)); },
                 "input zero point 300 is outside [0, 255]");
    bad = spec;
    bad.output_scale = 0.0f;
    expect_error([&] { pool_q8(Span<const uint8_t>(input), in, bad, Span<uint8_t>(output)); }, "output scale");
    bad = spec;
    bad.output_scale = 1e-30f;
    expect_error([&] { pool_q8(Span<const uint8_t>(input), in, bad, Span<uint8_t>(output)); },
                 "input scale / output scale");
    bad = spec;
    bad.output_min = 200;
    bad.output_max = 100;
    expect_error([&] { pool_q8(Span<const uint8_t>(input), in, bad, Span<uint8_t>(output)); },
                 "output clamp [200, 100]");
    std::vector<int8_t> s8_in(48), s8_out(27);
    expect_error([&] { pool_q8(Span<const int8_t>(s8_in), in, spec, Span<int8_t>(s8_out), {"bogus", ""}); },
                 "unknown schedule 'bogus' for pool_q8");
}

// ---------------------------------------------------------------------------------------------
// add_q8

template <class T>
AddSpec random_add_spec() {
    const IntegerRange range = range_of<T>();
    AddSpec spec;
    // Scales up to 2^10 apart either way, the output's near their sum's.
    spec.a_scale = std::ldexp(random_float(0.5f, 1.0f), random_int(-16, -6));
    spec.b_scale = spec.a_scale * std::ldexp(random_float(0.5f, 1.0f), random_int(-10, 10));
    spec.output_scale = (spec.a_scale + spec.b_scale) * random_float(0.3f, 3.0f);
    spec.a_zero_point = random_int(range.min, range.max);
    spec.b_zero_point = random_int(range.min, range.max);
    spec.output_zero_point = random_int(range.min, range.max);
    if (random_int(0, 2) == 0) {  // fused ReLU or ReLU6
        spec.output_min = spec.output_zero_point;
        if (random_int(0, 1)) {
            spec.output_max = std::min<int32_t>(range.max, spec.output_zero_point + 40);
        }
    }
    return spec;
}

template <class T>
void expect_add_matches(const std::vector<T>& a, const std::vector<T>& b, const Shape& shape, const AddSpec& spec,
                        const KernelChoice& choice) {
    SCOPED_TRACE("scales " + std::to_string(spec.a_scale) + ", " + std::to_string(spec.b_scale) + " -> " +
                 std::to_string(spec.output_scale) + " elements " + std::to_string(a.size()));
    std::vector<T> result(a.size());
    add_q8(Span<const T>(a), Span<const T>(b), shape, spec, Span<T>(result), choice);
    expect_equal(result, reference::add(a, b, spec));
}

template <class T>
void check_add(const Shape& shape, const KernelChoice& choice) {
    const IntegerRange range = range_of<T>();
    const int64_t n = element_count(shape);
    expect_add_matches(random_ints<T>(n, range.min, range.max), random_ints<T>(n, range.min, range.max), shape,
                       random_add_spec<T>(), choice);
}

const std::vector<Shape> kElementwiseShapes = {{1}, {3}, {5}, {17}, {1, 1, 1, 1}, {63, 65},
                                               {2, 3, 5, 7}, {257}, {1, 7, 7, 64}, {4099}};

using AddTest = KernelVariantTest;

TEST_P(AddTest, MatchesReference) {
    for (const auto& shape : kElementwiseShapes) {
        for (int repeat = 0; repeat < 3; ++repeat) {
            check_add<uint8_t>(shape, choice());
            check_add<int8_t>(shape, choice());
        }
    }
}

// Extremes of the values against zero points at the other end (the largest |a - za|), equal
// scales (Ma = Mb = 1/2) and scales far apart.
TEST_P(AddTest, MatchesReferenceAtExtremeValues) {
    const Shape shape = {67};
    for (float b_ratio : {1.0f, 1.0f / 4096, 4096.0f}) {
        for (bool high : {false, true}) {
            AddSpec spec;
            spec.a_scale = 0.02f;
            spec.b_scale = 0.02f * b_ratio;
            spec.output_scale = 0.01f;
            spec.a_zero_point = spec.b_zero_point = high ? -128 : 127;
            spec.output_zero_point = high ? 127 : -128;
            const std::vector<int8_t> s8(67, high ? 127 : -128);
            expect_add_matches(s8, s8, shape, spec, choice());
            spec.a_zero_point += 128;
            spec.b_zero_point += 128;
            spec.output_zero_point += 128;
            const std::vector<uint8_t> u8(67, high ? 255 : 0);
            expect_add_matches(u8, u8, shape, spec, choice());
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AllSchedulesAndIsas, AddTest, ::testing::ValuesIn(variants_of("add_q8")), variant_name);

// ---------------------------------------------------------------------------------------------
// mul_q8: equal shapes and the squeeze-excite channel broadcast, against the oracle.

using MulTest = KernelVariantTest;

template <class T>
void expect_mul_matches(const Shape& a_shape, const Shape& b_shape, const std::vector<T>& a, const std::vector<T>& b,
                        const MulSpec& spec, const KernelChoice& choice) {
    SCOPED_TRACE("a " + shape_text(a_shape) + " b " + shape_text(b_shape));
    std::vector<T> result(a.size());
    const KernelPlan plan = plan_mul_q8(a_shape, b_shape, dtype_of<T>(), spec, choice);
    const void* inputs[] = {a.data(), b.data()};
    plan.run(inputs, result.data());
    const auto ints = [](const std::vector<T>& v) { return std::vector<int32_t>(v.begin(), v.end()); };
    // The oracle takes b per image and channel: an equal-shape b is one "image" of a's values.
    const bool same = a_shape == b_shape;
    const Shape view = same ? Shape{1, 1, 1, static_cast<int64_t>(a.size())} : a_shape;
    const auto expected = reference::channel_mul(ints(a), view, ints(b),
                                           {spec.a_scale, spec.a_zero_point, spec.b_scale, spec.b_zero_point,
                                            spec.output_scale, spec.output_zero_point},
                                           std::is_signed_v<T>);
    expect_equal(result, expected);
}

template <class T>
void check_mul(const Shape& a_shape, const Shape& b_shape, const KernelChoice& choice) {
    const IntegerRange range = range_of<T>();
    MulSpec spec;
    spec.a_scale = random_float(0.01f, 0.1f);
    spec.b_scale = random_float(0.001f, 0.01f);
    spec.output_scale = spec.a_scale * spec.b_scale * random_float(20.0f, 200.0f);
    spec.a_zero_point = random_int(range.min, range.max);
    spec.b_zero_point = random_int(range.min, range.max);
    spec.output_zero_point = random_int(range.min, range.max);
    expect_mul_matches<T>(a_shape, b_shape, random_ints<T>(element_count(a_shape), range.min, range.max),
                          random_ints<T>(element_count(b_shape), range.min, range.max), spec, choice);
}

TEST_P(MulTest, MatchesReference) {
    const std::vector<std::pair<Shape, Shape>> shapes = {
        {{1, 1, 1, 1}, {1, 1, 1, 1}}, {{1, 3, 5, 7}, {1, 1, 1, 7}}, {{3, 5, 4, 21}, {3, 1, 1, 21}},
        {{1, 14, 14, 48}, {1, 1, 1, 48}}, {{2, 7, 7, 130}, {2, 1, 1, 130}}, {{257}, {257}}, {{63, 65}, {63, 65}},
    };
    for (const auto& [a_shape, b_shape] : shapes) {
        check_mul<uint8_t>(a_shape, b_shape, choice());
        check_mul<int8_t>(a_shape, b_shape, choice());
    }
}

// Products that saturate both ends, the zero points at the ends of the range.
TEST_P(MulTest, MatchesReferenceAtExtremeValues) {
    MulSpec spec;
    spec.a_scale = 1.0f, spec.b_scale = 1.0f, spec.output_scale = 1.0f / 64;
    spec.a_zero_point = 0, spec.b_zero_point = 255, spec.output_zero_point = 128;
    const Shape a_shape{2, 3, 3, 70}, b_shape{2, 1, 1, 70};
    std::vector<uint8_t> a(element_count(a_shape)), b(element_count(b_shape));
    for (size_t i = 0; i < a.size(); ++i) a[i] = (i % 3) ? 255 : 0;
    for (size_t i = 0; i < b.size(); ++i) b[i] = (i % 2) ? 0 : 254;
    expect_mul_matches<uint8_t>(a_shape, b_shape, a, b, spec, choice());
}

INSTANTIATE_TEST_SUITE_P(AllSchedulesAndIsas, MulTest, ::testing::ValuesIn(variants_of("mul_q8")), variant_name);

TEST(MulErrors, BadInputIsAClearError) {
    MulSpec spec;
    expect_error([&] { plan_mul_q8({1, 4, 4, 3}, {1, 1, 1, 4}, DType::uint8, spec); }, "[N, 1, 1, C]");
    expect_error([&] { plan_mul_q8({4}, {4}, DType::int32, spec); }, "no kernel for int32");
    spec.b_zero_point = 300;
    expect_error([&] { plan_mul_q8({4}, {4}, DType::uint8, spec); }, "b zero point");
    spec.b_zero_point = 0;
    spec.output_scale = 0.0f;
    expect_error([&] { plan_mul_q8({4}, {4}, DType::uint8, spec); }, "output scale");
}

TEST(AddErrors, BadInputIsAClearError) {
    AddSpec spec;
    std::vector<int8_t> a(6), b(6), out(6);
    expect_error([&] { add_q8(Span<const int8_t>(a), Span<const int8_t>(b.data(), 5), {2, 3}, spec, Span<int8_t>(out)); },
                 "add_q8: b holds 5 elements, needs 6");
    expect_error([&] { add_q8(Span<const int8_t>(a.data(), 2), Span<const int8_t>(b), {2, 3}, spec, Span<int8_t>(out)); },
                 "add_q8: a holds 2 elements, needs 6");
    expect_error([&] { add_q8(Span<const int8_t>(a), Span<const int8_t>(b), {2, 3}, spec, Span<int8_t>(out.data(), 1)); },
                 "add_q8: output holds 1 elements, needs 6");
    expect_error([&] { add_q8(Span<const int8_t>(a), Span<const int8_t>(b), {2, 0}, spec, Span<int8_t>(out)); },
                 "add_q8: dimension 1 is 0");
    auto with = [&](auto change) {
        AddSpec s = spec;
        change(s);
        return s;
    };
    auto run = [&](const AddSpec& s) {
        add_q8(Span<const int8_t>(a), Span<const int8_t>(b), {2, 3}, s, Span<int8_t>(out));
    };
    expect_error([&] { run(with([](AddSpec& s) { s.b_scale = -1.0f; })); }, "add_q8: b scale");
    expect_error([&] { run(with([](AddSpec& s) { s.output_scale = NAN; })); }, "add_q8: output scale");
    expect_error([&] { run(with([](AddSpec& s) { s.a_zero_point = 128; })); }, "a zero point 128 is outside");
    expect_error([&] { run(with([](AddSpec& s) { s.output_zero_point = -129; })); }, "output zero point -129");
    expect_error([&] {
        run(with([](AddSpec& s) {
            s.output_min = 10;
            s.output_max = 5;
        }));
    }, "output clamp [10, 5]");
    expect_error([&] { run(with([](AddSpec& s) { s.output_scale = 1e-30f; })); }, "add_q8: output multiplier");
    std::vector<uint8_t> u(6);
    expect_error([&] { add_q8(Span<const uint8_t>(u), Span<const uint8_t>(u), {6}, spec, Span<uint8_t>(u), {"tiled", ""}); },
                 "unknown schedule 'tiled' for add_q8");
}

// ---------------------------------------------------------------------------------------------
// lut_q8

template <class T>
void check_lut(const Shape& shape, const KernelChoice& choice) {
    const IntegerRange range = range_of<T>();
    const auto table = random_ints<T>(kLutEntries, range.min, range.max);
    auto x = random_ints<T>(element_count(shape), range.min, range.max);
    x.front() = static_cast<T>(range.min);  // both ends of the table
    x.back() = static_cast<T>(range.max);
    std::vector<T> result(x.size());
    lut_q8(Span<const T>(x), shape, Span<const T>(table), Span<T>(result), choice);
    expect_equal(result, reference::lookup(x, table));
}

using LutTest = KernelVariantTest;

TEST_P(LutTest, MatchesReferenceOnRandomTables) {
    for (const auto& shape : kElementwiseShapes) {
        check_lut<uint8_t>(shape, choice());
        check_lut<int8_t>(shape, choice());
    }
}

// Every value once, through a table that is the identity: each index is offset right.
TEST_P(LutTest, IdentityTableMapsEveryValue) {
    std::vector<int8_t> s8(256), s8_out(256);
    std::vector<uint8_t> u8(256), u8_out(256);
    for (int i = 0; i < 256; ++i) {
        s8[i] = static_cast<int8_t>(i - 128);
        u8[i] = static_cast<uint8_t>(i);
    }
    lut_q8(Span<const int8_t>(s8), {256}, Span<const int8_t>(s8), Span<int8_t>(s8_out), choice());
    lut_q8(Span<const uint8_t>(u8), {256}, Span<const uint8_t>(u8), Span<uint8_t>(u8_out), choice());
    EXPECT_EQ(s8_out, s8);
    EXPECT_EQ(u8_out, u8);
}

INSTANTIATE_TEST_SUITE_P(AllSchedulesAndIsas, LutTest, ::testing::ValuesIn(variants_of("lut_q8")), variant_name);

// Table entries worked out by hand from the ONNX definitions; int8 tables are indexed by q + 128.
TEST(BuildLut, SigmoidMapsZeroToOneHalf) {
    // uint8 output with scale 1/256: 0.5 is code 128, 1.0 (256) saturates to 255.
    const auto u8 = build_lut<uint8_t>(LutFunction::sigmoid, 0.1f, 100, 1.0f / 256, 0);
    EXPECT_EQ(u8[100], 128);  // x = 0
    EXPECT_EQ(u8[255], 255);  // x = 15.5: 0.9999998 * 256 rounds to 256, saturates
    EXPECT_EQ(u8[0], 0);      // x = -10: 4.5e-5 * 256 rounds to 0
    // int8 output with zero point -128: 0.5 is code 0.
    const auto s8 = build_lut<int8_t>(LutFunction::sigmoid, 0.1f, 0, 1.0f / 256, -128);
    EXPECT_EQ(s8[128], 0);    // x = 0
    EXPECT_EQ(s8[128 + 10], static_cast<int8_t>(-128 + 187));  // x = 1: 0.731059 * 256 = 187.15
}

TEST(BuildLut, HardSigmoidAndHardSwishFollowOnnx) {
    // HardSigmoid 0.2 x + 0.5 clipped to [0, 1], x = q * 0.05, output scale 1/128, zero point -128.
    const auto hs = build_lut<int8_t>(LutFunction::hard_sigmoid, 0.05f, 0, 1.0f / 128, -128);
    EXPECT_EQ(hs[128 + 0], -64);      // x = 0: 0.5 * 128 = 64, 64 - 128
    EXPECT_EQ(hs[128 - 25], -96);     // x = -1.25: 0.25 * 128 = 32, 32 - 128
    EXPECT_EQ(hs[128 + 50], 0);       // x = 2.5: 1.0 * 128 = 128, 128 - 128
    EXPECT_EQ(hs[128 + 127], 0);      // x = 6.35: clipped to 1
    EXPECT_EQ(hs[0], -128);           // x = -6.4: clipped to 0
    // HardSwish x * clip(x / 6 + 0.5, 0, 1), x = q * 0.1, output scale 0.05.
    const auto sw = build_lut<int8_t>(LutFunction::hard_swish, 0.1f, 0, 0.05f, 0);
    EXPECT_EQ(sw[128 + 30], 60);      // x = 3: 3 * 1 = 3 -> 60
    EXPECT_EQ(sw[128 - 30], 0);       // x = -3: 0
    EXPECT_EQ(sw[128 - 15], -8);      // x = -1.5: -0.375 -> -7.5, ties to even -> -8
    EXPECT_EQ(sw[128 + 10], 13);      // x = 1: 1 * 2/3 = 0.6667 -> 13.33 -> 13
    EXPECT_EQ(sw[128 + 127], 127);    // x = 12.7 -> 254 saturates
}

TEST(BuildLut, TanhRoundsAndSaturates) {
    const auto t = build_lut<int8_t>(LutFunction::tanh, 0.02f, 0, 1.0f / 128, 0);
    EXPECT_EQ(t[128], 0);              // tanh(0) = 0
    EXPECT_EQ(t[128 + 127], 126);      // tanh(2.54) = 0.98769 -> 126.42
    EXPECT_EQ(t[0], -126);             // tanh(-2.56) = -0.98817 -> -126.49
    EXPECT_EQ(t[128 + 25], 59);        // tanh(0.5) = 0.46212 -> 59.15
    const auto saturated = build_lut<int8_t>(LutFunction::tanh, 0.02f, 0, 1.0f / 256, 0);
    EXPECT_EQ(saturated[128 + 127], 127);  // 252.8 saturates
    EXPECT_EQ(saturated[0], -128);
}

TEST(LutErrors, BadInputIsAClearError) {
    std::vector<uint8_t> x(6), out(6), table(256), short_table(255);
    expect_error([&] { lut_q8(Span<const uint8_t>(x), {6}, Span<const uint8_t>(short_table), Span<uint8_t>(out)); },
                 "lut_q8: table holds 255 entries, needs 256");
    expect_error([&] { lut_q8(Span<const uint8_t>(x), {6}, Span<const uint8_t>(nullptr, 256), Span<uint8_t>(out)); },
                 "lut_q8: table is null");
    expect_error([&] { lut_q8(Span<const uint8_t>(x), {7}, Span<const uint8_t>(table), Span<uint8_t>(out)); },
                 "lut_q8: input holds 6 elements, needs 7");
    expect_error([&] { lut_q8(Span<const uint8_t>(x), {6}, Span<const uint8_t>(table), Span<uint8_t>(out.data(), 2)); },
                 "lut_q8: output holds 2 elements, needs 6");
    expect_error([&] { lut_q8(Span<const uint8_t>(x), {-6}, Span<const uint8_t>(table), Span<uint8_t>(out)); },
                 "lut_q8: dimension 0 is -6");
    expect_error([&] { build_lut<int8_t>(LutFunction::tanh, 0.0f, 0, 1.0f, 0); }, "build_lut: input scale");
    expect_error([&] { build_lut<uint8_t>(LutFunction::sigmoid, 1.0f, -1, 1.0f, 0); }, "build_lut: input zero point -1");
    expect_error([&] { build_lut<int8_t>(LutFunction::sigmoid, 1.0f, 0, INFINITY, 0); }, "build_lut: output scale");
    expect_error([&] { build_lut<int8_t>(LutFunction::sigmoid, 1.0f, 0, 1.0f, 200); }, "build_lut: output zero point 200");
}

}  // namespace
}  // namespace haqm

// The runtime's table pass (table activations and tables fused into products; AVX-512 VBMI on
// this host, NEON tbl on aarch64, a scalar loop on armhf) against the table read directly, for
// every length around the vector widths, both signednesses, and in place.
namespace haqm {
namespace {

TEST(TableLookup, EveryPathReadsTheTableEntryOfEachValue) {
    const auto table = testing::random_ints<uint8_t>(256, 0, 255);
    for (bool is_signed : {false, true}) {
        for (int64_t n : {0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 200, 1000, 4099}) {
            const auto in = testing::random_ints<uint8_t>(static_cast<size_t>(n), 0, 255);
            std::vector<uint8_t> out(static_cast<size_t>(n) + 8, 0xA5), expected(in.size());
            for (size_t i = 0; i < in.size(); ++i) expected[i] = table[in[i] ^ (is_signed ? 0x80 : 0)];
            detail::lookup_bytes(table.data(), in.data(), out.data(), n, is_signed);
            EXPECT_EQ(std::vector<uint8_t>(out.begin(), out.begin() + n), expected) << n;
            EXPECT_EQ(std::vector<uint8_t>(out.begin() + n, out.end()), std::vector<uint8_t>(8, 0xA5)) << "wrote past " << n;
            std::vector<uint8_t> in_place = in;
            detail::lookup_bytes(table.data(), in_place.data(), in_place.data(), n, is_signed);
            EXPECT_EQ(in_place, expected) << "in place, " << n;
        }
    }
}

}  // namespace
}  // namespace haqm
