#!/bin/sh
# User schedule parameters are checked before any kernel is generated (cmake/kernels.cmake,
# haqm_generators --check): in a scratch build tree configured with the host build's generator,
#  - a bad HAQM_GEMM_PARAMS stops the build at the check with one line naming the variable, the
#    instruction set, the schedule and the allowed values, and no kernel is generated;
#  - HAQM_GEMM_PARAMS_<isa> overrides the key for that instruction set, and the kernel generates;
#  - an unknown instruction set, in HAQM_ISAS or a per-ISA variable's name, fails the configure.
# Usage: schedule_parameters_check.sh SOURCE_DIR HOST_BUILD_DIR WORK_DIR
set -u
source_dir=$1 host_build=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
log=$work/log
kernel=kernels/haqm_gemm_q8_u8_u8__tiled_vec__avx2.o
fail() { echo "FAIL: $*"; echo "--- output"; cat "$log"; exit 1; }
configure() {
    cmake -S "$source_dir" -B "$work/build" -G Ninja -DHAQM_HOST_BUILD_DIR="$host_build" \
        -DHAQM_BUILD_TESTS=OFF -DHAQM_BUILD_BENCH=OFF "$@" >"$log" 2>&1
}

configure -DHAQM_ISAS=avx2 -DHAQM_GEMM_PARAMS="tile_m=4;tile_n_vectors=3" || fail "configure"
ninja -C "$work/build" "$kernel" >"$log" 2>&1 && fail "tile_n_vectors=3 was accepted"
grep -q "^HAQM_GEMM_PARAMS on avx2, schedule tiled: tile_n_vectors=3 makes tiles 24 columns wide.*allowed here: 2, 4, 8$" "$log" ||
    fail "the check's line is missing"
[ -e "$work/build/$kernel" ] && fail "a kernel was generated despite the bad parameter"

configure -DHAQM_GEMM_PARAMS_avx2="tile_n_vectors=4" || fail "configure"
ninja -C "$work/build" "$kernel" >"$log" 2>&1 || fail "HAQM_GEMM_PARAMS_avx2 did not override the bad value"

configure -DHAQM_GEMM_PARAMS_avx3="tile_m=2" && fail "HAQM_GEMM_PARAMS_avx3 was accepted"
grep -q "HAQM_GEMM_PARAMS_avx3: 'avx3' is not an instruction set" "$log" || fail "no message for avx3"
rm -rf "$work/build"
configure -DHAQM_ISAS="avx2;dotprod" && fail "HAQM_ISAS=dotprod was accepted on x86-64"
grep -q "HAQM_ISAS: 'dotprod' is not an instruction set of x86_64" "$log" || fail "no message for HAQM_ISAS"
echo "schedule parameters: checked before generation, per-ISA override, unknown ISAs refused"
