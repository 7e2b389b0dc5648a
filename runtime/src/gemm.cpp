// gemm_q8 entry points and weight packing.
#include <algorithm>
#include <array>
#include <limits>
#include <type_traits>
#include <vector>

#include "checks.h"
#include "gemm_layout.h"
#include "halide_call.h"
#include "haqm/kernels.h"
#include "kernel_registry.h"
#include "product_call.h"

namespace haqm {
namespace {

using gemm_layout::kColumnPadding;
using gemm_layout::kDepthGroup;
using gemm_layout::kPanelWidth;

int64_t round_up(int64_t value, int64_t multiple) {
    return (value + multiple - 1) / multiple * multiple;
}

// Everything but the data: checks, the epilogue's per-column arrays and the kernel.
template <class A, class Out>
KernelPlan plan_gemm(int64_t m, const PackedWeights& b, const GemmSpec& spec, const KernelChoice& choice) {
    constexpr const char* what = "gemm_q8";
    const int64_t k = b.k(), n = b.n();
    if (m <= 0 || m > std::numeric_limits<int32_t>::max() / k) {
        throw Error(std::string(what) + ": M = " + std::to_string(m) + " must be > 0 and M * K below 2^31");
    }
    check_zero_point(spec.a_zero_point, integer_range(8, std::is_signed_v<A>), "gemm_q8: activation zero point");
    detail::PreparedOutput out = detail::prepare_output<A, Out>(spec, n, what);
    const auto& entry = detail::find_kernel({detail::KernelFamily::gemm_q8, dtype_of<A>(), dtype_of<Out>(), spec.requantization}, choice);
    const auto fn = detail::kernel_function<detail::gemm_q8_fn>(entry);
    const bool autoscheduled = std::string(entry.schedule) == "auto";
    const int32_t output_zero_point = spec.output_zero_point;
    const std::array<int32_t, 2> zero_points{spec.a_zero_point, b.zero_point()};
    auto call = [&b, m, k, n, fn, autoscheduled, output_zero_point, zero_points, out = std::move(out)](
                    const void* const* inputs, void* output) {
        const A* a = static_cast<const A*>(inputs[0]);
        detail::run_product(autoscheduled, m, b.padded_n(), detail::column_arrays(b.column_sums().data(), out, 0, n),
                            static_cast<Out*>(output), n,
                            [&](int64_t m_run, const detail::ColumnArrays& columns, Out* out_data, int64_t row_stride) {
                                detail::BufferRef a_buf(a, {k, m});
                                detail::BufferRef zero_points_buf(zero_points.data(), {2});
                                detail::ProductBuffers product(b, columns);
                                detail::BufferRef out_buf(out_data, {columns.count, m_run}, {1, row_stride});
                                detail::run_kernel(what, [&] {
                                    return fn(a_buf.get(), zero_points_buf.get(), product.weights.get(),
                                              product.weight_sums.get(), product.bias.get(),
                                              product.multipliers.get(), product.shifts.get(), product.scales.get(),
                                              output_zero_point, out.clamp.min, out.clamp.max, out_buf.get());
                                });
                            });
        detail::apply_output_table(out, static_cast<Out*>(output), m * n);
    };
    return KernelPlan(what, {{dtype_of<A>(), {m, k}}}, {dtype_of<Out>(), {m, n}}, entry.schedule, std::move(call));
}

template <class A, class Out>
void gemm(Span<const A> a, int64_t m, const PackedWeights& b, const GemmSpec& spec, Span<Out> output,
          const KernelChoice& choice) {
    const KernelPlan plan = plan_gemm<A, Out>(m, b, spec, choice);
    detail::check_span(a, m * b.k(), "gemm_q8", "activations");
    detail::check_span(output, m * b.n(), "gemm_q8", "output");
    const void* inputs[] = {a.data()};
    plan.run(inputs, output.data());
}

}  // namespace

PackedWeights::PackedWeights(Span<const int8_t> weights, int64_t k, int64_t n, int32_t zero_point)
    : k_(k), n_(n), padded_n_(round_up(n, kColumnPadding)), zero_point_(zero_point) {
    if (k <= 0 || n <= 0) {
        throw Error("gemm_q8 weights: K = " + std::to_string(k) + " and N = " + std::to_string(n) + " must be > 0");
    }
    if (k > kMaxGemmDepth) {
        throw Error("gemm_q8 weights: K = " + std::to_string(k) + " exceeds " + std::to_string(kMaxGemmDepth) +
                    ", beyond which int32 accumulators may overflow");
    }
    if (n > std::numeric_limits<int32_t>::max() / k) {
        throw Error("gemm_q8 weights: K * N must be below 2^31");
    }
    detail::check_span(weights, k * n, "gemm_q8 weights", "weights");
    check_zero_point(zero_point, integer_range(8, true), "gemm_q8 weights: zero point");
    const int64_t groups = round_up(k, kDepthGroup) / kDepthGroup;
    packed_.assign(groups * padded_n_ * kDepthGroup, 0);
    column_sums_.assign(n, 0);
    for (int64_t row = 0; row < k; ++row) {
        const int64_t group = row / kDepthGroup, lane = row % kDepthGroup;
        for (int64_t col = 0; col < n; ++col) {
            const int8_t value = weights.data()[row * n + col];
            const int64_t panel = col / kPanelWidth, column_in_panel = col % kPanelWidth;
            packed_[((panel * groups + group) * kPanelWidth + column_in_panel) * kDepthGroup + lane] = value;
            column_sums_[col] += value;
        }
    }
}

void gemm_q8(Span<const uint8_t> a, int64_t m, const PackedWeights& b, const GemmSpec& spec, Span<uint8_t> output,
             const KernelChoice& choice) {
    gemm(a, m, b, spec, output, choice);
}
void gemm_q8(Span<const int8_t> a, int64_t m, const PackedWeights& b, const GemmSpec& spec, Span<int8_t> output,
             const KernelChoice& choice) {
    gemm(a, m, b, spec, output, choice);
}
void gemm_q8(Span<const uint8_t> a, int64_t m, const PackedWeights& b, const GemmSpec& spec, Span<int32_t> output,
             const KernelChoice& choice) {
    gemm(a, m, b, spec, output, choice);
}
void gemm_q8(Span<const int8_t> a, int64_t m, const PackedWeights& b, const GemmSpec& spec, Span<int32_t> output,
             const KernelChoice& choice) {
    gemm(a, m, b, spec, output, choice);
}

}  // namespace haqm

namespace haqm {

KernelPlan plan_gemm_q8(int64_t m, DType a, DType output, const PackedWeights& b, const GemmSpec& spec,
                        const KernelChoice& choice) {
    if (a == DType::uint8 && output == DType::uint8) return plan_gemm<uint8_t, uint8_t>(m, b, spec, choice);
    if (a == DType::int8 && output == DType::int8) return plan_gemm<int8_t, int8_t>(m, b, spec, choice);
    if (a == DType::uint8 && output == DType::int32) return plan_gemm<uint8_t, int32_t>(m, b, spec, choice);
    if (a == DType::int8 && output == DType::int32) return plan_gemm<int8_t, int32_t>(m, b, spec, choice);
    throw Error(std::string("gemm_q8: no kernel for ") + dtype_name(a) + " activations and " + dtype_name(output) +
                " outputs (uint8/int8 activations, the same type or int32 out)");
}

}  // namespace haqm
