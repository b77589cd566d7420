#!/bin/sh
# valgrind.sh: `make check-valgrind`.  Runs src/bp under Valgrind
#   valgrind $VALGRIND_FLAGS    (Makefile.am: -q --error-exitcode=99
#                                --leak-check=full --errors-for-leak-kinds=definite
#                                --show-leak-kinds=definite --child-silent-after-fork=yes)
# over every example, every tests/scripts/*.bp script (with its .args and
# .stdin), every case of tests/errors.test (whose expectations must hold
# too), the generated 10 000-statement session (gen-session.sh), and the
# small hostile cases (through lib.sh, so their assertions hold too).  Fails
# on any invalid access, use of uninitialised memory or "definitely lost"
# block.  The huge hostile cases (10^6 nodes, 10 MB lines) are left out:
# too slow under Valgrind; make check runs them natively.
#
# Environment: BP (the binary), srcdir; VALGRIND (default valgrind),
# VALGRIND_FLAGS (default as above).
set -u
# the products the goldens were made with (Makefile.am: under Valgrind's
# synthetic CPUID OpenBLAS would pick other kernels)
OPENBLAS_CORETYPE=Prescott; export OPENBLAS_CORETYPE
bp=${BP:?BP must name the bp binary}
case $bp in /*) ;; *) bp=$(pwd)/$bp ;; esac
top=$(cd "${srcdir:-.}" && pwd)
vg=${VALGRIND:-valgrind}
command -v "$vg" >/dev/null 2>&1 || { echo "check-valgrind: $vg not found (apt-get install valgrind)"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
vgflags=${VALGRIND_FLAGS:--q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --child-silent-after-fork=yes}
cat >"$tmp/bp-vg" <<EOS
#!/bin/sh
exec $vg $vgflags --log-file="$tmp/vg.%p" "$bp" "\$@"
EOS
# The error cases: one log per case, named by run-errors.sh's ERRORS_CASE.
# run-errors.sh puts BP_WRAPPER before "$BP": this wrapper gets bp itself
# as its first argument (given bp again, bp would read its own binary as
# the script).
mkdir "$tmp/vg-errors"
cat >"$tmp/bp-vg-errors" <<EOS
#!/bin/sh
exec $vg $vgflags --log-file="$tmp/vg-errors/vg.%q{ERRORS_CASE}.%p" "\$@"
EOS
chmod +x "$tmp/bp-vg" "$tmp/bp-vg-errors"

n=0 bad=0
verdict() {   # NAME STATUS
    n=$((n + 1))
    if [ "$2" = 99 ] || [ "$2" -gt 128 ] || grep -qs . "$tmp"/vg.*; then
        echo "FAIL: $1 (exit $2)"
        cat "$tmp"/vg.* 2>/dev/null | head -60
        bad=$((bad + 1))
    else
        echo "ok: $1"
    fi
    rm -f "$tmp"/vg.*
}

# examples and script tests, each from its own directory
for f in "$top"/examples/*.bp "$top"/tests/scripts/*.bp; do
    [ -f "$f" ] || continue
    d=$(dirname "$f"); b=$(basename "$f" .bp)
    args=""; [ -f "$d/$b.args" ] && args=$(cat "$d/$b.args")
    in=/dev/null; [ -f "$d/$b.stdin" ] && in=$d/$b.stdin
    rm -rf "$tmp/run"; mkdir "$tmp/run"; cp -R "$d"/. "$tmp/run"/ 2>/dev/null
    # shellcheck disable=SC2086
    (cd "$tmp/run" && NO_COLOR=1 "$tmp/bp-vg" $args "$b.bp") <"$in" >/dev/null 2>&1
    verdict "${f#"$top"/}" $?
done

# the error cases: a case fails on its TAP result or on a Valgrind log
BP=$bp BP_WRAPPER=$tmp/bp-vg-errors srcdir=$top \
    sh "$top/tests/run-errors.sh" "$top/tests/errors.test" >"$tmp/errors.tap" 2>&1
grep -q '^1\.\.' "$tmp/errors.tap" || { echo "FAIL: tests/errors.test:"; cat "$tmp/errors.tap"; bad=$((bad + 1)); }
sed -n 's/^ok [0-9]* - \([^ ]*\) .*/\1 ok/p; s/^not ok [0-9]* - \([^ ]*\) .*/\1 failed/p' \
    "$tmp/errors.tap" >"$tmp/errors.list"
while read -r name how; do
    st=0
    if [ "$how" = failed ]; then
        awk -v n="$name" '$1 == "not" && $5 == n { on = 1; print; next } on && /^#/ { print; next } { on = 0 }' \
            "$tmp/errors.tap"
        st=99
    fi
    mv "$tmp/vg-errors/vg.$name".* "$tmp"/ 2>/dev/null
    verdict "errors.test:$name" $st
done <"$tmp/errors.list"

# the generated session
sh "$top/tests/hostile/gen-session.sh" 1000 >"$tmp/session.bp"
(cd "$tmp" && "$tmp/bp-vg" session.bp) </dev/null >/dev/null 2>&1
verdict "gen-session.sh (10 000 statements)" $?

# the small hostile cases
for f in "$top"/tests/hostile/*.hostile; do
    name=$(basename "$f" .hostile)
    case $name in
    *100k*|*-2m|*1e6*|*1e4*|*10mb*|*20000*|*10000|*-40|print-many-items|pty-*|*3000|session-10000|load-dev-zero|*-dev-zero|load-huge-file|load-fifo|tensor-*|load-unreadable)
        continue ;;
    esac
    if sed 's/#.*//' "$top/tests/hostile/KNOWN_FAILING" | awk '{print $1}' | grep -qxF "$name"; then
        continue
    fi
    BP=$tmp/bp-vg MEM_MB=65536 HOSTILE_TIMEOUT=600 srcdir=$top sh "$f" >"$tmp/case.log" 2>&1
    st=$?
    if [ "$st" != 0 ]; then
        echo "FAIL: hostile/$name (see below)"; tail -20 "$tmp/case.log"
        bad=$((bad + 1)); n=$((n + 1)); rm -f "$tmp"/vg.*
    else
        verdict "hostile/$name" 0
    fi
done

echo "check-valgrind: $n runs, $bad failed"
[ "$bad" -eq 0 ]
