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

}  // namespace haqm
