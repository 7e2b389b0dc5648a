#!/usr/bin/env bash
# Builds the libFuzzer targets of the two model loaders (tests/fuzz: clang, ASan + UBSan) into
# build/fuzz and runs each for a bounded time on a working copy of its seed corpus (the committed
# corpus in tests/fuzz/corpus is never written). Fails on any crash, sanitizer report, leak,
# timeout or out-of-memory; the input that caused it is kept in build/fuzz/run/<fuzzer>/.
# Usage: scripts/fuzz.sh [seconds per fuzzer, default 60]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: scripts/fuzz.sh [seconds per fuzzer]" >&2
  exit 2
fi
scripts/bootstrap.sh
# libFuzzer's runtime is only a recommendation of Debian's clang packages.
if ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "fuzz: installing libclang-rt-14-dev (libFuzzer)"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends libclang-rt-14-dev >/dev/null
fi

build=build/fuzz
echo "== fuzz: configure and build ($build)"
cmake -S tests/fuzz -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$build" -j "$(nproc)"

# The working corpus keeps what earlier runs found; the seeds are copied in again each time, and
# the .haqm seeds are also regenerated so they always match the current format.
failed=()
run_fuzzer() {
  local fuzzer=$1 seeds=$2
  local work=$build/run/$fuzzer
  mkdir -p "$work/corpus" "$work/artifacts"
  cp tests/fuzz/corpus/"$seeds"/* "$work/corpus/"
  [ "$fuzzer" = fuzz_model_format ] && "$build/make_model_seeds" "$work/corpus" >/dev/null
  echo "== fuzz: $fuzzer for ${seconds}s on $(ls "$work/corpus" | wc -l) inputs"
  if "$build/$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
       -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1; then
    local runs
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
    echo "   ${runs:-?} runs, no crash; $(grep -o 'cov: [0-9]*' "$work/log" | tail -1) edges, corpus $(ls "$work/corpus" | wc -l) inputs"
  else
    echo "   FAILED: the last lines of $work/log:"
    tail -n 40 "$work/log" | sed 's/^/   | /'
    echo "   reproduce: $build/$fuzzer $(ls -t "$work"/artifacts/* 2>/dev/null | head -1)"
    failed+=("$fuzzer")
  fi
}
run_fuzzer fuzz_model_format model_format
run_fuzzer fuzz_onnx_import onnx

if [ ${#failed[@]} -gt 0 ]; then
  echo "== fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "== fuzz: no crashes"
