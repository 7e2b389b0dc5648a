#include "gemm_schedules.h"

#include "schedule_table.h"

namespace haqm {

using namespace Halide;

void schedule_gemm(const std::string& name, const TileParams& params, GemmPipeline& p, const Target& target) {
    TiledProduct& t = p.product;
    const schedule_table::Row& row = schedule_table::require("gemm_q8", name);
    if (name == "naive") {
        // Every Func inlined or at root; dot's loops in the written order m, n, k (i-j-k): the
        // inner k loop walks a weight column, one element per 4-byte group of 4*N bytes.
        return;
    }
    if (name == "interchange") {
        // i-k-j: for m, for k, for n. The activation a[m][k] stays in a register for a whole row
        // of N products (re-use distance 1 instead of N*K), and the weight row and the output
        // row are walked contiguously, so each cache line is used fully before it leaves.
        t.dot.update().reorder(t.kk, t.nn, t.np, t.outer_reduction[0], t.m);
        return;
    }
    const bool vectorized = row.has(schedule_table::kVectorized);
    const RegisterTile tile = register_tile(params, target);
    schedule_register_tiles(t, tile, vectorized, row.has(schedule_table::kParallel));
    // Activations encoded and zero padded once for the whole matrix, row sums likewise.
    p.a_rows.compute_root();
    p.row_sums.compute_root();
    if (vectorized) {
        const int byte_lanes = tile.lanes * 4;
        p.row_sums.update().atomic().vectorize(p.rk.x, byte_lanes);
        // Rows of K bytes: 16-byte vectors leave at most 15 scalar bytes per row (64-byte ones left
        // up to 63: K = 120 ran 2.7x slower than K = 128).
        p.a_rows.vectorize(p.a_rows.args()[0], 16, TailStrategy::GuardWithIf);
    }
}

}  // namespace haqm
