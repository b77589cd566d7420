#!/bin/sh
# readme.sh: every README.md code block that claims to run does (issue 12).
#   ```bp          a script: runs with exit status 0 and nothing on stderr
#   ```bp-fails    a script meant to fail: a non-zero exit status and an error
#   ```bp-session  a transcript: the `bp> ` lines are run as one script, and
#                  the other lines (a `...` line stands for lines left out)
#                  must appear in its output in that order
# Blocks run in a copy of examples/ (moons.csv is there).  Other blocks
# (shell commands, output shown alone) are not bp's to run.
set -u
bp=${BP:?BP must name the bp binary}
src=${srcdir:-.}
case $bp in /*) ;; *) bp=$(pwd)/$bp ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$src"/examples/* "$tmp"/ || exit 99

# one file per block: block-N.KIND
awk -v dir="$tmp" '
    /^```bp(-fails|-session)?[ \t]*$/ { kind = substr($0, 6); sub(/[ \t]*$/, "", kind)
        if (kind == "") kind = "-run"; n++; f = sprintf("%s/block-%02d%s", dir, n, kind); inb = 1; next }
    /^```/ && inb { inb = 0; close(f); next }
    inb { print > f }
' "$src/README.md"

status=0 n=0
for f in "$tmp"/block-*; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    b=$(basename "$f")
    case $b in
    *-run)
        (cd "$tmp" && NO_COLOR=1 "$bp" -q "$f" >"$f.out" 2>"$f.err")
        code=$?
        if [ "$code" != 0 ] || [ -s "$f.err" ]; then
            echo "FAIL: README $b exits $code:"; sed 's/^/  /' "$f.err"; status=1
        fi ;;
    *-fails)
        (cd "$tmp" && NO_COLOR=1 "$bp" -q "$f" >"$f.out" 2>"$f.err")
        code=$?
        if [ "$code" = 0 ] || ! grep -q 'error' "$f.err"; then
            echo "FAIL: README $b is meant to fail but exits $code"; status=1
        fi ;;
    *-session)
        sed -n 's/^bp> //p' "$f" >"$f.bp"
        grep -v '^bp> ' "$f" | grep -v '^\$ bp$' >"$f.want"
        (cd "$tmp" && NO_COLOR=1 "$bp" -q "$f.bp" >"$f.out" 2>"$f.err")
        code=$?
        if [ "$code" != 0 ] || [ -s "$f.err" ]; then
            echo "FAIL: README $b exits $code:"; sed 's/^/  /' "$f.err"; status=1
        fi
        # the shown lines, in order, among the real ones ("..." skips)
        if ! awk 'NR == FNR { if ($0 !~ /^ *\.\.\. *$/) want[++nw] = $0; next }
                  k < nw && $0 == want[k + 1] { k++ }
                  END { if (k < nw) { print "  missing: " want[k + 1]; exit 1 } }' \
                "$f.want" "$f.out"; then
            echo "FAIL: README $b shows output bp does not print"; status=1
        fi ;;
    esac
done
[ "$n" -ge 3 ] || { echo "only $n runnable README blocks found"; exit 99; }
[ "$status" = 0 ] && echo "PASS: $n README blocks run as they say"
exit $status
