#!/usr/bin/python3
"""Steps per second of examples/digits.bp's training in PyTorch: the same
64-32-10 relu network, Adam lr 0.01, minibatches of 64 of the 1347
training rows, float64, one thread.  /usr/bin/python3 bench/digits_torch.py
[steps] (Debian's python3-torch)."""
import sys, time
import numpy as np
import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
D = np.loadtxt("examples/digits.csv", delimiter=",", skiprows=1)
R = D[450:, :64]
mu = R.mean(0); sd = R.std(0) + 1
X = torch.tensor((R - mu) / sd); y = torch.tensor(D[450:, 64]).long()
Xt = torch.tensor((D[:450, :64] - mu) / sd); yt = torch.tensor(D[:450, 64]).long()
torch.manual_seed(1)
net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
opt = torch.optim.Adam(net.parameters(), lr=0.01)
lossf = torch.nn.CrossEntropyLoss()
g = torch.Generator().manual_seed(1)
perm, pos = None, len(X)
t0 = time.perf_counter()
for k in range(steps):
    if pos >= len(X):
        perm, pos = torch.randperm(len(X), generator=g), 0
    idx = perm[pos:pos + 64]; pos += 64
    opt.zero_grad()
    L = lossf(net(X[idx]), y[idx])
    L.backward()
    opt.step()
dt = time.perf_counter() - t0
acc = (net(Xt).argmax(1) == yt).double().mean().item()
print(f"torch: {steps} steps in {dt:.3f} s = {steps / dt:.0f} steps/s; test accuracy {acc:.4f}")
