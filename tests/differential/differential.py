#!/usr/bin/python3
"""Random differential testing of bp against PyTorch (float64).

Generates random programs: an expression over scalar parameters a, b, c and
vector parameters u, v (3 entries), using bp's operations; f is the
expression (summed when it is a vector).  bp evaluates f and its gradient
by backprop (grad(f, w) for every parameter); PyTorch evaluates the same
expression with autograd.  Values and every gradient entry must agree to
|bp - torch| <= 1e-9 * (1 + |torch|).  Exit 0 when all agree, 1 on any
disagreement (each printed), 77 when torch is missing (automake SKIP).

usage: differential.py BP [N [SEED]]   (defaults: 200 programs, seed 1)
"""
import random
import re
import subprocess
import sys

try:
    import torch
except Exception:  # pragma: no cover - the skip path
    print("SKIP: python3 cannot import torch")
    sys.exit(77)

torch.set_default_dtype(torch.float64)
F = torch.nn.functional

SCALARS = ["a", "b", "c"]
VECTORS = ["u", "v"]

# unary: (bp template, torch template); X is the operand, parenthesized
# wherever a tighter operator follows it (b^3 squared is (b^3)^2: an early
# run wrote b^3^2, which both read as b^9, and sqrt(b^9 + 1) left the domain)
UNARY = [
    ("sin(X)", "torch.sin(X)"),
    ("cos(X)", "torch.cos(X)"),
    ("tanh(X)", "torch.tanh(X)"),
    ("sigmoid(X)", "torch.sigmoid(X)"),
    ("atan(X)", "torch.atan(X)"),
    ("asinh(X)", "torch.asinh(X)"),
    ("softplus(X)", "F.softplus(X)"),
    ("exp(tanh(X))", "torch.exp(torch.tanh(X))"),
    ("log((X)^2 + 1)", "torch.log((X)**2 + 1)"),
    ("log1p((X)^2)", "torch.log1p((X)**2)"),
    ("sqrt((X)^2 + 1)", "torch.sqrt((X)**2 + 1)"),
    ("expm1(tanh(X))", "torch.expm1(torch.tanh(X))"),
    ("abs(X)", "torch.abs(X)"),
    ("(-X)", "(-X)"),
    ("(X)^2", "(X)**2"),
    ("(X)^3", "(X)**3"),
]
# binary, either shape (broadcasting a scalar against a vector)
BINARY = [
    ("(X + Y)", "(X + Y)"),
    ("(X - Y)", "(X - Y)"),
    ("(X * Y)", "(X * Y)"),
    ("(X / ((Y)^2 + 1))", "(X / ((Y)**2 + 1))"),
    ("max(X, Y)", "torch.maximum(X, Y)"),
    ("min(X, Y)", "torch.minimum(X, Y)"),
]
# vector -> scalar
REDUCE = [
    ("sum(X)", "torch.sum(X)"),
    ("mean(X)", "torch.mean(X)"),
]


def num(rng):
    x = round(rng.uniform(-2, 2), 3)
    return x if x != 0 else 0.5


def gen(rng, depth):
    """Returns (bp text, torch text, is_vector)."""
    if depth <= 0 or rng.random() < 0.2:
        r = rng.random()
        if r < 0.45:
            n = rng.choice(SCALARS)
            return n, n, False
        if r < 0.85:
            n = rng.choice(VECTORS)
            return n, n, True
        x = num(rng)
        return ("(%r)" % x, "torch.tensor(%r)" % x, False)
    r = rng.random()
    if r < 0.4:
        b, t, vec = gen(rng, depth - 1)
        ub, ut = rng.choice(UNARY)
        return ub.replace("X", b), ut.replace("X", t), vec
    if r < 0.85:
        b1, t1, v1 = gen(rng, depth - 1)
        b2, t2, v2 = gen(rng, depth - 1)
        ob, ot = rng.choice(BINARY)
        return (ob.replace("X", b1).replace("Y", b2),
                ot.replace("X", t1).replace("Y", t2), v1 or v2)
    b1, t1, v1 = gen(rng, depth - 1)
    if not v1:
        return b1, t1, v1
    if rng.random() < 0.3:
        b2, t2, v2 = gen(rng, depth - 1)
        if v2:
            return "(%s @ %s)" % (b1, b2), "torch.dot(%s, %s)" % (t1, t2), False
    rb, rt = rng.choice(REDUCE)
    return rb.replace("X", b1), rt.replace("X", t1), False


