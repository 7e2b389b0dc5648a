#!/bin/sh
# The README's "Change a schedule" commands:
#  - the gemm parameters its `cmake --preset host -DHAQM_GEMM_PARAMS=...` command shows, handed to
#    the generator for every instruction set of this build, as that command's rebuild hands them
#    to each gemm kernel (the rebuild and the benchmark themselves take minutes: not run here);
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
        if ! "$generator" -g gemm_q8 -f readme_gemm -n readme_gemm -o "$work" -e object \
                target="$target-no_runtime" schedule=$schedule $(echo "$params" | tr ';' ' ') \
                a.type=uint8 output.type=uint8 >"$work/generator.log" 2>&1; then
            echo "HAQM_GEMM_PARAMS=\"$params\" fails for $target, schedule $schedule:"
            grep -v '^Warning' "$work/generator.log" | tail -n 3
            exit 1
        fi
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
