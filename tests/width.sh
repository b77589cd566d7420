#!/bin/sh
# width.sh: every line bp prints fits 80 columns (SPEC section 10).  Runs
# every example and a session of the main commands on big and long inputs
# with COLUMNS=80 and fails on any line wider than 80 characters (counted
# as characters, not bytes: "∂" and "…" are one column each).  Machine
# output (--json, diff's latex) is for programs and is not held to it.
set -u
bp=${BP:?BP must name the bp binary}
src=${srcdir:-.}
case $bp in /*) ;; *) bp=$(pwd)/$bp ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

# wide NAME FILE: report the lines of FILE wider than 80 columns
wide() {
    # drop UTF-8 continuation bytes, then count bytes: one per character
    LC_ALL=C sed 's/[\x80-\xbf]//g' "$2" |
        LC_ALL=C awk -v name="$1" 'length($0) > 80 {
            printf "%s:%d: %d columns: %s\n", name, NR, length($0), $0; bad = 1 }
            END { exit bad }' || status=1
}

cp "$src"/examples/* "$tmp"/ || exit 99
n=0
for f in "$src"/examples/*.bp; do
    b=$(basename "$f")
    (cd "$tmp" && COLUMNS=80 NO_COLOR=1 "$bp" "$b") >"$tmp/out" 2>&1
    wide "examples/$b" "$tmp/out"
    n=$((n + 1))
done
[ "$n" -ge 10 ] || { echo "only $n examples found"; exit 99; }

# the main commands on inputs that used to print wide lines
cat >"$tmp/main.bp" <<'BP'
set seed 1
W1 = randn(60, 60)
x = randn(60)
b1 = randn(60)
L = sum(tanh(W1 @ x + b1))
grad L
grad L wrt W1
check L
show W1
print W1
vars
trace L
a_rather_long_parameter_name = 0.5
another_long_name = 2
g = tanh(a_rather_long_parameter_name * another_long_name + a_rather_long_parameter_name^3 - sigmoid(another_long_name) * exp(a_rather_long_parameter_name))
grad g
trace g
check grad(g, another_long_name), grad(g, another_long_name) + 1e-12
sweep g wrt another_long_name
sweep another_long_name wrt another_long_name
set fd central, forward, ridders, complex
grad g
set fd central, forward, ridders, complex, dual
grad g
set fd central
hessian g
trace forward g wrt another_long_name
diff g wrt another_long_name
v = randn(12)
F = tanh(v * a_rather_long_parameter_name) * another_long_name
jacobian F
jacobian F[0:3] wrt v
w = randn(30) * 0.1
h = sum(tanh(w)^2) + sum(w)^2
hessian h
const D = load_csv("moons.csv")
const X = D[:, 0:2]; const Y = D[:, 2]
U1 = randn(2, 16) * 0.8; c1 = zeros(16)
u2 = randn(16) * 0.3; c2 = 0; k = 1
S = k * (relu(X @ U1 + c1) @ u2) + c2
J = mean(relu(1 - Y*S))
set optimizer adam
train J 0.01 30 batch 20 of X, Y
vars
set optimizer momentum
step J 0.01
vars
plot g wrt another_long_name
plot J wrt c2, k
plot S over X, Y
graph g
set
help
help grad
help trace
help tensors
help fd
help set
help syntax
help hessian
help jacobian
help train
help optimizer
help diff
help plot
help dot
help graph
help sweep
help step
help check
help kinks
help define
help const
help update
help print
help show
help vars
help delete
help clear
help load
help save
help quit
help errors
BP
(cd "$tmp" && COLUMNS=80 NO_COLOR=1 "$bp" main.bp) >"$tmp/out" 2>&1
wide "main commands" "$tmp/out"
# the test itself must see wide lines when there are some
printf 'x = 1\nprint "%0100d"\n' 0 >"$tmp/wide.bp"
(cd "$tmp" && "$bp" wide.bp) >"$tmp/out" 2>&1
saved=$status
wide "self-test" "$tmp/out" >/dev/null
[ "$status" = 1 ] || { echo "width.sh does not see a 100-column line"; exit 99; }
status=$saved
[ "$status" = 0 ] && echo "PASS: every line of $n examples and the main commands fits 80 columns"
exit $status
