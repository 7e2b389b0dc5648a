// Reading an NHWC activation tensor with padding: the convolution generators pad their input once
// (spatially with the input zero point, channels up to a multiple of 4 with a value of their own).
#pragma once
#include "Halide.h"

namespace haqm {

// input(c, x, y, b), or `border` outside the image and `channel_pad` for c >= C. Every read is
// clamped into the tensor, so schedules may compute past the edges. `likely` marks the interior as
// the common case: Halide's loop partitioning then gives vectorized loops a steady state with
// dense loads and no selects (without it the clamped channel index becomes a gather).
inline Halide::Expr padded_read(const Halide::Func& input, const Halide::Expr& channels, const Halide::Expr& width,
                                const Halide::Expr& height, const Halide::Expr& batch, const Halide::Expr& c,
                                const Halide::Expr& x, const Halide::Expr& y, const Halide::Expr& b,
                                const Halide::Expr& border, const Halide::Expr& channel_pad) {
    using Halide::clamp;
    using Halide::likely;
    Halide::Expr value = input(clamp(likely(c), 0, channels - 1), clamp(likely(x), 0, width - 1),
                               clamp(likely(y), 0, height - 1), clamp(b, 0, batch - 1));
    Halide::Expr in_image = x >= 0 && x < width && y >= 0 && y < height;
    const Halide::Type type = value.type();
    return Halide::select(likely(c < channels && in_image), value,
                          c >= channels, Halide::cast(type, channel_pad), Halide::cast(type, border));
}

}  // namespace haqm
