#!/bin/sh
# SPEC 5: Ctrl-C stops a long `check f` (it polls between entries) and a
# long `sweep` (between steps); the prompt comes back, the session intact.
# Before, both ran to their end with Ctrl-C ignored.
. "${abs_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/repl/lib.sh"

repl_start -q
repl_wait '^bp> $'
repl_line 'x = 42'
repl_line 'W = randn(300, 300)'
repl_line 'L = sum(tanh(W @ W))'
# 90 000 entries by central differences: many minutes
repl_line 'set maxcheck 90000'
repl_line 'check L'
sleep 1
repl_alive "bp exited during check"
repl_keys C-c
REPL_TIMEOUT=30 repl_wait 'error: interrupted' "check interrupted"
repl_wait_count '^bp> $' 1 "the prompt back after Ctrl-C in check"
repl_absent 'PASS: check L' "check finished in spite of Ctrl-C"
# sweep: 15 steps of 3 forward passes of a 1000x1000 matrix product
repl_line 'w = 1'
repl_line 'V = randn(1000, 1000)'
repl_line 'M = sum(tanh(w*V @ V))'
repl_line 'sweep M wrt w'
sleep 1
repl_alive "bp exited during sweep"
repl_keys C-c
REPL_TIMEOUT=60 repl_wait 'interrupted: sweep stopped after [0-9]+ of 15 steps' "sweep interrupted"
repl_line 'print "after", x'
repl_wait '^after 42$' "a statement after the interrupted commands"
repl_line 'quit'
st=$(repl_wait_exit)
[ "$st" = 0 ] || fail "exit status $st"
echo "PASS: Ctrl-C stops check and sweep"
