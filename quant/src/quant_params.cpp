#include "haqm/quant_params.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "haqm/error.h"

namespace haqm {
namespace {

int64_t element_count(const std::vector<int64_t>& shape) {
    int64_t count = 1;
    for (size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] <= 0) {
            throw Error("quantization: dimension " + std::to_string(i) + " is " + std::to_string(shape[i]));
        }
        if (count > std::numeric_limits<int64_t>::max() / shape[i]) {
            throw Error("quantization: the shape has more than 2^63 elements");
        }
        count *= shape[i];
    }
    return count;
}

int normalized_axis(const QuantScheme& scheme, const std::vector<int64_t>& shape) {
    const int rank = static_cast<int>(shape.size());
    const int axis = scheme.axis < 0 ? scheme.axis + rank : scheme.axis;
    if (axis < 0 || axis >= rank) {
        throw Error("quantization: axis " + std::to_string(scheme.axis) + " is out of range for rank " +
                    std::to_string(rank));
    }
    return axis;
}

int64_t last_dimension(const std::vector<int64_t>& shape) {
    if (shape.empty()) {
        throw Error("quantization: group-wise parameters need a tensor of rank >= 1");
    }
    return shape.back();
}

int64_t groups_per_row(const QuantScheme& scheme, const std::vector<int64_t>& shape) {
    if (scheme.group_size <= 0) {
        throw Error("quantization: group size " + std::to_string(scheme.group_size) + " must be > 0");
    }
    return (last_dimension(shape) + scheme.group_size - 1) / scheme.group_size;
}

// Checks the parameter count, the scales (finite, > 0) and the zero points (in range): quantize
// and dequantize index the parameter vectors by parameter_index and divide by the scales.
// Checks a tensor of `values` elements of `shape` and its parameters; returns the value range.
IntegerRange check_tensor(size_t values, const std::vector<int64_t>& shape, const QuantParams& params) {
    if (static_cast<int64_t>(values) != element_count(shape)) {
        throw Error("quantization: " + std::to_string(values) + " values for the shape");
    }
    if (params.scales.size() != parameter_count(params.scheme, shape) ||
        params.zero_points.size() != params.scales.size()) {
        throw Error("quantization: parameter count does not match the scheme and shape");
    }
    const IntegerRange range = quant_range(params.scheme.bits, params.scheme.is_signed);
    for (size_t i = 0; i < params.scales.size(); ++i) {
        check_scale(params.scales[i], "quantization scale");
        check_zero_point(params.zero_points[i], range, "quantization zero point");
    }
    return range;
}

}  // namespace

IntegerRange quant_range(int bits, bool is_signed) {
    if (bits == 16) {
        return is_signed ? IntegerRange{-32768, 32767} : IntegerRange{0, 65535};
    }
    if (bits == 1) {
        return is_signed ? IntegerRange{-1, 0} : IntegerRange{0, 1};
    }
    if (bits < 1 || bits > 8) {
        throw Error("bit width " + std::to_string(bits) + " is not supported (1..8 or 16)");
    }
    return integer_range(bits, is_signed);
}

size_t parameter_count(const QuantScheme& scheme, const std::vector<int64_t>& shape) {
    const int64_t elements = element_count(shape);
    switch (scheme.granularity) {
        case Granularity::per_tensor:
            return 1;
        case Granularity::per_channel:
            return static_cast<size_t>(shape[normalized_axis(scheme, shape)]);
        case Granularity::per_group:
            return static_cast<size_t>(elements / last_dimension(shape) * groups_per_row(scheme, shape));
    }
    throw Error("quantization: unknown granularity");
}

size_t parameter_index(const QuantScheme& scheme, const std::vector<int64_t>& shape, int64_t index) {
    // Validating the shape also rules out the divisions by zero below.
    const int64_t elements = element_count(shape);
    if (index < 0 || index >= elements) {
        throw Error("quantization: element " + std::to_string(index) + " of a tensor of " +
                    std::to_string(elements) + " elements");
    }
    switch (scheme.granularity) {
        case Granularity::per_tensor:
            return 0;
        case Granularity::per_channel: {
            const int axis = normalized_axis(scheme, shape);
            int64_t inner = 1;
            for (size_t i = axis + 1; i < shape.size(); ++i) {
                inner *= shape[i];
            }
            return static_cast<size_t>((index / inner) % shape[axis]);
        }
        case Granularity::per_group: {
            const int64_t groups = groups_per_row(scheme, shape);  // checks group_size before dividing by it
            const int64_t last = last_dimension(shape);
            const int64_t row = index / last, column = index % last;
            return static_cast<size_t>(row * groups + column / scheme.group_size);
        }
    }
    throw Error("quantization: unknown granularity");
}

