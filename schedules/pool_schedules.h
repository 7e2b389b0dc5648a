// Named schedules for pool_q8 (generators/pool_q8_generator.cpp).
#pragma once
#include <string>

#include "Halide.h"

namespace haqm {

struct PoolPipeline {
    Halide::Func output;  // (c, x, y, b)
    Halide::Func reduce;  // (c, x, y, b): the window's max or sum, update over r = (kx, ky)
    Halide::Var c, x, y, b;
    Halide::RDom r;
};

// Known names: naive, tiled_vec, tiled_vec_par.
void schedule_pool(const std::string& name, PoolPipeline& p, const Halide::Target& target);

}  // namespace haqm
