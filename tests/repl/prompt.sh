#!/bin/sh
# The prompt: the banner (and -q without it), `bp> `, values printed,
# `bp -i FILE` staying interactive with the file's definitions, and
# `quit` / `exit` leaving with status 0.
. "${abs_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/repl/lib.sh"

# Without -q: a banner naming bp and how to get help, then the prompt.
repl_start
repl_wait '^bp> $' "the prompt bp> "
repl_screen | head -n 1 | grep -E -q '^bp [0-9][^ ]*: .*help' ||
    fail "the first line is not a banner 'bp VERSION: ... help ...'"
repl_line 'w = -3; x = 2; b = 1'
repl_line 'tanh(w*x + b)'
repl_wait '^-0\.9999092043$' "the value of tanh(w*x + b)"
repl_wait_count '^bp> ' 3 "a third prompt after the value"
repl_line 'quit'
st=$(repl_wait_exit)
[ "$st" = 0 ] || fail "quit: exit status $st, expected 0"

# -q: no banner; the very first line is the prompt.
repl_start -q
repl_wait '^bp> $' "the prompt bp> "
[ "$(repl_screen | head -n 1)" = "bp> " ] || fail "with -q the first line is not the prompt"
repl_line '6*7'
repl_wait '^42$' "the value 42"
repl_line 'exit'
st=$(repl_wait_exit)
[ "$st" = 0 ] || fail "exit: exit status $st, expected 0"

# -i FILE: the script runs, then the prompt, with its definitions.
printf 'a = 20\nf = a + 1\nprint "loaded", f\n' >"$T/init.bp"
repl_start -q -i "$T/init.bp"
repl_wait '^loaded 21$' "the output of the script given with -i"
repl_wait '^bp> $' "a prompt after the -i script"
repl_line 'a := 40'
repl_line 'f'
repl_wait '^41$' "f = a + 1 computed from the updated a"
repl_line 'quit'
st=$(repl_wait_exit)
[ "$st" = 0 ] || fail "quit after -i: exit status $st, expected 0"
echo "PASS: banner, prompt, -q, -i, quit, exit"
