#!/usr/bin/env python3
"""blas_compare.py: bp against NumPy and PyTorch where arithmetic dominates.

Two workloads, float64, one thread, each a training step as `train` runs it
(forward, backward, p -= lr dp):
  - L = sum(A @ B) for A, B n x n parameters, n = 64, 128, 256, 512;
  - a 784-256-10 ReLU MLP with cross-entropy on a batch of 128 (X, Y data:
    no gradient for them in NumPy or PyTorch; bp computes X's, see
    RESULTS.md).
Interleaved: each round runs bp (bench/bench_matmul, a subprocess that
times itself in-process), then NumPy, then PyTorch, for each workload; a
figure is the best of ROUNDS rounds, each the best of 3 batches.  All three
start from the same values (entry i of each matrix is sin(0.37 i) ...,
bench_matmul.c's formulas), and the notes print each one's starting loss.

Prints run.sh's rows (ROW<TAB>workload<TAB>size<TAB>time<TAB>ratio) and
notes (# ...).  Run it with OPENBLAS_NUM_THREADS=1 (run.sh does).
usage: blas_compare.py --bench PATH/bench_matmul [--quick]
"""
import argparse
import ctypes
import os
import shlex
import subprocess
import sys
import time

import numpy as np

try:
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(1)
    torch_why = None
except Exception as e:  # noqa: BLE001 - any import failure means "skip"
    torch = None
    torch_why = f"PyTorch is not installed ({e})"


def fsin(n, scale, freq, phase, cos=False):
    i = np.arange(n, dtype=np.float64)
    return scale * (np.cos(freq * i + phase) if cos else np.sin(freq * i + phase))


def time_steps(step, secs):
    """The best time per step of 3 batches, each at least secs/3 long."""
    step()
    t0 = time.perf_counter()
    step()
    one = time.perf_counter() - t0
    reps = int(secs / 3 / one) + 1 if one > 0 else 1000
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(reps):
            step()
        best = min(best, (time.perf_counter() - t0) / reps)
    return best


# ---- sum(A @ B) --------------------------------------------------------------

def mm_numpy(n, secs):
    A = fsin(n * n, 1, 0.37, 0).reshape(n, n)
    B = fsin(n * n, 1, 0.11, 0, cos=True).reshape(n, n)
    loss0 = float((A @ B).sum())
    lr = 1e-9

    def step():
        C = A @ B
        C.sum()
        G = np.ones_like(C)          # dL/dC of the sum
        dA = G @ B.T
        dB = A.T @ G
        A[...] -= lr * dA
        B[...] -= lr * dB
    return time_steps(step, secs), loss0


def mm_torch(n, secs):
    A = torch.tensor(fsin(n * n, 1, 0.37, 0).reshape(n, n), requires_grad=True)
    B = torch.tensor(fsin(n * n, 1, 0.11, 0, cos=True).reshape(n, n), requires_grad=True)
    with torch.no_grad():
        loss0 = float((A @ B).sum())
    lr = 1e-9

    def step():
        L = (A @ B).sum()
        L.backward()
        with torch.no_grad():
            A.sub_(lr * A.grad)
            B.sub_(lr * B.grad)
        A.grad = None
        B.grad = None
    return time_steps(step, secs), loss0


# ---- the MLP -----------------------------------------------------------------

def mlp_data():
    X = fsin(128 * 784, 1, 0.37, 0).reshape(128, 784)
    W1 = fsin(784 * 256, 0.05, 0.11, 0, cos=True).reshape(784, 256)
    b1 = fsin(256, 0.01, 1, 0)
    W2 = fsin(256 * 10, 0.06, 0.23, 1).reshape(256, 10)
    b2 = np.zeros(10)
    labels = np.arange(128) % 10
    return X, W1, b1, W2, b2, labels


def mlp_numpy(secs):
    X, W1, b1, W2, b2, labels = mlp_data()
    Y = np.zeros((128, 10))
    Y[np.arange(128), labels] = 1
    lr, R = 0.01, 128.0
    out = {}

    def step():
        Z1 = X @ W1 + b1
        H = np.maximum(Z1, 0)
        Z2 = H @ W2 + b2
        m = Z2.max(axis=1, keepdims=True)
        e = np.exp(Z2 - m)
        s = e.sum(axis=1, keepdims=True)
        out.setdefault("loss0", float(-(Y * (Z2 - m - np.log(s))).sum() / R))
        dZ2 = (e / s - Y) / R
        dW2 = H.T @ dZ2
        db2 = dZ2.sum(axis=0)
        dZ1 = (dZ2 @ W2.T) * (Z1 > 0)
        dW1 = X.T @ dZ1
        db1 = dZ1.sum(axis=0)
        W1[...] -= lr * dW1
        b1[...] -= lr * db1
        W2[...] -= lr * dW2
        b2[...] -= lr * db2
    t = time_steps(step, secs)
    return t, out["loss0"]


