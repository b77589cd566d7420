#!/bin/sh
# run.sh: run every benchmark of bench/ and print one table (workload,
# size, time, ratio), then the notes the benchmarks wrote.  `make bench`
# runs it; see bench/README.md.
#
# usage: run.sh [--bp PATH] [--bin DIR] [--src DIR] [--quick]
#   --bp    the bp program (default SRC/src/bp)
#   --bin   where the benchmark programs were built (default SRC/bench)
#   --src   the source tree (default: this script's directory's parent)
#   --quick smaller sizes and fewer runs (a smoke test, about 20 s)
#
# Optional tools are used when present and skipped (with a row saying so)
# when not: bc, python3, PyTorch, micrograd (an embedded reimplementation
# of micrograd's engine stands in for the package).  The exit status is 0
# unless a bp benchmark itself failed.
set -u

SRC=$(cd "$(dirname "$0")/.." && pwd)
BP= BIN= QUICK=0
while [ $# -gt 0 ]; do
    case $1 in
    --bp) BP=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    --src) SRC=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    *) echo "usage: run.sh [--bp PATH] [--bin DIR] [--src DIR] [--quick]" >&2; exit 2 ;;
    esac
done
BP=${BP:-$SRC/src/bp}
BIN=${BIN:-$SRC/bench}
for f in "$BP" "$BIN/bench_tape" "$BIN/bench_fd" "$BIN/bench_moons" "$BIN/bench_matmul" "$BIN/bench_chain" "$BIN/bench_elem" "$BIN/timecmd"; do
    if [ ! -x "$f" ]; then
        echo "run.sh: $f is missing: run 'make bench' (it builds the benchmarks)" >&2
        exit 2
    fi
done

if [ "$QUICK" = 1 ]; then
    SLOTS=100000 RUNS=3 MAXP=1000 LINES=20000 STARTS=10 STEPS=100 MG_STEPS=1 REPS=3
else
    SLOTS=1000000 RUNS=30 MAXP=10000 LINES=100000 STARTS=50 STEPS=1000 MG_STEPS=3 REPS=5
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bp-bench.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
ROWS=$WORK/rows.tsv NOTES=$WORK/notes.txt
: > "$ROWS"; : > "$NOTES"
STATUS=0

row() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$ROWS"; }
note() { echo "$*" >> "$NOTES"; }
say() { echo "bench: $*" >&2; }
# awk arithmetic: calc 'EXPR' [VAR=VALUE]...
calc() {
    e=$1; shift
    for a in "$@"; do set -- "$@" -v "$a"; shift; done
    awk "$@" "BEGIN { print $e }"
}

# A C benchmark: its ROW lines go to the table, its # lines to the notes.
cbench() {
    if ! "$@" > "$WORK/out.txt"; then
        row "$(basename "$1")" "-" "FAILED" "see the messages above"
        STATUS=1
    fi
    awk -F '\t' '$1 == "ROW" { print $2 "\t" $3 "\t" $4 "\t" $5 }' "$WORK/out.txt" >> "$ROWS"
    sed -n 's/^# //p' "$WORK/out.txt" >> "$NOTES"
}

