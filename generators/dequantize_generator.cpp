// DequantizeLinear: integer -> float32, y = float(x - zero_point[c]) * scale[c],
// on the same (inner, channel, outer) view as quantize.
#include "Halide.h"
#include "elementwise_schedules.h"

namespace {

using namespace Halide;

class Dequantize : public Generator<Dequantize> {
public:
    GeneratorParam<std::string> schedule{"schedule", "default"};
    Input<Buffer<>> input{"input", 3};
    Input<Buffer<float>> scale{"scale", 1};
    Input<Buffer<int32_t>> zero_point{"zero_point", 1};
    Output<Buffer<float>> output{"output", 3};

    void generate() {
        output(inner, c, outer) = cast<float>(cast<int32_t>(input(inner, c, outer)) - zero_point(c)) * scale(c);

        input.set_estimates({{0, 64}, {0, 64}, {0, 16}});
        scale.set_estimates({{0, 64}});
        zero_point.set_estimates({{0, 64}});
        output.set_estimates({{0, 64}, {0, 64}, {0, 16}});
        if (!auto_schedule) {
            haqm::schedule_elementwise("dequantize", schedule, output, inner, c, outer, get_target());
        }
    }

private:
    Var inner{"inner"}, c{"c"}, outer{"outer"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(Dequantize, dequantize)
