#!/bin/sh
# Ctrl-C during a long `train` returns to the prompt, keeps the completed
# steps (says how many), and leaves the other definitions intact.
. "${abs_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/repl/lib.sh"

if "$BP" -e 'train x' 2>&1 | grep -q 'not available'; then
    echo "SKIP: train is not implemented yet (bp -e 'train x' says not available)"
    exit 77
fi

repl_start -q
repl_wait '^bp> $'
repl_line 'const keep = 42'
repl_line 'w = 1'
repl_line 'L = (w - 3)^2'
# Far more steps than can finish before the Ctrl-C.
repl_line 'train L wrt w 0.000001 1000000000'
repl_wait '^train L' "train's opening line 'train L: ... steps ...'"
sleep 0.5   # let some steps complete
repl_alive "bp exited during train"
repl_keys C-c
repl_wait '([Ii]nterrupt|[Ss]topped|Ctrl-C).*[0-9]|[0-9].*([Ii]nterrupt|[Ss]topped|Ctrl-C)' \
    "a message that train was interrupted, with the number of completed steps"
repl_wait_count '^bp> $' 1 "the prompt back after Ctrl-C"
# on one line of 80 columns even with the source's prefix (it wrapped,
# "...the parameters keep" / " them")
repl_screen | awk '/error: interrupted/ { if (length($0) > 80) bad = 1 } END { exit bad }' ||
    fail "the interrupt message is wider than 80 columns"
repl_alive "bp exited on Ctrl-C during train"
# The completed steps were kept (w moved towards 3), the rest intact.
repl_line 'print "moved", w > 1, w < 3, keep'
repl_wait '^moved 1 1 42$' "w updated by the completed steps; keep intact"
repl_line 'print "L", L < 4'
repl_wait '^L 1$' "L computed from the trained w"
repl_line 'quit'
st=$(repl_wait_exit)
[ "$st" = 0 ] || fail "exit status $st"
echo "PASS: Ctrl-C during train"
