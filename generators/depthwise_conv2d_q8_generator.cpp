// depthwise_conv2d_q8: each output channel co reads one input channel, co / multiplier (ONNX Conv
// with group = input channels; multiplier = output channels / input channels), NHWC:
//   out[b][y][x][co] = sum_{ky,kx} (in[b][y*sy + ky*dy - pt][x*sx + kx*dx - pl][co / mult] - za)
//                                  * (w[ky][kx][co] - zb) + bias[co]
// then the requantize epilogue (fixed or float), or int32 out. There is no reduction over
// channels, so no dot-product instruction applies: each tap is a widening multiply-add per lane.
// With centered weights (w - zb), the input zero point becomes one per-channel constant:
//   sum (a - za)(w - zb) = sum a * (w - zb) - za * sum (w - zb).
//
// Layouts (dimension 0 innermost): input (c, x, y, b); weights (co, kx, ky) (HWIO with I = 1);
// output (co, x, y, b).
#include <string>

#include "Halide.h"
#include "depthwise_schedules.h"
#include "padded_input.h"
#include "requantization.h"

namespace {

using namespace Halide;

class DepthwiseConv2dQ8 : public Generator<DepthwiseConv2dQ8> {
public:
    GeneratorParam<std::string> schedule{"schedule", "tiled_vec"};
    GeneratorParam<std::string> requantization{"requantization", "fixed"};

    Input<Buffer<>> input{"input", 4};
    Input<Buffer<int32_t>> zero_points{"zero_points", 1};  // {input, weights}
    Input<Buffer<int8_t>> weights{"weights", 3};
    Input<Buffer<int32_t>> bias{"bias", 1};
    Input<Buffer<int32_t>> multiplier{"multiplier", 1};
    Input<Buffer<int32_t>> shift{"shift", 1};
    Input<Buffer<float>> scale{"scale", 1};
    Input<int32_t> channel_multiplier{"channel_multiplier"};
    Input<int32_t> stride_x{"stride_x"}, stride_y{"stride_y"};
    Input<int32_t> dilation_x{"dilation_x"}, dilation_y{"dilation_y"};
    Input<int32_t> pad_left{"pad_left"}, pad_top{"pad_top"};
    Input<int32_t> output_zero_point{"output_zero_point"};
    Input<int32_t> output_min{"output_min"};
    Input<int32_t> output_max{"output_max"};
    Output<Buffer<>> output{"output", 4};

    void generate() {
        const Expr C = input.dim(0).extent(), W = input.dim(1).extent(), H = input.dim(2).extent();
        const Expr N = input.dim(3).extent();
        const Expr za = zero_points(0), zb = zero_points(1);
        const Expr kernel_w = weights.dim(1).extent(), kernel_h = weights.dim(2).extent();

        // The input padded once with its zero point, in padded coordinates.
        Func a_padded("a_padded");
        a_padded(c, px, py, b) = haqm::padded_read(input, C, W, H, N, c, px - pad_left, py - pad_top, b, za, za);

        // Channel reads are clamped, so schedules may compute whole vectors past the last channel.
        const Expr out_channels = weights.dim(0).extent();
        Expr channel = clamp(co, 0, out_channels - 1);
        Func w_centered("w_centered");
        w_centered(co, kx, ky) = cast<int16_t>(weights(channel, kx, ky)) - cast<int16_t>(zb);
        RDom rt(0, kernel_w, 0, kernel_h, "rt");
        Func channel_terms("channel_terms");
        channel_terms(co) = bias(channel);
        channel_terms(co) -= za * cast<int32_t>(w_centered(co, rt.x, rt.y));

        RDom r(0, kernel_w, 0, kernel_h, "r");
        Func acc("acc");
        acc(co, x, y, b) = channel_terms(co);
        acc(co, x, y, b) += cast<int32_t>(a_padded(co / channel_multiplier, x * stride_x + r.x * dilation_x,
                                                   y * stride_y + r.y * dilation_y, b)) *
                            cast<int32_t>(w_centered(co, r.x, r.y));
        output(co, x, y, b) = haqm::epilogue(
            output.type(), requantization, acc(co, x, y, b),
            {multiplier(co), shift(co), scale(co), output_zero_point, output_min, output_max});

        for (int d = 0; d < 4; ++d) {
            input.dim(d).set_min(0);
            output.dim(d).set_min(0);
        }
        for (int d = 0; d < 3; ++d) {
            weights.dim(d).set_min(0);
        }

        haqm::DepthwisePipeline pipeline{output, acc, a_padded, w_centered, channel_terms,
                                         co, x, y, b, r, channel_multiplier, kernel_w, kernel_h};
        haqm::schedule_depthwise(schedule, pipeline, get_target());
    }

private:
    Var c{"c"}, px{"px"}, py{"py"}, b{"b"}, co{"co"}, x{"x"}, y{"y"}, kx{"kx"}, ky{"ky"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(DepthwiseConv2dQ8, depthwise_conv2d_q8)
