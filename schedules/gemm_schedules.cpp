#include "gemm_schedules.h"

#include <stdexcept>

namespace haqm {

using namespace Halide;

namespace {

// Register tile that fits the target's vector register file: 6 x 4 int32 vectors (24 of 32
// registers) with AVX-512 or aarch64, 4 x 2 (8 of 16) elsewhere.
struct RegisterTile {
    int rows, columns, lanes;
};

RegisterTile register_tile(const GemmScheduleParams& params, const Target& target) {
    const bool many_registers = target.has_feature(Target::AVX512) || (target.arch == Target::ARM && target.bits == 64);
    const int lanes = target.natural_vector_size<int32_t>();
    const int rows = params.tile_m > 0 ? params.tile_m : (many_registers ? 6 : 4);
    const int vectors = params.tile_n_vectors > 0 ? params.tile_n_vectors : (many_registers ? 4 : 2);
    if (64 % (vectors * lanes) != 0) {
        throw std::invalid_argument("gemm_q8: tile columns (" + std::to_string(vectors * lanes) +
                                    ") must divide the 64-column weight padding");
    }
    return {rows, vectors * lanes, lanes};
}

// Register-tiled loop nest shared by tiled, tiled_vec and tiled_vec_par:
//   for each 64-column panel of weights (copied once, contiguous, reused by every row tile)
//     for each row tile: copy its activation rows, then accumulate a rows x columns tile over k
void schedule_tiles(GemmPipeline& p, const RegisterTile& tile, bool vectorized, bool parallel) {
    Var no("no"), mo("mo"), ni("ni"), mi("mi");
    RVar kk = p.r.x, ko = p.r.y;
    Expr M = p.output.output_buffer().dim(1).extent();
    Expr N = p.output.output_buffer().dim(0).extent();

    auto tile_output = [&](Stage s, TailStrategy tail) {
        s.tile(p.n, p.m, no, mo, ni, mi, tile.columns, tile.rows, tail).reorder(ni, mi, mo, no);
        if (vectorized) {
            s.vectorize(ni, tile.lanes).unroll(mi);
        }
        if (parallel) {
            s.parallel(mo);
        }
    };
    // Whole tiles shift inwards at the edges when the matrix holds at least one tile; smaller
    // outputs guard their stores.
    tile_output(p.output.specialize(M >= tile.rows && N >= tile.columns), TailStrategy::ShiftInwards);
    tile_output(p.output, TailStrategy::GuardWithIf);

    p.b_columns.compute_at(p.output, no).bound_extent(p.n, tile.columns);
    p.a_rows.compute_at(p.output, mo);
    p.row_sums.compute_at(p.output, mo);
    p.dot.compute_at(p.output, mo).bound_extent(p.n, tile.columns).bound_extent(p.m, tile.rows);
    // k outermost: the tile's accumulators stay in registers for the whole reduction.
    p.dot.update().reorder(kk, p.n, p.m, ko);
    if (vectorized) {
        const int byte_lanes = tile.lanes * 4;
        p.b_columns.vectorize(p.n, tile.lanes);
        p.a_rows.vectorize(Var(p.a_rows.args()[0]), byte_lanes, TailStrategy::GuardWithIf);
        p.dot.vectorize(p.n, tile.lanes).unroll(p.n).unroll(p.m);
        // Four k per lane reduced inside the vector: the pattern of vpdpbusd / sdot / udot.
        p.dot.update().atomic().vectorize(kk).vectorize(p.n, tile.lanes).unroll(p.n).unroll(p.m);
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
        p.dot.update().reorder(p.r.x, p.n, p.r.y, p.m);
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
