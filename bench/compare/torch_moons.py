#!/usr/bin/env python3
"""torch_moons.py: one training step of micrograd's demo in PyTorch, timed.

The model of bench/moons_tensor.bp in float64 on the CPU: a 2-16-16-1 MLP
(ReLU hidden layers, linear output) on the 100 two-moons points of
examples/moons.csv, loss = mean(relu(1 - y*s)) + 1e-4 * (sum of squares
of every parameter); a step is forward, zeroing the gradients, backward
and p -= lr * p.grad (lr 0.1).  Per step = (time of 10 + STEPS steps -
time of 10 steps) / STEPS, the best of 3, as bench/run.sh times bp.

usage: torch_moons.py --csv moons.csv [--weights W.jsonl] [--steps 1000]
                      [--threads N]
--weights: bp --json lines for W1 b1 W2 b2 W3 b3, so that the starting
loss can be checked against bp's.  Prints "RESULT ms_per_step=...
loss0=... engine=..."; exits 77 (and says why) when PyTorch is missing.
"""
import argparse
import json
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--csv', required=True)
    ap.add_argument('--weights')
    ap.add_argument('--steps', type=int, default=1000)
    ap.add_argument('--lr', type=float, default=0.1)
    ap.add_argument('--threads', type=int, default=0, help='torch threads (0: its default)')
    args = ap.parse_args()
    try:
        import torch
    except ImportError as e:
        print(f'SKIP: PyTorch is not installed ({e}); pip install torch to compare', file=sys.stderr)
        sys.exit(77)
    if args.threads:
        torch.set_num_threads(args.threads)
    dt = torch.float64

    rows = []
    with open(args.csv) as f:
        for line in f:
            try:
                rows.append([float(c) for c in line.strip().split(',')])
            except ValueError:
                continue                          # the header
    D = torch.tensor(rows, dtype=dt)
    X, y = D[:, 0:2].contiguous(), D[:, 2].contiguous()

    if args.weights:
        with open(args.weights) as f:
            vals = [json.loads(l)['value'] for l in f if l.strip()]
        params = [torch.tensor(v, dtype=dt, requires_grad=True) for v in vals]
    else:
        g = torch.Generator().manual_seed(7)
        shapes = [(2, 16), (16,), (16, 16), (16,), (16,), ()]
        scales = [0.8, 0, 0.3, 0, 0.3, 0]
        params = [(torch.randn(sh, generator=g, dtype=dt) * sc).requires_grad_()
                  for sh, sc in zip(shapes, scales)]
    W1, b1, W2, b2, W3, b3 = params

    def loss():
        h1 = torch.relu(X @ W1 + b1)
        h2 = torch.relu(h1 @ W2 + b2)
        s = h2 @ W3 + b3
        reg = sum((p * p).sum() for p in params)
        return torch.relu(1 - y * s).mean() + 1e-4 * reg

    def steps(n):
        t0 = time.perf_counter()
        for _ in range(n):
            L = loss()
            for p in params:
                p.grad = None
            L.backward()
            with torch.no_grad():
                for p in params:
                    p -= args.lr * p.grad
        return time.perf_counter() - t0

    loss0 = loss().item()
    per = min((steps(10 + args.steps) - steps(10)) / args.steps for _ in range(3))
    print(f'RESULT ms_per_step={1e3 * per:.4f} loss0={loss0:.10g} steps={args.steps} '
          f'engine="torch {torch.__version__}, {torch.get_num_threads()} threads"')


if __name__ == '__main__':
    main()
