// Named schedules for conv2d_q8 (generators/conv2d_q8_generator.cpp): loop structure only.
#pragma once
#include "Halide.h"
#include <string>

namespace haqm {

struct ConvPipeline {
    Halide::Func output;  // (co, x, y, b)
    Halide::Func acc;     // (co, x, y, b), update over r = (ci, kx, ky)
    Halide::Var co, x, y, b;
    Halide::RDom r;
    Halide::Expr groups;
};

// Known names: naive, output_stationary, weight_stationary, tiled, tiled_vec, tiled_vec_par
// (what each keeps resident is said beside it in conv_schedules.cpp).
void schedule_conv(const std::string& name, ConvPipeline& p, const Halide::Target& target);

}  // namespace haqm
