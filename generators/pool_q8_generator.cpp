// pool_q8: 2-D max or average pooling, NHWC, one window per output pixel and channel:
//   window(x, y) = input rows y*sy - pt .. + kh - 1, columns x*sx - pl .. + kw - 1
//   max:     out = clamp(max over the in-image taps, lo, hi); padding never wins, and the output
//            keeps the input's quantization.
//   average: acc = sum over the in-image taps of (in - zin) (int32), count = the in-image taps, or
//            kh * kw with count_include_pad; out = requantize_to(acc, M[count]) with the fixed rule
//            of requantization.h, where M[count] = input_scale / (output_scale * count) comes as a
//            table of Q31 multipliers and shifts indexed by count - 1 (the runtime builds it, so
//            no division happens per pixel).
// A global average pool is the average with the whole image as the window.
// The runtime guarantees pads < kernel, so every window holds at least one in-image tap.
//
// Layouts (dimension 0 innermost): input (c, x, y, b); output (c, x, y, b).
#include <stdexcept>
#include <string>

#include "Halide.h"
#include "pool_schedules.h"
#include "requantization.h"

namespace {

using namespace Halide;

class PoolQ8 : public Generator<PoolQ8> {
public:
    GeneratorParam<std::string> schedule{"schedule", "tiled_vec"};
    GeneratorParam<std::string> kind{"kind", "max"};  // max or average

    Input<Buffer<>> input{"input", 4};
    Input<Buffer<int32_t>> multiplier{"multiplier", 1};  // average: by window count - 1
    Input<Buffer<int32_t>> shift{"shift", 1};
    Input<int32_t> kernel_w{"kernel_w"}, kernel_h{"kernel_h"};
    Input<int32_t> stride_x{"stride_x"}, stride_y{"stride_y"};
    Input<int32_t> pad_left{"pad_left"}, pad_top{"pad_top"};
    Input<int32_t> count_include_pad{"count_include_pad"};
    Input<int32_t> input_zero_point{"input_zero_point"};
    Input<int32_t> output_zero_point{"output_zero_point"};
    Input<int32_t> output_min{"output_min"};
    Input<int32_t> output_max{"output_max"};
    Output<Buffer<>> output{"output", 4};

    void generate() {
        const Expr W = input.dim(1).extent(), H = input.dim(2).extent();
        const Expr left = x * stride_x - pad_left, top = y * stride_y - pad_top;
        RDom r(0, kernel_w, 0, kernel_h, "r");
        const Expr in_x = left + r.x, in_y = top + r.y;
        const Expr inside = in_x >= 0 && in_x < W && in_y >= 0 && in_y < H;
        const Expr tap = input(c, clamp(in_x, 0, W - 1), clamp(in_y, 0, H - 1), b);

        Func reduce("reduce");
        if (kind.value() == "max") {
            const Type type = input.type();
            reduce(c, x, y, b) = type.min();
            reduce(c, x, y, b) = max(reduce(c, x, y, b), select(inside, tap, type.min()));
            output(c, x, y, b) = clamp(reduce(c, x, y, b), cast(type, output_min), cast(type, output_max));
        } else if (kind.value() == "average") {
            reduce(c, x, y, b) = 0;
            reduce(c, x, y, b) += select(inside, cast<int32_t>(tap) - input_zero_point, 0);
            // In-image taps per axis: the window clipped to the image.
            const Expr columns = min(left + kernel_w, W) - max(left, 0);
            const Expr rows = min(top + kernel_h, H) - max(top, 0);
            const Expr count = select(count_include_pad != 0, kernel_w * kernel_h, columns * rows);
            const Expr entry = clamp(count - 1, 0, multiplier.dim(0).extent() - 1);
            output(c, x, y, b) = haqm::requantize_to(output.type(), reduce(c, x, y, b), multiplier(entry),
                                                     shift(entry), output_zero_point, output_min, output_max);
        } else {
            throw std::invalid_argument("pool_q8: kind must be max or average, not " + kind.value());
        }

        for (int d = 0; d < 4; ++d) {
            input.dim(d).set_min(0);
            output.dim(d).set_min(0);
        }
        multiplier.dim(0).set_min(0);
        shift.dim(0).set_min(0);

        haqm::PoolPipeline pipeline{output, reduce, c, x, y, b, r};
        haqm::schedule_pool(schedule, pipeline, get_target());
    }

private:
    Var c{"c"}, x{"x"}, y{"y"}, b{"b"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(PoolQ8, pool_q8)
