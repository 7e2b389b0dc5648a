// gemm_q8: out[m][n] = sum_k (a[m][k] - a_zp) * (b[k][n] - b_zp) + bias[n], int32 accumulation,
// then (for 8-bit outputs) the requantize epilogue of requantization.h, fixed point or float.
//
// Layouts (Halide dimension 0 innermost):
//   a        (k, m)       activations, uint8 or int8, row-major M x K
//   b_packed (kk, nn, ko, np)  int8 weights in the panel layout of gemm_layout.h
//   output   (n, m)       int32 accumulators, or the activation type after requantization
// The zero points are handled exactly by expanding the product:
//   sum (a - za)(b - zb) = sum a*b - za * colsum(b)[n] - zb * rowsum(a)[m] + K * za * zb.
#include <string>

#include "Halide.h"
#include "dot_operands.h"
#include "gemm_layout.h"
#include "gemm_schedules.h"
#include "requantization.h"

namespace {

using namespace Halide;

class GemmQ8 : public Generator<GemmQ8> {
public:
    GeneratorParam<std::string> schedule{"schedule", "tiled_vec"};
    GeneratorParam<std::string> requantization{"requantization", "fixed"};  // or "float"; 8-bit outputs
    GeneratorParam<int> tile_m{"tile_m", 0};          // 0: the schedule's default for the target
    GeneratorParam<int> tile_n_vectors{"tile_n_vectors", 0};

    Input<Buffer<>> a{"a", 2};
    // {activation, weight} zero points. A buffer, not two scalars: Halide 14's Mullapudi2016
    // autoscheduler fails internally when a scalar parameter multiplies a value.
    Input<Buffer<int32_t>> zero_points{"zero_points", 1};
    Input<Buffer<int8_t>> b_packed{"b_packed", 4};
    Input<Buffer<int32_t>> b_column_sums{"b_column_sums", 1};
    Input<Buffer<int32_t>> bias{"bias", 1};
    Input<Buffer<int32_t>> multiplier{"multiplier", 1};
    Input<Buffer<int32_t>> shift{"shift", 1};
    Input<Buffer<float>> scale{"scale", 1};  // float requantization
    Input<int32_t> output_zero_point{"output_zero_point"};
    Input<int32_t> output_min{"output_min"};
    Input<int32_t> output_max{"output_max"};
    Output<Buffer<>> output{"output", 2};

    void generate() {
        Expr K = a.dim(0).extent();
        Expr M = a.dim(1).extent();

        // Every read of the inputs is clamped into their buffers (the weights' padded columns
        // included), so any schedule, an autoscheduler's included, may compute whole tiles at the
        // edges; k >= K is zero on both sides.
        using namespace haqm::gemm_layout;
        Expr a_value = a(clamp(k, 0, K - 1), clamp(m, 0, M - 1));
        Expr groups = b_packed.dim(2).extent(), panels = b_packed.dim(3).extent();

        const haqm::DotOperand encoded = haqm::encode_for_dot_product(get_target(), a_value, zero_points(0));
        Expr za = encoded.zero_point;
        Func a_encoded("a_encoded");
        a_encoded(k, m) = encoded.value;
        Func a_rows("a_rows");
        a_rows(k, m) = select(k < K, a_encoded(k, m), cast(encoded.type, 0));

        // Dot products in the weights' panel coordinates, column n = 16 * np + nn, so that
        // weight reads need no division.
        RDom r(0, kDepthGroup, 0, groups, "r");  // r.x = kk, r.y = ko
        Expr b_value = b_packed(r.x, clamp(nn, 0, kPanelWidth - 1), r.y, clamp(np, 0, panels - 1));
        Func dot("dot");
        dot(nn, np, m) = 0;
        dot(nn, np, m) += cast<int32_t>(a_rows(kDepthGroup * r.y + r.x, m)) * cast<int32_t>(b_value);

        // The row sums only matter with a weight zero point; symmetric weights (zb = 0) sum nothing.
        Expr zb = zero_points(1);
        RDom rk(0, K, "rk");
        rk.where(zb != 0);
        Func row_sums("row_sums");
        row_sums(m) = 0;
        row_sums(m) += cast<int32_t>(a_encoded(rk, m));

        Func column_terms("column_terms");
        column_terms(n) = bias(n) - za * b_column_sums(n) + K * za * zb;
        Expr acc = dot(n % kPanelWidth, n / kPanelWidth, m) - zb * row_sums(m) + column_terms(n);
        output(n, m) = haqm::epilogue(output.type(), requantization, acc,
                                      {multiplier(n), shift(n), scale(n), output_zero_point, output_min, output_max});

        // Matrices start at zero, so column n of a tile maps to panel lanes without a gather.
        a.dim(0).set_min(0);
        a.dim(1).set_min(0);
        output.dim(0).set_min(0);
        output.dim(1).set_min(0);
        // The panel layout is dense: strides are known, so tile loads are contiguous vectors.
        b_packed.dim(0).set_bounds(0, kDepthGroup);
        b_packed.dim(1).set_bounds(0, kPanelWidth).set_stride(kDepthGroup);
        b_packed.dim(2).set_stride(kDepthGroup * kPanelWidth);
        b_packed.dim(3).set_stride(kDepthGroup * kPanelWidth * b_packed.dim(2).extent());

        a.set_estimates({{0, 1024}, {0, 1024}});
        b_packed.set_estimates({{0, kDepthGroup}, {0, kPanelWidth}, {0, 256}, {0, 64}});
        b_column_sums.set_estimates({{0, 1024}});
        bias.set_estimates({{0, 1024}});
        multiplier.set_estimates({{0, 1024}});
        shift.set_estimates({{0, 1024}});
        scale.set_estimates({{0, 1024}});
        output.set_estimates({{0, 1024}, {0, 1024}});
        zero_points.set_estimates({{0, 2}});
        output_zero_point.set_estimate(0);
        output_min.set_estimate(-128);
        output_max.set_estimate(127);

        if (!auto_schedule) {
            haqm::GemmPipeline pipeline{{output, dot, column_terms, n, m, nn, np, r.x, {r.y}}, a_rows, row_sums, rk};
            haqm::schedule_gemm(schedule, {tile_m, tile_n_vectors}, pipeline, get_target());
        }
    }

private:
    Var k{"k"}, n{"n"}, m{"m"}, nn{"nn"}, np{"np"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(GemmQ8, gemm_q8)