def mlp_torch(secs):
    X, W1, b1, W2, b2, labels = mlp_data()
    X = torch.tensor(X)
    labels = torch.tensor(labels)
    ps = [torch.tensor(p, requires_grad=True) for p in (W1, b1, W2, b2)]
    W1, b1, W2, b2 = ps
    with torch.no_grad():
        loss0 = float(F.cross_entropy(torch.relu(X @ W1 + b1) @ W2 + b2, labels))
    lr = 0.01

    def step():
        L = F.cross_entropy(torch.relu(X @ W1 + b1) @ W2 + b2, labels)
        L.backward()
        with torch.no_grad():
            for p in ps:
                p -= lr * p.grad
                p.grad = None
    return time_steps(step, secs), loss0


# ---- bp ------------------------------------------------------------------------

def bp(bench, args):
    out = subprocess.run([bench] + args, capture_output=True, text=True, check=True).stdout
    line = [ln for ln in out.splitlines() if ln.startswith("RESULT ")][0]
    kv = dict(f.split("=", 1) for f in shlex.split(line)[1:])
    return float(kv["ms_per_step"]) / 1e3, float(kv["loss0"]), kv["backend"]


def openblas_core():
    """The OpenBLAS this process loaded (NumPy's), and the kernel it chose."""
    try:
        with open("/proc/self/maps") as f:
            libs = sorted({ln.split()[-1] for ln in f if "blas" in ln and ".so" in ln})
        for path in libs:
            lib = ctypes.CDLL(path)
            if hasattr(lib, "openblas_get_corename"):
                lib.openblas_get_corename.restype = ctypes.c_char_p
                lib.openblas_get_config.restype = ctypes.c_char_p
                return "%s: %s, core %s" % (os.path.basename(path),
                                            lib.openblas_get_config().decode(),
                                            lib.openblas_get_corename().decode())
        return "no OpenBLAS among " + ", ".join(libs)
    except Exception as e:  # noqa: BLE001
        return f"unknown ({e})"


def row(*cols):
    print("ROW\t" + "\t".join(cols))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True, help="bench/bench_matmul")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    rounds, secs = (1, 0.15) if a.quick else (3, 0.4)
    sizes = [64, 128] if a.quick else [64, 128, 256, 512]
    work = [("mm", n) for n in sizes] + [("mlp", 0)]
    best = {}
    losses = {}
    backend = "?"

    def keep(key, t, loss):
        best[key] = min(best.get(key, float("inf")), t)
        losses[key] = loss

    for _ in range(rounds):
        for kind, n in work:
            args = ["mm", str(n), str(secs)] if kind == "mm" else ["mlp", str(secs)]
            t, loss, backend = bp(a.bench, args)
            keep(("bp", kind, n), t, loss)
            keep(("numpy", kind, n), *(mm_numpy(n, secs) if kind == "mm" else mlp_numpy(secs)))
            if torch is not None:
                keep(("torch", kind, n), *(mm_torch(n, secs) if kind == "mm" else mlp_torch(secs)))

    def ms(t):
        return "%.3f ms" % (t * 1e3)

    for kind, n in work:
        tb, tn = best[("bp", kind, n)], best[("numpy", kind, n)]
        tt = best.get(("torch", kind, n))
        if kind == "mm":
            fl = 6.0 * n ** 3            # forward A B, dA = G Bᵀ, dB = Aᵀ G
            gf = lambda t: "%.1f GFLOP/s" % (fl / t * 1e-9)  # noqa: E731
            name, size = "matmul step: sum(A @ B)", "n = %d" % n
            tm = "%s (%s)" % (ms(tb), gf(tb))
            other = "NumPy %s (%s)" % (ms(tn), gf(tn))
            if tt:
                other = "PyTorch %s (%s); %s" % (ms(tt), gf(tt), other)
        else:
            name, size = "MLP 784-256-10 step", "batch 128"
            tm = ms(tb) + "/step"
            other = "NumPy %s" % ms(tn)
            if tt:
                other = "PyTorch %s; %s" % (ms(tt), other)
        if tt:
            r = tb / tt
            ratio = "bp/PyTorch = %.2f (target <= 1.0: %s); bp/NumPy = %.2f; %s" % (
                r, "met" if r <= 1.0 else "MISSED", tb / tn, other)
        else:
            ratio = "bp/NumPy = %.2f; %s; PyTorch skipped: %s" % (tb / tn, other, torch_why)
        row(name, size, tm, ratio)
        loss = "bp %.12g, NumPy %.12g" % (losses[("bp", kind, n)], losses[("numpy", kind, n)])
        if tt:
            loss += ", PyTorch %.12g" % losses[("torch", kind, n)]
        print("# %s %s: starting loss %s" % (name, size, loss))
    print("# blas_compare: bp's products by %s; NumPy %s loads %s; PyTorch %s; "
          "OPENBLAS_NUM_THREADS=%s, OPENBLAS_CORETYPE=%s; best of %d interleaved rounds"
          % (backend, np.__version__, openblas_core(),
             torch.__version__ if torch else "absent", os.environ.get("OPENBLAS_NUM_THREADS", "unset"),
             os.environ.get("OPENBLAS_CORETYPE", "unset"), rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
