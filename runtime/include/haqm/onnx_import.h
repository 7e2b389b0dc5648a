// ONNX import (Debian libonnx + protobuf): FP32 models and already-quantized models (QDQ pairs,
// QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger) become a haqm::Graph in NHWC layout.
// BatchNormalization is folded into the convolution before it, Relu/Clip after a convolution,
// Gemm or Add are fused into it, Identity and Dropout are removed, x * HardSigmoid(x) becomes
// HardSwish. An unsupported op or attribute throws haqm::Error naming the node, the op and the
// attribute; nothing is returned partially.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "haqm/graph.h"

namespace haqm {

// `batch` replaces a symbolic or zero batch dimension of the input.
Graph import_onnx(const std::string& path, int64_t batch = 1);
Graph import_onnx_bytes(const uint8_t* data, size_t size, int64_t batch = 1);

}  // namespace haqm
