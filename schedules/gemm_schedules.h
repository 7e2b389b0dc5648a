// Named schedules for gemm_q8 (generators/gemm_q8_generator.cpp). Each is a loop structure only;
// the generator's algorithm is the same for all of them.
#pragma once
#include <string>

#include "Halide.h"
#include "register_tiles.h"

namespace haqm {

struct GemmPipeline {
    TiledProduct product;   // output (n, m), dot (nn, np, m) over (kk, ko), column_terms (n)
    Halide::Func a_rows;    // (k, m) encoded, clamped, zero padded activations
    Halide::Func row_sums;  // (m), update over rk = k
    Halide::RDom rk;
};

// Known names: naive, interchange, tiled, tiled_vec, tiled_vec_par ("auto" is the autoscheduler,
// applied by the generator instead of calling this).
void schedule_gemm(const std::string& name, const TileParams& params, GemmPipeline& p, const Halide::Target& target);

}  // namespace haqm
