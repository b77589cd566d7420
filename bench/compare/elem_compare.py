#!/usr/bin/env python3
"""elem_compare.py: bp against NumPy on the elementwise workloads of issue 15.

Three chains, N = 10^4, 10^5, 10^6, float64, one forward pass and the
gradient (bp: df/dw only, or df/dw and df/db, as train's backward computes
them; NumPy: the same arithmetic written by hand, no autograd: the
cheapest a NumPy user gets):
  0  f = sum(tanh(w*x))          df/dw = (1 - t^2) x
  1  f = sum(sigmoid(w*x + b))   df/dw = s (1 - s) x, df/db = s (1 - s)
  2  f = mean(exp(-(w*x)^2))     df/dw = -2/N e (w x) x
bp runs twice, with its fusion, forward and backward (the default), and without
(bench_elem's `unfused`), so the rows give fused/NumPy, unfused/NumPy and
fused/unfused.  Interleaved: each round runs, per chain and size, bp fused,
bp unfused, then NumPy; best of ROUNDS rounds.  Same values on both sides
(w_i = 0.5 sin(0.37 i), x_i = cos(0.11 i), b_i = 0.2 sin(0.05 i)); the
notes print f and df/dw_1 from each.
usage: elem_compare.py --bench PATH/bench_elem [--quick] [--cases 0,1,2]
"""
import argparse
import subprocess
import time

import numpy as np

CHAINS = ["sum(tanh(w*x))", "sum(sigmoid(w*x + b))", "mean(exp(-(w*x)^2))"]


def numpy_pass(case, w, x, b):
    if case == 0:
        t = np.tanh(w * x)
        return t.sum(), (1.0 - t * t) * x
    if case == 1:
        s = 1.0 / (1.0 + np.exp(-(w * x + b)))
        ds = s * (1.0 - s)
        return s.sum(), ds * x, ds
    u = w * x
    e = np.exp(-(u * u))
    return e.mean(), (-2.0 / len(w)) * e * u * x


def numpy_time(case, n, secs):
    i = np.arange(n, dtype=np.float64)
    w = 0.5 * np.sin(0.37 * i)
    x = np.cos(0.11 * i)
    b = 0.2 * np.sin(0.05 * i)
    r = numpy_pass(case, w, x, b)
    t0 = time.perf_counter()
    numpy_pass(case, w, x, b)
    one = time.perf_counter() - t0
    reps = int(secs / 3 / one) + 1 if one > 0 else 1000
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(reps):
            numpy_pass(case, w, x, b)
        best = min(best, (time.perf_counter() - t0) / reps)
    return best * 1e6, r[0], r[1][1]


def bp_time(bench, case, n, secs, fused):
    cmd = [bench, str(n), str(secs), str(case)] + ([] if fused else ["unfused"])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = [l for l in out.splitlines() if l.startswith("RESULT")][0]
    kv = dict(p.split("=", 1) for p in line.split()[1:])
    return float(kv["us_per_pass"]), float(kv["f"]), float(kv["g1"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--cases", default="0,1,2")
    a = ap.parse_args()
    cases = [int(c) for c in a.cases.split(",")]
    sizes = [10**4, 10**5] if a.quick else [10**4, 10**5, 10**6]
    rounds, secs = (1, 0.2) if a.quick else (3, 0.4)
    inf = float("inf")
    best = {(c, n): [inf, inf, inf, None, None] for c in cases for n in sizes}
    for _ in range(rounds):
        for c in cases:
            for n in sizes:
                tf, ff, gf = bp_time(a.bench, c, n, secs, True)
                tu, _, gu = bp_time(a.bench, c, n, secs, False)
                tn, fn, gn = numpy_time(c, n, secs)
                if gu != gf:
                    raise SystemExit(f"elem_compare: {CHAINS[c]}, N = {n}: fused df/dw1 {gf!r}, unfused {gu!r}")
                b = best[(c, n)]
                b[0], b[1], b[2] = min(b[0], tf), min(b[1], tu), min(b[2], tn)
                b[3], b[4] = (ff, gf), (fn, gn)
    for c in cases:
        for n in sizes:
            tf, tu, tn, (fb, gb), (fn, gn) = best[(c, n)]
            r = tf / tn
            print(f"ROW\telementwise {CHAINS[c]} fwd+bwd\tN = {n}\t{tf:.1f} us\t"
                  f"bp/NumPy = {r:.2f} (target <= 1.2: {'met' if r <= 1.2 else 'MISSED'}); NumPy {tn:.1f} us; "
                  f"unfused {tu:.1f} us ({tu / tn:.2f}), fused/unfused {tf / tu:.2f}")
            print(f"# elementwise {CHAINS[c]} N = {n}: f bp {fb:.12g}, NumPy {fn:.12g}; "
                  f"df/dw1 bp {gb:.12g}, NumPy {gn:.12g}")
    print(f"# elem_compare: NumPy {np.__version__}; best of {rounds} interleaved rounds")


if __name__ == "__main__":
    main()
