#!/bin/sh
# scripts/device_kit.sh's kit, unpacked in a scratch directory and run under qemu-user as it runs on
# a board (run_on_device.sh --quick: every binary once, millisecond measurements). Checks that each
# step wrote its JSON and the plots. (The consumer test builds a program against the package.)
# Usage: device_kit_smoke.sh SOURCE_DIR ARCH BUILD_DIR HOST_BUILD_DIR WORK_DIR EMULATOR...
set -eu
source_dir=$1 arch=$2 build_dir=$3 host_build_dir=$4 work=$5
shift 5
rm -rf "$work" && mkdir -p "$work/kits" "$work/board"
HAQM_BUILD_DIR=$build_dir HAQM_HOST_BUILD_DIR=$host_build_dir HAQM_KIT_DIR=$work/kits \
    "$source_dir/scripts/device_kit.sh" "$arch" --no-build
tar -C "$work/board" -xzf "$work/kits/haqm-$arch.tar.gz"
kit=$work/board/haqm-$arch
HAQM_RUNNER="$*" "$kit/run_on_device.sh" --quick
for json in bench_peak bench_gemm bench_conv model_fashion_resnet_int8.haqm_t1 model_fashion_mobilenet_v3.onnx_t2; do
    [ -s "$kit/results/$json.json" ] || { echo "FAIL: the kit wrote no results/$json.json"; exit 1; }
done
for svg in bench_gemm bench_conv bench_gemm_pct_of_peak; do
    [ -s "$kit/results/$svg.svg" ] || { echo "FAIL: the kit drew no results/$svg.svg"; exit 1; }
done
echo "device kit for $arch: built, unpacked and run under $1"
