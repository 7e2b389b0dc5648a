#!/usr/bin/python3
"""Writes the ONNX seed corpus of fuzz_onnx_import (tests/fuzz/corpus/onnx holds its output).

The single-op conformance models of Debian's libonnx-testdata pass weights as graph inputs, which
the importer refuses (they must be constants), so a fuzzer starting from them would rarely get past
that check. This script makes seeds that import: those models with every input but the first turned
into an initializer (values from their test_data_set_0), plus three small networks that use most of
the importer's op set (conv-BN-ReLU with pooling and a classifier head, a squeeze-excite block with
hard-swish, a QDQ-quantized convolution and a QLinearConv).

Usage: /usr/bin/python3 tests/fuzz/make_onnx_seeds.py OUTPUT_DIR   (Debian's python3-onnx)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

TESTDATA = "/usr/share/libonnx-testdata/data/node"
OPSET = [helper.make_opsetid("", 14)]


def with_constant_inputs(name):
    """The conformance model `name` with inputs 1.. as initializers."""
    model = onnx.load(os.path.join(TESTDATA, name, "model.onnx"))
    graph = model.graph
    for i, value in enumerate(list(graph.input)[1:], start=1):
        tensor = onnx.TensorProto()
        with open(os.path.join(TESTDATA, name, "test_data_set_0", f"input_{i}.pb"), "rb") as f:
            tensor.ParseFromString(f.read())
        tensor.name = value.name
        graph.initializer.append(tensor)
    while len(graph.input) > 1:
        graph.input.pop()
    return model


def initializer(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def model(nodes, inputs, outputs, initializers, name):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializers)
    m = helper.make_model(graph, opset_imports=OPSET, producer_name="haqm make_onnx_seeds")
    onnx.checker.check_model(m)
    return m


def small_cnn(rng):
    """Conv -> BatchNormalization -> Relu -> MaxPool -> depthwise Conv -> Clip -> GlobalAveragePool
    -> Flatten -> Gemm -> Softmax."""
    f32 = np.float32
    inits = [
        initializer("c1.w", rng.standard_normal((4, 3, 3, 3)).astype(f32) * 0.3),
        initializer("c1.b", rng.standard_normal(4).astype(f32) * 0.1),
        initializer("bn.scale", (1 + rng.standard_normal(4) * 0.1).astype(f32)),
        initializer("bn.bias", (rng.standard_normal(4) * 0.1).astype(f32)),
        initializer("bn.mean", (rng.standard_normal(4) * 0.1).astype(f32)),
        initializer("bn.var", (1 + rng.random(4)).astype(f32)),
        initializer("dw.w", rng.standard_normal((4, 1, 3, 3)).astype(f32) * 0.3),
        initializer("clip.min", np.array(0, f32)),
        initializer("clip.max", np.array(6, f32)),
        initializer("fc.w", rng.standard_normal((3, 4)).astype(f32) * 0.5),
        initializer("fc.b", rng.standard_normal(3).astype(f32) * 0.1),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "c1.w", "c1.b"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "bn.scale", "bn.bias", "bn.mean", "bn.var"], ["bn"]),
        helper.make_node("Relu", ["bn"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "dw.w"], ["dw"], group=4, pads=[1, 1, 1, 1]),
        helper.make_node("Clip", ["dw", "clip.min", "clip.max"], ["r2"]),
        helper.make_node("GlobalAveragePool", ["r2"], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
    ]
    return model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                 [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, 3])], inits, "small_cnn")


def squeeze_excite(rng):
    """Pointwise Conv -> HardSwish, then x * HardSigmoid(Conv(Relu(Conv(GlobalAveragePool(x))))),
    a residual Add, Concat, AveragePool, Transpose and Reshape."""
    f32 = np.float32
    inits = [
        initializer("pw.w", rng.standard_normal((4, 4, 1, 1)).astype(f32) * 0.5),
        initializer("se1.w", rng.standard_normal((2, 4, 1, 1)).astype(f32) * 0.5),
        initializer("se1.b", np.zeros(2, f32)),
        initializer("se2.w", rng.standard_normal((4, 2, 1, 1)).astype(f32) * 0.5),
        initializer("se2.b", np.ones(4, f32)),
        initializer("shape", np.array([1, -1], np.int64)),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "pw.w"], ["pw"]),
        helper.make_node("HardSwish", ["pw"], ["hs"]),
        helper.make_node("GlobalAveragePool", ["hs"], ["sq"]),
        helper.make_node("Conv", ["sq", "se1.w", "se1.b"], ["se1"]),
        helper.make_node("Relu", ["se1"], ["se1r"]),
        helper.make_node("Conv", ["se1r", "se2.w", "se2.b"], ["se2"]),
        helper.make_node("HardSigmoid", ["se2"], ["gate"], alpha=1.0 / 6, beta=0.5),
        helper.make_node("Mul", ["hs", "gate"], ["scaled"]),
        helper.make_node("Add", ["scaled", "x"], ["res"]),
        helper.make_node("Concat", ["res", "hs"], ["cat"], axis=1),
        helper.make_node("AveragePool", ["cat"], ["avg"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                         count_include_pad=1),
        helper.make_node("Transpose", ["avg"], ["nhwc"], perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", ["nhwc", "shape"], ["y"]),
    ]
    return model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6, 6])],
                 [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 72])], inits, "squeeze_excite")


def qdq_conv(rng):
    """QuantizeLinear/DequantizeLinear around a Conv whose int8 per-channel weights are dequantized."""
    f32 = np.float32
    inits = [
        initializer("x.scale", np.array(0.02, f32)),
        initializer("x.zp", np.array(128, np.uint8)),
        initializer("w.q", rng.integers(-127, 128, (4, 2, 3, 3)).astype(np.int8)),
        initializer("w.scale", (0.01 + rng.random(4) * 0.01).astype(f32)),
        initializer("w.zp", np.zeros(4, np.int8)),
        initializer("b", rng.standard_normal(4).astype(f32) * 0.1),
        initializer("y.scale", np.array(0.05, f32)),
        initializer("y.zp", np.array(100, np.uint8)),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "x.scale", "x.zp"], ["xq"]),
        helper.make_node("DequantizeLinear", ["xq", "x.scale", "x.zp"], ["xd"]),
        helper.make_node("DequantizeLinear", ["w.q", "w.scale", "w.zp"], ["w"], axis=0),
        helper.make_node("Conv", ["xd", "w", "b"], ["c"], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("QuantizeLinear", ["r", "y.scale", "y.zp"], ["yq"]),
        helper.make_node("DequantizeLinear", ["yq", "y.scale", "y.zp"], ["y"]),
    ]
    return model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 5, 5])],
                 [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 3, 3])], inits, "qdq_conv")


def qlinear_conv(rng):
    """QuantizeLinear -> QLinearConv (uint8 activations, int8 per-channel weights, int32 bias) ->
    DequantizeLinear."""
    f32 = np.float32
    inits = [
        initializer("x.scale", np.array(0.02, f32)),
        initializer("x.zp", np.array(128, np.uint8)),
        initializer("w", rng.integers(-127, 128, (3, 2, 3, 3)).astype(np.int8)),
        initializer("w.scale", (0.01 + rng.random(3) * 0.01).astype(f32)),
        initializer("w.zp", np.zeros(3, np.int8)),
        initializer("y.scale", np.array(0.05, f32)),
        initializer("y.zp", np.array(100, np.uint8)),
        initializer("b", rng.integers(-500, 500, 3).astype(np.int32)),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "x.scale", "x.zp"], ["xq"]),
        helper.make_node("QLinearConv", ["xq", "x.scale", "x.zp", "w", "w.scale", "w.zp", "y.scale", "y.zp", "b"],
                         ["yq"], pads=[1, 1, 1, 1]),
        helper.make_node("DequantizeLinear", ["yq", "y.scale", "y.zp"], ["y"]),
    ]
    return model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])],
                 [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4, 4])], inits, "qlinear_conv")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_onnx_seeds.py OUTPUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261125)
    seeds = {name[len("test_"):]: with_constant_inputs(name)
             for name in ["test_conv_with_strides_padding", "test_gemm_default_no_bias", "test_maxpool_2d_default",
                          "test_qlinearconv", "test_relu"]}
    seeds.update(small_cnn=small_cnn(rng), squeeze_excite=squeeze_excite(rng), qdq_conv=qdq_conv(rng),
                 qlinear_conv=qlinear_conv(rng))
    for name, m in seeds.items():
        path = os.path.join(out, name + ".onnx")
        onnx.save(m, path)
        print(path)


if __name__ == "__main__":
    main()
