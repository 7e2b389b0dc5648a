// Named schedules for depthwise_conv2d_q8 (generators/depthwise_conv2d_q8_generator.cpp).
#pragma once
#include <string>

#include "Halide.h"

namespace haqm {

struct DepthwisePipeline {
    Halide::Func output;         // (co, x, y, b)
    Halide::Func acc;            // (co, x, y, b), update over r = (kx, ky)
    Halide::Func a_padded;       // (c, px, py, b) the input padded with its zero point
    Halide::Func w_centered;     // (co, kx, ky) weights minus their zero point, int16
    Halide::Func channel_terms;  // (co) bias and input zero-point correction
    Halide::Var co, x, y, b;
    Halide::RDom r;
    Halide::Expr channel_multiplier;
    Halide::Expr kernel_w, kernel_h;
};

// Known names: naive, tiled_vec, tiled_vec_par.
void schedule_depthwise(const std::string& name, DepthwisePipeline& p, const Halide::Target& target);

}  // namespace haqm
