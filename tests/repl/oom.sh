#!/bin/sh
# SPEC 5: a failed allocation is an error of the statement that asked for
# it (kind "memory"); the session goes on with every definition intact.
# Out of memory used to end bp (exit 3) and lose the session.
set -u
: "${BP:?BP must name the bp binary (set by make check)}"
case $BP in /*) ;; *) BP=$(pwd)/$BP ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/bp-oom.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
export NO_COLOR=1 BP_HISTORY="$T/history" HOME="$T"
# under AddressSanitizer, an impossible malloc must return NULL (as libc's
# does), not abort
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1"
status=0
fail() { echo "FAIL: $*"; status=1; }

# 1: 10^12 entries (16 TB of values and gradients) past a raised maxmem.
printf '%s\n' 'x = 3' 'f = x^2' 'set maxmem 1000000000' \
    'W = zeros(1000000, 1000000)' 'print "after", f, x' 'grad f' >"$T/in1"
"$BP" -q -i <"$T/in1" >"$T/out1" 2>"$T/err1"
code=$?
[ "$code" = 3 ] || fail "case 1: exit status $code, expected 3 (an error of kind memory)"
grep -q '^<stdin>:4:5: error: out of memory' "$T/err1" || fail "case 1: stderr [$(cat "$T/err1")]"
grep -q '^after 9 3$' "$T/out1" || fail "case 1: the session did not go on: [$(cat "$T/out1")]"
grep -q '^  x  *6\.000000e+00' "$T/out1" || fail "case 1: grad f after the failure: [$(cat "$T/out1")]"

# 2: a plausible size (1.6 GB of values and gradients) under a 1 GB
# address-space limit (not under ASan, whose shadow memory needs more).
if strings "$BP" 2>/dev/null | grep -q __asan_init; then
    echo "SKIP: case 2 under AddressSanitizer"
else
    printf '%s\n' 'x = 3' 'set maxmem 100000' 'W = zeros(10000, 10000)' \
        'V = sum(ones(100, 100))' 'print "after", x, V' >"$T/in2"
    (ulimit -v 1000000 && "$BP" -q -i <"$T/in2" >"$T/out2" 2>"$T/err2")
    code=$?
    [ "$code" = 3 ] || fail "case 2: exit status $code, expected 3"
    grep -q '^<stdin>:3:5: error: out of memory' "$T/err2" || fail "case 2: stderr [$(cat "$T/err2")]"
    grep -q '^after 3 10000$' "$T/out2" || fail "case 2: the session did not go on: [$(cat "$T/out2")]"
fi
# 3 and 4: grad's own buffers are sized by the user's data too: a row per
# entry (25 * 10^6 rows of its table need 19 GB, under a 4 GB limit) and
# a copy of the tape for the differences (100 * 10^6 values: C, the tape's
# copy and gradients fit in 3.4 GB, the copy does not), and forward mode's
# tangents (case 5).  All three used to end bp.
# big N KB ERROR COMMAND: case N, the session x = 3, maxmem raised, DEFS
# (set before the call), then COMMAND at line 5 under a KB address-space
# limit must fail with ERROR and the session go on.
big() {
    printf '%s\n' 'x = 3' 'set maxmem 100000' "$DEFS" "$4" 'print "after", x' >"$T/in$1"
    (ulimit -v "$2" && "$BP" -q -i <"$T/in$1" >"$T/out$1" 2>"$T/err$1")
    code=$?
    [ "$code" = 3 ] || fail "case $1: exit status $code, expected 3"
    grep -q "^<stdin>:5:1: error: out of memory: $3" "$T/err$1" || fail "case $1: stderr [$(cat "$T/err$1")]"
    grep -q '^after 3$' "$T/out$1" || fail "case $1: the session did not go on: [$(cat "$T/out$1")]"
}
if strings "$BP" 2>/dev/null | grep -q __asan_init; then
    echo "SKIP: cases 3 to 5 under AddressSanitizer"
else
    DEFS='W = ones(5000, 5000)
f = sum(W)'
    big 3 4000000 "no room for grad's table" 'grad f'
    DEFS='const C = ones(10000, 10000)
f = x*sum(C)'
    big 4 3400000 "no room to save the tape" 'grad f'
    # 5: the tangents of forward mode (one per value: 100 * 10^6 of them)
    big 5 3400000 "no room for the tangents" 'trace forward f wrt x'
fi
[ "$status" = 0 ] && echo "PASS: out of memory is an error of one statement"
exit $status
