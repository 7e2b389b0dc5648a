// quant/observers: calibration ranges against hand-derived values, and properties of the parameters.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <vector>

#include "haqm/error.h"
#include "haqm/observers.h"

namespace haqm {
namespace {

// n values spread evenly over (lo, hi): the centers of n equal cells.
std::vector<float> even_spread(int n, double lo, double hi) {
    std::vector<float> x(n);
    for (int i = 0; i < n; ++i) {
        x[i] = static_cast<float>(lo + (hi - lo) * (i + 0.5) / n);
    }
    return x;
}

// The clipping bound of signed symmetric parameters: scale = 2 * bound / (2^bits - 1).
double symmetric_bound(const QuantParams& params, size_t set = 0) {
    return params.scales[set] * ((1 << params.scheme.bits) - 1) / 2.0;
}

TEST(MinMaxObserver, TracksTheExtremesOfTheStream) {
    MinMaxObserver observer(QuantScheme{8, true, false});
    observer.observe({1.0f, -2.0f, 3.0f}, {3});
    observer.observe({0.5f, 4.0f, -1.0f}, {3});
    observer.observe({-3.0f, 2.0f, 2.0f}, {3});
    // Range [-3, 4]: scale 7/255, zero point -128 - round(-3 / (7/255)) = -128 + round(109.29) = -19.
    const QuantParams params = observer.params();
    EXPECT_FLOAT_EQ(params.scales[0], 7.0f / 255.0f);
    EXPECT_EQ(params.zero_points[0], -19);
}

TEST(MinMaxObserver, SymmetricSignedParametersHaveZeroPointZero) {
    MinMaxObserver observer(QuantScheme{8, true, true});
    observer.observe({0.5f, 4.0f, -1.0f}, {3});
    const QuantParams params = observer.params();
    EXPECT_FLOAT_EQ(params.scales[0], 8.0f / 255.0f);  // 2 * max |x| / 255
    EXPECT_EQ(params.zero_points[0], 0);
}

TEST(MinMaxObserver, PerChannelGivesEachChannelItsOwnRange) {
    QuantScheme scheme = QuantScheme{8, true, true};
    scheme.granularity = Granularity::per_channel;
    scheme.axis = 1;
    MinMaxObserver observer(scheme);
    // Shape {2, 3}: channel c holds elements c and 3 + c.
    observer.observe({1.0f, -10.0f, 0.25f, -2.0f, 5.0f, 0.0f}, {2, 3});
    const QuantParams params = observer.params();
    ASSERT_EQ(params.scales.size(), 3u);
    EXPECT_FLOAT_EQ(params.scales[0], 4.0f / 255.0f);
    EXPECT_FLOAT_EQ(params.scales[1], 20.0f / 255.0f);
    EXPECT_FLOAT_EQ(params.scales[2], 0.5f / 255.0f);
}

TEST(MovingAverageMinMaxObserver, FirstBatchInitializesLaterBatchesMoveByTheConstant) {
    MovingAverageMinMaxObserver observer(QuantScheme{8, false, false}, 0.01);
    observer.observe({-1.0f, 2.0f}, {2});
    EXPECT_FLOAT_EQ(observer.params().scales[0], 3.0f / 255.0f);
    observer.observe({-3.0f, 4.0f}, {2});
    // min = -1 + 0.01 * (-3 - -1) = -1.02, max = 2 + 0.01 * (4 - 2) = 2.02: scale 3.04/255,
    // zero point 0 - round(-1.02 * 255 / 3.04) = round(85.56) = 86.
    const QuantParams params = observer.params();
    EXPECT_FLOAT_EQ(params.scales[0], 3.04f / 255.0f);
    EXPECT_EQ(params.zero_points[0], 86);
}

TEST(PercentileObserver, ClipsARampAtItsPercentiles) {
    // 0..9999 in ten batches; position 0.9999 * 9999 = 9998.0001 of the sorted ramp is the 99.99th
    // percentile, 9998.0001; the 0.01th (0.9999) is widened to 0 by the asymmetric rule.
    PercentileObserver observer(QuantScheme{8, false, false}, 99.99);
    for (int batch = 0; batch < 10; ++batch) {
        std::vector<float> x(1000);
        for (int i = 0; i < 1000; ++i) {
            x[i] = static_cast<float>(batch * 1000 + i);
        }
        observer.observe(x, {1000});
    }
    const QuantParams params = observer.params();
    EXPECT_NEAR(params.scales[0], 9998.0001 / 255.0, 1e-4);
    EXPECT_EQ(params.zero_points[0], 0);
}

TEST(PercentileObserver, ClipsBothEndsOfACenteredRamp) {
    // -5000..4999: percentiles -5000 + 0.9999 = -4999.0001 and -5000 + 9998.0001 = 4998.0001,
    // scale 9997.0002 / 255, zero point -128 - round(-4999.0001 / scale) = -128 + round(127.51) = 0.
    std::vector<float> x(10000);
    for (int i = 0; i < 10000; ++i) {
        x[i] = static_cast<float>(i - 5000);
    }
    PercentileObserver observer(QuantScheme{8, true, false}, 99.99);
    observer.observe(x, {10000});
    const QuantParams params = observer.params();
    EXPECT_NEAR(params.scales[0], 9997.0002 / 255.0, 1e-4);
    EXPECT_EQ(params.zero_points[0], 0);
}

TEST(PercentileObserver, HundredthPercentileIsMinMax) {
    PercentileObserver percentile(QuantScheme{4, true, true}, 100.0);
    MinMaxObserver min_max(QuantScheme{4, true, true});
    const std::vector<float> x = {0.3f, -7.5f, 2.0f, 6.0f};
    percentile.observe(x, {4});
    min_max.observe(x, {4});
    EXPECT_EQ(percentile.params().scales, min_max.params().scales);
}

TEST(MseObserver, ClipsAHugeOutlier) {
    // 10000 values even over (-1, 1) and one at 10, 4-bit symmetric (15 levels, step 2B/15 for
    // bound B). Clipping at B = 1 costs about 81/10001 (the outlier) + (2/15)^2/12 (rounding)
    // ~ 0.0096 per value. B >= 3 makes the step >= 0.4, rounding noise >= 0.4^2/12 ~ 0.013;
    // B <= 0.5 clips a quarter of the values: >= 2 * integral_0^0.5 t^2 dt / 2 ~ 0.042. So
    // 0.5 < B < 3, far below the outlier.
    std::vector<float> x = even_spread(10000, -1.0, 1.0);
    x.push_back(10.0f);
    MseObserver observer(QuantScheme{4, true, true});
    observer.observe(x, {10001});
    const double bound = symmetric_bound(observer.params());
    EXPECT_GT(bound, 0.5);
    EXPECT_LT(bound, 3.0);
}

TEST(MseObserver, FindsTheHandDerivedOptimumOfTwoPoints) {
    // {-1, 1} at 2 bits symmetric: codes -2..1, step 2B/3 for bound B. For 0.75 < B <= 1, 1 rounds
    // to code 2, saturates to 1 (2B/3) and -1 to code -2 (-4B/3): error (1 - 2B/3)^2 + (4B/3 - 1)^2,
    // least at B = 0.9 (0.2). B <= 0.75 clips -1 too: error >= 0.25. So the grid point 0.9 wins.
    MseObserver observer(QuantScheme{2, true, true});
    observer.observe({-1.0f, 1.0f}, {2});
    EXPECT_NEAR(symmetric_bound(observer.params()), 0.9, 1e-6);
}

TEST(KlObserver, UniformDataKeepsNearlyItsMax) {
    // Every clipped candidate folds a large share of the data into bin i-1, which Q spreads over a
    // whole chunk; the unclipped histogram is flat, which Q reproduces. The threshold stays near 1.
    KlObserver observer(QuantScheme{8, true, true});
    observer.observe(even_spread(100000, -1.0, 1.0), {100000});
    const double bound = symmetric_bound(observer.params());
    EXPECT_GT(bound, 0.95);
    EXPECT_LE(bound, 1.0 + 1e-6);
}

TEST(KlObserver, KeepsAnIsolatedOutlier) {
    // Data in (-1, 1) and one value at 100: bins 21..2046 of width 100/2048 are empty, so every
    // clipped candidate folds the outlier into an empty bin where Q is 0 (infinite divergence).
    // Only the full range, 100, is finite.
    std::vector<float> x = even_spread(10000, -1.0, 1.0);
    x.push_back(100.0f);
    KlObserver observer(QuantScheme{8, true, true});
    observer.observe(x, {10001});
    EXPECT_NEAR(symmetric_bound(observer.params()), 100.0, 1e-4);
}

TEST(KlObserver, ClipsTheTailOfALaplacian) {
    std::mt19937 rng(20261125);
    std::exponential_distribution<float> magnitude(1.0f);
    std::vector<float> x(100000);
    float max_abs = 0.0f;
    for (size_t i = 0; i < x.size(); ++i) {
        x[i] = (i % 2 ? 1.0f : -1.0f) * magnitude(rng);
        max_abs = std::max(max_abs, std::fabs(x[i]));
    }
    KlObserver observer(QuantScheme{8, true, true});
    observer.observe(x, {100000});
    const double bound = symmetric_bound(observer.params());
    EXPECT_LT(bound, 0.9 * max_abs);
    EXPECT_GE(bound, 128.0 / 2048.0 * max_abs * (1.0 - 1e-6));  // no candidate below 128 bins
}

TEST(Observers, PerChannelRangesAreIndependent) {
    // Channel 0 is 100 times channel 1: every observer scales its parameters by 100 with it.
    QuantScheme scheme = QuantScheme{8, true, true};
    scheme.granularity = Granularity::per_channel;
    std::vector<float> x = even_spread(4096, -1.0, 1.0);
    const std::vector<float> base = x;
    for (float v : base) {
        x.push_back(100.0f * v);
    }
    std::vector<std::unique_ptr<Observer>> observers;
    observers.push_back(std::make_unique<MinMaxObserver>(scheme));
    observers.push_back(std::make_unique<MovingAverageMinMaxObserver>(scheme));
    observers.push_back(std::make_unique<PercentileObserver>(scheme, 99.0));
    observers.push_back(std::make_unique<MseObserver>(scheme));
    observers.push_back(std::make_unique<KlObserver>(scheme));
    for (auto& observer : observers) {
        observer->observe(x, {2, 4096});
        const QuantParams params = observer->params();
        ASSERT_EQ(params.scales.size(), 2u);
        EXPECT_NEAR(params.scales[1] / params.scales[0], 100.0, 1e-3);
        EXPECT_EQ(params.zero_points, (std::vector<int32_t>{0, 0}));
    }
}

TEST(Observers, RejectBadInput) {
    MinMaxObserver observer(QuantScheme{8, true, true});
    EXPECT_THROW(observer.params(), Error);  // nothing observed
    EXPECT_THROW(observer.observe({}, {0}), Error);
    EXPECT_THROW(observer.observe({1.0f, std::nanf("")}, {2}), Error);
    EXPECT_THROW(observer.observe({1.0f, std::numeric_limits<float>::infinity()}, {2}), Error);
    EXPECT_THROW(observer.observe({1.0f, 2.0f}, {3}), Error);
    observer.observe({1.0f, 2.0f}, {2});
    EXPECT_THROW(observer.observe({1.0f, 2.0f}, {1, 2}), Error);
    EXPECT_THROW(observer.observe({1.0f, 2.0f, 3.0f}, {3}), Error);
    EXPECT_FLOAT_EQ(observer.params().scales[0], 4.0f / 255.0f);  // the rejected batches left no trace
}

TEST(Observers, RejectBadConfiguration) {
    EXPECT_THROW(MinMaxObserver(QuantScheme{9, true, true}), Error);
    EXPECT_THROW(MovingAverageMinMaxObserver(QuantScheme{8, true, true}, 0.0), Error);
    EXPECT_THROW(MovingAverageMinMaxObserver(QuantScheme{8, true, true}, 1.5), Error);
    EXPECT_THROW(PercentileObserver(QuantScheme{8, true, true}, 40.0), Error);
    EXPECT_THROW(PercentileObserver(QuantScheme{8, true, true}, 100.5), Error);
    EXPECT_THROW(MseObserver(QuantScheme{8, true, true}, 0), Error);
    EXPECT_THROW(KlObserver(QuantScheme{8, true, true}, 64), Error);
}

}  // namespace
}  // namespace haqm
