// QuantizeLinear: float32 -> integer stored one value per byte (widths 2..8 via the clamp range).
// y = saturate(round_half_even(x / scale[c]) + zero_point[c]), on a (inner, channel, outer) view:
// per-tensor is the view with one channel.
#include "Halide.h"
#include "elementwise_schedules.h"

namespace {

using namespace Halide;

class Quantize : public Generator<Quantize> {
public:
    GeneratorParam<std::string> schedule{"schedule", "default"};
    Input<Buffer<float>> input{"input", 3};
    Input<Buffer<float>> scale{"scale", 1};
    Input<Buffer<int32_t>> zero_point{"zero_point", 1};
    Input<int32_t> quant_min{"quant_min"};
    Input<int32_t> quant_max{"quant_max"};
    Output<Buffer<>> output{"output", 3};

    void generate() {
        // Division (not a reciprocal multiply) and round() (ties to even) are what ONNX specifies.
        Expr q = round(input(inner, c, outer) / scale(c)) + cast<float>(zero_point(c));
        output(inner, c, outer) = cast(output.type(), clamp(q, cast<float>(quant_min), cast<float>(quant_max)));

        input.set_estimates({{0, 64}, {0, 64}, {0, 16}});
        scale.set_estimates({{0, 64}});
        zero_point.set_estimates({{0, 64}});
        output.set_estimates({{0, 64}, {0, 64}, {0, 16}});
        if (!auto_schedule) {
            haqm::schedule_elementwise("quantize", schedule, output, inner, c, outer, get_target());
        }
    }

private:
    Var inner{"inner"}, c{"c"}, outer{"outer"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(Quantize, quantize)
