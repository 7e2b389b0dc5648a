#!/bin/sh
# Runs the haqm binary and checks how it ended.
#   expect_cli.sh fail REGEX HAQM ARGS...  exit status 1..127 (no signal, no abort), stderr's last
#                                          line is the only "haqm: error: " line and matches REGEX
#   expect_cli.sh ok REGEX HAQM ARGS...    exit status 0 and stdout matches REGEX
expect=$1
regex=$2
shift 2
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$@" >"$out" 2>"$err"
status=$?
show() {
    echo "command: $*"
    echo "exit status: $status"
    echo "--- stdout"; cat "$out"
    echo "--- stderr"; cat "$err"
}
if [ "$expect" = ok ]; then
    if [ $status -ne 0 ] || ! grep -Eq -- "$regex" "$out"; then
        echo "expected success with stdout matching: $regex"; show "$@"; exit 1
    fi
    exit 0
fi
if [ $status -eq 0 ] || [ $status -ge 128 ]; then
    echo "expected a clean failure (status 1..127)"; show "$@"; exit 1
fi
if grep -Eq 'terminate called|Aborted|Segmentation|Sanitizer|runtime error:|what\(\)' "$err"; then
    echo "stderr shows a crash"; show "$@"; exit 1
fi
if [ "$(grep -c '^haqm: error: ' "$err")" -ne 1 ] || ! tail -n 1 "$err" | grep -q '^haqm: error: '; then
    echo "expected exactly one 'haqm: error: ' line, the last one"; show "$@"; exit 1
fi
if ! tail -n 1 "$err" | grep -Eq -- "$regex"; then
    echo "the error does not match: $regex"; show "$@"; exit 1
fi
exit 0
