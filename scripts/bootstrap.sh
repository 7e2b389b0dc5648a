#!/usr/bin/env bash
# Installs the Debian packages haqm needs, once. Idempotent: does nothing when all are present.
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

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "bootstrap: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
