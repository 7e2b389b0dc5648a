// Calibration observers: watch a stream of float tensors of one shape and propose quantization
// parameters for them (post-training quantization). Statistics are kept per parameter set of the
// scheme (parameter_index), so per-channel and group-wise schemes get one range per set; the
// parameters come from params_from_ranges. Rules in docs/quantization.md.
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "haqm/quant_params.h"

namespace haqm {

class Observer {
public:
    // Throws haqm::Error for an unsupported bit width.
    explicit Observer(const QuantScheme& scheme);
    virtual ~Observer();

    // Adds one batch. The first batch fixes the shape. Throws haqm::Error for an empty batch, a
    // NaN or infinite value, a shape that does not hold x.size() values, or a shape different
    // from the first batch's.
    void observe(const std::vector<float>& x, const std::vector<int64_t>& shape);

    // The parameters for everything observed so far. Throws haqm::Error before the first batch.
    QuantParams params() const;

    const QuantScheme& scheme() const { return scheme_; }

private:
    // One batch, split by parameter set: batch[set] holds that set's values in tensor order.
    virtual void accumulate(const std::vector<std::vector<float>>& batch) = 0;
    // The [min, max] range proposed for parameter set `set`.
    virtual std::pair<float, float> range(size_t set) const = 0;

    QuantScheme scheme_;
    std::vector<int64_t> shape_;  // empty until the first batch
    size_t set_count_ = 0;
};

// The running minimum and maximum of everything observed.
class MinMaxObserver : public Observer {
public:
    explicit MinMaxObserver(const QuantScheme& scheme);

private:
    void accumulate(const std::vector<std::vector<float>>& batch) override;
    std::pair<float, float> range(size_t set) const override;

    std::vector<float> mins_, maxs_;
};

// Exponential moving average of each batch's minimum and maximum (PyTorch's
// MovingAverageMinMaxObserver): the first batch sets the range, each later batch moves it by
//   min += averaging_constant * (batch_min - min),   likewise max.
class MovingAverageMinMaxObserver : public Observer {
public:
    // Throws haqm::Error unless 0 < averaging_constant <= 1.
    MovingAverageMinMaxObserver(const QuantScheme& scheme, double averaging_constant = 0.01);

private:
    void accumulate(const std::vector<std::vector<float>>& batch) override;
    std::pair<float, float> range(size_t set) const override;

    double averaging_constant_;
    std::vector<double> mins_, maxs_;
};

// Base of the observers that need the whole distribution: keeps every observed value of each
// parameter set (4 bytes per value; meant for calibration sets, not for training-time use).
class SampleObserver : public Observer {
public:
    using Observer::Observer;

protected:
    const std::vector<float>& samples(size_t set) const { return samples_[set]; }

private:
    void accumulate(const std::vector<std::vector<float>>& batch) final;

    std::vector<std::vector<float>> samples_;
};

// Clips at the `percentile`-th and (100 - percentile)-th percentiles of each set, interpolating
// linearly between order statistics (position p/100 * (n - 1) of the sorted values, NumPy's
// default rule).
class PercentileObserver : public SampleObserver {
public:
    // Throws haqm::Error unless 50 <= percentile <= 100.
    PercentileObserver(const QuantScheme& scheme, double percentile = 99.99);

private:
    std::pair<float, float> range(size_t set) const override;

    double percentile_;
};

// Chooses, per set, the clipping range [f * min, f * max] with f in {1/candidates, ..., 1} that
// minimizes the squared error of quantize_tensor/dequantize_tensor on the observed values. Ties go
// to the widest range.
class MseObserver : public SampleObserver {
public:
    // Throws haqm::Error unless candidates >= 1.
    MseObserver(const QuantScheme& scheme, int candidates = 100);

private:
    std::pair<float, float> range(size_t set) const override;

    int candidates_;
};

// Entropy calibration as in TensorRT (Migacz, "8-bit Inference with TensorRT", GTC 2017): a
// histogram of |x| with `bins` bins over [0, max|x|]; for every candidate of i bins (from
// max(128, levels) up to `bins`), the reference P is the first i bins with the outliers (bins i
// and above) added to bin i-1, and the candidate Q merges the first i bins, outliers left out,
// into levels = 2^(bits-1) chunks, each chunk's count spread evenly over its non-empty bins. Both
// are normalized; the threshold i * max|x| / bins minimizing KL(P || Q) wins (the smallest on
// ties). No smoothing: a candidate whose empty bin i-1 receives outliers has P > 0 where Q = 0, so
// infinite divergence, and loses. The range is the observed [min, max] clipped to
// [-threshold, threshold].
class KlObserver : public SampleObserver {
public:
    // Throws haqm::Error unless bins >= 128.
    KlObserver(const QuantScheme& scheme, int bins = 2048);

private:
    std::pair<float, float> range(size_t set) const override;

    int bins_;
};

}  // namespace haqm
