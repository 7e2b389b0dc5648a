#include "elementwise_schedules.h"

#include "schedule_table.h"

namespace haqm {

using namespace Halide;

void schedule_elementwise(const std::string& family, const std::string& name, Func output, const Var& inner,
                          const Var& channel, const Var& outer, const Target& target) {
    schedule_table::require(family, name);  // "default" is the only one
    const int lanes = target.natural_vector_size<float>();
    Expr inner_extent = output.output_buffer().dim(0).extent();
    Expr channel_extent = output.output_buffer().dim(1).extent();
    output.specialize(inner_extent >= lanes).vectorize(inner, lanes, TailStrategy::ShiftInwards);
    output.specialize(inner_extent == 1 && channel_extent >= lanes)
        .vectorize(channel, lanes, TailStrategy::ShiftInwards);
}

void schedule_im2col(const std::string& family, const std::string& name, Func output, const Var& c,
                     const Target& target) {
    schedule_table::require(family, name);  // "default" is the only one
    const Expr channels = output.output_buffer().dim(0).extent();
    for (int lanes = target.natural_vector_size<uint8_t>(); lanes >= 8; lanes /= 2) {
        output.specialize(channels >= lanes).vectorize(c, lanes, TailStrategy::ShiftInwards);
    }
}

void schedule_flat(const std::string& family, const std::string& name, Func output, const Var& i,
                   const Target& target) {
    if (!schedule_table::require(family, name).has(schedule_table::kVectorized)) {
        return;  // naive
    }
    // GuardWithIf rather than ShiftInwards: the last vector is not recomputed over values already
    // written, so an output that aliases an input still reads only inputs.
    const int lanes = target.natural_vector_size<uint8_t>();
    Expr extent = output.output_buffer().dim(0).extent();
    output.specialize(extent >= lanes).vectorize(i, lanes, TailStrategy::GuardWithIf);
}

}  // namespace haqm
