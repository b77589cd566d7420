#!/bin/sh
# profile.sh: callgrind profiles of the slowest workloads at reduced sizes
# (instruction counts: stable on a busy machine, unlike times).  Prints,
# for each workload, the total instructions and callgrind_annotate's top
# functions by self cost (instructions in the function itself).
#
# usage: profile.sh [--bp PATH] [--bin DIR] [--src DIR] [WORKLOAD]...
#   WORKLOAD: chain wide underflow fd-tensor fd-scalar mlp moons-tensor
#             moons-scalar (default: all)
# Needs valgrind (apt-get install valgrind).  Run after `make bench`.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BP= BIN=
while [ $# -gt 0 ]; do
    case $1 in
    --bp) BP=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    --src) SRC=$2; shift 2 ;;
    *) break ;;
    esac
done
BP=${BP:-$SRC/src/bp}
BIN=${BIN:-$SRC/bench}
TOP=${TOP:-12}
if ! command -v valgrind > /dev/null 2>&1; then
    echo "profile.sh: valgrind is not installed (apt-get install valgrind)" >&2
    exit 0
fi
[ $# -gt 0 ] || set -- chain wide underflow fd-tensor fd-scalar mlp moons-tensor moons-scalar
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bp-prof.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT

# prof NAME COMMAND...: VG (valgrind options) may restrict the collection.
prof() {
    name=$1; shift
    echo "== $name: $*${VG:+ ($VG)}"
    valgrind --tool=callgrind ${VG:-} --callgrind-out-file="$WORK/$name.out" "$@" > /dev/null 2> "$WORK/$name.err" ||
        { echo "   failed:"; tail -5 "$WORK/$name.err"; return; }
    callgrind_annotate --threshold=100 "$WORK/$name.out" 2> /dev/null |
        awk -v top="$TOP" '
            /PROGRAM TOTALS/ { print "   total: " $1 " instructions" }
            /file:function/ { on = 1; next }
            on && NF && !/^-+$/ && n < top { sub(/^ +/, ""); print "   " $0; n++ }'
}

cp "$SRC/examples/moons.csv" "$SRC/bench/moons_tensor.bp" "$WORK/"
for w in "$@"; do
    case $w in
    chain|wide|underflow)
        # the passes only: 5 forward and 5 backward passes over 10^5 slots
        # (divide the total by 10^6 for instructions per slot per fwd+bwd)
        BENCH_ONLY=$w VG="--toggle-collect=eval_forward --toggle-collect=backprop" \
            prof "$w" "$BIN/bench_tape" 100000 5 ;;
    fd-tensor|fd-scalar)
        # bench_fd runs both forms; 1000 parameters
        [ "$w" = fd-tensor ] && prof fd "$BIN/bench_fd" 1000 ;;
    mlp)
        sh "$SRC/bench/gen_mlp.sh" "$WORK" 20000 > /dev/null
        prof mlp "$BP" "$WORK/mlp.bp" ;;
    moons-tensor)
        prof moons-tensor "$BIN/bench_moons" tensor "$WORK/moons_tensor.bp" 100 ;;
    moons-scalar)
        sh "$SRC/bench/gen_moons_scalar.sh" "$BP" "$WORK" > "$WORK/moons_scalar.bp"
        prof moons-scalar "$BIN/bench_moons" scalar "$WORK/moons_scalar.bp" 20 ;;
    *) echo "profile.sh: unknown workload $w" >&2 ;;
    esac
done
