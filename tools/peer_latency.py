#!/usr/bin/python3
"""PyTorch batch-1 latency of a trained Fashion-MNIST model (tools/models/<name>.pt): the int8
model built exactly as tools/torch_reference.py builds it (eager-mode PTQ, onednn engine, 500
calibration images) and the FP32 model. Input: the first test image, preprocessed as in
torch_reference.py. After --warmup runs, times --runs single forward passes and prints one JSON
line per variant:
  {"peer": "pytorch-int8-onednn", "model": ..., "median_ms": ..., "p90_ms": ..., "runs": N, "threads": T}
  {"peer": "pytorch-fp32", ...}
(the int8 peer is "pytorch-int8-qnnpack" if onednn cannot be selected).

    /usr/bin/python3 tools/peer_latency.py fashion_resnet --runs 200 --threads 1
"""
import argparse
import json
import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fashion_models as fm  # noqa: E402
from torch_reference import build_int8  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list."""
    k = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[k - 1]


def median(sorted_values):
    n = len(sorted_values)
    mid = n // 2
    return sorted_values[mid] if n % 2 else 0.5 * (sorted_values[mid - 1] + sorted_values[mid])


def time_model(model, x, warmup, runs):
    times = []
    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        for _ in range(runs):
            t0 = time.perf_counter_ns()
            model(x)
            times.append((time.perf_counter_ns() - t0) / 1e6)
    times.sort()
    return median(times), percentile(times, 90)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", choices=fm.MODEL_NAMES)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--models-dir", default=os.path.join(HERE, "models"))
    ap.add_argument("--data", default=fm.DATA_DIR)
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    torch.set_num_threads(args.threads)

    int8, engine, fp32 = build_int8(args.model, args.models_dir, args.data)
    test_images, _ = fm.load_split("t10k", args.data)
    x = fm.preprocess(test_images[:1])
    for peer, model in ((f"pytorch-int8-{engine}", int8), ("pytorch-fp32", fp32)):
        med, p90 = time_model(model, x, args.warmup, args.runs)
        print(json.dumps({"peer": peer, "model": args.model, "median_ms": round(med, 4),
                          "p90_ms": round(p90, 4), "runs": args.runs, "threads": args.threads}),
              flush=True)


if __name__ == "__main__":
    main()
