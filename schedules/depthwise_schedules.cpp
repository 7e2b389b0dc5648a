#include "depthwise_schedules.h"

#include <stdexcept>

namespace haqm {

using namespace Halide;

void schedule_depthwise(const std::string& name, DepthwisePipeline& p, const Target& target) {
    if (name == "naive") {
        // Loops as written; the padding decided at every tap.
        return;
    }
    const bool parallel = name == "tiled_vec_par";
    if (name != "tiled_vec" && !parallel) {
        throw std::invalid_argument("depthwise_conv2d_q8: unknown schedule '" + name +
                                    "' (known: naive, tiled_vec, tiled_vec_par)");
    }
    // Channels are contiguous in input, weights and output (NHWC): vectors run along them. A
    // tile of four output pixels by one channel vector keeps four accumulators in registers
    // while the taps stream past; each weight vector loaded serves the four pixels.
    const int lanes = target.natural_vector_size<int32_t>();
    constexpr int kPixels = 4;
    Var co_o("co_o"), co_i("co_i"), x_o("x_o"), x_i("x_i");
    auto tile = [&](Stage s, bool split_pixels) {
        s.split(p.co, co_o, co_i, lanes, TailStrategy::GuardWithIf);
        if (split_pixels) {
            s.split(p.x, x_o, x_i, kPixels, TailStrategy::ShiftInwards).reorder(co_i, x_i, co_o, x_o).unroll(x_i);
        }
        s.vectorize(co_i);
        if (parallel) {
            s.parallel(p.y);
        }
    };
    // Rows narrower than a tile (7x7 and smaller maps stay whole-tiled down to 4 columns).
    const Expr width = p.output.output_buffer().dim(1).extent();
    tile(p.output.specialize(width < kPixels), false);
    tile(p.output, true);

    // Whole vectors of accumulators, also past the last channel (the algorithm clamps its reads).
    p.acc.compute_at(p.output, co_o).vectorize(p.co, lanes, TailStrategy::RoundUp).unroll(p.x);
    p.acc.update().reorder(p.co, p.x, p.r.x, p.r.y).vectorize(p.co, lanes, TailStrategy::RoundUp).unroll(p.x);
    p.a_padded.compute_root().vectorize(p.a_padded.args()[0], lanes * 2, TailStrategy::GuardWithIf);
    p.w_centered.compute_root();
    p.channel_terms.compute_root();
    if (parallel) {
        p.a_padded.parallel(p.a_padded.args()[2]);
    }
    // Multiplier 1 (MobileNet): the input channel is the output channel, a plain vector load.
    // A specialization copies the schedule given so far, so it comes last.
    p.acc.update().specialize(p.channel_multiplier == 1);
}

}  // namespace haqm
