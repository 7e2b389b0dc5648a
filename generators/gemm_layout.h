// The packed weight layout of gemm_q8, shared by the generator and by the runtime that packs the
// weights (plain C++: the runtime never includes Halide.h).
//
// b_packed(kk, nn, ko, np) holds weight w[k][n] with k = 4 * ko + kk and n = 16 * np + nn:
// four consecutive k of a column are adjacent (one dot-product lane), sixteen columns make a
// contiguous panel, and zeros pad k to a multiple of 4 and n to a multiple of 64.
#pragma once

namespace haqm::gemm_layout {

inline constexpr int kDepthGroup = 4;
inline constexpr int kPanelWidth = 16;
inline constexpr int kColumnPadding = 64;  // the widest register tile

}  // namespace haqm::gemm_layout
