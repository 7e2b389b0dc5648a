#!/usr/bin/env bash
# Installs the Debian packages haqm needs, once. Idempotent: does nothing when all are present.
#  - host packages (amd64): compilers, Halide, test and bench libraries, peers, data;
#  - the ARM builds' libraries through Debian multiarch (arm64 and armhf): the CLI with ONNX import,
#    the tests and the bench binaries are built for the devices too.
set -euo pipefail

packages=(
  cmake ninja-build ccache g++ clang
  libhalide14-0-dev llvm-14-dev
  g++-aarch64-linux-gnu g++-arm-linux-gnueabihf qemu-user
  googletest libgtest-dev libbenchmark-dev
  libstb-dev libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  libdnnl-dev libopenblas-dev libxnnpack-dev libpthreadpool-dev
  python3 python3-torch python3-torchvision dataset-fashion-mnist libclang-rt-14-dev
)
# Per ARM architecture. libarm-compute-dev is Arm Compute Library, the ARM benches' peer.
# (libxnnpack-dev:arm64 would replace the amd64 one and remove python3-torch: not installed.)
arm_architectures=(arm64 armhf)
arm_packages=(libonnx-dev libprotobuf-dev zlib1g-dev libgtest-dev libbenchmark-dev libstb-dev libarm-compute-dev)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
missing_arm=()
for arch in "${arm_architectures[@]}"; do
  for p in "${arm_packages[@]}"; do
    installed "$p:$arch" || missing_arm+=("$p:$arch")
  done
done
[ ${#missing[@]} -eq 0 ] && [ ${#missing_arm[@]} -eq 0 ] && exit 0

sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
for arch in "${arm_architectures[@]}"; do
  dpkg --print-foreign-architectures | grep -qx "$arch" || "${sudo_cmd[@]}" dpkg --add-architecture "$arch"
done
"${sudo_cmd[@]}" apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ${#missing_arm[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing_arm[*]}"
  # Every architecture's libonnxifi ships the same path, /usr/lib/libonnxifi.so, with different
  # contents (a packaging slip: it is not in the multiarch directory), so dpkg refuses the second
  # one. haqm links none of them; let the last one win.
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-overwrite \
    "${missing_arm[@]}" >/dev/null
fi
