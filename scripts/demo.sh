#!/usr/bin/env bash
# The main job on bundled defaults: build the host kernels and compare every gemm_q8 schedule
# with oneDNN and OpenBLAS on a few shapes, print the table and write a plot.
# Usage: scripts/demo.sh [extra bench_gemm flags, e.g. --benchmark_filter=...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

cmake --preset host >/dev/null
cmake --build build/host -j "$(nproc)" --target bench_gemm

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
