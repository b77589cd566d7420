#!/usr/bin/env python3
"""micrograd_moons.py: one training step of micrograd's demo, timed.

The model and loss of micrograd's demo.ipynb (a 2-16-16-1 MLP, ReLU
hidden layers, linear output, max-margin loss + 1e-4 * L2 on every
parameter) on the 100 two-moons points of bp's examples/moons.csv; a step
is loss(), zero_grad(), backward(), p.data -= lr * p.grad (lr 0.1, as
bench/run.sh gives bp's `train L 0.1 N`).

Engine: the micrograd package when it is installed (pip install
micrograd); otherwise the small reimplementation below, which builds the
same graph the same way (one Python object and one closure per scalar
operation, a recursive topological sort per backward pass), so the timing
is micrograd's.  micrograd is by Andrej Karpathy, MIT License,
https://github.com/karpathy/micrograd (micrograd/engine.py, nn.py); the
classes below follow those files operation for operation.

usage: micrograd_moons.py --csv moons.csv [--weights W.jsonl] [--steps 3]
                          [--engine auto|package|embedded]
--weights: bp --json lines for W1 b1 W2 b2 W3 b3 (bench/run.sh writes
them), so that the starting loss can be checked against bp's.
Prints "RESULT ms_per_step=... loss0=... nodes=... engine=..."; exits 77
(and says why) when the requested engine is missing.
"""
import argparse
import json
import random
import statistics
import sys
import time


# ---- a reimplementation of micrograd's engine.py and nn.py (see above) ----

class EValue:
    """A scalar and its gradient (micrograd's Value)."""

    def __init__(self, data, _children=(), _op=''):
        self.data = data
        self.grad = 0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op

    def __add__(self, other):
        other = other if isinstance(other, EValue) else EValue(other)
        out = EValue(self.data + other.data, (self, other), '+')

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, EValue) else EValue(other)
        out = EValue(self.data * other.data, (self, other), '*')

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, other):
        assert isinstance(other, (int, float))
        out = EValue(self.data ** other, (self,), f'**{other}')

        def _backward():
            self.grad += (other * self.data ** (other - 1)) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = EValue(0 if self.data < 0 else self.data, (self,), 'ReLU')

        def _backward():
            self.grad += (out.data > 0) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        topo = []
        visited = set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)
        build_topo(self)
        self.grad = 1
        for v in reversed(topo):
            v._backward()

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other ** -1

    def __rtruediv__(self, other):
        return other * self ** -1


def make_nn(Value):
    """micrograd's nn.py over a given Value class."""

    class Module:
        def zero_grad(self):
            for p in self.parameters():
                p.grad = 0

    class Neuron(Module):
        def __init__(self, nin, nonlin=True):
            self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
            self.b = Value(0)
            self.nonlin = nonlin

        def __call__(self, x):
            act = sum([wi * xi for wi, xi in zip(self.w, x)], self.b)
            return act.relu() if self.nonlin else act

        def parameters(self):
            return self.w + [self.b]

    class Layer(Module):
        def __init__(self, nin, nout, **kwargs):
            self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

        def __call__(self, x):
            out = [n(x) for n in self.neurons]
            return out[0] if len(out) == 1 else out

        def parameters(self):
            return [p for n in self.neurons for p in n.parameters()]

    class MLP(Module):
        def __init__(self, nin, nouts):
            sz = [nin] + nouts
            self.layers = [Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1)
                           for i in range(len(nouts))]

        def __call__(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

        def parameters(self):
            return [p for layer in self.layers for p in layer.parameters()]

    return MLP


# ---- the demo ----

def load_csv(path):
    X, y = [], []
    with open(path) as f:
        for line in f:
            cells = line.strip().split(',')
            try:
                row = [float(c) for c in cells]
            except ValueError:
                continue                     # the header
            X.append(row[:2])
            y.append(row[2])
    return X, y


def load_weights(path):
    """bp --json value lines, in the order W1 b1 W2 b2 W3 b3."""
    vals = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                vals.append(json.loads(line)['value'])
    return vals


def set_weights(model, vals):
    W1, b1, W2, b2, W3, b3 = vals
    mats = [(W1, b1), (W2, b2), ([[w] for w in W3], [b3])]
    for layer, (W, b) in zip(model.layers, mats):
        for j, n in enumerate(layer.neurons):
            for i, wi in enumerate(n.w):
                wi.data = W[i][j]
            n.b.data = b[j]


def count_nodes(root):
    seen, stack = {id(root)}, [root]
    while stack:
        v = stack.pop()
        for c in v._prev:
            if id(c) not in seen:
                seen.add(id(c))
                stack.append(c)
    return len(seen)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--csv', required=True)
    ap.add_argument('--weights')
    ap.add_argument('--steps', type=int, default=3)
    ap.add_argument('--lr', type=float, default=0.1)
    ap.add_argument('--engine', choices=['auto', 'package', 'embedded'], default='auto')
    args = ap.parse_args()

    Value, engine = None, None
    if args.engine in ('auto', 'package'):
        try:
            from micrograd.engine import Value
            engine = 'micrograd package'
        except ImportError as e:
            if args.engine == 'package':
                print(f'SKIP: the micrograd package is not installed ({e}); '
                      'run with --engine embedded for the reimplementation', file=sys.stderr)
                sys.exit(77)
    if Value is None:
        Value, engine = EValue, 'embedded reimplementation of micrograd'
    MLP = make_nn(Value)

    random.seed(1337)
    X, y = load_csv(args.csv)
    model = MLP(2, [16, 16, 1])
    if args.weights:
        set_weights(model, load_weights(args.weights))

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum((p * p for p in model.parameters()))
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    times, loss0, nodes = [], None, 0
    for k in range(args.steps):
        t0 = time.perf_counter()
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        for p in model.parameters():
            p.data -= args.lr * p.grad
        times.append(time.perf_counter() - t0)
        if loss0 is None:
            loss0 = total_loss.data
            nodes = count_nodes(total_loss)
    print(f'RESULT ms_per_step={1e3 * statistics.median(times):.3f} loss0={loss0:.10g} '
          f'nodes={nodes} steps={args.steps} engine="{engine}"')


if __name__ == '__main__':
    main()
