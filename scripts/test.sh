#!/usr/bin/env bash
# Builds every target (host x86-64, aarch64, armhf) and runs all tests; ARM tests run under
# qemu-user, and the host tests once more under AddressSanitizer + UBSan; then, when no preset is
# named, 60 s of fuzzing per model loader (scripts/fuzz.sh). Installs missing Debian packages first.
# Usage: scripts/test.sh [preset...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(host aarch64 armhf host-asan)
jobs=$(nproc)

for preset in "${presets[@]}"; do
  echo "== $preset: configure and build"
  extra=()
  [ -n "${HAQM_WARNINGS_AS_ERRORS:-}" ] && extra+=(-DHAQM_WARNINGS_AS_ERRORS=ON)
  cmake --preset "$preset" "${extra[@]}" >/dev/null
  cmake --build "build/$preset" -j "$jobs"
  echo "== $preset: test"
  ctest --test-dir "build/$preset" -j "$jobs" --output-on-failure
done
# The full run also fuzzes the two model loaders for a bounded time (tests/fuzz).
if [ $# -eq 0 ]; then
  scripts/fuzz.sh 60
  presets+=(fuzz)
fi
echo "== all tests passed on: ${presets[*]}"
