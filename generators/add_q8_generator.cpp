// add_q8: elementwise a + b of two 8-bit tensors of the same shape (no broadcasting), each with
// its own scale and zero point, into a third quantization, by the integer rule of TFLite's
// reference quantized Add (left_shift = 20):
//   a' = (a - za) << 20, a'' = multiply_by_quantized_multiplier(a', Ma)   (same for b)
//   out = clamp(multiply_by_quantized_multiplier(a'' + b'', Mout) + zo, lo, hi)
// with Ma = sa / (2 max(sa, sb)), Mb = sb / (2 max(sa, sb)), Mout = 2 max(sa, sb) / (2^20 so),
// chosen by the runtime. The shift keeps 20 fractional bits through the rescaling of each input;
// |a - za| <= 255 and Ma, Mb <= 1/2 keep a'' + b'' within int32.
// Both tensors are seen flat: one dimension.
#include "Halide.h"
#include "elementwise_schedules.h"
#include "requantization.h"

namespace {

using namespace Halide;

constexpr int kLeftShift = 20;

class AddQ8 : public Generator<AddQ8> {
public:
    GeneratorParam<std::string> schedule{"schedule", "default"};
    Input<Buffer<>> a{"a", 1};
    Input<Buffer<>> b{"b", 1};
    Input<int32_t> a_zero_point{"a_zero_point"}, a_multiplier{"a_multiplier"}, a_shift{"a_shift"};
    Input<int32_t> b_zero_point{"b_zero_point"}, b_multiplier{"b_multiplier"}, b_shift{"b_shift"};
    Input<int32_t> output_multiplier{"output_multiplier"}, output_shift{"output_shift"};
    Input<int32_t> output_zero_point{"output_zero_point"};
    Input<int32_t> output_min{"output_min"};
    Input<int32_t> output_max{"output_max"};
    Output<Buffer<>> output{"output", 1};

    void generate() {
        Expr a_scaled = haqm::multiply_by_quantized_multiplier(
            (cast<int32_t>(a(i)) - a_zero_point) << kLeftShift, a_multiplier, a_shift);
        Expr b_scaled = haqm::multiply_by_quantized_multiplier(
            (cast<int32_t>(b(i)) - b_zero_point) << kLeftShift, b_multiplier, b_shift);
        output(i) = haqm::requantize_to(output.type(), a_scaled + b_scaled, output_multiplier, output_shift,
                                        output_zero_point, output_min, output_max);

        a.dim(0).set_min(0);
        b.dim(0).set_min(0);
        output.dim(0).set_min(0);
        a.set_estimates({{0, 4096}});
        b.set_estimates({{0, 4096}});
        output.set_estimates({{0, 4096}});
        haqm::schedule_flat("add_q8", schedule, output, i, get_target());
    }

private:
    Var i{"i"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(AddQ8, add_q8)
