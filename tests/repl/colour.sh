#!/bin/sh
# Colour in a terminal only: an error at the prompt is coloured when
# NO_COLOR is unset, and plain with NO_COLOR=1 or when output is a pipe.
. "${abs_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/repl/lib.sh"

esc=$(printf '\033')
# Does the screen (with attributes) show a colour (SGR 30-37, 90-97, 38)?
coloured() {
    $TMUX_CMD capture-pane -p -e -S - -t bp |
        grep -q "$esc\\[\\([0-9]*;\\)*\\(3[0-8]\\|9[0-7]\\)\\(;[0-9]*\\)*m"
}

# A terminal, no NO_COLOR: colour.
NOCOL_ENV=$REPL_ENV
REPL_ENV=$(printf '%s' "$REPL_ENV" | sed 's| NO_COLOR=1||')
repl_start -q
repl_wait '^bp> $'
repl_line 'log(-1)'
repl_wait 'error: log of a negative number'
coloured || fail "no colour in an error shown in a terminal without NO_COLOR"
repl_line 'quit'
repl_wait_exit >/dev/null

# NO_COLOR=1: none.
REPL_ENV=$NOCOL_ENV
repl_start -q
repl_wait '^bp> $'
repl_line 'log(-1)'
repl_wait 'error: log of a negative number'
coloured && fail "colour in the terminal although NO_COLOR=1"
repl_line 'quit'
repl_wait_exit >/dev/null

# Output to a pipe (terminal on stdin, no NO_COLOR): none.
printf '#!/bin/sh\n"$1" -e "log(-1)" 2>&1 | cat\necho "status $?"\n' >"$T/pipe.sh"
REPL_ENV=$(printf '%s' "$REPL_ENV" | sed 's| NO_COLOR=1||')
BP_SAVED=$BP
BP=/bin/sh
repl_start "$T/pipe.sh" "$BP_SAVED"
BP=$BP_SAVED
repl_wait 'error: log of a negative number'
repl_wait '^status'
coloured && fail "colour in output to a pipe"
echo "PASS: colour only in a terminal, never with NO_COLOR"
