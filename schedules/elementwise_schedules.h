// Schedules for the per-element ops on an (inner, channel, outer) view.
#pragma once
#include "Halide.h"
#include <string>

namespace haqm {

// `family` names the kernel family whose rows of schedules/schedule_table.h list the names.
//
// "default": vectorize the innermost dimension that is long enough (inner, else channel when the
// channel is the innermost axis in memory); tiny tensors stay scalar.
void schedule_elementwise(const std::string& family, const std::string& name, Halide::Func output, const Halide::Var& inner,
                          const Halide::Var& channel, const Halide::Var& outer, const Halide::Target& target);

// Per-element ops on a flat (one-dimensional) view of 8-bit values. Known names:
//  "naive": one scalar loop;
//  "default": vectors of the 8-bit type's natural width; short tensors stay scalar.
void schedule_flat(const std::string& family, const std::string& name, Halide::Func output, const Halide::Var& i, const Halide::Target& target);

// The patch matrix of im2col_q8, output (c, kx, ky, m). "default": vectors along the channels of
// one tap (contiguous in input and output), the widest that fits the rounded-up channel count.
void schedule_im2col(const std::string& family, const std::string& name, Halide::Func output, const Halide::Var& c, const Halide::Target& target);

}  // namespace haqm
