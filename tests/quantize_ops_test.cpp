// quantize, dequantize and requantize on every ISA against the reference oracle: per tensor and
// per channel on several axes, every bit width, extreme values, scales and zero points.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "reference/reference_ops.h"
#include "test_support.h"

namespace haqm {
namespace {

using testing::random_float;
using testing::random_int;
using testing::random_ints;

const std::vector<Shape> kShapes = {{1}, {257}, {3, 17}, {1, 63, 65}, {2, 3, 5, 7}, {17, 1, 3}, {65, 4}};

int64_t element_count(const Shape& shape) {
    int64_t count = 1;
    for (int64_t d : shape) {
        count *= d;
    }
    return count;
}

// Per-tensor (axis ignored) or per-channel along `axis`, with scales over many decades.
QuantizationSpec random_spec(const Shape& shape, int axis, int bits, bool is_signed) {
    const IntegerRange range = integer_range(bits, is_signed);
    const int64_t channels = axis < 0 ? 1 : shape[axis];
    QuantizationSpec spec;
    spec.axis = axis < 0 ? 0 : axis;
    spec.bits = bits;
    for (int64_t c = 0; c < channels; ++c) {
        spec.scales.push_back(std::ldexp(random_float(0.5f, 1.0f), random_int(-20, 10)));
        spec.zero_points.push_back(random_int(range.min, range.max));
    }
    return spec;
}

// Values around the representable range, exact ties (x.5 steps), infinities and huge values.
std::vector<float> values_for(const QuantizationSpec& spec, int64_t count) {
    std::vector<float> x(count);
    const float scale = spec.scales[0];
    for (int64_t i = 0; i < count; ++i) {
        switch (i % 7) {
            case 0: x[i] = std::numeric_limits<float>::infinity(); break;
            case 1: x[i] = -std::numeric_limits<float>::infinity(); break;
            case 2: x[i] = (random_int(-300, 300) + 0.5f) * scale; break;  // tie when scale is the channel's
            case 3: x[i] = random_float(-1e30f, 1e30f); break;
            default: x[i] = random_float(-300.0f, 300.0f) * scale;
        }
    }
    return x;
}

class QuantizeOpsTest : public ::testing::TestWithParam<std::string> {
protected:
    KernelChoice choice() const { return {"", GetParam()}; }
};

template <class Q>
void check_quantize(const Shape& shape, int axis, int bits, const KernelChoice& choice) {
    SCOPED_TRACE("axis=" + std::to_string(axis) + " bits=" + std::to_string(bits));
    const auto spec = random_spec(shape, axis, bits, std::is_signed_v<Q>);
    const auto x = values_for(spec, element_count(shape));
    std::vector<Q> y(x.size());
    quantize(Span<const float>(x), shape, spec, Span<Q>(y), choice);
    const auto expected = reference::quantize(x, shape, spec, std::is_signed_v<Q>);
    for (size_t i = 0; i < y.size(); ++i) {
        ASSERT_EQ(int32_t(y[i]), expected[i]) << "element " << i << " x=" << x[i];
    }
}

TEST_P(QuantizeOpsTest, QuantizeMatchesReference) {
    for (const auto& shape : kShapes) {
        for (int axis = -1; axis < static_cast<int>(shape.size()); ++axis) {
            for (int bits = 2; bits <= 8; ++bits) {
                check_quantize<int8_t>(shape, axis, bits, choice());
                check_quantize<uint8_t>(shape, axis, bits, choice());
            }
        }
    }
}

template <class Q>
void check_dequantize(const Shape& shape, int axis, const KernelChoice& choice) {
    SCOPED_TRACE("axis=" + std::to_string(axis));
    const bool wide = std::is_same_v<Q, int32_t>;
    const auto spec = random_spec(shape, axis, 8, std::is_signed_v<Q>);
    const int32_t lo = wide ? std::numeric_limits<int32_t>::min() : std::numeric_limits<Q>::min();
    const int32_t hi = wide ? std::numeric_limits<int32_t>::max() : std::numeric_limits<Q>::max();
    auto x = random_ints<Q>(element_count(shape), lo, hi);
    x[0] = static_cast<Q>(lo);
    x.back() = static_cast<Q>(hi);
    auto wide_spec = spec;
    if (wide) {  // int32 dequantization has zero point 0 in ONNX
        std::fill(wide_spec.zero_points.begin(), wide_spec.zero_points.end(), 0);
    }
    std::vector<float> y(x.size());
    dequantize(Span<const Q>(x), shape, wide_spec, Span<float>(y), choice);
    const auto expected = reference::dequantize(x, shape, wide_spec);
    for (size_t i = 0; i < y.size(); ++i) {
        ASSERT_EQ(y[i], expected[i]) << "element " << i;
    }
}

TEST_P(QuantizeOpsTest, DequantizeMatchesReference) {
    for (const auto& shape : kShapes) {
        for (int axis = -1; axis < static_cast<int>(shape.size()); ++axis) {
            check_dequantize<int8_t>(shape, axis, choice());
            check_dequantize<uint8_t>(shape, axis, choice());
            check_dequantize<int32_t>(shape, axis, choice());
        }
    }
}

template <class Q>
void check_requantize(const Shape& shape, int axis, const KernelChoice& choice) {
    SCOPED_TRACE("axis=" + std::to_string(axis));
    RequantizationSpec spec;
    spec.axis = axis < 0 ? 0 : axis;
    const int64_t channels = axis < 0 ? 1 : shape[axis];
    for (int64_t c = 0; c < channels; ++c) {
        const int32_t shift = random_int(kMinMultiplierShift, kMaxMultiplierShift);
        const int32_t mult = random_int(0, 3) == 0 ? std::numeric_limits<int32_t>::max() : random_int(1 << 30, std::numeric_limits<int32_t>::max());
        spec.multipliers.push_back({mult, shift});
    }
    spec.output_zero_point = random_int(std::numeric_limits<Q>::min(), std::numeric_limits<Q>::max());
    if (random_int(0, 1)) {  // ReLU6-style clamp range
        spec.output_min = spec.output_zero_point;
        spec.output_max = std::min<int32_t>(spec.output_zero_point + 60, std::numeric_limits<Q>::max());
    }
    auto x = random_ints<int32_t>(element_count(shape), std::numeric_limits<int32_t>::min(),
                                  std::numeric_limits<int32_t>::max());
    for (size_t i = 0; i < x.size(); i += 3) {  // small values exercise rounding, not just saturation
        x[i] = random_int(-5000, 5000);
    }
    x[0] = std::numeric_limits<int32_t>::min();
    x.back() = std::numeric_limits<int32_t>::max();
    std::vector<Q> y(x.size());
    requantize(Span<const int32_t>(x), shape, spec, Span<Q>(y), choice);
    const auto expected = reference::requantize(x, shape, spec, std::is_signed_v<Q>);
    for (size_t i = 0; i < y.size(); ++i) {
        ASSERT_EQ(int32_t(y[i]), expected[i]) << "element " << i << " x=" << x[i];
    }
}

TEST_P(QuantizeOpsTest, RequantizeMatchesReference) {
    for (const auto& shape : kShapes) {
        for (int axis = -1; axis < static_cast<int>(shape.size()); ++axis) {
            for (int repeat = 0; repeat < 4; ++repeat) {
                check_requantize<int8_t>(shape, axis, choice());
                check_requantize<uint8_t>(shape, axis, choice());
            }
        }
    }
}

// Round half to even, checked on values whose quotient is exact.
TEST_P(QuantizeOpsTest, QuantizeRoundsTiesToEven) {
    const std::vector<float> x = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f, -127.5f};
    const std::vector<int32_t> expected = {0, 2, 2, 0, -2, -2, 126, -128};
    std::vector<int8_t> y(x.size());
    quantize(Span<const float>(x), {8}, {{1.0f}, {0}, 0, 8}, Span<int8_t>(y), choice());
    for (size_t i = 0; i < x.size(); ++i) {
        EXPECT_EQ(y[i], expected[i]) << x[i];
    }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, QuantizeOpsTest, ::testing::ValuesIn(testing::isas_to_test()),
                         [](const auto& info) { return testing::param_name(info.param); });

}  // namespace
}  // namespace haqm
