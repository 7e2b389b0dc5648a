// Calling a kernel whose output is a matrix (n, m) with per-column arrays (gemm_q8, conv2d_q8).
// The autoscheduled kernels (Mullapudi2016) write their output in 64 x 64 tiles with Halide's
// default tail for outputs (shift inwards), so they cannot write a smaller output: smaller
// products run in padded scratch (extra columns read the weights' zero padding, extra rows the
// kernels' clamped activation reads) and the real part is copied out.
#pragma once
#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "checks.h"
#include "gemm_layout.h"
#include "halide_call.h"
#include "table_lookup.h"

namespace haqm::detail {

inline constexpr int64_t kAutoScheduleMinimumExtent = 64;

// The per-column arrays of one call: weight sums and the epilogue's, `count` entries each.
struct ColumnArrays {
    const int32_t* weight_sums;
    const int32_t* bias;
    const int32_t* multipliers;
    const int32_t* shifts;
    const float* scales;
    int64_t count;
};

inline ColumnArrays column_arrays(const int32_t* weight_sums, const PreparedOutput& out, int64_t offset, int64_t count) {
    return {weight_sums, out.bias.data() + offset, out.multipliers.data() + offset, out.shifts.data() + offset,
            out.scales.data() + offset, count};
}

// Runs run(m_run, columns, output, output_row_stride) once, directly on `output` (m rows of n
// columns, rows `row_stride` apart) or, for an autoscheduled kernel and a small product, on
// scratch of at least 64 x padded_n.
template <class Out, class Run>
void run_product(bool autoscheduled, int64_t m, int64_t padded_n, const ColumnArrays& columns, Out* output,
                 int64_t row_stride, Run&& run) {
    const int64_t n = columns.count;
    if (!autoscheduled || (m >= kAutoScheduleMinimumExtent && n >= kAutoScheduleMinimumExtent)) {
        run(m, columns, output, row_stride);
        return;
    }
    const int64_t m_run = std::max(m, kAutoScheduleMinimumExtent), n_run = padded_n;
    auto padded = [&](const auto* values) {
        std::vector<std::remove_const_t<std::remove_pointer_t<decltype(values)>>> v(n_run);
        std::copy(values, values + n, v.begin());
        return v;
    };
    const auto sums = padded(columns.weight_sums), bias = padded(columns.bias);
    const auto multipliers = padded(columns.multipliers), shifts = padded(columns.shifts);
    const auto scales = padded(columns.scales);
    std::vector<Out> scratch(m_run * n_run);
    run(m_run, ColumnArrays{sums.data(), bias.data(), multipliers.data(), shifts.data(), scales.data(), n_run},
        scratch.data(), n_run);
    for (int64_t row = 0; row < m; ++row) {
        std::copy(scratch.begin() + row * n_run, scratch.begin() + row * n_run + n, output + row * row_stride);
    }
}

// The fused activation table (GemmSpec::output_table), applied to the `count` outputs right after
// the kernel wrote them, while they are in cache (table_lookup.h says why not in the kernel).
// Nothing without a table.
template <class Out>
void apply_output_table(const PreparedOutput& prepared, Out* output, int64_t count) {
    if constexpr (!std::is_same_v<Out, int32_t>) {
        if (prepared.table.empty()) return;
        auto* bytes = reinterpret_cast<uint8_t*>(output);
        lookup_bytes(prepared.table.data(), bytes, bytes, count, std::is_signed_v<Out>);
    }
}

// The buffers every product kernel takes besides its activations and output: the packed weights in
// their (kk, nn, ko, np) panel layout and the per-column arrays.
struct ProductBuffers {
    ProductBuffers(const PackedWeights& packed, const ColumnArrays& columns)
        : weights(packed.packed().data(),
                  {gemm_layout::kDepthGroup, gemm_layout::kPanelWidth,
                   (packed.k() + gemm_layout::kDepthGroup - 1) / gemm_layout::kDepthGroup,
                   packed.padded_n() / gemm_layout::kPanelWidth}),
          weight_sums(columns.weight_sums, {columns.count}),
          bias(columns.bias, {columns.count}),
          multipliers(columns.multipliers, {columns.count}),
          shifts(columns.shifts, {columns.count}),
          scales(columns.scales, {columns.count}) {}
    BufferRef weights, weight_sums, bias, multipliers, shifts, scales;
};

}  // namespace haqm::detail
