// gemm_q8: every schedule x every ISA x every type variant against the reference oracle.
#include <gtest/gtest.h>

#include <algorithm>

#include "reference/reference_ops.h"
#include "test_support.h"

namespace haqm {
namespace {

using testing::random_int;
using testing::random_ints;

struct GemmShape {
    int64_t m, k, n;
};

// Each edge size appears in each of M, K and N.
const std::vector<GemmShape> kShapes = {
    {1, 1, 1},    {3, 17, 63},  {17, 63, 65}, {63, 65, 257}, {65, 257, 1}, {257, 1, 3},
    {1, 257, 17}, {3, 3, 3},    {17, 1, 257}, {63, 3, 1},    {65, 17, 17}, {257, 65, 63},
    {1, 64, 64},  {6, 128, 64}, {7, 129, 65},  {65, 17, 65},  {130, 40, 100},
};

template <class A>
constexpr IntegerRange activation_range() {
    return std::is_signed_v<A> ? IntegerRange{-128, 127} : IntegerRange{0, 255};
}

// Data and parameters of one test case.
template <class A>
struct GemmData {
    int64_t m, k, n;
    std::vector<A> a;
    std::vector<int8_t> b;
    int32_t b_zero_point = 0;
    GemmSpec spec;
};

template <class A>
GemmData<A> random_case(const GemmShape& s, bool per_channel) {
    const IntegerRange ar = activation_range<A>();
    GemmData<A> d{s.m, s.k, s.n, random_ints<A>(s.m * s.k, ar.min, ar.max), random_ints<int8_t>(s.k * s.n, -128, 127), 0, {}};
    d.spec.a_zero_point = random_int(ar.min, ar.max);
    d.b_zero_point = random_int(0, 3) == 0 ? random_int(-128, 127) : 0;  // symmetric weights are the norm
    if (random_int(0, 1)) {
        d.spec.bias = random_ints<int32_t>(s.n, -100000, 100000);
    }
    // Output scales sized so results span the 8-bit range and saturate at both ends sometimes.
    const double typical = 128.0 * 128.0 * std::sqrt(static_cast<double>(s.k));
    const int count = per_channel ? static_cast<int>(s.n) : 1;
    d.spec.requantization = random_int(0, 1) ? Requantization::float32 : Requantization::fixed;
    for (int i = 0; i < count; ++i) {
        const double real = std::exp(std::uniform_real_distribution<double>(std::log(0.3), std::log(3.0))(testing::rng())) * 100.0 / typical;
        d.spec.output_multipliers.push_back(quantize_multiplier(real));
        d.spec.output_scales.push_back(static_cast<float>(real));
    }
    d.spec.output_zero_point = random_int(ar.min, ar.max);
    if (random_int(0, 2) == 0) {  // fused ReLU as a clamp at the zero point
        d.spec.output_min = d.spec.output_zero_point;
    }
    if (random_int(0, 1)) {  // a fused activation table (8-bit outputs; expect_matches_reference drops it for int32)
        d.spec.output_table = random_ints<uint8_t>(kLutEntries, 0, 255);
    }
    return d;
}

template <class A, class Out>
void expect_matches_reference(GemmData<A> d, const KernelChoice& choice) {
    if (std::is_same_v<Out, int32_t>) d.spec.output_table.clear();
    SCOPED_TRACE("M=" + std::to_string(d.m) + " K=" + std::to_string(d.k) + " N=" + std::to_string(d.n) +
                 " schedule=" + choice.schedule + " isa=" + choice.isa +
                 (d.spec.requantization == Requantization::float32 ? " float" : " fixed") +
                 (d.spec.output_table.empty() ? "" : " table"));
    const PackedWeights packed(d.b, d.k, d.n, d.b_zero_point);
    std::vector<Out> out(d.m * d.n);
    gemm_q8(Span<const A>(d.a), d.m, packed, d.spec, Span<Out>(out), choice);
    const auto acc = reference::gemm_accumulators(d.a, d.b, d.m, d.k, d.n, d.spec.a_zero_point, d.b_zero_point,
                                                  d.spec.bias);
    std::vector<int64_t> expected(acc.begin(), acc.end());
    if constexpr (!std::is_same_v<Out, int32_t>) {
        const auto requantized = reference::requantize_gemm(acc, d.n, d.spec, std::is_signed_v<Out>);
        expected.assign(requantized.begin(), requantized.end());
    }
    int64_t mismatches = 0;
    for (size_t i = 0; i < out.size() && mismatches < 5; ++i) {
        if (static_cast<int64_t>(out[i]) != expected[i]) {
            ADD_FAILURE() << "at m=" << i / d.n << " n=" << i % d.n << ": got " << int64_t(out[i]) << ", expected "
                          << expected[i];
            ++mismatches;
        }
    }
}

class GemmTest : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
protected:
    KernelChoice choice() const { return {std::get<0>(GetParam()), std::get<1>(GetParam())}; }
};

TEST_P(GemmTest, MatchesReferenceOnEdgeShapes) {
    for (const auto& shape : kShapes) {
        const bool per_channel = random_int(0, 1);
        expect_matches_reference<uint8_t, uint8_t>(random_case<uint8_t>(shape, per_channel), choice());
        expect_matches_reference<int8_t, int8_t>(random_case<int8_t>(shape, per_channel), choice());
        expect_matches_reference<uint8_t, int32_t>(random_case<uint8_t>(shape, per_channel), choice());
        expect_matches_reference<int8_t, int32_t>(random_case<int8_t>(shape, per_channel), choice());
    }
}

// Every operand at the ends of its range, with extreme zero points, so products and corrections
// are as large as they get and the requantized outputs saturate.
TEST_P(GemmTest, MatchesReferenceAtExtremeValues) {
    for (const GemmShape shape : {GemmShape{17, 257, 65}, GemmShape{1, 1, 1}, GemmShape{65, 63, 3}}) {
        for (int pattern = 0; pattern < 4; ++pattern) {
            GemmData<uint8_t> u = random_case<uint8_t>(shape, pattern % 2);
            GemmData<int8_t> s = random_case<int8_t>(shape, pattern % 2);
            for (size_t i = 0; i < u.a.size(); ++i) {
                u.a[i] = (pattern & 1) ? 255 : ((i % 3) ? 0 : 255);
                s.a[i] = (pattern & 1) ? -128 : ((i % 3) ? 127 : -128);
            }
            for (size_t i = 0; i < u.b.size(); ++i) {
                u.b[i] = s.b[i] = (pattern & 2) ? -128 : ((i % 2) ? 127 : -128);
            }
            u.spec.a_zero_point = (pattern & 1) ? 0 : 255;
            s.spec.a_zero_point = (pattern & 1) ? 127 : -128;
            u.b_zero_point = s.b_zero_point = (pattern & 2) ? 127 : -128;
            u.spec.bias.clear();
            s.spec.bias.clear();
            expect_matches_reference<uint8_t, uint8_t>(u, choice());
            expect_matches_reference<int8_t, int8_t>(s, choice());
            expect_matches_reference<uint8_t, int32_t>(u, choice());
            expect_matches_reference<int8_t, int32_t>(s, choice());
        }
    }
}

// At the deepest K the API accepts, every operand and zero point at the end of its range that
// makes each correction term largest: the accumulators come within 1% of the int32 limits.
TEST_P(GemmTest, MatchesReferenceAtMaximumDepth) {
    GemmData<uint8_t> u = random_case<uint8_t>({2, kMaxGemmDepth, 16}, false);
    GemmData<int8_t> s = random_case<int8_t>({2, kMaxGemmDepth, 16}, false);
    std::fill(u.a.begin(), u.a.end(), 255);
    std::fill(s.a.begin(), s.a.end(), 127);
    std::fill(u.b.begin(), u.b.end(), -128);
    std::fill(s.b.begin(), s.b.end(), -128);
    u.spec.a_zero_point = 0;
    s.spec.a_zero_point = -128;
    u.b_zero_point = s.b_zero_point = 127;
    u.spec.bias.clear();
    s.spec.bias.clear();
    expect_matches_reference<uint8_t, int32_t>(u, choice());
    expect_matches_reference<int8_t, int32_t>(s, choice());
    expect_matches_reference<uint8_t, uint8_t>(u, choice());
}

// Multipliers at the ends of the fixed-point range: left shifts that saturate, the largest
// right shift, the largest Q31 value, zero.
TEST_P(GemmTest, MatchesReferenceAtExtremeMultipliers) {
    const std::vector<FixedPointMultiplier> multipliers = {
        {1 << 30, 30}, {2147483647, 0}, {1 << 30, -30}, {1518500250, -7}, {0, 0}, {2147483647, 12}, {1 << 30, 1}};
    for (const auto& mult : multipliers) {
        GemmData<int8_t> s = random_case<int8_t>({5, 33, 70}, false);
        s.spec.requantization = Requantization::fixed;
        s.spec.output_multipliers = {mult};
        expect_matches_reference<int8_t, int8_t>(s, choice());
    }
}

// Float scales from tiny to huge, with exact ties (scale 0.5 on odd accumulators).
TEST_P(GemmTest, FloatRequantizationMatchesReferenceAtExtremeScales) {
    for (float scale : {0.5f, 1e-9f, 3e-5f, 1.0f, 1e4f, 3.4e38f}) {
        GemmData<uint8_t> u = random_case<uint8_t>({7, 19, 33}, false);
        u.spec.requantization = Requantization::float32;
        u.spec.output_scales = {scale};
        expect_matches_reference<uint8_t, uint8_t>(u, choice());
    }
}

std::vector<std::tuple<std::string, std::string>> all_gemm_variants() {
    std::vector<std::tuple<std::string, std::string>> variants;
    for (const auto& v : kernel_variants("gemm_q8")) {
        variants.emplace_back(v.schedule, v.isa);
    }
    return variants;
}

INSTANTIATE_TEST_SUITE_P(AllSchedulesAndIsas, GemmTest, ::testing::ValuesIn(all_gemm_variants()),
                         [](const auto& info) {
                             return testing::param_name(std::get<0>(info.param) + "_" + std::get<1>(info.param));
                         });

TEST(GemmKernels, EveryScheduleTheIssueNamesIsCompiled) {  // (kernel_registry_test: all of the table)
    const auto names = schedules("gemm_q8");
    for (const char* name : {"naive", "interchange", "tiled", "tiled_vec", "tiled_vec_par", "auto"}) {
        EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
    }
}

TEST(GemmKernels, ParallelScheduleMatchesReferenceWithTwoThreads) {
    set_num_threads(2);
    for (const auto& shape : kShapes) {
        expect_matches_reference<uint8_t, uint8_t>(random_case<uint8_t>(shape, true), {"tiled_vec_par", ""});
    }
    set_num_threads(1);
}

}  // namespace
}  // namespace haqm
