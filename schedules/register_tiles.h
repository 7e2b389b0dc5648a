// The register-tiled loop nest shared by gemm_q8 and conv2d_q8: both compute
//   output(n, m) = epilogue(dot(n % 16, n / 16, m))
// where dot reduces four depth values per int32 lane (kk, the dot-product instruction's group)
// and then the outer reduction (gemm: k groups; conv: channel groups and kernel taps).
#pragma once
#include <vector>

#include "Halide.h"

namespace haqm {

struct TiledProduct {
    Halide::Func output;        // (n, m)
    Halide::Func dot;           // (nn, np, m) for column n = 16 * np + nn
    Halide::Func column_terms;  // (n): bias and zero-point corrections of each column
    Halide::Var n, m, nn, np;
    Halide::RVar kk;                          // the 4-wide depth group, reduced inside a lane
    std::vector<Halide::RVar> outer_reduction;  // the rest of dot's reduction, innermost first
};

struct TileParams {
    int tile_m = 0;          // output rows per register tile; 0 picks the target default
    int tile_n_vectors = 0;  // output columns per register tile, in vectors of int32
    int tile_columns = 0;    // output columns per register tile (overrides tile_n_vectors); rows
                             // then default to what the accumulator registers hold
};

// Register tile that fits the target's vector register file.
struct RegisterTile {
    int rows, columns, lanes;
};
RegisterTile register_tile(const TileParams& params, const Halide::Target& target);

// for each column tile (its weight panels stay in cache while every row tile uses them)
//   for each row tile: accumulate a rows x columns tile of dot products over the whole reduction
// Edge tiles are computed whole (the algorithms clamp and pad their reads) and their stores
// guarded. The inputs computed once per row (activations, row sums) are the caller's to schedule.
void schedule_register_tiles(TiledProduct& p, const RegisterTile& tile, bool vectorized, bool parallel);

}  // namespace haqm
