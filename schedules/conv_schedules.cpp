#include "conv_schedules.h"

#include <stdexcept>

namespace haqm {

using namespace Halide;

void schedule_conv(const std::string& name, ConvPipeline& p, const Target& target) {
    if (name == "naive") {
        return;
    }
    if (name != "tiled_vec") {
        throw std::invalid_argument("conv2d_q8: unknown schedule '" + name + "' (known: naive, tiled_vec)");
    }
    const int lanes = target.natural_vector_size<int32_t>();
    // Output channels are the innermost, contiguous dimension of weights and output (NHWC), so
    // they vectorize without gathers; a row of accumulators is small enough to stay in L1.
    p.output.vectorize(p.co, lanes, TailStrategy::GuardWithIf).parallel(p.y);
    p.acc.compute_at(p.output, p.y).vectorize(p.co, lanes, TailStrategy::GuardWithIf);
    p.acc.update().reorder(p.co, p.x, p.r.x, p.r.y, p.r.z).vectorize(p.co, lanes, TailStrategy::GuardWithIf);
}

}  // namespace haqm
