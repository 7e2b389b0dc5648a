#!/usr/bin/env bash
# Installs the Node.js benchmark peer (onnxruntime-node, which bundles a CPU libonnxruntime.so.1)
# into build/npm for bench/peers/ort_latency.mjs. Idempotent: exits quietly when it is present.
# Needs npm (Debian's is installed when there is none) and the npm registry; ONNXRUNTIME_NODE_INSTALL=skip
# stops the package's post-install step from downloading anything else.
set -euo pipefail

version=1.30.0
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/build/npm"
pkg="$dir/node_modules/onnxruntime-node"
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "install_peers: onnxruntime-node ships no Linux library for $(uname -m)" >&2; exit 1 ;;
esac
lib="$pkg/bin/napi-v6/linux/$arch/libonnxruntime.so.1"

installed_version() {
  [ -f "$pkg/package.json" ] || return 0
  node -e 'process.stdout.write(require(process.argv[1]).version)' "$pkg/package.json" 2>/dev/null || true
}

if [ "$(installed_version)" = "$version" ] && [ -f "$lib" ]; then
  exit 0
fi

# npm is not in scripts/bootstrap.sh's package list: a Node.js from elsewhere (e.g. NodeSource's
# nodejs, which bundles npm and conflicts with Debian's npm package) would make it uninstallable.
# Install Debian's only when there is no npm command at all.
if ! command -v npm >/dev/null; then
  echo "install_peers: no npm; installing Debian's nodejs and npm"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
mkdir -p "$dir"
[ -f "$dir/package.json" ] || printf '{\n  "private": true\n}\n' >"$dir/package.json"
echo "install_peers: installing onnxruntime-node@$version into $dir"
ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix "$dir" --save-exact --no-audit --no-fund --loglevel=error \
  "onnxruntime-node@$version" >/dev/null
[ -f "$lib" ] || { echo "install_peers: $lib is missing after the install" >&2; exit 1; }
