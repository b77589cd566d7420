#!/bin/sh
# run-script.sh: automake test driver for one .bp script test.
#
#   NAME.bp      the script (run as `bp NAME.bp` from a scratch copy of
#                its directory, so error messages name it the same way in
#                every build, and a file it saves lands in the copy: not in
#                a source tree that may be read-only (make distcheck), nor
#                at a fixed path that two runs at once would share)
#   NAME.out     expected standard output (required)
#   NAME.err     expected standard error (absent: must be empty)
#   NAME.code    expected exit status (absent: 0)
#   NAME.args    extra arguments put before the script name (optional)
#   NAME.stdin   fed to standard input (optional; else /dev/null)
#   NAME.env     VAR=value words put in bp's environment (optional: e.g.
#                BP_ASCII=1, so a picture's golden file is the same at
#                any locale)
#
# BP (the program) comes from the environment; set by Makefile.am.
# Set BP_WRAPPER to run bp under valgrind or similar.
set -u
script=$1
dir=$(cd "$(dirname "$script")" && pwd)
base=$(basename "$script" .bp)
bp=${BP:?BP must name the bp binary}
case $bp in /*) ;; *) bp=$(pwd)/$bp ;; esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

args=""
[ -f "$dir/$base.args" ] && args=$(cat "$dir/$base.args")
envs=""
[ -f "$dir/$base.env" ] && envs=$(cat "$dir/$base.env")
stdin=/dev/null
[ -f "$dir/$base.stdin" ] && stdin="$dir/$base.stdin"

mkdir "$tmp/run"
set --
for f in "$dir"/*; do [ -f "$f" ] && set -- "$@" "$f"; done
cp "$@" "$tmp/run/" || exit 99

# shellcheck disable=SC2086
(cd "$tmp/run" && env $envs NO_COLOR=1 ${BP_WRAPPER:-} "$bp" $args "$base.bp" <"$stdin" >"$tmp/out" 2>"$tmp/err")
code=$?

want_code=0
[ -f "$dir/$base.code" ] && want_code=$(cat "$dir/$base.code")
fail=0
if [ "$code" != "$want_code" ]; then
    echo "FAIL: exit status $code, expected $want_code"
    fail=1
fi
if ! diff -u "$dir/$base.out" "$tmp/out"; then
    echo "FAIL: standard output differs (above: - expected, + got)"
    fail=1
fi
if [ -f "$dir/$base.err" ]; then
    if ! diff -u "$dir/$base.err" "$tmp/err"; then
        echo "FAIL: standard error differs"
        fail=1
    fi
elif [ -s "$tmp/err" ]; then
    echo "FAIL: unexpected standard error:"
    cat "$tmp/err"
    fail=1
fi
exit $fail
