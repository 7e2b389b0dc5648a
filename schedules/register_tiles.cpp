#include "register_tiles.h"

#include <algorithm>

#include <stdexcept>
#include <string>

#include "gemm_layout.h"

namespace haqm {

using namespace Halide;

// 6 x 4 int32 vectors (24 of 32 registers) with AVX-512 or aarch64, 4 x 2 with AVX2 and 2 x 4
// with 128-bit vectors (8 of 16). The width must be whole weight panels dividing the padding, and
// the accumulators must fit the register file (more would spill on every step of the reduction).
// These are the rules a user's tile_m / tile_n_vectors meet: the messages name them.
RegisterTile register_tile(const TileParams& params, const Target& target) {
    const bool many_registers = target.has_feature(Target::AVX512) || (target.arch == Target::ARM && target.bits == 64);
    const int registers = many_registers ? 32 : 16;
    const int lanes = target.natural_vector_size<int32_t>();
    const bool narrow = lanes < 8;
    if (params.tile_m < 0 || params.tile_n_vectors < 0) {
        throw std::invalid_argument("tile_m and tile_n_vectors must be positive (0: the target's default), got tile_m=" +
                                    std::to_string(params.tile_m) +
                                    " tile_n_vectors=" + std::to_string(params.tile_n_vectors));
    }
    int rows = params.tile_m > 0 ? params.tile_m : (many_registers ? 6 : narrow ? 2 : 4);
    int vectors = params.tile_n_vectors > 0 ? params.tile_n_vectors : (many_registers || narrow ? 4 : 2);
    if (params.tile_columns > 0) {
        // Narrow tiles for layers with few output channels: as many rows as the accumulator
        // registers hold (24 of 32 vector registers, or 12 of 16), the rest for operands.
        vectors = std::max(1, params.tile_columns / lanes);
        if (params.tile_m <= 0) rows = std::max(1, (registers * 3 / 4) / vectors);
    }
    const auto width_fits = [&](int v) {
        return (v * lanes) % gemm_layout::kPanelWidth == 0 && gemm_layout::kColumnPadding % (v * lanes) == 0;
    };
    if (!width_fits(vectors)) {
        std::string allowed;
        for (int v = 1; v * lanes <= gemm_layout::kColumnPadding; ++v) {
            if (width_fits(v)) allowed += (allowed.empty() ? "" : ", ") + std::to_string(v);
        }
        throw std::invalid_argument("tile_n_vectors=" + std::to_string(vectors) + " makes tiles " +
                                    std::to_string(vectors * lanes) + " columns wide (" + std::to_string(lanes) +
                                    " int32 lanes a vector), which must be a multiple of " +
                                    std::to_string(gemm_layout::kPanelWidth) + " dividing " +
                                    std::to_string(gemm_layout::kColumnPadding) + "; allowed here: " + allowed);
    }
    if (rows * vectors > registers) {
        throw std::invalid_argument("tile_m=" + std::to_string(rows) + " x tile_n_vectors=" + std::to_string(vectors) +
                                    " needs " + std::to_string(rows * vectors) + " accumulator registers; this target has " +
                                    std::to_string(registers) + " vector registers (allowed here: tile_m <= " +
                                    std::to_string(registers / vectors) + ")");
    }
    return {rows, vectors * lanes, lanes};
}

void schedule_register_tiles(TiledProduct& p, const RegisterTile& tile, bool vectorized, bool parallel) {
    Var no("no"), mo("mo"), ni("ni"), mi("mi");
    Expr M = p.output.output_buffer().dim(1).extent();

    // Threads share the row tiles when there are at least this many, else the column tiles.
    // (Tasks of several row tiles each, parallel(mo, 8), measured 2x slower: the extra split
    // broke the constant-height tiles.)
    constexpr int kMinParallelRowTiles = 32;
    // Columns split twice, into vectors and vectors into tiles, each guarded: a layer whose
    // channel count is not a multiple of the tile width (16, 24, 40, 48 in small networks) runs its
    // last tile as whole vectors with only the last N % lanes columns scalar. (One split by the
    // tile width made the whole last tile scalar: a 48-channel layer ran entirely scalar on the
    // 64-wide AVX-512 tile, 2-3x slower.)
    Var nv("nv"), nvi("nvi");
    auto tile_output = [&](Stage s, int rows, bool parallel_columns) {
        if (vectorized) {
            s.split(p.n, nv, ni, tile.lanes, TailStrategy::GuardWithIf)
                .split(nv, no, nvi, tile.columns / tile.lanes, TailStrategy::GuardWithIf)
                .split(p.m, mo, mi, rows, TailStrategy::ShiftInwards)
                .reorder(ni, nvi, mi, mo, no)
                .vectorize(ni)
                .unroll(nvi)
                .unroll(mi);
        } else {
            s.split(p.n, no, ni, tile.columns, TailStrategy::GuardWithIf)
                .split(p.m, mo, mi, rows, TailStrategy::ShiftInwards)
                .reorder(ni, mi, mo, no);
        }
        if (parallel && parallel_columns) {
            s.parallel(no);
        } else if (parallel) {
            s.parallel(mo);
        }
    };
    // Fewer rows than a register tile (matrix-vector products, tiny images): one-row tiles, so no
    // row is computed for nothing, and only columns to share between threads. Otherwise whole
    // tiles, the last one shifted inwards, so a tile always has the height the registers need.
    // Threads share the column tiles of products with few rows, unless there is only one column
    // tile (a narrow tile's layer: then the rows, however few).
    Expr N = p.output.output_buffer().dim(0).extent();
    tile_output(p.output.specialize(M < tile.rows), 1, true);
    if (parallel) {
        tile_output(p.output.specialize(M < kMinParallelRowTiles * tile.rows && N > tile.columns), tile.rows, true);
    }
    tile_output(p.output, tile.rows, false);

    p.column_terms.compute_at(p.output, no);
    // Whole panels of a whole tile: constant extents that unroll into registers.
    p.dot.compute_at(p.output, mo)
        .bound(p.nn, 0, gemm_layout::kPanelWidth)
        .bound_extent(p.np, tile.columns / gemm_layout::kPanelWidth);
    // The reduction outermost: the tile's accumulators stay in registers all along it.
    std::vector<VarOrRVar> order{p.kk, p.nn, p.np, p.m};
    order.insert(order.end(), p.outer_reduction.begin(), p.outer_reduction.end());
    p.dot.update().reorder(order);
    if (vectorized) {
        p.column_terms.vectorize(p.n, tile.lanes, TailStrategy::GuardWithIf);
        p.dot.vectorize(p.nn, tile.lanes).unroll(p.nn).unroll(p.np).unroll(p.m);
        // Four depth values per lane reduced inside the vector: the pattern of vpdpbusd / sdot.
        p.dot.update().atomic().vectorize(p.kk).vectorize(p.nn, tile.lanes).unroll(p.nn).unroll(p.np).unroll(p.m);
    }
}

}  // namespace haqm
