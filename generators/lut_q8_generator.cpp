// lut_q8: y = table[x - min] for a 256-entry table of the input's type (int8 -> int8 or
// uint8 -> uint8): any function of one 8-bit value, e.g. a quantized activation whose table the
// runtime's build_lut computes. The index is the value offset to unsigned (x + 128 for int8), so
// table[0] belongs to the type's smallest value.
// The tensor is seen flat: one dimension.
#include "Halide.h"
#include "elementwise_schedules.h"

namespace {

using namespace Halide;

class LutQ8 : public Generator<LutQ8> {
public:
    GeneratorParam<std::string> schedule{"schedule", "default"};
    Input<Buffer<>> input{"input", 1};
    Input<Buffer<>> table{"table", 1};
    Output<Buffer<>> output{"output", 1};

    void generate() {
        // The offset index lies in [0, 255] by its type: bounds inference needs no clamp.
        Expr index = cast<int32_t>(input(i)) - cast<int32_t>(input.type().min());
        output(i) = table(index);

        input.dim(0).set_min(0);
        output.dim(0).set_min(0);
        table.dim(0).set_bounds(0, 256);
        input.set_estimates({{0, 4096}});
        output.set_estimates({{0, 4096}});
        haqm::schedule_flat("lut_q8", schedule, output, i, get_target());
    }

private:
    Var i{"i"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(LutQ8, lut_q8)
