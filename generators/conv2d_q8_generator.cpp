// conv2d_q8: direct 2-D convolution, NHWC, u8/s8 activations x s8 weights, int32 accumulation:
//   out[b][y][x][co] = sum_{ky,kx,ci} (in[b][y*sy + ky*dy - pt][x*sx + kx*dx - pl][ci] - za)
//                                    * (w[ky][kx][ci][co] - zb) + bias[co]
// then the requantize epilogue of requantization.h (fixed or float), or int32 out. One group:
// the runtime runs grouped convolutions group by group on channel slices.
//
// Layouts (Halide dimension 0 innermost):
//   input          (c, x, y, b)     NHWC activations
//   weights_packed (kk, nn, ko, np) the gemm_q8 panel layout (gemm_layout.h) of the weights seen as
//                  a K x N matrix, k = (ky * kernel_w + kx) * C4 + c with C rounded up to C4, a
//                  multiple of 4 (zero weights in the extra channels), n = co
//   output         (co, m)          NHWC output with the pixels flattened, m = (b * OH + y) * OW + x
// Seen that way the convolution is a matrix product whose rows are output pixels and whose depth
// is (tap, channel): four consecutive channels of one pixel are one dot-product operand, and the
// schedules tile it like gemm_q8. The input is padded once (input zero point at the borders, zero
// in the extra channels), so padded taps add exactly nothing and the inner loop has no selects.
// The zero points are handled by expanding the product, as in gemm_q8:
//   sum (a - za)(w - zb) = sum a*w - za * sum(w)[co] - zb * window_sum(a)[m] + K * za * zb.
#include <string>

#include "Halide.h"
#include "conv_schedules.h"
#include "dot_operands.h"
#include "gemm_layout.h"
#include "padded_input.h"
#include "requantization.h"

namespace {

using namespace Halide;

class Conv2dQ8 : public Generator<Conv2dQ8> {
public:
    GeneratorParam<std::string> schedule{"schedule", "tiled_vec"};
    GeneratorParam<std::string> requantization{"requantization", "fixed"};  // or "float"; 8-bit outputs
    GeneratorParam<int> tile_m{"tile_m", 0};  // register tile, as gemm_q8's (0: the target's default)
    GeneratorParam<int> tile_n_vectors{"tile_n_vectors", 0};

    Input<Buffer<>> input{"input", 4};
    Input<Buffer<int32_t>> zero_points{"zero_points", 1};  // {input, weights}
    Input<Buffer<int8_t>> weights_packed{"weights_packed", 4};
    Input<Buffer<int32_t>> weight_sums{"weight_sums", 1};  // sum of each output channel's weights
    Input<Buffer<int32_t>> bias{"bias", 1};
    Input<Buffer<int32_t>> multiplier{"multiplier", 1};
    Input<Buffer<int32_t>> shift{"shift", 1};
    Input<Buffer<float>> scale{"scale", 1};
    Input<int32_t> kernel_w{"kernel_w"}, kernel_h{"kernel_h"};
    Input<int32_t> stride_x{"stride_x"}, stride_y{"stride_y"};
    Input<int32_t> dilation_x{"dilation_x"}, dilation_y{"dilation_y"};
    Input<int32_t> pad_left{"pad_left"}, pad_top{"pad_top"};
    Input<int32_t> output_width{"output_width"}, output_height{"output_height"};
    Input<int32_t> output_zero_point{"output_zero_point"};
    Input<int32_t> output_min{"output_min"};
    Input<int32_t> output_max{"output_max"};
    Output<Buffer<>> output{"output", 2};

