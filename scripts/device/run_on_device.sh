#!/bin/sh
# Runs on the board, from an unpacked haqm device kit (scripts/device_kit.sh made it):
#   1. this CPU's int8 and fp32 peaks (bench_peak);
#   2. the schedule comparison: every gemm_q8 and convolution schedule of the kit, GOPS and % of the
#      peak measured in the same run (bench_gemm, bench_conv);
#   3. model latency at batch 1, int8 and FP32, 1 and 2 threads (haqm bench on the bundled models);
# each as JSON in results/, and, where python3 exists, SVG plots of the two kernel benches.
# Usage: ./run_on_device.sh [--quick] [--out DIR]
#   --quick      only small shapes and millisecond measurements (a smoke run: numbers mean nothing)
#   HAQM_RUNNER  a command put before every binary (CI runs the kit with qemu-user this way)
set -eu
cd "$(dirname "$0")"
out=results
quick=0
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1 ;;
        --out) out=$2; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "run_on_device.sh: unknown option '$1' (see --help)" >&2; exit 1 ;;
    esac
    shift
done
mkdir -p "$out"
run() { ${HAQM_RUNNER:-} "$@"; }

if [ $quick = 1 ]; then
    export HAQM_BENCH_SMOKE=1
    gemm_filter='64x64x64/threads:1'
    conv_filter='mbv2_pw_14x14x384_64/b1/.*threads:1'
    runs=3
else
    gemm_filter='(256x256x256|1024x1024x1024|3136x64x576)/threads:'
    conv_filter='/b1/'
    runs=200
fi

echo "== peaks"
run bin/bench_peak --benchmark_out="$out/bench_peak.json" --benchmark_out_format=json
echo "== gemm_q8 schedules"
run bin/bench_gemm --benchmark_filter="$gemm_filter" --benchmark_out="$out/bench_gemm.json" \
    --benchmark_out_format=json --benchmark_format=console | sed -n '/^Summary/,$p'
echo "== convolution schedules"
run bin/bench_conv --benchmark_filter="$conv_filter" --benchmark_out="$out/bench_conv.json" \
    --benchmark_out_format=json --benchmark_format=console | sed -n '/^Summary/,$p'
echo "== model latency (batch 1)"
for model in models/*.haqm models/*.onnx; do
    name=$(basename "$model")
    for threads in 1 2; do
        run bin/haqm bench "$model" --threads $threads --runs $runs --json "$out/model_${name}_t$threads.json" |
            grep -E "median" || true
    done
done
if command -v python3 >/dev/null 2>&1; then
    for bench in bench_gemm bench_conv; do
        python3 tools/plot_bench.py "$out/$bench.json" "$out/$bench.svg"
        python3 tools/plot_bench.py "$out/$bench.json" "$out/${bench}_pct_of_peak.svg" --metric pct_of_peak
    done
else
    echo "no python3 here: plots left out (copy $out/*.json to a machine with python3 and run tools/plot_bench.py)"
fi
echo "results in $out/"
