// Named schedules for conv2d_q8 (generators/conv2d_q8_generator.cpp): loop structure only.
#pragma once
#include <string>
#include <vector>

#include "Halide.h"
#include "register_tiles.h"

namespace haqm {

struct ConvPipeline {
    TiledProduct product;       // output (co, m), dot (nn, np, m) over (kk, cg, kx, ky), column_terms
    Halide::Func a_padded;      // (c, px, py, b) the input padded with its zero point
    Halide::Expr padded_channels;  // a_padded's channel extent (a multiple of 4)
    Halide::Func channel_sums;  // (px, py, b), update over rc
    Halide::Func window_sums;   // (ox, oy, b) per output pixel
    Halide::RDom rc;
    std::vector<Halide::Func> pixel_coordinates;  // (m): x, y and image of output pixel m, tabulated
};

// The names are conv2d_q8's rows of schedules/schedule_table.h ("auto" is the autoscheduler,
// applied by the generator instead of calling this); others throw std::invalid_argument.
void schedule_conv(const std::string& name, const TileParams& params, ConvPipeline& p, const Halide::Target& target);

}  // namespace haqm
