#!/usr/bin/env python3
"""elem_compare.py: bp against NumPy on the elementwise workload of issue 15.

f = sum(tanh(w*x)), N = 10^4, 10^5, 10^6, float64: one forward pass and the
gradient df/dw = (1 - tanh(w x)^2) x, as bp's backward computes it (NumPy:
the same arithmetic written by hand, no autograd: the cheapest a NumPy user
gets).  Interleaved: each round runs bp (bench/bench_elem, timed
in-process), then NumPy, per size; best of ROUNDS rounds.  Same values on
both sides (w_i = 0.5 sin(0.37 i), x_i = cos(0.11 i)); the notes print f
and df/dw_0 from each.
usage: elem_compare.py --bench PATH/bench_elem [--quick]
"""
import argparse
import subprocess
import time

import numpy as np


def numpy_pass(w, x):
    t = np.tanh(w * x)
    f = t.sum()
    g = (1.0 - t * t) * x
    return f, g


def numpy_time(n, secs):
    i = np.arange(n, dtype=np.float64)
    w = 0.5 * np.sin(0.37 * i)
    x = np.cos(0.11 * i)
    f, g = numpy_pass(w, x)
    t0 = time.perf_counter()
    numpy_pass(w, x)
    one = time.perf_counter() - t0
    reps = int(secs / 3 / one) + 1 if one > 0 else 1000
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(reps):
            numpy_pass(w, x)
        best = min(best, (time.perf_counter() - t0) / reps)
    return best * 1e6, f, g[0]


def bp_time(bench, n, secs):
    out = subprocess.run([bench, str(n), str(secs)], capture_output=True, text=True, check=True).stdout
    line = [l for l in out.splitlines() if l.startswith("RESULT")][0]
    kv = dict(p.split("=", 1) for p in line.split()[1:])
    return float(kv["us_per_pass"]), float(kv["f"]), float(kv["g0"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    sizes = [10**4, 10**5] if a.quick else [10**4, 10**5, 10**6]
    rounds, secs = (1, 0.3) if a.quick else (3, 0.6)
    best = {n: [float("inf"), float("inf"), None, None] for n in sizes}
    for _ in range(rounds):
        for n in sizes:
            tb, fb, gb = bp_time(a.bench, n, secs)
            tn, fn, gn = numpy_time(n, secs)
            b = best[n]
            b[0], b[1] = min(b[0], tb), min(b[1], tn)
            b[2], b[3] = (fb, gb), (fn, gn)
    for n in sizes:
        tb, tn, (fb, gb), (fn, gn) = best[n]
        r = tb / tn
        print(f"ROW\telementwise sum(tanh(w*x)) fwd+bwd\tN = {n}\t{tb:.1f} us\t"
              f"bp/NumPy = {r:.2f} (target <= 1.2: {'met' if r <= 1.2 else 'MISSED'}); NumPy {tn:.1f} us")
        print(f"# elementwise N = {n}: f bp {fb:.12g}, NumPy {fn:.12g}; df/dw0 bp {gb:.12g}, NumPy {gn:.12g}")
    print(f"# elem_compare: NumPy {np.__version__}; best of {rounds} interleaved rounds")


if __name__ == "__main__":
    main()
