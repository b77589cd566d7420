#!/bin/sh
# Ctrl-D in the middle of a multi-line statement asks before dropping it
# (SPEC 5): "n" goes back to the statement, kept and finishable; "y" (or a
# second Ctrl-D) quits, status 0; on an empty line Ctrl-D still quits at once.
. "${abs_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/repl/lib.sh"

ASK='^drop the unfinished statement \(([0-9]+) lines?, from line [0-9]+\) and quit\? \[y/N\] '

repl_start -q
repl_wait '^bp> $'
repl_line 'h = (1 +'
repl_line '2 +'
repl_wait_count '^\.\.> ' 2 "the continuation prompt"
repl_keys C-d
repl_wait "$ASK" "the question before dropping the statement"
repl_wait '\(2 lines, from line 1\)' "the question saying what would be dropped"
repl_alive "bp quit on Ctrl-D inside a statement without asking"
# No: back to the statement, which is finished and runs.
repl_line 'n'
repl_wait_count '^\.\.> ' 3 "the continuation prompt again after 'n'"
repl_line '3)'
repl_line 'h * 10'
repl_wait '^60$' "the kept statement finished (h = 1 + 2 + 3)"
# and no blank lines: not before the question, not after each later line
# (Readline's own newline after Ctrl-D, with bracketed paste, stayed on)
repl_screen | awk '/^\.\.> 2 \+$/ { getline n; if (n !~ /^\.\.> *$/) bad = 1 }
    /^\.\.> *$/ { getline n; if (n !~ /^drop/) bad = 1 }
    /^bp> h \* 10$/ { getline n; if (n != "60") bad = 1 } END { exit bad }' ||
    fail "a blank line where none should be, once Ctrl-D was pressed"

# Yes: quits (status 0), the statement dropped.
repl_line 'g = [1,'
repl_wait '^\.\.> $'
repl_keys C-d
repl_wait_count "$ASK" 2 "the question a second time"
repl_line 'y'
st=$(repl_wait_exit)
[ "$st" = 0 ] || fail "'y': exit status $st, expected 0"

# Ctrl-D at the question quits too (a terminal that is gone).
repl_start -q
repl_wait '^bp> $'
repl_line 'k = max(1,'
repl_wait '^\.\.> $'
repl_keys C-d
repl_wait "$ASK" "the question"
repl_keys C-d
st=$(repl_wait_exit)
[ "$st" = 0 ] || fail "Ctrl-D twice: exit status $st, expected 0"

# On an empty line (no statement begun) Ctrl-D quits without a question.
repl_start -q
repl_wait '^bp> $'
repl_line 'x = 1'
repl_keys C-d
st=$(repl_wait_exit)
[ "$st" = 0 ] || fail "Ctrl-D on an empty line: exit status $st, expected 0"
repl_absent "$ASK" "a question although no statement was begun"
echo "PASS: Ctrl-D inside a statement asks"
