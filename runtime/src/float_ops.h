// The float32 path of the graph ops (plain C++; loops written so the compiler vectorizes the
// innermost, contiguous axis). It is the baseline the quantizer calibrates on and the path the
// FP32 comparison with PyTorch checks.
#pragma once
#include <cstdint>

#include "haqm/graph.h"

// Loops that get an AVX2 build picked at load time on x86-64 besides the baseline one (the
// library's baseline is SSE2): the float convolution and fully connected loops.
// Each output lane computes the same operations in the same order in both builds, and ISO C++ mode
// keeps multiplies and adds unfused, so the results are the same bits.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HAQM_WIDE_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define HAQM_WIDE_VECTOR_CLONES
#endif

namespace haqm::detail {

float activate(float x, const NodeAttributes& attrs);  // attrs.activation applied to one value

// x NHWC [N,H,W,C], weights HWIO [KH,KW,C/groups,CO], bias CO or null, out NHWC.
void conv2d_f32(const float* x, const Shape& x_shape, const float* weights, const Shape& w_shape, const float* bias,
                const NodeAttributes& attrs, float* out, const Shape& out_shape);
// x [M, K], weights [K, N], bias N or null, out [M, N].
void fully_connected_f32(const float* x, int64_t m, const float* weights, int64_t k, int64_t n, const float* bias,
                         const NodeAttributes& attrs, float* out);
void pool2d_f32(OpKind op, const float* x, const Shape& x_shape, const NodeAttributes& attrs, float* out,
                const Shape& out_shape);
// out = a * b with b the same shape, or b [N,1,1,C] broadcast over a NHWC.
void mul_f32(const float* a, const Shape& a_shape, const float* b, const Shape& b_shape, float* out);
void softmax_f32(const float* x, int64_t rows, int64_t cols, float* out);

// Layout ops on raw elements of any size.
// Copies the elements of a strided view (shape, strides in elements) into dense row-major memory.
void gather_strided(const uint8_t* x, const Shape& shape, const Shape& strides, size_t element_bytes, uint8_t* out);
// out = x with its axes permuted: out axis d is x axis perm[d] (a strided gather).
void transpose_bytes(const uint8_t* x, const Shape& x_shape, const std::vector<int64_t>& perm, size_t element_bytes,
                     uint8_t* out);
// Copies `rows` blocks of `block` bytes from x into out at stride `out_row` (one concat input).
void copy_rows(const uint8_t* x, int64_t rows, int64_t block, int64_t out_row, uint8_t* out);

}  // namespace haqm::detail
