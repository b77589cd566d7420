# lib.sh: helpers for the hostile-input cases (tests/hostile/*.hostile).
# Each case sources this file, runs bp on one hostile input with `run`
# (or `repl`), states what the specification wants with the expect_*
# functions, and ends with `finish`.
#
#   run ARGS...        bp ARGS <$STDIN (default /dev/null); sets $code and
#                      leaves standard output in out, standard error in err.
#                      Always asserts: finished within $LIMIT seconds
#                      (HOSTILE_TIMEOUT, default 60; 180 under ASan),
#                      not killed by a signal (status < 128), not out of
#                      memory (status 3), no sanitizer report.
#   repl FILE          the REPL (bp -q -i) reading the lines of FILE.
#   expect_code N      exit status N.
#   expect_err RE      standard error matches the extended regexp RE.
#   expect_out RE      standard output matches RE.
#   expect_located     standard error has SOURCE:LINE:COL: error: ...
#   expect_err_small   standard error under 4 KiB (no huge input echoed).
#   fail MESSAGE       record a failure.
#
# Memory: bp runs with at most $MEM_MB MiB (default 4096) of address
# space (ulimit -v), or of resident memory under AddressSanitizer
# (hard_rss_limit_mb), so a runaway case fails instead of taking the
# machine.  Work happens in a fresh temporary directory.
set -u
bp=${BP:?BP must name the bp binary}
case $bp in /*) ;; *) bp=$(pwd)/$bp ;; esac
top=$(cd "${srcdir:-.}" && pwd)
MEM_MB=${MEM_MB:-4096}
STDIN=/dev/null
failures=0
code=0

asan=no
grep -q __asan_init "$bp" 2>/dev/null && asan=yes
# 60 s, or 180 s for an AddressSanitizer build (3 to 5 times slower).
if [ "$asan" = yes ]; then LIMIT=${HOSTILE_TIMEOUT:-180}; else LIMIT=${HOSTILE_TIMEOUT:-60}; fi

T=$(mktemp -d)
trap 'cd /; rm -rf "$T"' EXIT
cd "$T" || exit 99

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

show_output() {
    echo "--- exit status $code; stderr (first lines):"
    head -c 1500 err | head -n 12
    echo "--- stdout (first lines):"
    head -c 1500 out | head -n 12
    echo "---"
}

run() {
    echo "+ bp $*" | cut -c 1-200
    start=$(date +%s)
    (
        if [ "$asan" = yes ]; then
            ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}hard_rss_limit_mb=$MEM_MB"
            export ASAN_OPTIONS
        else
            ulimit -v $((MEM_MB * 1024)) 2>/dev/null || true
        fi
        NO_COLOR=1 exec timeout -k 5 "$LIMIT" "$bp" "$@"
    ) <"$STDIN" >out 2>err
    code=$?
    secs=$(( $(date +%s) - start ))
    show_output
    echo "(${secs}s)"
    case $code in
    124|137) fail "did not finish within ${LIMIT}s (hang)" ;;
    esac
    if [ "$code" -gt 128 ] && [ "$code" != 137 ]; then
        fail "killed by signal $((code - 128)) (crash)"
    fi
    if [ "$code" = 3 ]; then
        fail "exit status 3: bp ran out of memory (limit ${MEM_MB} MiB)"
    fi
    if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' err; then
        fail "sanitizer report on stderr"
    fi
}

repl() {
    STDIN=$1
    run -q -i
    STDIN=/dev/null
}

expect_code() {
    [ "$code" = "$1" ] || fail "exit status $code, expected $1"
}

expect_err() {
    grep -Eq -- "$1" err || fail "stderr does not match /$1/"
}

expect_out() {
    grep -Eq -- "$1" out || fail "stdout does not match /$1/"
}

expect_located() {
    grep -Eq -- '^[^ ]+:[0-9]+:[0-9]+: error: ' err ||
        fail "stderr has no located error (SOURCE:LINE:COL: error: ...)"
}

expect_err_small() {
    n=$(wc -c <err)
    [ "$n" -lt 4096 ] || fail "stderr is $n bytes: the input is echoed instead of shown in part"
}

finish() {
    if [ "$failures" -gt 0 ]; then
        echo "$failures failed assertion(s)"
        exit 1
    fi
    echo "ok"
    exit 0
}
