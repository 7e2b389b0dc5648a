#!/usr/bin/env bash
# Makes a device kit, one tarball for a board: build/kits/haqm-<arch>.tar.gz with
#   lib/libhaqm.a, include/haqm/, lib/cmake/haqm/   the library and its CMake package
#   bin/haqm, bin/bench_peak, bench_gemm, bench_conv, bench_model   the CLI and the bench binaries
#   models/*.onnx and models/*_int8.haqm   the bundled models, quantized on this machine (500
#                                          Fashion-MNIST training images, per-channel weights)
#   run_on_device.sh, tools/plot_bench.py  the schedule comparison and model latency on the board
# Copy it to the board, unpack, run ./run_on_device.sh (see its --help). Timings under qemu mean
# nothing: CI runs the kit there only to check that it works (run_on_device.sh --quick).
# Usage: scripts/device_kit.sh aarch64|armhf [--no-build]
#   --no-build   use the existing build trees as they are
# Environment (for tests): HAQM_BUILD_DIR (default build/<arch>), HAQM_HOST_BUILD_DIR (build/host),
# HAQM_KIT_DIR (build/kits), where the kit is written.
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:-}
if [ "$arch" != aarch64 ] && [ "$arch" != armhf ]; then
    echo "usage: scripts/device_kit.sh aarch64|armhf [--no-build]" >&2
    exit 1
fi
build=1
[ "${2:-}" = --no-build ] && build=0

if [ $build = 1 ]; then
    scripts/bootstrap.sh
    for preset in host "$arch"; do
        cmake --preset "$preset" >/dev/null
        cmake --build "build/$preset" -j "$(nproc)"
    done
fi

build_dir=${HAQM_BUILD_DIR:-build/$arch}
host_build_dir=${HAQM_HOST_BUILD_DIR:-build/host}
kits=${HAQM_KIT_DIR:-build/kits}
kit=$kits/haqm-$arch
rm -rf "$kit" && mkdir -p "$kit/models" "$kit/tools"
cmake --install "$build_dir" --prefix "$kit" >/dev/null
for model in tools/models/*.onnx; do
    name=$(basename "$model" .onnx)
    cp "$model" "$kit/models/"
    "$host_build_dir/runtime/cli/haqm" quantize "$model" --calib /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz \
        --calib-count 500 -o "$kit/models/${name}_int8.haqm" >/dev/null
done
cp scripts/device/run_on_device.sh "$kit/"
cp tools/plot_bench.py "$kit/tools/"
tar -C "$kits" -czf "$kits/haqm-$arch.tar.gz" "haqm-$arch"
echo "device kit: $kits/haqm-$arch.tar.gz ($(du -h "$kits/haqm-$arch.tar.gz" | cut -f1)); on the board: tar xzf, then haqm-$arch/run_on_device.sh"
