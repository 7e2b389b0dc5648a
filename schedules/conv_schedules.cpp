#include "conv_schedules.h"

#include "schedule_table.h"

namespace haqm {

using namespace Halide;

void schedule_conv(const std::string& name, const TileParams& params, ConvPipeline& p, const Target& target) {
    const schedule_table::Row& row = schedule_table::require("conv2d_q8", name);
    TiledProduct& t = p.product;
    const RVar kk = t.kk, cg = t.outer_reduction[0], kx = t.outer_reduction[1], ky = t.outer_reduction[2];
    // Output channels are the innermost, contiguous dimension of the packed weights and the
    // output, so the vectorized loops run over them: no gathers.
    const int lanes = target.natural_vector_size<int32_t>();
    // Halide's default computes a reduction inside its consumer's innermost loop, which would
    // recompute the window sums for every output channel: every schedule computes them once.
    p.channel_sums.compute_root();
    p.window_sums.compute_root();
    // The pixel coordinate tables once per call (a scatter cannot be computed inside its consumer).
    for (Halide::Func f : p.pixel_coordinates) f.compute_root();
    if (name == "naive") {
        // Loops as written: for each output pixel and channel, for every tap and input channel,
        // the padding decided at every tap.
        t.dot.compute_root();
        return;
    }
    if (name == "output_stationary") {
        // One output pixel's accumulators (all output channels) stay resident while every tap
        // and input channel streams past: each output is written once, the weights are re-read
        // for every pixel.
        t.dot.compute_at(t.output, t.m).vectorize(t.nn, lanes);
        t.dot.update().reorder(t.nn, kk, t.np, cg, kx, ky).vectorize(t.nn, lanes);
        return;
    }
    if (name == "weight_stationary") {
        // Taps and input channels outermost: one weight vector stays in a register while it is
        // applied at every output pixel; the accumulators of the whole output live in memory.
        t.dot.compute_root().vectorize(t.nn, lanes);
        t.dot.update().reorder(t.nn, kk, t.m, t.np, cg, kx, ky).vectorize(t.nn, lanes);
        return;
    }
    // The register-tiled rest: tiled, tiled_vec, tiled_vec_par, and tiled_vec_c16 / tiled_vec_c32,
    // tiled_vec with register tiles 16 or 32 output channels wide (the row's tile columns) and as
    // tall as the registers allow, for layers with few output channels (the default tile is 64
    // wide on AVX-512 and aarch64, so a 16-channel layer would compute 4x its work).
    TileParams tile_params = params;
    if (row.tile_columns != 0) tile_params.tile_columns = row.tile_columns;
    const bool vectorized = row.has(schedule_table::kVectorized);
    const bool parallel = row.has(schedule_table::kParallel);
    const RegisterTile tile = register_tile(tile_params, target);
    schedule_register_tiles(t, tile, vectorized, parallel);
    // The padded input, its channel sums and the window sums once for the whole tensor.
    p.a_padded.compute_root();
    if (parallel) {
        p.a_padded.parallel(p.a_padded.args()[2]);
        p.channel_sums.update().parallel(p.channel_sums.args()[1]);
    }
    if (vectorized) {
        const int byte_lanes = tile.lanes * 4;
        p.channel_sums.update().atomic().vectorize(p.rc.x, byte_lanes);
        const Var ox = p.window_sums.args()[0];
        p.window_sums.vectorize(ox, tile.lanes, TailStrategy::GuardWithIf);
        p.window_sums.update().vectorize(ox, tile.lanes, TailStrategy::GuardWithIf);
        // The widest vectors the channel count fills (a first layer has 4 padded channels). A
        // specialization copies the schedule given so far, so these come last.
        const Var c = p.a_padded.args()[0];
        for (int lanes = byte_lanes; lanes >= 16; lanes /= 2) {
            p.a_padded.specialize(p.padded_channels >= lanes).vectorize(c, lanes, TailStrategy::ShiftInwards);
        }
    }
}

}  // namespace haqm
