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
//  3. 8-bit, conv or fully_connected: any other activation (hard-swish, sigmoid, tanh, hard
//     sigmoid, or relu / clip that change the parameters) whose output has the producer's 8-bit
//     type. The producer keeps the parameters of the tensor between them
//     (NodeAttributes::fused_table_input), requantizes to them over their full range, and its
//     kernel plan looks each output up in the activation's 256-entry table right after the
//     kernel wrote it, in place and while it is in cache (GemmSpec::output_table,
//     runtime/src/table_lookup.h): the same table the activation node would run on the same
//     values, without the node, its tensor and a second pass from memory. (Inside the Halide
//     epilogue the table read was slower: runtime/src/table_lookup.h.)
//
// Not fused:
//  - a table activation after add (its clamps fuse by rule 2; a table would fuse the same way
//    once add's plan applies one);
//  - the squeeze-excite channel mul (MobileNet-v3: x * hard_sigmoid(fc(fc(pool(x))))). Its
//    producer cannot take it, since the scale depends on the producer's whole output through the
//    pool; the consumer (the projection conv) could only take it exactly by requantizing each
//    input x * s to 8 bits before its products, as the mul node does, an input stage the conv
//    kernels do not have. It runs as its own node (mul_q8).
#pragma once
#include "haqm/graph.h"

namespace haqm::passes {

// Returns the graph with every fusable activation folded into its producer, and how many were.
Graph fuse_activations(Graph graph, int* fused = nullptr);

}  // namespace haqm::passes
