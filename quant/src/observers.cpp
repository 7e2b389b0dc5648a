#include "haqm/observers.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "haqm/error.h"

namespace haqm {
namespace {

std::string shape_string(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        s += (i ? ", " : "") + std::to_string(shape[i]);
    }
    return s + "]";
}

std::pair<float, float> min_max(const std::vector<float>& values) {
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    return {*lo, *hi};
}

// The same scheme for one parameter set seen as a flat tensor: the observers that search a range
// evaluate candidates one set at a time.
QuantScheme single_set_scheme(QuantScheme scheme) {
    scheme.granularity = Granularity::per_tensor;
    return scheme;
}

}  // namespace

Observer::Observer(const QuantScheme& scheme) : scheme_(scheme) {
    quant_range(scheme.bits, scheme.is_signed);  // rejects an unsupported bit width now, not later
}

Observer::~Observer() = default;

void Observer::observe(const std::vector<float>& x, const std::vector<int64_t>& shape) {
    if (x.empty()) {
        throw Error("observer: empty batch");
    }
    for (size_t i = 0; i < x.size(); ++i) {
        if (!std::isfinite(x[i])) {
            throw Error("observer: value " + std::to_string(i) + " of the batch is " +
                        (std::isnan(x[i]) ? "NaN" : "infinite"));
        }
    }
    if (!shape_.empty() && shape != shape_) {
        throw Error("observer: batch shape " + shape_string(shape) + " differs from the first batch's " +
                    shape_string(shape_));
    }
    const size_t sets = parameter_count(scheme_, shape);  // also rejects non-positive dimensions
    int64_t elements = 1;
    for (int64_t d : shape) {
        elements *= d;
    }
    if (elements != static_cast<int64_t>(x.size())) {
        throw Error("observer: " + std::to_string(x.size()) + " values for shape " + shape_string(shape));
    }
    std::vector<std::vector<float>> batch(sets);
    for (size_t i = 0; i < x.size(); ++i) {
        batch[parameter_index(scheme_, shape, static_cast<int64_t>(i))].push_back(x[i]);
    }
    accumulate(batch);
    shape_ = shape;
    set_count_ = sets;
}

QuantParams Observer::params() const {
    if (set_count_ == 0) {
        throw Error("observer: no data observed");
    }
    std::vector<float> mins(set_count_), maxs(set_count_);
    for (size_t set = 0; set < set_count_; ++set) {
        const std::pair<float, float> r = range(set);
        mins[set] = r.first;
        maxs[set] = r.second;
    }
    return params_from_ranges(scheme_, mins, maxs);
}

MinMaxObserver::MinMaxObserver(const QuantScheme& scheme) : Observer(scheme) {}

void MinMaxObserver::accumulate(const std::vector<std::vector<float>>& batch) {
    if (mins_.empty()) {
        mins_.assign(batch.size(), std::numeric_limits<float>::infinity());
        maxs_.assign(batch.size(), -std::numeric_limits<float>::infinity());
    }
    for (size_t set = 0; set < batch.size(); ++set) {
        const auto [lo, hi] = min_max(batch[set]);
        mins_[set] = std::min(mins_[set], lo);
        maxs_[set] = std::max(maxs_[set], hi);
    }
}

std::pair<float, float> MinMaxObserver::range(size_t set) const {
    return {mins_[set], maxs_[set]};
}

MovingAverageMinMaxObserver::MovingAverageMinMaxObserver(const QuantScheme& scheme, double averaging_constant)
    : Observer(scheme), averaging_constant_(averaging_constant) {
    if (!(averaging_constant > 0.0 && averaging_constant <= 1.0)) {
        throw Error("moving-average observer: averaging constant " + std::to_string(averaging_constant) +
                    " is outside (0, 1]");
    }
}

void MovingAverageMinMaxObserver::accumulate(const std::vector<std::vector<float>>& batch) {
    const bool first = mins_.empty();
    mins_.resize(batch.size());
    maxs_.resize(batch.size());
    for (size_t set = 0; set < batch.size(); ++set) {
        const auto [lo, hi] = min_max(batch[set]);
        if (first) {
            mins_[set] = lo;
            maxs_[set] = hi;
        } else {
            mins_[set] += averaging_constant_ * (lo - mins_[set]);
            maxs_[set] += averaging_constant_ * (hi - maxs_[set]);
        }
    }
}

std::pair<float, float> MovingAverageMinMaxObserver::range(size_t set) const {
    return {static_cast<float>(mins_[set]), static_cast<float>(maxs_[set])};
}

void SampleObserver::accumulate(const std::vector<std::vector<float>>& batch) {
    samples_.resize(batch.size());
    for (size_t set = 0; set < batch.size(); ++set) {
        samples_[set].insert(samples_[set].end(), batch[set].begin(), batch[set].end());
    }
}

PercentileObserver::PercentileObserver(const QuantScheme& scheme, double percentile)
    : SampleObserver(scheme), percentile_(percentile) {
    if (!(percentile >= 50.0 && percentile <= 100.0)) {
        throw Error("percentile observer: percentile " + std::to_string(percentile) + " is outside [50, 100]");
    }
}

