// Schedules for the per-element ops on an (inner, channel, outer) view.
#pragma once
#include "Halide.h"
#include <string>

namespace haqm {

// "default": vectorize the innermost dimension that is long enough (inner, else channel when the
// channel is the innermost axis in memory); tiny tensors stay scalar.
void schedule_elementwise(const std::string& name, Halide::Func output, const Halide::Var& inner,
                          const Halide::Var& channel, const Halide::Var& outer, const Halide::Target& target);

}  // namespace haqm
