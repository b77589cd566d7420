#!/bin/sh
# run-errors.sh: runs the cases of tests/errors.test and reports each as
# one TAP result ("ok 3 - err_bad_char (tests/errors.test:27)"), for
# automake's tap-driver.sh, so make check counts and names every case.
#
#   sh tests/run-errors.sh tests/errors.test [NAME...]
#
# With NAMEs (shell patterns), only the cases so named run; ERRORS_ONLY in
# the environment does the same through make check:
#   ERRORS_ONLY='err_set_*' make check TESTS=tests/errors.test
# The format of a case is described at the top of tests/errors.test.  Each
# case runs in a fresh directory holding only its program (NAME.bp) and its
# %%FILEs, as `bp ARGS NAME.bp </dev/null` with NO_COLOR=1; ERRORS_CASE
# holds the case's name meanwhile (tests/hostile/valgrind.sh names its
# logs with it).  BP names the program; BP_WRAPPER, if set, is put before
# it (valgrind).  A malformed errors.test is a "Bail out!" naming the line.
set -u
file=${1:?usage: run-errors.sh FILE [NAME...]}
shift
if [ $# -eq 0 ] && [ -n "${ERRORS_ONLY:-}" ]; then
    set -f; set -- $ERRORS_ONLY; set +f    # patterns, not file names here
fi
bp=${BP:?BP must name the bp binary}
case $bp in /*) ;; *) bp=$(pwd)/$bp ;; esac
[ -r "$file" ] || { echo "Bail out! cannot read $file"; exit 1; }
where=$file
case $where in "${srcdir:-.}"/*) where=${where#"${srcdir:-.}"/} ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bp-errors.XXXXXX") || { echo "Bail out! mktemp failed"; exit 1; }
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# Split the file: case K goes to $tmp/K/ (run/NAME.bp, run/FILE..., out,
# err, code, args); $tmp/list gets "K NAME LINE" for each case in order.
LC_ALL=C awk -v dir="$tmp" -v where="$where" '
function bail(msg) { printf "Bail out! %s:%d: %s\n", where, NR, msg; bad = 1; exit 1 }
function to(f) { if (target != "") close(target); target = f; printf "" > target }
BEGIN { state = "outside"; n = 0; target = "" }
state == "outside" {
    if ($0 ~ /^%%TEST /) {
        name = substr($0, 8)
        if (name !~ /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/) bail("a case name is letters, digits, _ . - (got \"" name "\")")
        if (name in seen) bail("case " name " already defined at line " seen[name])
        seen[name] = NR; n++; files = 0
        case_dir = dir "/" n
        system("mkdir -p \"" case_dir "/run\"")
        print n, name, NR > (dir "/list")
        to(case_dir "/run/" name ".bp"); state = "inside"
        next
    }
    if ($0 ~ /^(#|$)/) next
    bail("outside a case only blank lines and # comments: expected %%TEST NAME")
}
/^%%/ {
    if ($0 == "%%STDOUT") { to(case_dir "/out"); next }
    if ($0 == "%%STDERR") { to(case_dir "/err"); next }
    if ($0 ~ /^%%ARGS /) { printf "%s\n", substr($0, 8) > (case_dir "/args"); close(case_dir "/args"); next }
    if ($0 ~ /^%%FILE /) {
        f = substr($0, 8)
        if (f !~ /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/ || f == name ".bp") bail("bad %%FILE name \"" f "\"")
        to(case_dir "/run/" f); next
    }
    if ($0 ~ /^%%EXIT [0-9]+$/) {
        printf "%s\n", substr($0, 8) > (case_dir "/code"); close(case_dir "/code")
        if (target != "") close(target)
        target = ""; state = "outside"; next
    }
    bail("unknown line \"" $0 "\" in case " name " (%%STDOUT, %%STDERR, %%ARGS, %%FILE NAME or %%EXIT N)")
}
{ print > target }
END {
    if (bad) exit 1
    if (state != "outside") { printf "Bail out! %s: case %s (line %d) has no %%%%EXIT line\n", where, name, seen[name]; exit 1 }
    if (n == 0) { printf "Bail out! %s: no cases\n", where; exit 1 }
}' "$file" || exit 1

# Keep the cases asked for.
if [ $# -gt 0 ]; then
    while read -r k name line; do
        for pat in "$@"; do
            # shellcheck disable=SC2254
            case $name in $pat) echo "$k $name $line"; break ;; esac
        done
    done <"$tmp/list" >"$tmp/want"
    mv "$tmp/want" "$tmp/list"
    [ -s "$tmp/list" ] || { echo "Bail out! no case of $where is named $*"; exit 1; }
fi

# Run them; a mismatch is followed by its diffs as TAP comments.
echo "1..$(wc -l <"$tmp/list" | tr -d ' ')"
i=0 failed=0
while read -r k name line; do
    i=$((i + 1))
    d=$tmp/$k
    args=""
    [ -f "$d/args" ] && args=$(cat "$d/args")
    [ -f "$d/out" ] || : >"$d/out"
    [ -f "$d/err" ] || : >"$d/err"
    # shellcheck disable=SC2086
    (cd "$d/run" && ERRORS_CASE=$name NO_COLOR=1 ${BP_WRAPPER:-} "$bp" $args "$name.bp" \
        </dev/null >"$d/got.out" 2>"$d/got.err")
    code=$?
    want_code=$(cat "$d/code")
    why=""
    [ "$code" = "$want_code" ] || why="exit status $code, expected $want_code"
    cmp -s "$d/out" "$d/got.out" || why="${why:+$why; }standard output differs"
    cmp -s "$d/err" "$d/got.err" || why="${why:+$why; }standard error differs"
    if [ -z "$why" ]; then
        echo "ok $i - $name ($where:$line)"
    else
        failed=$((failed + 1))
        echo "not ok $i - $name ($where:$line): $why"
        for s in out err; do
            cmp -s "$d/$s" "$d/got.$s" && continue
            echo "# std$s (- expected, + got):"
            diff -u "$d/$s" "$d/got.$s" | sed '1,2d; s/^/# /'
        done
    fi
done <"$tmp/list"
# The TAP driver judges by the results; the status is for a run by hand.
[ "$failed" -eq 0 ]
