#!/bin/sh
# script_mem.sh: script throughput and memory, bp against bc -l (issue 15:
# "script throughput against bc -l and memory per line").  The script is
# bench/gen_mlp.sh's scalar MLP, one definition per line, and bc's twin
# doing the same arithmetic.  bp and bc run interleaved (bp, bc, bp, bc,
# ...) so that a load that comes and goes hits both alike; each figure is
# the best of RUNS.  Memory is the maximum resident set (GNU time's %M);
# bytes per line is (RSS - RSS of an empty script) / lines, the part
# that grows with the script.
#
# usage: script_mem.sh [--bp PATH] [--runs N] [LINES...]   (default 100000)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BP=$SRC/src/bp RUNS=3
while [ $# -gt 0 ]; do
    case $1 in
    --bp) BP=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    -*) echo "usage: script_mem.sh [--bp PATH] [--runs N] [LINES...]" >&2; exit 2 ;;
    *) break ;;
    esac
done
[ $# -gt 0 ] || set -- 100000
TIME=/usr/bin/time
if ! "$TIME" -f %M true > /dev/null 2>&1; then
    echo "script_mem.sh: needs GNU time as /usr/bin/time (apt-get install time)" >&2
    exit 2
fi
HAVE_BC=0
command -v bc > /dev/null 2>&1 && HAVE_BC=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bp-script.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# run CMD...: prints "SECONDS KB" (wall time, max RSS) of one run
run() {
    "$TIME" -o "$WORK/t" -f "%e %M" "$@" > "$WORK/o" 2> /dev/null || { echo "FAILED: $*" >&2; return 1; }
    cat "$WORK/t"
}
# best LIST: the least of the first fields, with the second field of the
# run that had it, and the largest RSS seen
best() { awk 'NR == 1 || $1 < t { t = $1 } { if ($2 > m) m = $2 } END { print t, m }'; }

printf 'x = 1\n' > "$WORK/empty.bp"
printf 'x = 1\nquit\n' > "$WORK/empty.bc"
bp0=$(run "$BP" "$WORK/empty.bp" | awk '{ print $2 }')
bc0=0
[ "$HAVE_BC" = 1 ] && bc0=$(run bc -l "$WORK/empty.bc" | awk '{ print $2 }')

printf '%8s  %-4s %9s %9s %10s   %-4s %9s %9s %10s   %7s %7s\n' lines "" time "max RSS" "B/line" \
    "" time "max RSS" "B/line" "t ratio" "RSS rat"
for LINES in "$@"; do
    set -- $(sh "$SRC/bench/gen_mlp.sh" "$WORK" "$LINES")
    NL=$2
    : > "$WORK/bp.runs"; : > "$WORK/bc.runs"
    i=0
    while [ $i -lt "$RUNS" ]; do
        run "$BP" "$WORK/mlp.bp" >> "$WORK/bp.runs"
        [ "$HAVE_BC" = 1 ] && run bc -l "$WORK/mlp.bc" >> "$WORK/bc.runs"
        i=$((i + 1))
    done
    set -- $(best < "$WORK/bp.runs")
    bpt=$1 bpm=$2
    if [ "$HAVE_BC" = 1 ]; then
        set -- $(best < "$WORK/bc.runs")
        bct=$1 bcm=$2
    else
        bct=0 bcm=0
    fi
    awk -v n="$NL" -v bpt="$bpt" -v bpm="$bpm" -v bp0="$bp0" -v bct="$bct" -v bcm="$bcm" -v bc0="$bc0" 'BEGIN {
        printf "%8d  %-4s %8.2fs %7.1fMB %10.0f   ", n, "bp", bpt, bpm / 1024, (bpm - bp0) * 1024 / n
        if (bct > 0)
            printf "%-4s %8.2fs %7.1fMB %10.0f   %7.2f %7.1f\n", "bc", bct, bcm / 1024, (bcm - bc0) * 1024 / n, bpt / bct, bpm / bcm
        else
            printf "(bc is not installed)\n"
    }'
done
