#!/bin/sh
# History across sessions: the up arrow recalls the previous session's
# lines; each line is appended as it is entered (a closed terminal loses
# none) and the file kept to its last 1000 lines; the file is
# $BP_HISTORY, else $XDG_STATE_HOME/bp/history, else ~/.bp_history; an
# unwritable history file is a warning, not a failure.
. "${abs_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/repl/lib.sh"

# Session 1 (left with quit).
repl_start -q
repl_wait '^bp> $'
repl_line 'hw = 123'
repl_line 'hw + 0.5'
repl_wait '^123\.5$'
repl_line 'quit'
st=$(repl_wait_exit)
[ "$st" = 0 ] || fail "session 1: exit status $st"
[ -f "$HIST" ] || fail "no history file written at \$BP_HISTORY"
grep -q -x 'hw + 0.5' "$HIST" || fail "'hw + 0.5' is not in the history file"

# Session 2 (left with Ctrl-D): up arrow shows session 1's last lines.
repl_start -q
repl_wait '^bp> $'
repl_keys Up
repl_wait '^bp> quit$' "the up arrow recalling 'quit'"
repl_keys Up
repl_wait '^bp> hw \+ 0\.5$' "a second up arrow recalling 'hw + 0.5'"
# The recalled line runs (in this session hw is not defined: define it).
repl_keys C-a
repl_type 'hw = 1; '
repl_keys Enter
repl_wait '^1\.5$' "the recalled, edited line run"
repl_line 'second = 2'
repl_keys C-d
st=$(repl_wait_exit)
[ "$st" = 0 ] || fail "session 2 (Ctrl-D): exit status $st"

# Only the new lines were appended: session 1's lines appear once.
n=$(grep -c -x 'hw = 123' "$HIST")
[ "$n" = 1 ] || { cat "$HIST"; fail "'hw = 123' is $n times in the history file, expected once"; }
grep -q -x 'second = 2' "$HIST" || { cat "$HIST"; fail "session 2's line was not appended"; }
grep -q -x 'hw = 1; hw + 0.5' "$HIST" || { cat "$HIST"; fail "the edited line was not appended"; }

# Without BP_HISTORY: $XDG_STATE_HOME/bp/history.
mkdir "$T/state"
REPL_ENV="$REPL_ENV XDG_STATE_HOME=$T/state"
REPL_ENV=$(printf '%s' "$REPL_ENV" | sed "s| BP_HISTORY=[^ ]*||")
repl_start -q
repl_wait '^bp> $'
repl_line 'xdg = 1'
repl_line 'quit'
repl_wait_exit >/dev/null
grep -q -x 'xdg = 1' "$T/state/bp/history" ||
    fail "no \$XDG_STATE_HOME/bp/history with the session's line"
[ ! -e "$HIST" ] || ! grep -q xdg "$HIST" || fail "BP_HISTORY used although unset"

# Without either: ~/.bp_history.
REPL_ENV=$(printf '%s' "$REPL_ENV" | sed "s| XDG_STATE_HOME=[^ ]*||")
repl_start -q
repl_wait '^bp> $'
repl_line 'home = 1'
repl_line 'quit'
repl_wait_exit >/dev/null
grep -q -x 'home = 1' "$T/home/.bp_history" || fail "no ~/.bp_history with the session's line"

# An unwritable history file: a warning, exit status 0.
REPL_ENV="$REPL_ENV BP_HISTORY=$T/no/such/dir/history"
repl_start -q
repl_wait '^bp> $'
repl_line 'nowhere = 1'
repl_line 'nowhere + 1'
repl_wait '^2$' "the session working although history cannot be saved"
repl_line 'quit'
st=$(repl_wait_exit)
[ "$st" = 0 ] || fail "unwritable history: exit status $st, expected 0"
repl_wait 'warning' "a warning that history cannot be saved"

# Saved as each line is entered: in the file while bp still runs, and
# kept when the terminal closes under it (tmux killed: SIGHUP, no quit).
REPL_ENV="HOME=$T/home BP_HISTORY=$HIST NO_COLOR=1 INPUTRC=$T/inputrc LC_ALL=C"
repl_start -q
repl_wait '^bp> $'
repl_line 'live = 41'
repl_line 'live + 1'
repl_wait '^42$'
repl_alive "bp exited"
grep -q -x 'live + 1' "$HIST" || { cat "$HIST"; fail "'live + 1' not in the history file while bp runs"; }
repl_line 'unfinished = (1 +'
repl_wait '^\.\.> $'
repl_stop    # the terminal closes
sleep 0.2
grep -q -x 'live = 41' "$HIST" || { cat "$HIST"; fail "'live = 41' lost when the terminal closed"; }
grep -q -x 'unfinished = (1 +' "$HIST" ||
    { cat "$HIST"; fail "the first line of an unfinished statement lost when the terminal closed"; }

# Trimmed to the last 1000 lines, the newest kept.
i=0
while [ $i -lt 1500 ]; do echo "old_$i = $i"; i=$((i + 1)); done >"$HIST"
repl_start -q
repl_wait '^bp> $'
repl_line 'newest = 1'
repl_line 'quit'
repl_wait_exit >/dev/null
n=$(wc -l <"$HIST")
[ "$n" -le 1000 ] || fail "the history file has $n lines, expected at most 1000"
[ "$(tail -n 1 "$HIST")" = quit ] || fail "the last history line is '$(tail -n 1 "$HIST")', expected quit"
grep -q -x 'newest = 1' "$HIST" || fail "the new line is not in the trimmed history"
grep -q -x 'old_1499 = 1499' "$HIST" || fail "the newest old line was trimmed away"
! grep -q -x 'old_0 = 0' "$HIST" || fail "the oldest line was kept: the file was not trimmed"
echo "PASS: history across sessions"
