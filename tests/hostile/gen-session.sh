#!/bin/sh
# gen-session.sh [BLOCKS]: print a generated bp session of 10 statements per
# block (default 1000 blocks: 10 000 statements) touching every statement
# form that takes no file: parameters, consts, formulas, a user function,
# :=, +=, grad(...) inside an update, grad tables with and without wrt,
# print, show, delete, set, a tensor now and then, and vars at the end.
# Formulas depend on a bounded window of names, so the session's work is
# linear in its length.  Used by session-10000.hostile and check-valgrind.
awk -v blocks="${1:-1000}" 'BEGIN {
    print "w = 0.5"
    print "b = -0.1"
    print "sq(x) = x * x"
    print "act(x, y) = tanh(x) * sigmoid(y)"
    for (k = 1; k <= blocks; k++) {
        printf "p%d = %.2f\n", k, 0.1 * (k % 7) + 0.05
        printf "const c%d = %d\n", k, k % 5
        printf "f%d = tanh(w * p%d + b) + c%d * sq(p%d)\n", k, k, k, k
        printf "g%d = f%d^2 + sigmoid(p%d) * relu(f%d - 0.5) + act(p%d, w)\n", k, k, k, k, k
        printf "g%d\n", k
        printf "p%d := p%d - 0.01 * grad(g%d, p%d)\n", k, k, k, k
        printf "p%d += 0.001\n", k
        if (k % 10 == 0) printf "grad g%d\n", k
        else printf "grad g%d wrt p%d, w\n", k, k
        if (k % 50 == 0) printf "v%d = [p%d, 2, 3]; print \"tensor\", sum(v%d * v%d)\n", k, k, k, k
        else printf "print \"block\", %d, g%d\n", k, k
        if (k % 2 == 0) printf "delete g%d, f%d\n", k, k
        else if (k % 100 == 1) printf "set digits %d\n", 4 + k % 10
        else printf "show g%d\n", k
    }
    print "vars"
}'
