// conv2d_q8: direct 2-D convolution, NHWC, u8/s8 activations x s8 weights, int32 accumulation:
//   out[b][y][x][co] = sum_{ky,kx,ci} (in[b][y*sy + ky*dy - pt][x*sx + kx*dx - pl][g*Cg + ci] - za)
//                                    * (w[ky][kx][ci][co] - zb) + bias[co],   g = co / (Cout / groups)
// then the requantize epilogue of requantization.h (fixed or float), or int32 out.
// Padding reads the input zero point, so padded taps add exactly nothing.
//
// Layouts (Halide dimension 0 innermost): input (c, x, y, b); weights (co, ci, kx, ky) (HWIO);
// output (co, x, y, b).
#include <stdexcept>
#include <string>

#include "Halide.h"
#include "conv_schedules.h"
#include "requantization.h"

namespace {

using namespace Halide;

class Conv2dQ8 : public Generator<Conv2dQ8> {
public:
    GeneratorParam<std::string> schedule{"schedule", "tiled_vec"};
    GeneratorParam<std::string> requantization{"requantization", "fixed"};  // or "float"; 8-bit outputs

    Input<Buffer<>> input{"input", 4};
    Input<Buffer<int32_t>> zero_points{"zero_points", 1};  // {input, weights}
    Input<Buffer<int8_t>> weights{"weights", 4};
    Input<Buffer<int32_t>> bias{"bias", 1};
    Input<Buffer<int32_t>> multiplier{"multiplier", 1};
    Input<Buffer<int32_t>> shift{"shift", 1};
    Input<Buffer<float>> scale{"scale", 1};
    Input<int32_t> stride_x{"stride_x"}, stride_y{"stride_y"};
    Input<int32_t> dilation_x{"dilation_x"}, dilation_y{"dilation_y"};
    Input<int32_t> pad_left{"pad_left"}, pad_top{"pad_top"};
    Input<int32_t> groups{"groups"};
    Input<int32_t> output_zero_point{"output_zero_point"};
    Input<int32_t> output_min{"output_min"};
    Input<int32_t> output_max{"output_max"};
    Output<Buffer<>> output{"output", 4};

    void generate() {
        Expr za = zero_points(0), zb = zero_points(1);
        Func padded = BoundaryConditions::constant_exterior(
            input, cast(input.type(), za),
            {{Expr(), Expr()}, {0, input.dim(1).extent()}, {0, input.dim(2).extent()}, {Expr(), Expr()}});

        Expr in_channels_per_group = weights.dim(1).extent();
        Expr out_channels_per_group = weights.dim(0).extent() / groups;
        RDom r(0, in_channels_per_group, 0, weights.dim(2).extent(), 0, weights.dim(3).extent(), "r");
        // Written with the ungrouped case apart: with one group the input channel does not depend
        // on co, which a schedule can specialize on to load one input value for all output channels.
        Expr channel = select(groups == 1, r.x, (co / out_channels_per_group) * in_channels_per_group + r.x);
        Expr in_x = x * stride_x + r.y * dilation_x - pad_left;
        Expr in_y = y * stride_y + r.z * dilation_y - pad_top;
        Func acc("acc");
        acc(co, x, y, b) = bias(co);
        acc(co, x, y, b) += (cast<int32_t>(padded(channel, in_x, in_y, b)) - za) *
                            (cast<int32_t>(weights(co, r.x, r.y, r.z)) - zb);

        if (output.type() == Int(32)) {
            output(co, x, y, b) = acc(co, x, y, b);
        } else if (requantization == "float") {
            output(co, x, y, b) = haqm::requantize_float_to(output.type(), acc(co, x, y, b), scale(co),
                                                            output_zero_point, output_min, output_max);
        } else if (requantization == "fixed") {
            output(co, x, y, b) = haqm::requantize_to(output.type(), acc(co, x, y, b), multiplier(co), shift(co),
                                                      output_zero_point, output_min, output_max);
        } else {
            throw std::invalid_argument("conv2d_q8: requantization must be fixed or float, not " +
                                        std::string(requantization));
        }

        // Tensors start at zero: channel vectors then need no gathers.
        for (int d = 0; d < 4; ++d) {
            output.dim(d).set_min(0);
            input.dim(d).set_min(0);
            weights.dim(d).set_min(0);
        }

        haqm::ConvPipeline pipeline{output, acc, co, x, y, b, r, groups};
        haqm::schedule_conv(schedule, pipeline, get_target());
    }

private:
    Var co{"co"}, x{"x"}, y{"y"}, b{"b"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(Conv2dQ8, conv2d_q8)
