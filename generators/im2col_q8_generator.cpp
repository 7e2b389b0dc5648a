// im2col_q8: the lowering that turns a convolution into one matrix product (conv2d_q8_im2col in
// the runtime feeds its result to gemm_q8): row m of the patch matrix is output pixel m's receptive
// field, ordered (ky, kx, c) like the rows of the packed conv weights,
//   patches[m][(ky * kernel_w + kx) * C4 + c] = in[b][y*sy + ky*dy - pt][x*sx + kx*dx - pl][c]
// with m = (b * OH + y) * OW + x. Taps in the padding and the channels c >= C that round C up to
// C4 (a multiple of 4, the dot-product depth group) read the input zero point: their (a - za) is 0,
// so gemm_q8 on the K = taps * C4 matrix is exact whatever the weight zero point.
//
// Layouts (dimension 0 innermost): input (c, x, y, b) NHWC; output (c, kx, ky, m), which is the
// row-major M x K patch matrix.
#include "Halide.h"
#include "elementwise_schedules.h"
#include "padded_input.h"

namespace {

using namespace Halide;

class Im2colQ8 : public Generator<Im2colQ8> {
public:
    GeneratorParam<std::string> schedule{"schedule", "default"};
    Input<Buffer<>> input{"input", 4};
    Input<int32_t> zero_point{"zero_point"};
    Input<int32_t> stride_x{"stride_x"}, stride_y{"stride_y"};
    Input<int32_t> dilation_x{"dilation_x"}, dilation_y{"dilation_y"};
    Input<int32_t> pad_left{"pad_left"}, pad_top{"pad_top"};
    Input<int32_t> output_width{"output_width"}, output_height{"output_height"};
    Output<Buffer<>> output{"output", 4};

    void generate() {
        const Expr C = input.dim(0).extent(), W = input.dim(1).extent(), H = input.dim(2).extent();
        const Expr N = input.dim(3).extent();
        Expr x = m % output_width, y = (m / output_width) % output_height, image = m / (output_width * output_height);
        Expr in_x = x * stride_x + kx * dilation_x - pad_left;
        Expr in_y = y * stride_y + ky * dilation_y - pad_top;
        output(c, kx, ky, m) = haqm::padded_read(input, C, W, H, N, c, in_x, in_y, image, zero_point, zero_point);

        for (int d = 0; d < 4; ++d) {
            input.dim(d).set_min(0);
            output.dim(d).set_min(0);
        }
        output.dim(0).set_stride(1);
        haqm::schedule_im2col("im2col_q8", schedule, output, c, get_target());
    }

private:
    Var c{"c"}, kx{"kx"}, ky{"ky"}, m{"m"};
};

}  // namespace

HALIDE_REGISTER_GENERATOR(Im2colQ8, im2col_q8)