std::pair<float, float> PercentileObserver::range(size_t set) const {
    std::vector<float> sorted = samples(set);
    std::sort(sorted.begin(), sorted.end());
    const auto at_percentile = [&sorted](double p) {
        const double position = p / 100.0 * static_cast<double>(sorted.size() - 1);
        const size_t below = static_cast<size_t>(std::floor(position));
        const size_t above = std::min(below + 1, sorted.size() - 1);
        const double weight = position - static_cast<double>(below);
        return static_cast<float>(sorted[below] + weight * (static_cast<double>(sorted[above]) - sorted[below]));
    };
    return {at_percentile(100.0 - percentile_), at_percentile(percentile_)};
}

MseObserver::MseObserver(const QuantScheme& scheme, int candidates) : SampleObserver(scheme), candidates_(candidates) {
    if (candidates < 1) {
        throw Error("MSE observer: " + std::to_string(candidates) + " candidates, need at least 1");
    }
}

std::pair<float, float> MseObserver::range(size_t set) const {
    const std::vector<float>& x = samples(set);
    const std::vector<int64_t> shape = {static_cast<int64_t>(x.size())};
    const QuantScheme scheme = single_set_scheme(this->scheme());
    const auto [lo, hi] = min_max(x);
    std::pair<float, float> best = {lo, hi};
    double best_error = std::numeric_limits<double>::infinity();
    for (int k = candidates_; k >= 1; --k) {  // widest first, so ties keep the wider range
        const float fraction = static_cast<float>(k) / static_cast<float>(candidates_);
        const QuantParams params = params_from_ranges(scheme, {fraction * lo}, {fraction * hi});
        const std::vector<float> y = dequantize_tensor(quantize_tensor(x, shape, params), shape, params);
        double error = 0.0;
        for (size_t i = 0; i < x.size(); ++i) {
            error += (static_cast<double>(x[i]) - y[i]) * (static_cast<double>(x[i]) - y[i]);
        }
        if (error < best_error) {
            best_error = error;
            best = {fraction * lo, fraction * hi};
        }
    }
    return best;
}

KlObserver::KlObserver(const QuantScheme& scheme, int bins) : SampleObserver(scheme), bins_(bins) {
    if (bins < 128) {
        throw Error("KL observer: " + std::to_string(bins) + " histogram bins, need at least 128");
    }
}

std::pair<float, float> KlObserver::range(size_t set) const {
    const std::vector<float>& x = samples(set);
    const auto [lo, hi] = min_max(x);
    const double max_abs = std::max(std::fabs(lo), std::fabs(hi));
    const int64_t levels = int64_t{1} << (scheme().bits - 1);
    const int64_t bins = bins_;
    const int64_t first_candidate = std::max<int64_t>(128, levels);
    if (max_abs == 0.0 || first_candidate >= bins) {
        return {lo, hi};  // nothing to clip, or more levels than bins: keep the observed range
    }
    std::vector<double> histogram(bins, 0.0);
    for (float v : x) {
        const auto bin = static_cast<int64_t>(std::fabs(v) / max_abs * static_cast<double>(bins));
        histogram[std::min(bin, bins - 1)] += 1.0;
    }
    std::vector<double> outliers(bins + 1, 0.0);  // outliers[i] = count in bins i and above
    for (int64_t i = bins - 1; i >= 0; --i) {
        outliers[i] = outliers[i + 1] + histogram[i];
    }

    int64_t best_bins = bins;
    double best_divergence = std::numeric_limits<double>::infinity();
    const double total = static_cast<double>(x.size());
    for (int64_t i = first_candidate; i <= bins; ++i) {
        const double kept = total - outliers[i];  // Q's total: the outliers are clipped away
        double divergence = 0.0;
        for (int64_t chunk = 0; chunk < levels && std::isfinite(divergence); ++chunk) {
            const int64_t begin = chunk * i / levels, end = (chunk + 1) * i / levels;
            double chunk_count = 0.0;
            int64_t nonzero = 0;
            for (int64_t j = begin; j < end; ++j) {
                chunk_count += histogram[j];
                nonzero += histogram[j] > 0.0;
            }
            for (int64_t j = begin; j < end; ++j) {
                const double p = (histogram[j] + (j == i - 1 ? outliers[i] : 0.0)) / total;
                const double q = histogram[j] > 0.0 ? chunk_count / static_cast<double>(nonzero) / kept : 0.0;
                if (p > 0.0) {
                    // q == 0 only in bin i-1 when it is empty but outliers fold into it: P has
                    // mass Q cannot represent, KL is infinite and the candidate loses.
                    divergence += q > 0.0 ? p * std::log(p / q) : std::numeric_limits<double>::infinity();
                }
            }
        }
        if (divergence < best_divergence) {
            best_divergence = divergence;
            best_bins = i;
        }
    }
    const float threshold = static_cast<float>(static_cast<double>(best_bins) * max_abs / static_cast<double>(bins));
    return {std::max(lo, -threshold), std::min(hi, threshold)};
}

}  // namespace haqm