    void generate() {
        using namespace haqm::gemm_layout;
        const Expr C = input.dim(0).extent(), W = input.dim(1).extent(), H = input.dim(2).extent();
        const Expr N = input.dim(3).extent();
        const Expr channel_groups = (C + kDepthGroup - 1) / kDepthGroup;

        // The input padded once, in padded coordinates (px, py) = (x + pad_left, y + pad_top).
        const haqm::DotOperand encoded =
            haqm::encode_for_dot_product(get_target(), input(c, px, py, b), zero_points(0));
        const Expr za = encoded.zero_point, zb = zero_points(1);
        Func encoded_input("encoded_input");
        encoded_input(c, px, py, b) = encoded.value;
        Func a_padded("a_padded");
        a_padded(c, px, py, b) = haqm::padded_read(encoded_input, C, W, H, N, c, px - pad_left, py - pad_top, b, za, 0);

        // Output pixel m and where its window starts in the padded input. The products divide m
        // once per tile row, outside their reduction; the epilogue reads the coordinates from
        // tables made once by a scatter over the output's pixels instead (dividing in every row of
        // the epilogue took most of a 28x28x16 3x3 layer's time; reading the tables in the
        // products' reduction loops was slower than dividing there).
        Expr x = m % output_width, y = (m / output_width) % output_height;
        Expr image = m / (output_width * output_height);
        RDom rp(0, output_width, 0, output_height, 0, N, "rp");
        const Expr pixel = rp.x + output_width * (rp.y + output_height * rp.z);
        Func pixel_x("pixel_x"), pixel_y("pixel_y"), pixel_image("pixel_image");
        pixel_x(m) = 0;
        pixel_x(pixel) = rp.x;
        pixel_y(m) = 0;
        pixel_y(pixel) = rp.y;
        pixel_image(m) = 0;
        pixel_image(pixel) = rp.z;
        // Clamped (the tables hold nothing else) so that bounds inference knows what is read.
        // Halide 14's Mullapudi2016 fails internally on a scatter: the autoscheduled variant
        // divides (the same values).
        Expr table_x = auto_schedule ? x : clamp(pixel_x(m), 0, output_width - 1);
        Expr table_y = auto_schedule ? y : clamp(pixel_y(m), 0, output_height - 1);
        Expr table_image = auto_schedule ? image : clamp(pixel_image(m), 0, N - 1);

        // Dot products in the weights' panel coordinates, column n = 16 * np + nn.
        RDom r(0, kDepthGroup, 0, channel_groups, 0, kernel_w, 0, kernel_h, "r");  // kk, cg, kx, ky
        Expr ko = (r[3] * kernel_w + r[2]) * channel_groups + r[1];
        Expr panels = weights_packed.dim(3).extent();
        Expr w_value = weights_packed(r[0], clamp(nn, 0, kPanelWidth - 1), ko, clamp(np, 0, panels - 1));
        Expr a_value = a_padded(kDepthGroup * r[1] + r[0], x * stride_x + r[2] * dilation_x,
                                y * stride_y + r[3] * dilation_y, image);
        Func dot("dot");
        dot(nn, np, m) = 0;
        dot(nn, np, m) += cast<int32_t>(a_value) * cast<int32_t>(w_value);

        // Sum of the activations under each window (for the weight zero point); symmetric weights
        // (zb = 0) sum nothing.
        RDom rc(0, C, "rc");
        rc.where(zb != 0);
        Func channel_sums("channel_sums");
        channel_sums(px, py, b) = 0;
        channel_sums(px, py, b) += cast<int32_t>(a_padded(rc, px, py, b));
        RDom rt(0, kernel_w, 0, kernel_h, "rt");
        rt.where(zb != 0);
        Func window_sums("window_sums");  // per output pixel (ox, oy, b)
        window_sums(ox, oy, b) = 0;
        window_sums(ox, oy, b) += channel_sums(ox * stride_x + rt.x * dilation_x, oy * stride_y + rt.y * dilation_y, b);

        Expr depth = kernel_w * kernel_h * C;
        Func column_terms("column_terms");
        column_terms(n) = bias(n) - za * weight_sums(n) + depth * za * zb;
        Expr acc = dot(n % kPanelWidth, n / kPanelWidth, m) - zb * window_sums(table_x, table_y, table_image) + column_terms(n);
        output(n, m) = haqm::epilogue(output.type(), requantization, acc,
                                      {multiplier(n), shift(n), scale(n), output_zero_point, output_min, output_max});

        // Tensors start at zero: channel vectors then need no gathers.
        for (int d = 0; d < 4; ++d) {
            input.dim(d).set_min(0);
        }
        output.dim(0).set_min(0);
        output.dim(1).set_min(0);
        weights_packed.dim(0).set_bounds(0, kDepthGroup);
        weights_packed.dim(1).set_bounds(0, kPanelWidth).set_stride(kDepthGroup);
        weights_packed.dim(2).set_stride(kDepthGroup * kPanelWidth);
        weights_packed.dim(3).set_stride(kDepthGroup * kPanelWidth * weights_packed.dim(2).extent());

        // A ResNet-18 3x3 layer, for the autoscheduler.
        input.set_estimates({{0, 64}, {0, 56}, {0, 56}, {0, 1}});
        weights_packed.set_estimates({{0, kDepthGroup}, {0, kPanelWidth}, {0, 144}, {0, 4}});
        weight_sums.set_estimates({{0, 64}});
        bias.set_estimates({{0, 64}});
        multiplier.set_estimates({{0, 64}});
        shift.set_estimates({{0, 64}});
        scale.set_estimates({{0, 64}});
        zero_points.set_estimates({{0, 2}});
        output.set_estimates({{0, 64}, {0, 56 * 56}});
        kernel_w.set_estimate(3);
        kernel_h.set_estimate(3);
        stride_x.set_estimate(1);
        stride_y.set_estimate(1);
        dilation_x.set_estimate(1);
        dilation_y.set_estimate(1);
        pad_left.set_estimate(1);
        pad_top.set_estimate(1);
        output_width.set_estimate(56);
        output_height.set_estimate(56);
        output_zero_point.set_estimate(0);
        output_min.set_estimate(-128);
        output_max.set_estimate(127);

        if (!auto_schedule) {
            haqm::ConvPipeline pipeline{{output, dot, column_terms, n, m, nn, np, r[0], {r[1], r[2], r[3]}},
                                        a_padded, kDepthGroup * channel_groups, channel_sums, window_sums, rc,
                                        {pixel_x, pixel_y, pixel_image}};
            haqm::schedule_conv(schedule, {tile_m, tile_n_vectors}, pipeline, get_target());
        }
    }

private:
    Var c{"c"}, px{"px"}, py{"py"}, ox{"ox"}, oy{"oy"}, b{"b"}, n{"n"}, m{"m"}, nn{"nn"}, np{"np"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(Conv2dQ8, conv2d_q8)
