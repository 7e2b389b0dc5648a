// The shape arithmetic of conv_peers.h, built for every target (the peers themselves only where
// the target has them: bench/CMakeLists.txt).
#include "conv_peers.h"

namespace haqm_bench {

int conv_output_extent(int in, int kernel, int stride, int pad) {
    return (in + 2 * pad - kernel) / stride + 1;
}

double conv_ops(const ConvShape& s) {
    const double oh = conv_output_extent(s.height, s.kernel, s.stride, s.pad);
    const double ow = conv_output_extent(s.width, s.kernel, s.stride, s.pad);
    return 2.0 * s.batch * oh * ow * s.out_channels * (s.in_channels / s.groups) * s.kernel * s.kernel;
}

}  // namespace haqm_bench
