// Requantize int32 accumulators to 8 bits with a Q31 multiplier and shift per channel
// (the fixed rule of requantization.h), add the output zero point and clamp (a fused ReLU / ReLU6 is a clamp range).
#include "Halide.h"
#include "elementwise_schedules.h"
#include "requantization.h"

namespace {

using namespace Halide;

class Requantize : public Generator<Requantize> {
public:
    GeneratorParam<std::string> schedule{"schedule", "default"};
    Input<Buffer<int32_t>> input{"input", 3};
    Input<Buffer<int32_t>> multiplier{"multiplier", 1};
    Input<Buffer<int32_t>> shift{"shift", 1};
    Input<int32_t> output_zero_point{"output_zero_point"};
    Input<int32_t> output_min{"output_min"};
    Input<int32_t> output_max{"output_max"};
    Output<Buffer<>> output{"output", 3};

    void generate() {
        output(inner, c, outer) = haqm::requantize_to(output.type(), input(inner, c, outer), multiplier(c), shift(c),
                                                      output_zero_point, output_min, output_max);

        input.set_estimates({{0, 64}, {0, 64}, {0, 16}});
        multiplier.set_estimates({{0, 64}});
        shift.set_estimates({{0, 64}});
        output.set_estimates({{0, 64}, {0, 64}, {0, 16}});
        if (!auto_schedule) {
            haqm::schedule_elementwise("requantize", schedule, output, inner, c, outer, get_target());
        }
    }

private:
    Var inner{"inner"}, c{"c"}, outer{"outer"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(Requantize, requantize)
