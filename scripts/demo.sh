#!/usr/bin/env bash
# The main job on bundled defaults: build the host kernels, compare every gemm_q8 schedule with
# oneDNN and OpenBLAS on a few shapes (table and plot), then the convolution schedules with oneDNN
# and XNNPACK on ResNet-18 and MobileNet-v2 layers.
# Usage: scripts/demo.sh [extra bench_gemm flags, e.g. --benchmark_filter=...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

cmake --preset host >/dev/null
cmake --build build/host -j "$(nproc)" --target bench_gemm bench_conv

out=build/demo
mkdir -p "$out"
filter='(256x256x256|1024x1024x1024|1x1000x1024|49x512x4608)/threads:1'
echo "== gemm_q8 schedules vs oneDNN and OpenBLAS (1 thread; medians of 3; % of this machine's measured peak)"
build/host/bench/bench_gemm --benchmark_filter="$filter" --benchmark_out="$out/bench_gemm.json" \
  --benchmark_out_format=json --benchmark_format=console "$@" | sed -n '/^Summary/,$p'
/usr/bin/python3 tools/plot_bench.py "$out/bench_gemm.json" "$out/gemm_schedules.svg"
echo
echo "plot: $out/gemm_schedules.svg"
echo "raw results (Google Benchmark JSON): $out/bench_gemm.json"
echo
echo "== convolutions vs oneDNN and XNNPACK (batch 1, 1 thread; medians of 3)"
conv_filter='(resnet18_56x56x64_64_s1|resnet18_14x14x256_256_s1|mbv2_dw_56x56x144_s1|mbv2_pw_28x28x192_32)/b1/.*threads:1'
build/host/bench/bench_conv --benchmark_filter="$conv_filter" --benchmark_out="$out/bench_conv.json" \
  --benchmark_out_format=json --benchmark_format=console | sed -n '/^Summary/,$p'
echo "raw results (Google Benchmark JSON): $out/bench_conv.json"
