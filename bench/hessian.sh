#!/bin/sh
# bench/hessian.sh: the cost of second derivatives (issue 11), not a timed
# test.  For P = 10, 100, 1000 parameter entries: `hessian f` (P backward
# passes of the gradient graph; maxcheck 10, so central differences run for
# 10 columns only) against P gradient evaluations (`step f wrt w 0`, a
# forward and a backward pass each); the size of the emitted derivative
# graph against the original; grad-of-grad on a 10^6-node chain.
# Usage: sh bench/hessian.sh [path/to/bp]
BP=${1:-src/bp}
T=${TMPDIR:-/tmp}/bp-bench-hessian.$$
mkdir -p "$T"
now() { date +%s.%N; }
for P in 10 100 1000; do
    {
        echo "set maxcheck 10"
        echo "w = randn($P) * 0.5"
        echo "f = sum(tanh(w)^2) + sum(w)^2 / $P"
    } >"$T/pre.bp"
    { cat "$T/pre.bp"; echo "hessian f"; } >"$T/h.bp"
    { cat "$T/pre.bp"; awk -v p="$P" 'BEGIN { for (i = 0; i < p; i++) print "step f wrt w 0" }'; } >"$T/g.bp"
    t0=$(now); "$BP" "$T/pre.bp" >/dev/null; t1=$(now)
    "$BP" "$T/h.bp" >"$T/h.out"; t2=$(now)
    "$BP" "$T/g.bp" >/dev/null; t3=$(now)
    slots=$(grep -o '[0-9]* slots' "$T/h.out")
    echo "P=$P  hessian $(echo "$t2 - $t1 - ($t1 - $t0)" | bc -l | cut -c1-6)s  $P gradients $(echo "$t3 - $t2 - ($t1 - $t0)" | bc -l | cut -c1-6)s  gradient graph: $slots"
done
# graph sizes: the fewest maxnodes that compile f, and f with grad(f, W1)
# (the same tape: f's slots, then the derivative's), found by bisection
size() {   # size 'expression'
    lo=1; hi=100000
    while [ $lo -lt $hi ]; do
        mid=$(( (lo + hi) / 2 ))
        {
            echo "const X = randn(32, 8); const Y = randn(32, 4)"
            echo "W1 = randn(8, 16); b1 = zeros(16); W2 = randn(16, 4); b2 = zeros(4)"
            echo "L = mse(tanh(X @ W1 + b1) @ W2 + b2, Y)"
            echo "set maxnodes $mid"
            echo "$1"
        } >"$T/s.bp"
        if "$BP" "$T/s.bp" >/dev/null 2>&1; then hi=$mid; else lo=$((mid + 1)); fi
    done
    echo $lo
}
n0=$(size 'sum(L)'); n1=$(size 'sum(grad(L, W1))'); n2=$(size 'sum(grad(sum(grad(L, W1)), W1))')
echo "MLP loss: f $n0 slots; f + grad(f, W1) $n1; + its gradient again $n2"
awk 'BEGIN { printf "x = 0.5\nf = x"; for (i = 1; i <= 500000; i++) printf " + x*x"; printf "\ngrad(grad(f, x), x)\n" }' >"$T/c.bp"
/usr/bin/time -f "grad(grad(f, x), x), 10^6-node f: %es, %M KiB" "$BP" "$T/c.bp"
rm -rf "$T"