def program(rng):
    values = {n: num(rng) for n in SCALARS}
    for n in VECTORS:
        values[n] = [num(rng) for _ in range(3)]
    while True:   # a program uses at least one parameter
        b, t, vec = gen(rng, rng.randint(2, 5))
        if re.search(r"\b[abcuv]\b", b):
            break
    if vec:
        b, t = "sum(%s)" % b, "torch.sum(%s)" % t
    return values, b, t


NUMBER = re.compile(r"-?(?:inf|nan|\d+(?:\.\d*)?(?:e[-+]?\d+)?)")


def run_bp(bp, progs):
    lines = ["set digits 17"]
    for k, (values, b, _) in enumerate(progs):
        lines.append("clear")
        lines.append("set digits 17")
        for n in SCALARS:
            lines.append("%s = %r" % (n, values[n]))
        for n in VECTORS:
            lines.append("%s = [%s]" % (n, ", ".join(repr(x) for x in values[n])))
        lines.append("f = " + b)
        lines.append('print "P%d", f, %s' % (k, ", ".join(
            "grad(f, %s)" % n for n in SCALARS + VECTORS)))
    out = subprocess.run([bp, "-q", "-i"], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, timeout=600)
    got = {}
    # print wraps a long row onto indented lines (80 columns): join them
    joined = []
    for line in out.stdout.splitlines():
        if line.startswith(" ") and joined:
            joined[-1] += " " + line.strip()
        else:
            joined.append(line)
    for line in joined:
        m = re.match(r"P(\d+) (.*)", line)
        if m:
            got[int(m.group(1))] = [float(x) for x in NUMBER.findall(m.group(2))]
    return got, out.stderr


def run_torch(values, t):
    env = {"torch": torch, "F": F}
    for n in SCALARS:
        env[n] = torch.tensor(values[n], requires_grad=True)
    for n in VECTORS:
        env[n] = torch.tensor(values[n], requires_grad=True)
    f = eval(t, env)
    f.backward()
    res = [f.item()]
    for n in SCALARS:
        g = env[n].grad
        res.append(0.0 if g is None else g.item())
    for n in VECTORS:
        g = env[n].grad
        res.extend([0.0] * 3 if g is None else g.tolist())
    return res


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    bp = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    rng = random.Random(seed)
    progs = [program(rng) for _ in range(n)]
    got, err = run_bp(bp, progs)
    agree = bad = refused = 0
    for k, (values, b, t) in enumerate(progs):
        want = run_torch(values, t)
        have = got.get(k)
        ok = have is not None and len(have) == len(want) and all(
            abs(x - y) <= 1e-9 * (1 + abs(y)) for x, y in zip(have, want))
        if ok:
            agree += 1
            continue
        if have is None and not all(map(lambda y: y == y and abs(y) != float("inf"), want)):
            refused += 1   # out of the domain: bp's error, torch's nan or inf
            continue
        bad += 1
        print("DISAGREE program %d: f = %s" % (k, b))
        print("  values: %s" % values)
        print("  bp:    %s" % have)
        print("  torch: %s" % want)
    print("%d programs (seed %d): %d agree with PyTorch float64, %d out of the domain in both"
          " (an error in bp, nan or inf in torch), %d disagree" % (n, seed, agree, refused, bad))
    if bad and err:
        print("bp's standard error:\n" + err[:2000])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
