// quant/nonuniform: logarithmic, binary and ternary codes against hand examples, and properties.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "haqm/error.h"
#include "haqm/nonuniform.h"

namespace haqm {
namespace {

ScaleSharing per_channel(int axis) {
    ScaleSharing sharing;
    sharing.granularity = Granularity::per_channel;
    sharing.axis = axis;
    return sharing;
}

std::vector<float> gaussian(size_t n, float std_dev, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, std_dev);
    std::vector<float> x(n);
    for (auto& v : x) {
        v = dist(rng);
    }
    return x;
}

TEST(PowerOfTwo, RoundsInTheLogDomain) {
    // max |w| = 0.75: log2 0.75 = -0.415 rounds to 0, so the 7 magnitudes of 4 bits are 2^-6..2^0.
    // 0.3: log2 = -1.74 -> 2^-2 = 0.25, code -2 - (-6) + 1 = 5. 0.75 -> 1 (not 0.5: the log-domain
    // midpoint of 0.5 and 1 is 0.707), code 7. -0.1: log2 = -3.32 -> -0.125, code -4.
    const LogQuantizer quantizer = power_of_two_quantizer(4);
    const LogCodes encoded = quantizer.encode({0.3f, 0.75f, -0.1f, 0.0f}, {4});
    EXPECT_EQ(encoded.max_exponents, (std::vector<int32_t>{0}));
    EXPECT_EQ(encoded.codes, (std::vector<int8_t>{5, 7, -4, 0}));
    EXPECT_EQ(quantizer.decode(encoded), (std::vector<float>{0.25f, 1.0f, -0.125f, 0.0f}));
}

TEST(PowerOfTwo, BelowTheWindowRoundsLinearlyToZeroOrTheSmallestMagnitude) {
    // 2 bits: one magnitude, 2^0. 0.4 < 1/2 -> 0; 0.6 and -0.5 (both round to exponent -1) reach
    // half of it -> +-1.
    const LogQuantizer quantizer = power_of_two_quantizer(2);
    const LogCodes encoded = quantizer.encode({1.0f, 0.4f, 0.6f, -0.5f}, {4});
    EXPECT_EQ(quantizer.decode(encoded), (std::vector<float>{1.0f, 0.0f, 1.0f, -1.0f}));
}

TEST(LogQuantizer, BaseSqrtTwo) {
    // log_sqrt2(2) = 2, so 3 bits (3 magnitudes) cover sqrt2^0..sqrt2^2. 1.5: 2 log2 1.5 = 1.17 -> sqrt2.
    const LogQuantizer quantizer(3, std::sqrt(2.0));
    const LogCodes encoded = quantizer.encode({2.0f, 1.0f, -1.5f}, {3});
    EXPECT_EQ(encoded.codes, (std::vector<int8_t>{3, 1, -2}));
    const std::vector<float> decoded = quantizer.decode(encoded);
    EXPECT_FLOAT_EQ(decoded[0], 2.0f);
    EXPECT_FLOAT_EQ(decoded[1], 1.0f);
    EXPECT_FLOAT_EQ(decoded[2], -std::sqrt(2.0f));
}

TEST(LogQuantizer, PerChannelMaxExponents) {
    // Shape {2, 2}, channel axis 0: rows {8, 1} and {0.5, -0.25}.
    const LogQuantizer quantizer = power_of_two_quantizer(4, per_channel(0));
    const LogCodes encoded = quantizer.encode({8.0f, 1.0f, 0.5f, -0.25f}, {2, 2});
    EXPECT_EQ(encoded.max_exponents, (std::vector<int32_t>{3, -1}));
    EXPECT_EQ(quantizer.decode(encoded), (std::vector<float>{8.0f, 1.0f, 0.5f, -0.25f}));
}

TEST(BinaryQuantizer, ScaleIsTheMeanMagnitude) {
    // alpha = (0.5 + 1.5 + 2 + 0) / 4 = 1; zero encodes as +1.
    const TernaryCodes encoded = BinaryQuantizer().encode({0.5f, -1.5f, 2.0f, 0.0f}, {4});
    EXPECT_EQ(encoded.codes, (std::vector<int8_t>{1, -1, 1, 1}));
    EXPECT_EQ(decode(encoded), (std::vector<float>{1.0f, -1.0f, 1.0f, 1.0f}));
}

TEST(BinaryQuantizer, PerChannelScales) {
    // Channel axis 1 of {2, 2}: columns {0.5, 2} (alpha 1.25) and {-1.5, -4} (alpha 2.75).
    const TernaryCodes encoded = BinaryQuantizer(per_channel(1)).encode({0.5f, -1.5f, 2.0f, -4.0f}, {2, 2});
    EXPECT_EQ(encoded.positive_scales, (std::vector<float>{1.25f, 2.75f}));
    EXPECT_EQ(decode(encoded), (std::vector<float>{1.25f, -2.75f, 1.25f, -2.75f}));
}

TEST(TernaryQuantizer, HandExampleWithOneScale) {
    // mean |w| = 4 / 6, delta = 0.7 * 4 / 6 = 0.467: 1, -0.8 and 1.5 survive; scale = 3.3 / 3 = 1.1.
    const std::vector<float> w = {1.0f, -0.2f, 0.4f, -0.8f, 0.1f, 1.5f};
    const TernaryCodes encoded = TernaryQuantizer().encode(w, {6});
    EXPECT_EQ(encoded.codes, (std::vector<int8_t>{1, 0, 0, -1, 0, 1}));
    ASSERT_EQ(encoded.positive_scales.size(), 1u);
    EXPECT_FLOAT_EQ(encoded.positive_scales[0], 1.1f);
    EXPECT_FLOAT_EQ(encoded.negative_scales[0], 1.1f);
}

TEST(TernaryQuantizer, HandExampleWithTwoScales) {
    // Same codes; positive scale (1 + 1.5) / 2 = 1.25, negative 0.8.
    const std::vector<float> w = {1.0f, -0.2f, 0.4f, -0.8f, 0.1f, 1.5f};
    const TernaryCodes encoded = TernaryQuantizer(true).encode(w, {6});
    EXPECT_EQ(encoded.codes, (std::vector<int8_t>{1, 0, 0, -1, 0, 1}));
    EXPECT_FLOAT_EQ(encoded.positive_scales[0], 1.25f);
    EXPECT_FLOAT_EQ(encoded.negative_scales[0], 0.8f);
    EXPECT_EQ(decode(encoded), (std::vector<float>{1.25f, 0.0f, 0.0f, -0.8f, 0.0f, 1.25f}));
}

TEST(TernaryQuantizer, AllZeroSetDecodesToZero) {
    const TernaryCodes encoded = TernaryQuantizer().encode({0.0f, 0.0f}, {2});
    EXPECT_EQ(decode(encoded), (std::vector<float>{0.0f, 0.0f}));
}

// Decoded weights are fixed points of encode + decode: every quantizer reproduces its own output.
TEST(Nonuniform, DecodeOfEncodeIsIdempotent) {
    const std::vector<int64_t> shape = {8, 64};
    for (const ScaleSharing& sharing : {ScaleSharing{}, per_channel(0), per_channel(1)}) {
        const std::vector<float> w = gaussian(8 * 64, 0.05f, 7);
        for (const LogQuantizer& quantizer : {power_of_two_quantizer(4, sharing), power_of_two_quantizer(2, sharing),
                                              LogQuantizer(4, std::sqrt(2.0), sharing)}) {
            const std::vector<float> once = quantizer.decode(quantizer.encode(w, shape));
            EXPECT_EQ(quantizer.decode(quantizer.encode(once, shape)), once);
        }
        const BinaryQuantizer binary(sharing);
        const std::vector<float> binary_once = decode(binary.encode(w, shape));
        EXPECT_EQ(decode(binary.encode(binary_once, shape)), binary_once);
        for (bool two_scales : {false, true}) {
            const TernaryQuantizer ternary(two_scales, sharing);
            const std::vector<float> once = decode(ternary.encode(w, shape));
            EXPECT_EQ(decode(ternary.encode(once, shape)), once);
        }
    }
}

TEST(Nonuniform, CodesFitTheirBitWidth) {
    const std::vector<float> w = gaussian(1000, 1.0f, 11);
    for (int bits = 2; bits <= 8; ++bits) {
        const int limit = (1 << (bits - 1)) - 1;
        for (int8_t c : power_of_two_quantizer(bits).encode(w, {1000}).codes) {
            ASSERT_LE(std::abs(c), limit) << bits;
        }
    }
}

TEST(Nonuniform, RejectBadInput) {
    const LogQuantizer log = power_of_two_quantizer(4);
    EXPECT_THROW(log.encode({}, {0}), Error);
    EXPECT_THROW(log.encode({1.0f, std::nanf("")}, {2}), Error);
    EXPECT_THROW(log.encode({1.0f, 2.0f}, {3}), Error);
    EXPECT_THROW(BinaryQuantizer().encode({1.0f, std::numeric_limits<float>::infinity()}, {2}), Error);
    EXPECT_THROW(TernaryQuantizer().encode({1.0f, 2.0f}, {2, 2}), Error);
    EXPECT_THROW(power_of_two_quantizer(1), Error);
    EXPECT_THROW(power_of_two_quantizer(9), Error);
    EXPECT_THROW(LogQuantizer(4, 1.0), Error);

    LogCodes log_codes = log.encode({1.0f, 0.5f}, {2});
    log_codes.codes[0] = 8;  // 4 bits allow -7..7
    EXPECT_THROW(log.decode(log_codes), Error);
    log_codes.codes[0] = 7;
    log_codes.max_exponents.push_back(0);  // two exponents for one set
    EXPECT_THROW(log.decode(log_codes), Error);

    TernaryCodes ternary_codes = TernaryQuantizer().encode({1.0f, -1.0f}, {2});
    ternary_codes.codes[0] = 2;
    EXPECT_THROW(decode(ternary_codes), Error);
    ternary_codes.codes[0] = 1;
    ternary_codes.negative_scales.clear();
    EXPECT_THROW(decode(ternary_codes), Error);
}

}  // namespace
}  // namespace haqm
