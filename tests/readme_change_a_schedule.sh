#!/bin/sh
# The README's "Change a schedule" commands:
#  - the gemm parameters its `cmake --preset host-dev -DHAQM_GEMM_PARAMS=...` command shows, checked
#    by the generator (--check) for every instruction set of this build and register-tiled
#    schedule, as that command's build checks them (the build itself takes minutes: not run here);
#  - its hand-generation command, run as written from a directory laid out like the source tree.
# Usage: readme_change_a_schedule.sh README GENERATOR WORK_DIR HALIDE_TARGET...
set -eu
readme=$1 generator=$2 work=$3
shift 3
rm -rf "$work" && mkdir -p "$work/build/host/generators"

params=$(sed -n 's/.*-DHAQM_GEMM_PARAMS="\([^"]*\)".*/\1/p' "$readme" | head -n 1)
[ -n "$params" ] || { echo "README: no -DHAQM_GEMM_PARAMS=\"...\" command found"; exit 1; }
for target in "$@"; do
    for schedule in tiled tiled_vec tiled_vec_par; do
        # shellcheck disable=SC2046  # the parameters split on ';' into separate arguments
        "$generator" --check "README's HAQM_GEMM_PARAMS=\"$params\" on $target, schedule $schedule" gemm_q8 \
            "$target" schedule=$schedule $(echo "$params" | tr ';' ' ') a.type=uint8 output.type=uint8 || exit 1
    done
done

# The command after "Or generate one kernel library by hand:", its continuation lines joined.
command=$(sed -n '/^Or generate one kernel library by hand:/,/^## /p' "$readme" | grep '^    ' |
          sed 's/^    //' | sed -e ':a' -e '/\\$/N; s/\\\n//; ta')
[ -n "$command" ] || { echo "README: no hand-generation command found"; exit 1; }
ln -s "$generator" "$work/build/host/generators/haqm_generators"
(cd "$work" && sh -c "$command") || { echo "the README's command failed: $command"; exit 1; }
[ -f "$work/out/my_gemm.a" ] && [ -f "$work/out/my_gemm.h" ] && [ -f "$work/out/my_gemm.s" ] ||
    { echo "the README's command left no out/my_gemm.{a,h,s}"; exit 1; }
echo "README schedule commands: HAQM_GEMM_PARAMS=\"$params\" builds on $# targets; hand generation ok"
