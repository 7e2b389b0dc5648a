#!/usr/bin/python3
"""PyTorch reference outputs of the trained Fashion-MNIST models (tools/models/<name>.pt) for
haqm's tests, written to tests/data/ (or --out):

  <name>_fp32_logits.bin     PyTorch FP32 logits of the FIRST 100 TEST images (t10k order):
                             float32 little-endian, row-major [100, 10], nothing else in the file.
  <name>_torch_int8_top1.bin PyTorch's own int8 top-1 class of all 10000 test images: uint8,
                             10000 entries in t10k order, nothing else.
  torch_accuracy.txt         FP32 and int8 test top-1 of each model (also printed).

Input preprocessing (identical for FP32, int8 calibration and int8 evaluation):
  The t10k / train IDX images (uint8, [N, 28, 28], row-major, 0 = background) from
  /usr/share/datasets/fashion-mnist are converted to float32 and normalized per pixel as
      x = ((float32(pixel) / 255.0) - 0.2860) / 0.3530
  evaluated in float32 in exactly that order (fashion_models.preprocess), then laid out as NCHW
  [N, 1, 28, 28]. No resizing, cropping or flipping. The same mean and std are stored in each
  .onnx file's metadata_props (haqm.mean, haqm.std).

The int8 model is PyTorch eager-mode post-training quantization (fashion_models.quantize_ptq):
quantized engine 'onednn' (falls back to 'qnnpack' only if onednn cannot be selected, and says so),
conv-BN(-ReLU) and the squeeze-excite conv-ReLU fused before prepare, activations quint8 per-tensor
affine MinMaxObserver (reduce_range=False), weights qint8 per-channel symmetric
PerChannelMinMaxObserver, calibrated on the FIRST 500 TRAINING images (train order, batches of 100).

Run with /usr/bin/python3 after tools/train_fashion_mnist.py:
    /usr/bin/python3 tools/torch_reference.py
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fashion_models as fm  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
N_LOGITS = 100
N_CALIBRATION = 500


def build_int8(name, models_dir, data_dir=fm.DATA_DIR):
    """(int8 model, engine name, FP32 model) exactly as the reference uses them."""
    fp32 = fm.load_trained(name, models_dir)
    engine = fm.select_engine()
    train_images, _ = fm.load_split("train", data_dir)
    calibration = fm.preprocess(train_images[:N_CALIBRATION])
    return fm.quantize_ptq(fp32, calibration), engine, fp32


def top1(model, x, batch=500):
    out = []
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            out.append(model(x[i:i + batch]).argmax(1))
    return torch.cat(out).numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models-dir", default=os.path.join(HERE, "models"))
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "data"))
    ap.add_argument("--data", default=fm.DATA_DIR)
    ap.add_argument("--models", nargs="+", default=list(fm.MODEL_NAMES), choices=fm.MODEL_NAMES)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)

    test_images, test_labels = fm.load_split("t10k", args.data)
    x_test = fm.preprocess(test_images)
    lines = [f"PyTorch {torch.__version__} reference accuracy on the 10000 Fashion-MNIST test images "
             f"(tools/torch_reference.py); int8 = eager-mode PTQ calibrated on the first "
             f"{N_CALIBRATION} training images"]
    for name in args.models:
        int8, engine, fp32 = build_int8(name, args.models_dir, args.data)
        if engine != "onednn":
            print(f"warning: the onednn quantized engine could not be selected; using {engine}")
        with torch.no_grad():
            logits = fp32(x_test[:N_LOGITS]).numpy().astype("<f4")
        assert logits.shape == (N_LOGITS, 10)
        logits.tofile(os.path.join(args.out, f"{name}_fp32_logits.bin"))

        fp32_top1 = top1(fp32, x_test)
        int8_top1 = top1(int8, x_test)
        int8_top1.astype(np.uint8).tofile(os.path.join(args.out, f"{name}_torch_int8_top1.bin"))
        fp32_acc = float((fp32_top1 == test_labels).mean())
        int8_acc = float((int8_top1 == test_labels).mean())
        agree = float((fp32_top1 == int8_top1).mean())
        line = (f"{name}: FP32 top-1 {fp32_acc:.4f}, PyTorch int8 ({engine}) top-1 {int8_acc:.4f}, "
                f"int8/FP32 top-1 agreement {agree:.4f}")
        print(line, flush=True)
        lines.append(line)
    with open(os.path.join(args.out, "torch_accuracy.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
