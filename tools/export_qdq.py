#!/usr/bin/python3
"""Writes a QDQ ONNX file of a bundled Fashion-MNIST model for ONNX Runtime's int8 path: the model
quantized by PyTorch eager-mode PTQ exactly as tools/torch_reference.py does it (onednn engine,
min-max observers, int8 per-channel weights, uint8 activations, the first 500 training images),
exported by torch.onnx.export (opset 13) as QuantizeLinear / DequantizeLinear around each
quantized op, which ONNX Runtime fuses into its QLinear kernels.

haqm's min-max PTQ on the same 500 images gives every tensor the same scale and zero point as
PyTorch (docs/quantization.md), so ONNX Runtime runs the same quantized model haqm runs: this is
bench_model's "onnxruntime-int8" peer.

    /usr/bin/python3 tools/export_qdq.py fashion_resnet build/peers/fashion_resnet_qdq.onnx
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fashion_models as fm  # noqa: E402
from torch_reference import build_int8  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", choices=fm.MODEL_NAMES)
    ap.add_argument("output")
    ap.add_argument("--models-dir", default=os.path.join(HERE, "models"))
    ap.add_argument("--data", default=fm.DATA_DIR)
    args = ap.parse_args()
    torch.set_num_threads(1)
    int8, engine, _ = build_int8(args.model, args.models_dir, args.data)
    test_images, _ = fm.load_split("t10k", args.data)
    x = fm.preprocess(test_images[:1])
    out_dir = os.path.dirname(os.path.abspath(args.output))
    os.makedirs(out_dir, exist_ok=True)
    temporary = args.output + ".tmp"
    torch.onnx.export(int8, x, temporary, opset_version=13, input_names=["input"], output_names=["logits"])
    os.replace(temporary, args.output)
    print(f"wrote {args.output} ({args.model}, PyTorch {torch.__version__} int8 PTQ, engine {engine})")


if __name__ == "__main__":
    main()
