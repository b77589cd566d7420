#!/usr/bin/python3
"""The reference numbers of tests/scripts/optimizers.bp: 25 steps of
torch.optim.SGD, SGD with momentum 0.9 and Adam (default betas and eps)
on the small problem of that test, in float64.  Run with Debian's
python3-torch (/usr/bin/python3 bench/optimizers_torch.py); the printed
values are pasted into the test."""
import torch

torch.set_default_dtype(torch.float64)
X = torch.tensor([[1, 2], [3, -1], [0.5, 0.5]])
y = torch.tensor([1.0, 0, 2])


def run(make, lr, steps=25):
    w = torch.tensor([0.3, -0.2], requires_grad=True)
    b = torch.tensor(0.1, requires_grad=True)
    opt = make([w, b], lr)
    for _ in range(steps):
        opt.zero_grad()
        L = ((torch.tanh(X @ w + b) - y) ** 2).mean() + 0.1 * (w ** 2).sum()
        L.backward()
        opt.step()
    L = ((torch.tanh(X @ w + b) - y) ** 2).mean() + 0.1 * (w ** 2).sum()
    return [repr(v) for v in w.tolist()], repr(b.item()), repr(L.item())


print("gd", run(lambda p, lr: torch.optim.SGD(p, lr=lr), 0.1))
print("momentum", run(lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9), 0.1))
print("adam", run(lambda p, lr: torch.optim.Adam(p, lr=lr), 0.1))
