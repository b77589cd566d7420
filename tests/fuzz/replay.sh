#!/bin/sh
# replay.sh: run every fuzz corpus file and crash reproducer through src/bp
# as a script.  Each must end by itself within FUZZ_REPLAY_TIMEOUT seconds
# (default 30) with status 0 or 1 (never a signal, never 2 or 3), and with
# no sanitizer report on stderr (for --enable-asan/--enable-ubsan builds).
#
# A file named in tests/fuzz/KNOWN_FAILING (path relative to tests/fuzz,
# e.g. regress/crash-load-self.bp) is an open bug: its failure is
# reported as XFAIL and does not fail the test, but its passing does
# (XPASS: remove it from the list), so the list cannot rot.  An entry
# tagged `sanitizer` (undefined behaviour only a sanitizer sees) may fail
# only in a sanitizer build; in a plain build it must pass.
#
# Environment: BP (the binary) and srcdir come from Makefile.am.
set -u
bp=${BP:?BP must name the bp binary}
case $bp in /*) ;; *) bp=$(pwd)/$bp ;; esac
top=$(cd "${srcdir:-.}" && pwd)
dir=$top/tests/fuzz
limit=${FUZZ_REPLAY_TIMEOUT:-30}

# Keep a runaway input from taking the machine: 4 GiB of address space,
# unless bp is built with a sanitizer (which reserves far more).
if ! grep -q __asan_init "$bp" 2>/dev/null; then
    ulimit -v 4194304 2>/dev/null || true
fi

sanitized=no
grep -q '__asan_init\|__ubsan_handle' "$bp" 2>/dev/null && sanitized=yes

# known PATH: prints "always" or "sanitizer" for a listed path, else nothing
# (the list is read once: no process per file)
known_list=$(sed 's/#.*//' "$dir/KNOWN_FAILING" 2>/dev/null |
    awk 'NF { print $1 " " ($2 == "" ? "always" : $2) }')
known() {
    case "
$known_list
" in
    *"
$1 always
"*) echo always ;;
    *"
$1 sanitizer
"*) echo sanitizer ;;
    esac
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 bad=0 xfail=0
for f in "$dir"/corpus/* "$dir"/regress/*; do
    [ -f "$f" ] || continue
    rel=${f#"$dir"/}
    case $rel in *README*|*.txt) continue ;; esac
    n=$((n + 1))
    rm -rf "$tmp/run"; mkdir "$tmp/run"
    (cd "$tmp/run" && exec timeout -k 5 "$limit" "$bp" "$f") \
        </dev/null >/dev/null 2>"$tmp/err"
    code=$?
    why=""
    case $code in
    0|1) ;;
    124|137) why="did not finish within ${limit}s" ;;
    *) if [ "$code" -gt 128 ]; then why="killed by signal $((code - 128))"
       else why="exit status $code (want 0 or 1)"; fi ;;
    esac
    if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$tmp/err"; then
        why="${why:+$why; }sanitizer report"
    fi
    k=$(known "$rel")
    if [ "$k" = sanitizer ] && [ "$sanitized" = yes ]; then
        [ -n "$why" ] && { echo "XFAIL: $rel: $why (listed in KNOWN_FAILING)"; xfail=$((xfail + 1)); }
    elif [ "$k" = always ]; then
        if [ -n "$why" ]; then
            echo "XFAIL: $rel: $why (listed in KNOWN_FAILING)"
            xfail=$((xfail + 1))
        else
            echo "XPASS: $rel now passes: remove it from tests/fuzz/KNOWN_FAILING"
            bad=$((bad + 1))
        fi
    elif [ -n "$why" ]; then
        echo "FAIL: $rel: $why"
        sed -n '1,20p' "$tmp/err"
        bad=$((bad + 1))
    fi
done
echo "replayed $n inputs: $bad failed, $xfail known failures"
[ "$n" -gt 0 ] || { echo "FAIL: no corpus found in $dir"; exit 1; }
[ "$bad" -eq 0 ]
