#!/bin/sh
# After Ctrl-C has stopped one long command, the next long command runs to
# completion: the interrupt flag is reset before each statement (a flag
# left set would stop the second train at its first step).
. "${abs_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/repl/lib.sh"

repl_start -q
repl_wait '^bp> $'
repl_line 'w = 1'
repl_line 'L = (w - 3)^2'
# 1: far more steps than can finish before the Ctrl-C.
repl_line 'train L wrt w 0.000001 1000000000'
repl_wait '^train L: 1000000000 steps' "the first train's opening line"
sleep 0.3
repl_alive "bp exited during the first train"
repl_keys C-c
repl_wait 'interrupted: [0-9]+ of 1000000000 steps' "the first train interrupted"
repl_wait_count '^bp> $' 1 "the prompt back after Ctrl-C"
# 2: a long train (about a second; no Ctrl-C) must reach its last step.
repl_line 'train L wrt w 0.000001 3000000'
REPL_TIMEOUT=60 repl_wait '^  step 3000000: L = .*\(final\)$' \
    "the second train run to its final step"
repl_absent 'interrupted: [0-9]+ of 3000000 steps' "the second train interrupted by the old Ctrl-C"
n=$(repl_screen | grep -E -c 'interrupted')
[ "$n" = 1 ] || fail "$n 'interrupted' messages, expected only the first train's"
# 3: and a command after it still runs.
repl_line 'print "after", w > 1'
repl_wait '^after 1$' "a statement after the two trains"
repl_line 'quit'
st=$(repl_wait_exit)
[ "$st" = 0 ] || fail "exit status $st"
echo "PASS: Ctrl-C is spent before the next statement"
