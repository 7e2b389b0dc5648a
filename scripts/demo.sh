#!/usr/bin/env bash
# The main job on bundled defaults, for both bundled Fashion-MNIST models (tools/models/*.onnx):
# import, calibrate on 500 training images, quantize to int8 (per-channel weights) with the
# per-layer report, FP32 and int8 accuracy on the 10k test images, one image through the int8
# model, latency per convolution schedule, and batch-1 latency against PyTorch and ONNX Runtime.
# Then a short kernel comparison (gemm_q8 and conv schedules vs oneDNN / XNNPACK).
# Usage: scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/install_peers.sh

cmake --preset host >/dev/null
cmake --build build/host -j "$(nproc)" --target haqm_cli bench_model bench_gemm bench_conv

haqm=build/host/runtime/cli/haqm
data=/usr/share/datasets/fashion-mnist
out=build/demo
mkdir -p "$out"

# One test image as a PGM file, to show `haqm run` on an image file.
/usr/bin/python3 - "$data/t10k-images-idx3-ubyte.gz" "$out/test_image_0.pgm" <<'PY'
import gzip, sys
with gzip.open(sys.argv[1]) as f:
    raw = f.read()
rows, cols = int.from_bytes(raw[8:12], "big"), int.from_bytes(raw[12:16], "big")
with open(sys.argv[2], "wb") as f:
    f.write(b"P5\n%d %d\n255\n" % (cols, rows) + raw[16:16 + rows * cols])
PY

for model in fashion_resnet fashion_mobilenet_v3; do
  onnx=tools/models/$model.onnx
  int8=$out/$model.haqm
  echo
  echo "################ $model"
  echo "== quantize: calibrate on 500 training images, int8 per-channel weights, uint8 activations"
  "$haqm" quantize "$onnx" --calib "$data/train-images-idx3-ubyte.gz" --calib-count 500 -o "$int8"
  echo
  echo "== accuracy on the 10k test images: FP32 (ONNX file) and int8 ($int8)"
  "$haqm" eval "$onnx" --images "$data/t10k-images-idx3-ubyte.gz" --labels "$data/t10k-labels-idx1-ubyte.gz"
  "$haqm" eval "$int8" --images "$data/t10k-images-idx3-ubyte.gz" --labels "$data/t10k-labels-idx1-ubyte.gz"
  echo
  echo "== one image (test image 0, an ankle boot) through the int8 model"
  "$haqm" run "$int8" "$out/test_image_0.pgm"
  echo
  echo "== int8 batch-1 latency per convolution schedule (1 thread)"
  "$haqm" bench "$int8" --all-schedules --runs 200 --threads 1
done

echo
echo "== batch-1 latency against PyTorch (int8 onednn, FP32) and ONNX Runtime (FP32), same run"
build/host/bench/bench_model --benchmark_filter='haqm_int8/default|haqm_fp32|pytorch|onnxruntime' \
  --benchmark_out="$out/bench_model.json" --benchmark_out_format=json --benchmark_format=console | sed -n '/^batch-1 latency/,$p'
echo "raw results (Google Benchmark JSON): $out/bench_model.json"

echo
echo "== kernels: gemm_q8 schedules vs oneDNN and OpenBLAS (1 thread; medians of 3; % of the measured peak)"
build/host/bench/bench_gemm --benchmark_filter='(256x256x256|1024x1024x1024)/threads:1' --benchmark_out="$out/bench_gemm.json" \
  --benchmark_out_format=json --benchmark_format=console | sed -n '/^Summary/,$p'
/usr/bin/python3 tools/plot_bench.py "$out/bench_gemm.json" "$out/gemm_schedules.svg"
echo "plot: $out/gemm_schedules.svg"
echo
echo "== kernels: convolutions vs oneDNN and XNNPACK (batch 1, 1 thread)"
build/host/bench/bench_conv --benchmark_filter='(resnet18_56x56x64_64_s1|mbv2_dw_56x56x144_s1)/b1/.*threads:1' \
  --benchmark_out="$out/bench_conv.json" --benchmark_out_format=json --benchmark_format=console | sed -n '/^Summary/,$p'
