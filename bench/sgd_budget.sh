#!/bin/sh
# sgd_budget.sh: examples/sgd.bp's problem (400 rows), full-batch GD against
# minibatches of 20 for the same number of rows read (forward passes over a
# row): the loss on all rows each reaches.  BP=src/bp sh bench/sgd_budget.sh
BP=${BP:-src/bp}
printf '%8s  %14s  %14s\n' "rows" "GD loss" "SGD(20) loss"
for budget in 800 2000 4000 8000 20000; do
    gd=$($BP -e 'set seed 3; const X = randn(400, 2); const y = X @ [2, -1] + 0.5 + 0.1 * randn(400)' \
         -e "w = [0, 0]; b = 0; L = mean((X @ w + b - y)^2); train L 0.1 $((budget / 400))" -e 'print L' | tail -1)
    sgd=$($BP -e 'set seed 3; const X = randn(400, 2); const y = X @ [2, -1] + 0.5 + 0.1 * randn(400)' \
         -e "w = [0, 0]; b = 0; L = mean((X @ w + b - y)^2); train L 0.1 $((budget / 20)) batch 20 of X, y" -e 'print L' | tail -1)
    printf '%8s  %14s  %14s\n' "$budget" "$gd" "$sgd"
done
