#!/bin/sh
# An error never ends the session and changes nothing: after a syntax
# error, an evaluation error, a refused definition and a failed update,
# the earlier definitions are intact and the next statement works.
. "${abs_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/repl/lib.sh"

repl_start -q
repl_wait '^bp> $'
repl_line 'w = 2'
repl_line 'f = w * 3'
repl_line 'f'
repl_wait '^6$' "f = 6"

# An evaluation error: located message, then a working statement.
repl_line 'log(-1)'
repl_wait 'error: log of a negative number' "the error message"
repl_wait '^ +\^' "a caret under the error"
repl_line 'f + 100'
repl_wait '^106$' "a statement after the error works, with f intact"

# A syntax error in a redefinition leaves the old definition.
repl_line 'f = w +* 2'
repl_wait_count 'error' 2 "the syntax error"
repl_line 'f + 200'
repl_wait '^206$' "f unchanged after a failed redefinition"

# A failed update leaves the parameter's value.
repl_line 'w := sqrt(-1)'
repl_wait_count 'error' 3 "the error of w := sqrt(-1)"
repl_line 'w + 300'
repl_wait '^302$' "w unchanged after a failed update"

# A cycle is refused and changes nothing.
repl_line 'w = f + 1'
repl_wait_count 'error' 4 "the error of a cyclic definition"
repl_line 'f + 400'
repl_wait '^406$' "f and w unchanged after a refused cycle"

repl_alive "bp exited after an error"
repl_line 'quit'
st=$(repl_wait_exit)
# Errors at the prompt do not make the session fail.
[ "$st" = 0 ] || fail "exit status $st after errors at the prompt, expected 0"
echo "PASS: errors at the prompt change nothing and end nothing"
