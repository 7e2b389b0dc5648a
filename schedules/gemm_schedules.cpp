#include "gemm_schedules.h"

#include <stdexcept>

#include "gemm_layout.h"

namespace haqm {

using namespace Halide;

namespace {

// Register tile that fits the target's vector register file: 6 x 4 int32 vectors (24 of 32
// registers) with AVX-512 or aarch64, 4 x 2 with AVX2 and 2 x 4 with 128-bit vectors (8 of 16).
// Its width must be whole weight panels and divide the column padding.
struct RegisterTile {
    int rows, columns, lanes;
};

RegisterTile register_tile(const GemmScheduleParams& params, const Target& target) {
    const bool many_registers = target.has_feature(Target::AVX512) || (target.arch == Target::ARM && target.bits == 64);
    const int lanes = target.natural_vector_size<int32_t>();
    const bool narrow = lanes < 8;
    const int rows = params.tile_m > 0 ? params.tile_m : (many_registers ? 6 : narrow ? 2 : 4);
    const int vectors = params.tile_n_vectors > 0 ? params.tile_n_vectors : (many_registers || narrow ? 4 : 2);
    const int columns = vectors * lanes;
    if (columns % gemm_layout::kPanelWidth != 0 || gemm_layout::kColumnPadding % columns != 0) {
        throw std::invalid_argument("gemm_q8: tile columns (" + std::to_string(columns) + ") must be a multiple of " +
                                    std::to_string(gemm_layout::kPanelWidth) + " dividing " +
                                    std::to_string(gemm_layout::kColumnPadding));
    }
    return {rows, vectors * lanes, lanes};
}

// Register-tiled loop nest shared by tiled, tiled_vec and tiled_vec_par:
//   for each column tile (its weight panels stay in L2 while every row tile uses them)
//     for each row tile: accumulate a rows x columns tile of dot products over all k
// Edge tiles are computed whole (the algorithm clamps and pads its reads) and their stores
// guarded, so any M and N work and the inner loops never see a tail.
void schedule_tiles(GemmPipeline& p, const RegisterTile& tile, bool vectorized, bool parallel) {
    Var no("no"), mo("mo"), ni("ni"), mi("mi");
    RVar kk = p.r.x, ko = p.r.y;
    Expr M = p.output.output_buffer().dim(1).extent();

    auto tile_output = [&](Stage s, int rows, bool parallel_columns) {
        s.split(p.n, no, ni, tile.columns, TailStrategy::GuardWithIf)
            .split(p.m, mo, mi, rows, TailStrategy::ShiftInwards)
            .reorder(ni, mi, mo, no);
        if (vectorized) {
            s.vectorize(ni, tile.lanes).unroll(mi);
        }
        if (parallel) {
            s.parallel(parallel_columns ? no : mo);
        }
    };
    // Fewer rows than a register tile (matrix-vector products): one-row tiles, so no row is
    // computed for nothing, and only columns to share between threads. Otherwise whole tiles,
    // the last one shifted inwards, so a tile always has the constant height the registers need.
    tile_output(p.output.specialize(M < tile.rows), 1, true);
    tile_output(p.output, tile.rows, false);

    // Activations encoded and zero padded once for the whole matrix, row sums likewise; the
    // column corrections once per column tile.
    p.a_rows.compute_root();
    p.row_sums.compute_root();
    p.column_terms.compute_at(p.output, no);
    // Whole panels of a whole tile: constant extents that unroll into registers.
    p.dot.compute_at(p.output, mo)
        .bound(p.nn, 0, gemm_layout::kPanelWidth)
        .bound_extent(p.np, tile.columns / gemm_layout::kPanelWidth);
    // k outermost: the tile's accumulators stay in registers for the whole reduction.
    p.dot.update().reorder(kk, p.nn, p.np, p.m, ko);
    if (vectorized) {
        const int byte_lanes = tile.lanes * 4;
        p.row_sums.update().atomic().vectorize(p.rk.x, byte_lanes);
        p.column_terms.vectorize(p.n, tile.lanes, TailStrategy::GuardWithIf);
        p.a_rows.vectorize(p.a_rows.args()[0], byte_lanes, TailStrategy::GuardWithIf);
        p.dot.vectorize(p.nn, tile.lanes).unroll(p.nn).unroll(p.np).unroll(p.m);
        // Four k per lane reduced inside the vector: the pattern of vpdpbusd / sdot / udot.
        p.dot.update().atomic().vectorize(kk).vectorize(p.nn, tile.lanes).unroll(p.nn).unroll(p.np).unroll(p.m);
    }
}

}  // namespace

void schedule_gemm(const std::string& name, GemmScheduleParams params, GemmPipeline& p, const Target& target) {
    if (name == "naive") {
        // Every Func inlined or at root; dot's loops in the written order m, n, k (i-j-k): the
        // inner k loop walks a weight column, one element per 4-byte group of 4*N bytes.
        return;
    }
    if (name == "interchange") {
        // i-k-j: for m, for k, for n. The activation a[m][k] stays in a register for a whole row
        // of N products (re-use distance 1 instead of N*K), and the weight row and the output
        // row are walked contiguously, so each cache line is used fully before it leaves.
        p.dot.update().reorder(p.r.x, p.nn, p.np, p.r.y, p.m);
        return;
    }
    const RegisterTile tile = register_tile(params, target);
    if (name == "tiled") {
        schedule_tiles(p, tile, false, false);
    } else if (name == "tiled_vec") {
        schedule_tiles(p, tile, true, false);
    } else if (name == "tiled_vec_par") {
        schedule_tiles(p, tile, true, true);
    } else {
        throw std::invalid_argument("gemm_q8: unknown schedule '" + name +
                                    "' (known: naive, interchange, tiled, tiled_vec, tiled_vec_par, auto)");
    }
}

}  // namespace haqm
