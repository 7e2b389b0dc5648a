#include "pool_schedules.h"

#include "schedule_table.h"

namespace haqm {

using namespace Halide;

void schedule_pool(const std::string& name, PoolPipeline& p, const Target& target) {
    const schedule_table::Row& row = schedule_table::require("pool_q8", name);
    if (name == "naive") {
        // Loops as written: one window reduced per output value.
        return;
    }
    const bool parallel = row.has(schedule_table::kParallel);
    // Channels are contiguous (NHWC): vectors run along them. Per output pixel, the window is
    // reduced into one row of channel accumulators, taps outermost, so every tap is one dense
    // vector load per channel vector. GuardWithIf keeps the channel tails exact: reductions must
    // not run twice over a value (ShiftInwards) nor read past the last channel (RoundUp).
    const int lanes = target.natural_vector_size<int32_t>();
    Var c_o("c_o"), c_i("c_i");
    p.output.split(p.c, c_o, c_i, lanes, TailStrategy::GuardWithIf).vectorize(c_i);
    p.reduce.compute_at(p.output, p.x).vectorize(p.c, lanes, TailStrategy::GuardWithIf);
    p.reduce.update()
        .split(p.c, c_o, c_i, lanes, TailStrategy::GuardWithIf)
        .reorder(c_i, p.r.x, p.r.y, c_o)
        .vectorize(c_i);
    if (parallel) {
        p.output.parallel(p.y);
    }
}

}  // namespace haqm
