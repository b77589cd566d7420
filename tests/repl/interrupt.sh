#!/bin/sh
# Ctrl-C on a half-typed line gives a fresh prompt and runs nothing;
# Ctrl-C inside a continued statement drops the whole statement; the
# session keeps its definitions; Ctrl-D on an empty line quits (status 0).
. "${abs_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/repl/lib.sh"

repl_start -q
repl_wait '^bp> $'
repl_line 'k = 5'
repl_line 'g = k * 2'

# A half-typed line: Ctrl-C, a fresh prompt, the line not run.
repl_type 'k := 999'
repl_wait '^bp> k := 999$'
repl_keys C-c
repl_wait_count '^bp> $' 1 "a fresh, empty prompt after Ctrl-C"
repl_alive "bp exited on Ctrl-C"
repl_line 'g + 1000'
repl_wait '^1010$' "k and g intact after Ctrl-C (k := 999 not run)"

# Inside a continued statement: Ctrl-C drops it, back to bp>.
repl_line 'h = (k +'
repl_wait '^\.\.> $' "the continuation prompt"
repl_keys C-c
repl_wait_count '^bp> $' 1 "the bp> prompt (not ..>) after Ctrl-C"
repl_line 'k + 2000'
repl_wait '^2005$' "a new statement after Ctrl-C in a continuation"
repl_line 'show h'
repl_wait 'error' "h must not be defined by the abandoned statement"

# Ctrl-D on an empty line quits with status 0.
repl_keys C-d
st=$(repl_wait_exit)
[ "$st" = 0 ] || fail "Ctrl-D: exit status $st, expected 0"
echo "PASS: Ctrl-C and Ctrl-D"
