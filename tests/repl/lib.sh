# lib.sh: drive the real bp REPL through a pseudo-terminal (tmux).
# Sourced by the tests in this directory; POSIX sh.
#
#   repl_start [BP-ARGS...]   start bp in a fresh pane (own tmux server),
#                             in the directory $T/home
#   repl_keys KEYS...         tmux send-keys (Enter, Tab, C-c, C-d, Up ...)
#   repl_type TEXT            type TEXT literally (no key names)
#   repl_line TEXT            type TEXT, then Enter
#   repl_wait REGEX [WHAT]    poll the screen until a line matches (grep -E)
#   repl_wait_count REGEX N   ... until at least N lines match
#   repl_absent REGEX [WHAT]  fail if a screen line matches
#   repl_wait_exit            wait until bp has exited; prints its status
#   repl_alive [WHAT]         fail if bp has exited
#   repl_screen               the screen and its scrollback, as text
#                             (trailing spaces kept)
#   fail MESSAGE              print the screen and exit 1
#
# Each test gets a private temporary directory $T (removed at exit), an
# empty HOME and history file $HIST (BP_HISTORY), NO_COLOR=1, an empty
# inputrc, and a tmux server of its own started with no user config, so
# neither the user's history nor their tmux or readline settings matter.
# $REPL_ENV is bp's environment: a test may edit it before repl_start.
# A wait polls every 50 ms up to $REPL_TIMEOUT seconds (default 10): a
# passing test waits only as long as bp needs.

set -u
: "${BP:?BP must name the bp binary (set by make check)}"
case $BP in /*) ;; *) BP=$(pwd)/$BP ;; esac

if ! command -v tmux >/dev/null 2>&1; then
    echo "SKIP: tmux is not installed"
    exit 77
fi

REPL_TIMEOUT=${REPL_TIMEOUT:-10}
T=$(mktemp -d "${TMPDIR:-/tmp}/bp-repl.XXXXXX") || exit 99
HIST=$T/history
: >"$T/inputrc"
mkdir "$T/home"
cat >"$T/tmux.conf" <<'EOF'
set -g remain-on-exit on
set -g status off
set -g default-terminal screen
set -g history-limit 2000
set -g default-shell /bin/sh
EOF
# One tmux server per session (socket sock.N), so a new session never
# meets the previous server while it shuts down.
REPL_SESSIONS=0
REPL_STATUS=$T/status.0
TMUX_CMD="tmux -f $T/tmux.conf -S $T/sock.0"
unset TMUX
trap 'repl_stop; rm -rf "$T"' EXIT
trap 'exit 1' HUP INT PIPE TERM
# The environment bp runs with; tests may change it before repl_start.
REPL_ENV="HOME=$T/home BP_HISTORY=$HIST NO_COLOR=1 INPUTRC=$T/inputrc LC_ALL=C"

# Quote one argument for the shell tmux runs the command with.
shquote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

repl_stop() { $TMUX_CMD kill-server >/dev/null 2>&1; }

repl_start() {
    repl_stop   # the previous session's server, if any
    REPL_SESSIONS=$((REPL_SESSIONS + 1))
    REPL_PROMPTS=0
    TMUX_CMD="tmux -f $T/tmux.conf -S $T/sock.$REPL_SESSIONS"
    # The pane runs sh, which runs bp and then writes bp's exit status to
    # $T/status.N (tmux's own #{pane_dead_status} can lag behind the
    # pane's death).  `trap : INT` lets sh outlive a Ctrl-C meant for bp;
    # bp starts with SIGINT at its default disposition all the same.
    REPL_STATUS=$T/status.$REPL_SESSIONS
    cmd="env -u XDG_STATE_HOME -u BP_HISTORY $REPL_ENV $(shquote "$BP")"
    for a in "$@"; do cmd="$cmd $(shquote "$a")"; done
    cmd="trap : INT; $cmd; echo \$? >$REPL_STATUS.tmp; mv $REPL_STATUS.tmp $REPL_STATUS"
    $TMUX_CMD new-session -d -c "$T/home" -x 100 -y 40 -s bp "$cmd" ||
        { echo "FAIL: cannot start tmux"; exit 1; }
}

repl_keys() { $TMUX_CMD send-keys -t bp "$@"; }
repl_type() { $TMUX_CMD send-keys -t bp -l -- "$1"; }
# repl_line waits first (softly: at most REPL_TIMEOUT, then it types
# anyway) until bp is reading again: a prompt more than when the last line
# was sent, or a question ("... [y/N] ").  Typed while bp is still busy,
# the text would be echoed by the terminal before the prompt
# ("f = (w +bp> f = (w +") on a loaded machine.
REPL_PROMPTS=0
repl_prompts() { repl_screen | grep -E -c -e '(bp|\.\.)> '; }
repl_ready() {
    end=$(( $(date +%s) + REPL_TIMEOUT ))
    while :; do
        n=$(repl_prompts)
        [ "$n" -gt "$REPL_PROMPTS" ] && break
        repl_screen | grep -v -E '^ *$' | tail -n 1 | grep -E -q '\] $' && break
        [ "$(date +%s)" -gt "$end" ] && break
        sleep 0.05
    done
    REPL_PROMPTS=$n
}
repl_line() { repl_ready; repl_type "$1"; repl_keys Enter; }
repl_screen() { $TMUX_CMD capture-pane -p -N -S - -t bp; }

# (On stderr: fail may run inside $(...).)
fail() {
    {
        echo "FAIL: $*"
        echo "---- screen ----"
        repl_screen
        echo "----------------"
    } >&2
    exit 1
}

# repl_wait_count REGEX N [WHAT]: at least N screen lines match REGEX.
repl_wait_count() {
    end=$(( $(date +%s) + REPL_TIMEOUT ))
    while :; do
        n=$(repl_screen | grep -E -c -e "$1")
        [ "$n" -ge "$2" ] && return 0
        [ "$(date +%s)" -gt "$end" ] &&
            fail "timed out waiting for ${3:-$2 lines matching /$1/} (have $n)"
        sleep 0.05
    done
}

repl_wait() { repl_wait_count "$1" 1 "${2:-a line matching /$1/}"; }

# The screen has no line matching REGEX.
repl_absent() {
    if repl_screen | grep -E -q -e "$1"; then fail "${2:-unexpected line /$1/}"; fi
}

# Wait until bp has exited; print its exit status (>128: killed by a
# signal).
repl_wait_exit() {
    end=$(( $(date +%s) + REPL_TIMEOUT ))
    until [ -f "$REPL_STATUS" ]; do
        [ "$(date +%s)" -gt "$end" ] && fail "timed out waiting for bp to exit"
        sleep 0.05
    done
    cat "$REPL_STATUS"
}

# bp has not exited.
repl_alive() {
    [ ! -f "$REPL_STATUS" ] || fail "${1:-bp exited} (status $(cat "$REPL_STATUS"))"
}
