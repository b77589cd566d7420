#!/bin/sh
# A statement left incomplete (open parenthesis or bracket, trailing
# operator or comma) shows the continuation prompt `..> ` and is run as
# one statement when completed.
. "${abs_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/repl/lib.sh"

repl_start -q
repl_wait '^bp> $'
repl_line 'w = 5'
repl_line 'f = (w +'
repl_wait '^\.\.> $' "the continuation prompt ..> after 'f = (w +'"
repl_absent 'error' "'f = (w +' reported an error instead of continuing"
repl_line '1)'
repl_wait '^\.\.> 1\)$' "the continued line shown after ..>"
repl_wait_count '^bp> ' 3 "the prompt back after the statement is complete"
repl_line 'f'
repl_wait '^6$' "f = (w + 1) = 6"

# A trailing operator continues too, over several lines.
repl_line 'g = f *'
repl_wait_count '^\.\.> ' 2 "the continuation prompt after a trailing *"
repl_line '10 +'
repl_wait_count '^\.\.> ' 3 "the continuation prompt after a trailing +"
repl_line '3'
repl_line 'g'
repl_wait '^63$' "g = f * 10 + 3 = 63"

# A comma inside a print continues.
repl_line 'print "sum",'
repl_wait_count '^\.\.> ' 4 "the continuation prompt after a trailing comma"
repl_line 'g + f'
repl_wait '^sum 69$' "the continued print"

# The line after a completed continuation gets the normal prompt again.
[ "$(repl_screen | grep -v '^$' | tail -n 1)" = "bp> " ] ||
    fail "the last line is not a fresh bp> prompt"
repl_line 'quit'
st=$(repl_wait_exit)
[ "$st" = 0 ] || fail "exit status $st"
echo "PASS: continuation prompt"
