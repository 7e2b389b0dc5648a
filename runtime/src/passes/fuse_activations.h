// Prepare-time fusion: rewrites a validated graph so that activations run inside the epilogue of
// the node before them. Model applies it unless it keeps every tensor (calibration reads the
// unfused intermediate tensors). Each rule keeps the results bit for bit (tests/fusion_test.cpp):
//
//  1. float32: conv, fully_connected or add with no activation of its own, whose output only an
//     activation node reads (and is not a graph output), takes that activation: the float path
//     applies it to each result before storing it, the same operation on the same value.
//  2. 8-bit: the same, for relu and clip when the activation's output has the producer's output
//     type, scale, zero point and bit width: the kernels clamp in their epilogue to the levels the
//     activation's table would map to (relu: [zero point, max]; clip: the levels of its bounds).
//
// Not fused (yet): lookup-table activations (hard-swish, sigmoid, tanh) after a quantized product
// (the kernels have no table epilogue), the squeeze-excite channel mul (runs in C++ apart).
#pragma once
#include "haqm/graph.h"

namespace haqm::passes {

// Returns the graph with every fusable activation folded into its producer, and how many were.
Graph fuse_activations(Graph graph, int* fused = nullptr);

}  // namespace haqm::passes
