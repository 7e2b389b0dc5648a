#include "depthwise_schedules.h"

#include "schedule_table.h"

namespace haqm {

using namespace Halide;

void schedule_depthwise(const std::string& name, DepthwisePipeline& p, const Target& target) {
    const schedule_table::Row& row = schedule_table::require("depthwise_conv2d_q8", name);
    // The per-channel weight terms once, not inside every output's loop (Halide's default).
    p.w_centered.compute_root();
    p.channel_terms.compute_root();
    if (name == "naive") {
        // Loops as written; the padding decided at every tap.
        return;
    }
    const bool parallel = row.has(schedule_table::kParallel);
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

    // The per-channel terms in vectors too (a 7x7x960 layer spent 15% of its time on them).
    const Var channel = p.channel_terms.args()[0];
    p.channel_terms.vectorize(channel, lanes, TailStrategy::GuardWithIf);
    p.channel_terms.update().vectorize(channel, lanes, TailStrategy::GuardWithIf);
    p.w_centered.vectorize(p.w_centered.args()[0], lanes, TailStrategy::GuardWithIf);
    // Whole vectors of accumulators, also past the last channel (the algorithm clamps its reads),
    // so the tile has a constant size and lives in registers.
    p.acc.compute_at(p.output, co_o).bound_extent(p.co, lanes).vectorize(p.co, lanes, TailStrategy::RoundUp).unroll(p.x);
    Stage taps = p.acc.update();
    taps.reorder(p.co, p.x, p.r.x, p.r.y).vectorize(p.co, lanes, TailStrategy::RoundUp).unroll(p.x);
    // The input padded once, in vectors of the accumulators' width: rounding the channels up to
    // wider byte vectors made the copy a third larger (144 -> 192 channels), and reading the padding
    // in place instead of copying measured slower.
    p.a_padded.compute_root().vectorize(p.a_padded.args()[0], lanes, TailStrategy::RoundUp);
    if (parallel) {
        p.a_padded.parallel(p.a_padded.args()[2]);
    }
    // Multiplier 1 (MobileNet): the input channel is the output channel, a plain vector load;
    // 3x3 kernels (nearly all depthwise layers): the taps unrolled. A specialization copies the
    // schedule given so far, so they come last.
    taps.specialize(p.channel_multiplier == 1 && p.kernel_w == 3 && p.kernel_h == 3).unroll(p.r.x).unroll(p.r.y);
    taps.specialize(p.channel_multiplier == 1);
}

}  // namespace haqm
