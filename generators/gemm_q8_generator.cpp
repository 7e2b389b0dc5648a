// gemm_q8: out[m][n] = sum_k (a[m][k] - a_zp) * (b[k][n] - b_zp) + bias[n], int32 accumulation,
// then (for 8-bit outputs) the fixed-point requantize epilogue of fixed_point.h.
//
// Layouts (Halide dimension 0 innermost):
//   a        (k, m)       activations, uint8 or int8, row-major M x K
//   b_packed (kk, n, ko)  int8 weights with k = 4 * ko + kk, zero padded to a multiple of 4 in k,
//                         so four consecutive k of one column are adjacent (dot-product operand);
//                         columns padded to a multiple of 64 so whole register tiles can be read
//   output   (n, m)       int32 accumulators, or the activation type after requantization
// The zero points are handled exactly by expanding the product:
//   sum (a - za)(b - zb) = sum a*b - za * colsum(b)[n] - zb * rowsum(a)[m] + K * za * zb.
#include "Halide.h"
#include "fixed_point.h"
#include "gemm_schedules.h"

namespace {

using namespace Halide;

class GemmQ8 : public Generator<GemmQ8> {
public:
    GeneratorParam<std::string> schedule{"schedule", "tiled_vec"};
    GeneratorParam<int> tile_m{"tile_m", 0};          // 0: the schedule's default for the target
    GeneratorParam<int> tile_n_vectors{"tile_n_vectors", 0};

    Input<Buffer<>> a{"a", 2};
    // {activation, weight} zero points. A buffer, not two scalars: Halide 14's Mullapudi2016
    // autoscheduler fails internally when a scalar parameter multiplies a value.
    Input<Buffer<int32_t>> zero_points{"zero_points", 1};
    Input<Buffer<int8_t>> b_packed{"b_packed", 3};
    Input<Buffer<int32_t>> b_column_sums{"b_column_sums", 1};
    Input<Buffer<int32_t>> bias{"bias", 1};
    Input<Buffer<int32_t>> multiplier{"multiplier", 1};
    Input<Buffer<int32_t>> shift{"shift", 1};
    Input<int32_t> output_zero_point{"output_zero_point"};
    Input<int32_t> output_min{"output_min"};
    Input<int32_t> output_max{"output_max"};
    Output<Buffer<>> output{"output", 2};

    void generate() {
        Expr K = a.dim(0).extent();
        Expr M = a.dim(1).extent();

        // The dot-product instructions want fixed operand signedness: x86 VNNI multiplies
        // u8 x s8, Arm sdot s8 x s8. Flipping the top bit moves a value by 128 exactly, and the
        // zero point moves with it, so (a - za) is unchanged.
        // Every read of the inputs is clamped into their buffers (the weights' padded columns
        // included), so any schedule, an autoscheduler's included, may compute whole tiles at the
        // edges; k >= K is zero on both sides.
        Expr a_value = a(clamp(k, 0, K - 1), clamp(m, 0, M - 1));
        Func b_columns("b_columns");
        b_columns(kk, n, ko) = b_packed(kk, clamp(n, 0, b_packed.dim(1).extent() - 1), ko);

        // The dot-product instructions want fixed operand signedness: x86 VNNI multiplies
        // u8 x s8, Arm sdot s8 x s8. Flipping the top bit moves a value by 128 exactly, and the
        // zero point moves with it, so (a - za) is unchanged.
        const bool want_unsigned = get_target().arch == Target::X86;
        const Type encoded_type = want_unsigned ? UInt(8) : Int(8);
        Expr za = zero_points(0);
        if (want_unsigned != a.type().is_uint()) {
            a_value = cast(encoded_type, cast<uint8_t>(a_value) ^ cast<uint8_t>(0x80));
            za += want_unsigned ? 128 : -128;
        }
        Func a_rows("a_rows");
        a_rows(k, m) = select(k < K, a_value, cast(encoded_type, 0));

        RDom r(0, 4, 0, b_packed.dim(2).extent(), "r");  // r.x = kk, r.y = ko
        Func dot("dot");
        dot(n, m) = 0;
        dot(n, m) += cast<int32_t>(a_rows(4 * r.y + r.x, m)) * cast<int32_t>(b_columns(r.x, n, r.y));

        Func row_sums("row_sums");
        // Over the same domain as dot: the padded k are zero.
        row_sums(m) = 0;
        row_sums(m) += cast<int32_t>(a_rows(4 * r.y + r.x, m));

        Expr zb = zero_points(1);
        Expr acc = dot(n, m) - za * b_column_sums(n) - zb * row_sums(m) + K * za * zb + bias(n);
        if (output.type() == Int(32)) {
            output(n, m) = acc;
        } else {
            output(n, m) = haqm::requantize_to(output.type(), acc, multiplier(n), shift(n), output_zero_point,
                                               output_min, output_max);
        }

        a.set_estimates({{0, 1024}, {0, 1024}});
        b_packed.set_estimates({{0, 4}, {0, 1024}, {0, 256}});
        b_column_sums.set_estimates({{0, 1024}});
        bias.set_estimates({{0, 1024}});
        multiplier.set_estimates({{0, 1024}});
        shift.set_estimates({{0, 1024}});
        output.set_estimates({{0, 1024}, {0, 1024}});
        zero_points.set_estimates({{0, 2}});
        output_zero_point.set_estimate(0);
        output_min.set_estimate(-128);
        output_max.set_estimate(127);

        if (!auto_schedule) {
            haqm::GemmPipeline pipeline{output, dot, a_rows, b_columns, row_sums, n, m, r};
            haqm::schedule_gemm(schedule, {tile_m, tile_n_vectors}, pipeline, get_target());
        }
    }

private:
    Var k{"k"}, kk{"kk"}, ko{"ko"}, n{"n"}, m{"m"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(GemmQ8, gemm_q8)
