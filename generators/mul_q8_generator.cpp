// mul_q8: a * b of 8-bit tensors by the float rule of docs/arithmetic.md,
//   out = clamp(round_half_even(float32((a - za) * (b - zb)) * scale) + zo, lo, hi),
// scale = sa * sb / so chosen by the runtime in float32. a is seen as rows of C values, b as one
// row of C values per image that every `rows_per_image` consecutive rows of a share: the
// squeeze-excite channel scale ([N, H, W, C] * [N, 1, 1, C], rows_per_image = H * W), or an
// elementwise product of equal shapes (one row of all the values, rows_per_image = 1).
#include "Halide.h"
#include "elementwise_schedules.h"
#include "requantization.h"

namespace {

using namespace Halide;

class MulQ8 : public Generator<MulQ8> {
public:
    GeneratorParam<std::string> schedule{"schedule", "default"};
    Input<Buffer<>> a{"a", 2};  // (c, row)
    Input<Buffer<>> b{"b", 2};  // (c, image)
    Input<int32_t> a_zero_point{"a_zero_point"}, b_zero_point{"b_zero_point"};
    Input<float> scale{"scale"};
    Input<int32_t> rows_per_image{"rows_per_image"};
    Input<int32_t> output_zero_point{"output_zero_point"};
    Input<int32_t> output_min{"output_min"};
    Input<int32_t> output_max{"output_max"};
    Output<Buffer<>> output{"output", 2};

    void generate() {
        // |a - za| and |b - zb| are at most 255: the product is exact in int32.
        Expr product = (cast<int32_t>(a(c, row)) - a_zero_point) *
                       (cast<int32_t>(b(c, row / rows_per_image)) - b_zero_point);
        output(c, row) = haqm::requantize_float_to(output.type(), product, scale, output_zero_point, output_min,
                                                   output_max);
        for (auto* buffer : {&a, &b}) {
            buffer->dim(0).set_min(0);
            buffer->dim(1).set_min(0);
        }
        output.dim(0).set_min(0);
        output.dim(1).set_min(0);
        haqm::schedule_flat("mul_q8", schedule, output, c, get_target());
    }

private:
    Var c{"c"}, row{"row"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(MulQ8, mul_q8)
