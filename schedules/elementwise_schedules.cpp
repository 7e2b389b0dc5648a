#include "elementwise_schedules.h"

#include <stdexcept>

namespace haqm {

using namespace Halide;

void schedule_elementwise(const std::string& name, Func output, const Var& inner, const Var& channel,
                          const Var& outer, const Target& target) {
    if (name != "default") {
        throw std::invalid_argument("unknown elementwise schedule '" + name + "' (known: default)");
    }
    const int lanes = target.natural_vector_size<float>();
    Expr inner_extent = output.output_buffer().dim(0).extent();
    Expr channel_extent = output.output_buffer().dim(1).extent();
    output.specialize(inner_extent >= lanes).vectorize(inner, lanes, TailStrategy::ShiftInwards);
    output.specialize(inner_extent == 1 && channel_extent >= lanes)
        .vectorize(channel, lanes, TailStrategy::ShiftInwards);
}

void schedule_im2col(const std::string& name, Func output, const Var& c, const Target& target) {
    if (name != "default") {
        throw std::invalid_argument("unknown im2col schedule '" + name + "' (known: default)");
    }
    const Expr channels = output.output_buffer().dim(0).extent();
    for (int lanes = target.natural_vector_size<uint8_t>(); lanes >= 8; lanes /= 2) {
        output.specialize(channels >= lanes).vectorize(c, lanes, TailStrategy::ShiftInwards);
    }
}

void schedule_flat(const std::string& name, Func output, const Var& i, const Target& target) {
    if (name == "naive") {
        return;
    }
    if (name != "default") {
        throw std::invalid_argument("unknown flat elementwise schedule '" + name + "' (known: naive, default)");
    }
    // GuardWithIf rather than ShiftInwards: the last vector is not recomputed over values already
    // written, so an output that aliases an input still reads only inputs.
    const int lanes = target.natural_vector_size<uint8_t>();
    Expr extent = output.output_buffer().dim(0).extent();
    output.specialize(extent >= lanes).vectorize(i, lanes, TailStrategy::GuardWithIf);
}

}  // namespace haqm
