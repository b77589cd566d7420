#!/bin/sh
# The command line, where a golden script test cannot reach: piped
# standard input with no arguments, -i after -e with a pipe (its failure
# counts), option errors (exit 2, in --json too), long options, write
# errors on standard output (exit 1), a #!/usr/bin/env bp script, and
# save: byte-identical after a load, atomic when it cannot write.
set -u
: "${BP:?BP must name the bp binary (set by make check)}"
case $BP in /*) ;; *) BP=$(pwd)/$BP ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/bp-cli.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
export NO_COLOR=1 BP_HISTORY="$T/history" HOME="$T"
unset XDG_STATE_HOME
cd "$T" || exit 99
status=0
fail() { echo "FAIL: $*"; status=1; }

# run CODE OUT ERR-PATTERN [INPUT] -- ARGS: run bp with INPUT on stdin;
# check exit status and stdout exactly, stderr against a pattern ('' =
# must be empty).
run() {
    want_code=$1 want_out=$2 want_err=$3 input=$4
    shift 5
    printf '%s' "$input" >"$T/in"
    "$BP" "$@" <"$T/in" >"$T/out" 2>"$T/err"
    code=$?
    what="bp $*"
    [ "$code" = "$want_code" ] || fail "$what: exit status $code, expected $want_code"
    [ "$(cat "$T/out")" = "$want_out" ] ||
        fail "$what: stdout [$(cat "$T/out")], expected [$want_out]"
    if [ -z "$want_err" ]; then
        [ -s "$T/err" ] && fail "$what: unexpected stderr [$(cat "$T/err")]"
    else
        grep -E -q -e "$want_err" "$T/err" ||
            fail "$what: stderr [$(cat "$T/err")] does not match /$want_err/"
    fi
}
nl='
'

# cmd | bp: a script from stdin; no banner, no prompt.
run 0 "3${nl}30" '' "x = 3${nl}x${nl}x * 10${nl}" --
# ... that stops at its first error, exit 1.
run 1 "3" '^<stdin>:3:1: error: log of a negative number' \
    "x = 3${nl}x${nl}log(-1)${nl}x * 10${nl}" --
# An empty script is fine.
run 0 "" '' "" --
# cmd | bp -: the same.
run 0 "4" '' "2 + 2${nl}" -- -
# A statement left open at the end of input is a syntax error.
run 1 "" 'error: .*end of input' "f = (1 +${nl}" --

# -i with a pipe: -e first, then stdin in the same session.
run 0 "5${nl}6" '' "y${nl}y + 1${nl}" -- -i -e y=5
# ... and a failing piped script still counts (SPEC 5: exit 1), the
# statements before its error run, those after it too (it is a REPL).
run 1 "5" '^<stdin>:1:1: error: log of a negative number' "log(-1)${nl}y${nl}" -- -i -e y=5
run 1 "" 'error: .*end of input' "f = (1 +${nl}" -- -i -e y=5
# Long options.
run 0 "12" '' "" -- --eval=3*4
run 0 "7" '' "" -- --quiet --eval 7
run 0 "8" '' "z + 1${nl}" -- --interactive --eval z=7
run 0 '{"value": 9}' '' "" -- --json -e 4+5

# Usage errors: exit 2, a message, the pointer to --help, nothing run.
run 2 "" "option requires an argument -- 'e'" "" -- -e
run 2 "" "Try 'bp --help'" "" -- -e
run 2 "" "invalid option -- 'Z'" "" -- -Z -e 1
run 2 "" "'--json' doesn't allow an argument" "" -- --json=yes -e 1
run 2 "" "unrecognized option '--frobnicate'" "" -- --frobnicate
# In --json the command line's errors are JSON objects too, with a kind.
run 2 "{\"error\": \"unrecognized option '--frobnicate'\", \"kind\": \"usage\"}" \
    "^bp: unrecognized option '--frobnicate'" "" -- --frobnicate --json
run 2 "{\"error\": \"option requires an argument -- 'e'\", \"kind\": \"usage\"}" \
    "Try 'bp --help'" "" -- --json -e
run 2 "{\"error\": \"cannot open no-such.bp: No such file or directory\", \"kind\": \"file\"}" \
    "^bp: cannot open no-such.bp" "" -- --json no-such.bp
# Errors of statements say their kind; one in a loaded file keeps its own.
printf 'x = 1\nsqrt(-1)\n' >"$T/bad-load.bp"
run 1 '{"error": "sqrt of a negative number", "kind": "domain", "line": 2, "col": 1}' \
    'bad-load.bp:2:1: error: sqrt of a negative number' "" -- --json -e 'load "bad-load.bp"'
run 1 '{"error": "undefined_q is not defined", "kind": "name", "line": 1, "col": 1}' \
    'error: undefined_q is not defined' "" -- --json -e 'undefined_q'
# Unique prefixes of long options work, as in GNU programs.
run 0 "$("$BP" --version </dev/null)" '' "" -- --vers
# --help and --version on stdout, exit 0, before anything runs.
run 0 "$("$BP" --help </dev/null)" '' "" -- -e 'print "no"' --help
case $(cat "$T/out") in "Usage: bp "*) ;; *) fail "--help does not start with 'Usage: bp '" ;; esac
for opt in -e --eval -i --interactive -q --quiet --json -h --help -V --version; do
    grep -q -e "$opt" "$T/out" || fail "--help does not mention $opt"
done

# A closed pipe (bp ... | head -1): exit 1 and a message, not death by
# SIGPIPE (status 141), and a long train stops at once instead of running
# on; a printing script stops too.
( "$BP" -e 'x = 1' -e 'train x 0.1 100000000' 2>"$T/err"; echo $? >"$T/code" ) | head -1 >/dev/null
[ "$(cat "$T/code")" = 1 ] || fail "bp | head: exit status $(cat "$T/code"), expected 1"
grep -q 'cannot write to standard output' "$T/err" || fail "bp | head: stderr [$(cat "$T/err")]"
i=0
while [ $i -lt 20000 ]; do echo 'print "a line of output"'; i=$((i + 1)); done >"$T/prints.bp"
echo 'save "after-pipe.bp"' >>"$T/prints.bp"
( "$BP" "$T/prints.bp" 2>"$T/err"; echo $? >"$T/code" ) | head -1 >/dev/null
[ "$(cat "$T/code")" = 1 ] || fail "a printing script | head: exit status $(cat "$T/code"), expected 1"
[ ! -e "$T/after-pipe.bp" ] || fail "the script went on after its pipe closed"
rm -f "$T/after-pipe.bp" "$T/prints.bp" "$T/code"

# A write error on standard output (a full disk): exit 1 and a message,
# for -e, for a script (which stops: the save after the prints never runs)
# and for --help; in --json too.
if [ -w /dev/full ]; then
    for args in "-e|print 1" "--json|-e|print 1" "--help" "--version"; do
        IFS='|'; set -- $args; unset IFS
        "$BP" "$@" </dev/null >/dev/full 2>"$T/err"; code=$?
        [ "$code" = 1 ] || fail "bp $* >/dev/full: exit status $code, expected 1"
        grep -q '^bp: error: cannot write to standard output: No space left on device$' "$T/err" ||
            fail "bp $* >/dev/full: stderr [$(cat "$T/err")]"
        [ "$(grep -c 'cannot write' "$T/err")" = 1 ] ||
            fail "bp $* >/dev/full: the write error reported more than once [$(cat "$T/err")]"
    done
    i=0
    while [ $i -lt 20000 ]; do echo 'print "a line of output"'; i=$((i + 1)); done >"$T/prints.bp"
    echo 'save "after-prints.bp"' >>"$T/prints.bp"
    "$BP" "$T/prints.bp" </dev/null >/dev/full 2>"$T/err"; code=$?
    [ "$code" = 1 ] || fail "a printing script >/dev/full: exit status $code, expected 1"
    [ ! -e "$T/after-prints.bp" ] || fail "the script went on after its output failed"
    rm -f "$T/after-prints.bp" "$T/prints.bp"
    # the REPL's piped form, and a check that fails besides
    printf 'print 1\n' | "$BP" -i -e 'x = 1' >/dev/full 2>"$T/err"; code=$?
    [ "$code" = 1 ] || fail "bp -i >/dev/full: exit status $code, expected 1"
fi

# A #!/usr/bin/env bp script is executable.
printf '#!/usr/bin/env bp\n# a script\nprint "shebang", 1 + 1\n' >"$T/run-me.bp"
chmod +x "$T/run-me.bp"
out=$(PATH="$(dirname "$BP"):$PATH" "$T/run-me.bp" </dev/null 2>&1)
[ "$out" = "shebang 2" ] || fail "#!/usr/bin/env bp script: [$out], expected [shebang 2]"

# save; load it in a new session; save again: the same bytes.
cat >"$T/session.bp" <<'EOS'
const c = 3
w = -3; x = 2; b = 1
sq(t) = t^2
f = tanh(w*x + b)
g = sq(w) + c + f
z = 0.1 + 0.2
w := 0.5
save "one.bp"
EOS
run 0 "" '' "" -- session.bp
run 0 "" '' "" -- -e 'load "one.bp"' -e 'save "two.bp"'
cmp -s one.bp two.bp || fail "save after load is not byte-identical: $(diff one.bp two.bp)"
run 0 "$("$BP" -e 'load "one.bp"' -e 'print f, g, z' </dev/null)" '' "" -- \
    -e 'load "two.bp"' -e 'print f, g, z'

# save where it cannot write: an error (exit 1), nothing left behind.
run 1 "" "error: cannot write" "" -- -e 'x = 1' -e 'save "one.bp/x.bp"'
# save onto a directory: the temporary file is written, the rename fails;
# the error is reported and the temporary file removed.
mkdir adir
run 1 "" "error: cannot write" "" -- -e 'x = 1' -e 'save "adir"'
[ -d adir ] || fail "save onto a directory removed it"
left=$(ls | grep -v -x -e one.bp -e two.bp -e session.bp -e run-me.bp \
    -e adir -e in -e out -e err -e bad-load.bp)
[ -z "$left" ] || fail "a failed save left files: $left"

[ $status = 0 ] && echo "PASS: command line"
exit $status