# tc RUNS [timecmd options] -- COMMAND...: sets MED and MIN (seconds), or
# returns 1.
tc() {
    r=$1; shift
    set -- $("$BIN/timecmd" -r "$r" "$@") || return 1
    [ $# -eq 6 ] || return 1
    MED=$2 MIN=$4
}
ms() { calc "sprintf(\"%.2f\", $1 * 1000)"; }

# ---- start-up ------------------------------------------------------
say "start-up ($STARTS runs)"
if tc "$STARTS" -w 5 -- "$BP" -e '1+1'; then
    bpmed=$MED bpmin=$MIN
    tc "$STARTS" -w 5 -- true && truemed=$MED || truemed=0
    row "startup: bp -e '1+1'" "$STARTS runs" "$(ms "$bpmed") ms (median)" \
        "min $(ms "$bpmin") ms; /bin/true $(ms "$truemed") ms; target <= 5 ms: $(calc 'm <= 0.005 ? "met" : "MISSED"' m="$bpmed")"
else
    row "startup: bp -e '1+1'" "-" "FAILED" ""; STATUS=1
fi

# ---- the scalar tape -----------------------------------------------
say "scalar tape, $SLOTS slots (chain, wide, underflow)"
cbench "$BIN/bench_tape" "$SLOTS" "$RUNS"

# ---- finite differences against backprop ---------------------------
say "finite differences vs backprop, P up to $MAXP (the slowest part)"
cbench "$BIN/bench_fd" "$MAXP"

# ---- a 100 000-line script, bp against bc ---------------------------
say "a $LINES-line scalar MLP script: bp and bc"
set -- $(sh "$SRC/bench/gen_mlp.sh" "$WORK" "$LINES")
H=$1 NL=$2
if tc "$REPS" -w 1 -- "$BP" "$WORK/mlp.bp"; then
    bpt=$MED
    bpval=$("$BP" --json "$WORK/mlp.bp" | sed -n 's/^{"value": \(.*\)}$/\1/p')
    row "script: scalar MLP, bp" "$NL lines (H = $H)" "$(ms "$bpt") ms" \
        "parse+define+compile+forward; target < 1 s: $(calc 't < 1 ? "met" : "MISSED"' t="$bpt")"
    if command -v bc > /dev/null 2>&1; then
        if tc 3 -w 0 -- bc -l "$WORK/mlp.bc"; then
            bcval=$(bc -l "$WORK/mlp.bc" | tr -d '\\\n')
            row "script: same arithmetic, bc -l" "$(wc -l < "$WORK/mlp.bc") lines" "$(ms "$MED") ms" \
                "bc/bp = $(calc 'sprintf("%.2f", c / b)' c="$MED" b="$bpt")"
            note "mlp: bp says $bpval, bc says $bcval (relative difference $(calc 'sprintf("%.1e", (x - y) / y < 0 ? (y - x) / y : (x - y) / y)' x="$bpval" y="$bcval"))"
        else
            row "script: same arithmetic, bc -l" "-" "FAILED" "bc could not run mlp.bc"
        fi
    else
        row "script: same arithmetic, bc -l" "-" "skipped" "bc is not installed (apt-get install bc)"
    fi
    # memory per line beside bc's (one more run of each)
    sh "$SRC/bench/script_mem.sh" --bp "$BP" --runs 1 "$LINES" > "$WORK/mem.txt" 2>&1 &&
        while IFS= read -r l; do note "script_mem: $l"; done < "$WORK/mem.txt"
else
    row "script: scalar MLP, bp" "$NL lines" "FAILED" ""; STATUS=1
fi

# ---- the micrograd demo --------------------------------------------
say "the moons MLP: tensor and scalar forms"
cp "$SRC/examples/moons.csv" "$SRC/bench/moons_tensor.bp" "$WORK/"
(cd "$WORK" && "$BP" --json moons_tensor.bp -e W1 -e b1 -e W2 -e b2 -e W3 -e b3) > "$WORK/weights.jsonl"
sh "$SRC/bench/gen_moons_scalar.sh" "$BP" "$WORK" > "$WORK/moons_scalar.bp"
l_t=$(cd "$WORK" && "$BP" --json moons_tensor.bp -e L | sed -n 's/^{"value": \(.*\)}$/\1/p')
l_s=$(cd "$WORK" && "$BP" --json moons_scalar.bp -e L | sed -n 's/^{"value": \(.*\)}$/\1/p')
note "moons: starting loss, tensor form $l_t, scalar form $l_s (same weights)"

cbench "$BIN/bench_moons" tensor "$WORK/moons_tensor.bp" "$STEPS"
inproc_t=$(awk -F '\t' '$1 ~ /^moons tensor: step/ { split($3, a, " "); print a[1] / 1000 }' "$ROWS")
cbench "$BIN/bench_moons" scalar "$WORK/moons_scalar.bp" "$STEPS"
inproc_s=$(awk -F '\t' '$1 ~ /^moons scalar: step/ { split($3, a, " "); print a[1] / 1000 }' "$ROWS")

# `train L 0.1 N` in a bp process: (T(10 + STEPS) - T(10)) / STEPS
per_t=$inproc_t per_s=$inproc_s how="in-process"
if "$BP" -e 'w = 1' -e 'train w^2 0.1 1' > /dev/null 2>&1; then
    how="bp train"
    for form in tensor scalar; do
        if tc "$REPS" -w 1 -C "$WORK" -- "$BP" "moons_$form.bp" -e 'train L 0.1 10' &&
            a=$MED && tc "$REPS" -w 1 -C "$WORK" -- "$BP" "moons_$form.bp" -e "train L 0.1 $((10 + STEPS))"; then
            per=$(calc '(b - a) / n' a="$a" b="$MED" n="$STEPS")
            row "moons $form: bp train L 0.1 N" "N = 10 and $((10 + STEPS))" "$(calc 'sprintf("%.3f", p * 1000)' p="$per") ms/step" \
                "(median(T$((10 + STEPS))) - median(T10)) / $STEPS"
            eval "per_$(echo $form | cut -c1)=\$per"
        else
            row "moons $form: bp train L 0.1 N" "-" "FAILED" ""; STATUS=1
        fi
    done
else
    row "moons: bp train L 0.1 N" "-" "n/a" "this bp has no train command: the in-process steps stand in"
fi

# PyTorch: the issue's own figure (0.3 ms/step) when it is not installed;
# the first python3 that has torch (Debian's python3-torch is in /usr/bin)
PYT=python3
for p in python3 /usr/bin/python3; do
    if command -v "$p" > /dev/null 2>&1 && "$p" -c 'import torch' > /dev/null 2>&1; then PYT=$p; break; fi
done
if command -v "$PYT" > /dev/null 2>&1 &&
    out=$(OPENBLAS_NUM_THREADS=1 "$PYT" "$SRC/bench/compare/torch_moons.py" --csv "$WORK/moons.csv" \
          --weights "$WORK/weights.jsonl" --steps "$STEPS" 2> "$WORK/err.txt"); then
    tms=$(echo "$out" | sed -n 's/.*ms_per_step=\([0-9.]*\).*/\1/p')
    eng=$(echo "$out" | sed -n 's/.*engine="\([^"]*\)".*/\1/p')
    note "PyTorch: $out"
    row "moons tensor: PyTorch CPU" "float64" "$tms ms/step" \
        "torch/bp = $(calc 'sprintf("%.1f", t / 1000 / p)' t="$tms" p="$per_t") ($how; target >= 2); $eng"
else
    why=$(sed -n 's/^SKIP: //p' "$WORK/err.txt" 2>/dev/null | head -1)
    row "moons tensor: PyTorch" "-" "skipped" \
        "${why:-python3 is missing}; vs the issue's 0.3 ms: $(calc 'sprintf("%.1f", 0.0003 / p)' p="$per_t")x ($how; target >= 2)"
fi
# micrograd: the package, or the embedded reimplementation of its engine
if command -v python3 > /dev/null 2>&1 &&
    out=$(python3 "$SRC/bench/compare/micrograd_moons.py" --csv "$WORK/moons.csv" \
          --weights "$WORK/weights.jsonl" --steps "$MG_STEPS" 2> "$WORK/err.txt"); then
    mms=$(echo "$out" | sed -n 's/.*ms_per_step=\([0-9.]*\).*/\1/p')
    nodes=$(echo "$out" | sed -n 's/.*nodes=\([0-9]*\).*/\1/p')
    eng=$(echo "$out" | sed -n 's/.*engine="\([^"]*\)".*/\1/p')
    note "micrograd: $out"
    row "moons scalar: micrograd" "$nodes nodes, median of $MG_STEPS" "$(calc 'sprintf("%.0f", m)' m="$mms") ms/step" \
        "micrograd/bp = $(calc 'sprintf("%.0f", m / 1000 / p)' m="$mms" p="$per_s") ($how; target >= 1000); $eng"
else
    if command -v python3 > /dev/null 2>&1; then
        why="micrograd_moons.py failed: $(tail -1 "$WORK/err.txt" 2>/dev/null)"
    else
        why="python3 is missing"
    fi
    row "moons scalar: micrograd" "-" "skipped" "$why"
fi

# ---- matrix products: bp against NumPy and PyTorch --------------------
# One thread everywhere; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset in
# this command alone (the env note: they slow a current NumPy); the notes
# say which OpenBLAS kernel NumPy then runs.
say "matrix products and the 784-256-10 MLP: bp, NumPy, PyTorch (interleaved)"
# the kernel rows: the CBLAS itself (BP_GEMM=cblas) beside bp's C kernel;
# the workloads below run bp as built (src/gemm.c may prefer its kernel)
cbench env BP_GEMM=cblas OPENBLAS_NUM_THREADS=1 "$BIN/bench_matmul" kernel
PYNP=
for p in python3 /usr/bin/python3; do
    if command -v "$p" > /dev/null 2>&1 && "$p" -c 'import numpy' > /dev/null 2>&1; then PYNP=$p; break; fi
done
if [ -n "$PYNP" ]; then
    qk=; [ "$QUICK" = 1 ] && qk=--quick
    cbench env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 \
        "$PYNP" "$SRC/bench/compare/blas_compare.py" --bench "$BIN/bench_matmul" $qk
else
    row "matmul, MLP: NumPy, PyTorch" "-" "skipped" "no python3 with numpy (apt-get install python3-numpy python3-torch)"
fi

# ---- issue 15: elementwise against NumPy, the chain against a minimal tape
say "elementwise sum(tanh(w*x)) against NumPy; a 10^6-op chain against a minimal C tape"
if [ -n "$PYNP" ]; then
    cbench env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 \
        "$PYNP" "$SRC/bench/compare/elem_compare.py" --bench "$BIN/bench_elem" $qk
else
    row "elementwise: NumPy" "-" "skipped" "no python3 with numpy"
fi
if [ "$QUICK" = 1 ]; then cbench "$BIN/bench_chain" 100000; else cbench "$BIN/bench_chain" 1000000; fi

# ---- the table -------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)
echo
echo "bp benchmarks: $("$BP" --version | head -1); $(nproc 2>/dev/null || echo '?') cores, ${cpu:-unknown CPU}; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "times: best of several runs (C benchmarks) or medians (whole processes); ratios within one run"
echo
awk -F '\t' '
{ for (i = 1; i <= 4; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
END {
    h[1] = "workload"; h[2] = "size"; h[3] = "time"; h[4] = "ratio / notes"
    for (i = 1; i <= 3; i++) if (length(h[i]) > w[i]) w[i] = length(h[i])
    fmt = "| %-" w[1] "s | %-" w[2] "s | %" w[3] "s | %s |\n"
    printf fmt, h[1], h[2], h[3], h[4]
    printf "|%s|%s|%s|%s|\n", dash(w[1] + 2), dash(w[2] + 2), dash(w[3] + 1) ":", "---"
    for (r = 1; r <= NR; r++) printf fmt, c[r, 1], c[r, 2], c[r, 3], c[r, 4]
}
function dash(n,   s) { s = ""; while (n-- > 0) s = s "-"; return s }' "$ROWS"
echo
sed 's/^/note: /' "$NOTES"
exit $STATUS
