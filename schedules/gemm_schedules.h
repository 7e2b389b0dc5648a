// Named schedules for gemm_q8 (generators/gemm_q8_generator.cpp). Each is a loop structure only;
// the generator's algorithm is the same for all of them.
#pragma once
#include "Halide.h"
#include <string>

namespace haqm {

struct GemmPipeline {
    Halide::Func output;    // (n, m)
    Halide::Func dot;       // (nn, np, m) for column n = 16 * np + nn; update over r = (kk, ko)
    Halide::Func a_rows;    // (k, m) encoded, clamped, zero padded activations
    Halide::Func row_sums;  // (m), update over rk = k
    Halide::Func column_terms;  // (n): bias and zero-point corrections of each column
    Halide::Var n, m, nn, np;
    Halide::RDom r;
    Halide::RDom rk;
};

struct GemmScheduleParams {
    int tile_m = 0;          // output rows per register tile; 0 picks the target default
    int tile_n_vectors = 0;  // output columns per register tile, in vectors of int32
};

// Known names: naive, interchange, tiled, tiled_vec, tiled_vec_par ("auto" is the autoscheduler,
// applied by the generator instead of calling this).
void schedule_gemm(const std::string& name, GemmScheduleParams params, GemmPipeline& p, const Halide::Target& target);

}  // namespace haqm
