#!/bin/sh
# script_mem.sh: script throughput and memory, bp against bc -l (issue 15:
# "script throughput against bc -l and memory per line").  The script is
# bench/gen_mlp.sh's scalar MLP, one definition per line, and bc's twin
# doing the same arithmetic.  bp and bc run interleaved (bp, bc, bp, bc,
# ...) so that a load that comes and goes hits both alike; each figure is
# the best of RUNS, wall time and CPU time (user + system: on a loaded
# machine the steadier of the two).  Memory is the maximum resident set
# (GNU time's %M);
# bytes per line is (RSS - RSS of an empty script) / lines, the part
# that grows with the script.  bp runs on one thread as in every other
# comparison here (OPENBLAS_NUM_THREADS=1): otherwise OpenBLAS starts a
# worker per core when bp loads, which spins for about 0.15 s of CPU
# before it sleeps, though a script like this one makes no BLAS call; a
# second line shows that run's figures.
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

# run CMD...: prints "WALL KB CPU" (seconds, max RSS, user + system) of one run
run() {
    "$TIME" -o "$WORK/t" -f "%e %M %U %S" "$@" > "$WORK/o" 2> /dev/null || { echo "FAILED: $*" >&2; return 1; }
    awk '{ print $1, $2, $3 + $4 }' "$WORK/t"
}
# best < RUNS: the least wall time, the largest RSS, the least CPU time
best() { awk 'NR == 1 || $1 < t { t = $1 } NR == 1 || $3 < c { c = $3 } { if ($2 > m) m = $2 } END { print t, m, c }'; }

printf 'x = 1\n' > "$WORK/empty.bp"
printf 'x = 1\nquit\n' > "$WORK/empty.bc"
bp0=$(run "$BP" "$WORK/empty.bp" | awk '{ print $2 }')
bc0=0
[ "$HAVE_BC" = 1 ] && bc0=$(run bc -l "$WORK/empty.bc" | awk '{ print $2 }')

printf '%8s  %-4s %7s %7s %8s %7s   %-4s %7s %7s %8s %7s   %s\n' lines "" wall cpu "max RSS" "B/line" \
    "" wall cpu "max RSS" "B/line" "bp/bc: wall cpu RSS"
for LINES in "$@"; do
    set -- $(sh "$SRC/bench/gen_mlp.sh" "$WORK" "$LINES")
    NL=$2
    : > "$WORK/bp.runs"; : > "$WORK/bc.runs"; : > "$WORK/bpd.runs"
    i=0
    while [ $i -lt "$RUNS" ]; do
        run env OPENBLAS_NUM_THREADS=1 "$BP" "$WORK/mlp.bp" >> "$WORK/bp.runs"
        run "$BP" "$WORK/mlp.bp" >> "$WORK/bpd.runs"
        [ "$HAVE_BC" = 1 ] && run bc -l "$WORK/mlp.bc" >> "$WORK/bc.runs"
        i=$((i + 1))
    done
    set -- $(best < "$WORK/bp.runs")
    bpt=$1 bpm=$2 bpc=$3
    if [ "$HAVE_BC" = 1 ]; then
        set -- $(best < "$WORK/bc.runs")
        bct=$1 bcm=$2 bcc=$3
    else
        bct=0 bcm=0 bcc=0
    fi
    awk -v n="$NL" -v bpt="$bpt" -v bpm="$bpm" -v bpc="$bpc" -v bp0="$bp0" \
        -v bct="$bct" -v bcm="$bcm" -v bcc="$bcc" -v bc0="$bc0" 'BEGIN {
        printf "%8d  %-4s %6.2fs %6.2fs %6.1fMB %7.0f   ", n, "bp", bpt, bpc, bpm / 1024, (bpm - bp0) * 1024 / n
        if (bct > 0)
            printf "%-4s %6.2fs %6.2fs %6.1fMB %7.0f   %.2f %.2f %.1f\n", "bc", bct, bcc, bcm / 1024,
                   (bcm - bc0) * 1024 / n, bpt / bct, (bcc > 0 ? bpc / bcc : 0), bpm / bcm
        else
            printf "(bc is not installed)\n"
    }'
    set -- $(best < "$WORK/bpd.runs")
    printf '%8s  bp with OpenBLAS threads as found (OPENBLAS_NUM_THREADS unset): wall %.2fs, cpu %.2fs\n' "" "$1" "$3"
done
