#include "conv_schedules.h"

#include <stdexcept>

namespace haqm {

using namespace Halide;

void schedule_conv(const std::string& name, ConvPipeline& p, const Target& target) {
    // Output channels are the innermost, contiguous dimension of weights and output (NHWC/HWIO),
    // so every vectorized schedule vectorizes them: no gathers.
    const int lanes = target.natural_vector_size<int32_t>();
    const RVar ci = p.r.x, kx = p.r.y, ky = p.r.z;
    Stage update = p.acc.update();
    // Ungrouped convolutions: one input value serves every output channel (no gather). A
    // specialization copies the schedule given so far, so it comes last.
    auto specialize_ungrouped = [&] { update.specialize(p.groups == 1); };
    if (name == "naive") {
        // Loops as written: for each output, for each tap and channel.
        return;
    }
    if (name == "output_stationary") {
        // One output pixel's accumulators (all output channels) stay in registers while every
        // tap and input channel streams past: each output is written once.
        p.output.vectorize(p.co, lanes, TailStrategy::GuardWithIf);
        p.acc.compute_at(p.output, p.x).vectorize(p.co, lanes, TailStrategy::GuardWithIf);
        update.reorder(p.co, ci, kx, ky).vectorize(p.co, lanes, TailStrategy::GuardWithIf);
        specialize_ungrouped();
        return;
    }
    if (name == "weight_stationary") {
        // Taps and input channels outermost: a weight vector stays in a register while it is
        // applied at every output position of the image; the accumulators live in memory.
        p.output.vectorize(p.co, lanes, TailStrategy::GuardWithIf);
        p.acc.compute_at(p.output, p.b).vectorize(p.co, lanes, TailStrategy::GuardWithIf);
        update.reorder(p.co, p.x, p.y, ci, kx, ky).vectorize(p.co, lanes, TailStrategy::GuardWithIf);
        specialize_ungrouped();
        return;
    }
    if (name == "tiled") {
        // A row of outputs at a time, taps outside the row: each weight is reused along the row.
        p.acc.compute_at(p.output, p.y);
        update.reorder(p.co, p.x, ci, kx, ky);
        specialize_ungrouped();
        return;
    }
    if (name == "tiled_vec" || name == "tiled_vec_par") {
        p.output.vectorize(p.co, lanes, TailStrategy::GuardWithIf);
        p.acc.compute_at(p.output, p.y).vectorize(p.co, lanes, TailStrategy::GuardWithIf);
        update.reorder(p.co, p.x, ci, kx, ky).vectorize(p.co, lanes, TailStrategy::GuardWithIf);
        if (name == "tiled_vec_par") {
            p.output.parallel(p.y);
        }
        specialize_ungrouped();
        return;
    }
    throw std::invalid_argument("conv2d_q8: unknown schedule '" + name +
                                "' (known: naive, output_stationary, weight_stationary, tiled, tiled_vec, "
                                "tiled_vec_par)");
}

}  // namespace haqm