QuantParams params_from_ranges(const QuantScheme& scheme, const std::vector<float>& mins,
                               const std::vector<float>& maxs) {
    if (mins.size() != maxs.size() || mins.empty()) {
        throw Error("quantization: " + std::to_string(mins.size()) + " minimums and " +
                    std::to_string(maxs.size()) + " maximums");
    }
    const IntegerRange range = quant_range(scheme.bits, scheme.is_signed);
    const double levels = static_cast<double>(range.max) - range.min;  // 2^bits - 1
    QuantParams params{scheme, {}, {}};
    for (size_t i = 0; i < mins.size(); ++i) {
        if (!std::isfinite(mins[i]) || !std::isfinite(maxs[i]) || mins[i] > maxs[i]) {
            throw Error("quantization: range [" + std::to_string(mins[i]) + ", " + std::to_string(maxs[i]) +
                        "] of parameter set " + std::to_string(i) + " is not a finite interval");
        }
        const double lo = std::min(0.0f, mins[i]), hi = std::max(0.0f, maxs[i]);
        const double bound = std::max(-lo, hi);
        float scale = static_cast<float>(scheme.symmetric ? 2.0 * bound / levels : (hi - lo) / levels);
        if (std::isinf(scale)) {
            throw Error("quantization: range [" + std::to_string(mins[i]) + ", " + std::to_string(maxs[i]) +
                        "] of parameter set " + std::to_string(i) + " needs a step beyond float");
        }
        if (!(scale > 0.0f)) {
            // The range is empty, or narrower than float resolves: everything is the zero point.
            scale = 1.0f;
        }
        // The zero point comes from the stored float scale, so that it is the one quantize uses.
        const int32_t zero_point =
            scheme.symmetric ? (scheme.is_signed ? 0 : (range.max + 1) / 2)
                             : static_cast<int32_t>(std::clamp<double>(range.min - std::nearbyint(lo / scale),
                                                                        range.min, range.max));
        params.scales.push_back(scale);
        params.zero_points.push_back(zero_point);
    }
    return params;
}

std::vector<int32_t> quantize_tensor(const std::vector<float>& x, const std::vector<int64_t>& shape,
                                     const QuantParams& params) {
    const IntegerRange range = check_tensor(x.size(), shape, params);
    std::vector<int32_t> q(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
        if (std::isnan(x[i])) {  // no nearest integer, and converting NaN to int32 is undefined
            throw Error("quantization: value " + std::to_string(i) + " is NaN");
        }
        const size_t p = parameter_index(params.scheme, shape, static_cast<int64_t>(i));
        const double v = std::nearbyint(static_cast<double>(x[i] / params.scales[p])) + params.zero_points[p];
        q[i] = static_cast<int32_t>(std::clamp<double>(v, range.min, range.max));
    }
    return q;
}

std::vector<float> dequantize_tensor(const std::vector<int32_t>& q, const std::vector<int64_t>& shape,
                                     const QuantParams& params) {
    const IntegerRange range = check_tensor(q.size(), shape, params);
    std::vector<float> x(q.size());
    for (size_t i = 0; i < q.size(); ++i) {
        if (q[i] < range.min || q[i] > range.max) {  // also keeps q - zero_point from overflowing
            throw Error("quantization: value " + std::to_string(i) + " is " + std::to_string(q[i]) + ", outside [" +
                        std::to_string(range.min) + ", " + std::to_string(range.max) + "]");
        }
        const size_t p = parameter_index(params.scheme, shape, static_cast<int64_t>(i));
        x[i] = static_cast<float>(q[i] - params.zero_points[p]) * params.scales[p];
    }
    return x;
}

double sqnr_db(const std::vector<float>& x, const std::vector<float>& y) {
    if (x.size() != y.size() || x.empty()) {
        throw Error("sqnr: signals of " + std::to_string(x.size()) + " and " + std::to_string(y.size()) +
                    " values");
    }
    double signal = 0.0, noise = 0.0;
    for (size_t i = 0; i < x.size(); ++i) {
        signal += static_cast<double>(x[i]) * x[i];
        noise += (static_cast<double>(x[i]) - y[i]) * (static_cast<double>(x[i]) - y[i]);
    }
    if (noise == 0.0) {
        return std::numeric_limits<double>::infinity();
    }
    return 10.0 * std::log10(signal / noise);
}

}  // namespace haqm
