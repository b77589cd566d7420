#!/bin/sh
# Ctrl-C in the middle of a long save (a 10^6-entry tensor) at the prompt:
# the save stops, says so, removes its temporary file and leaves the old
# file byte-identical; the session goes on with its definitions, and a
# save after it works.
. "${abs_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/repl/lib.sh"

printf 'old = 1\n' >"$T/home/s.bp"
cp "$T/home/s.bp" "$T/orig"
repl_start -q
repl_wait '^bp> $'
repl_line 'W = randn(1000, 1000)'
repl_line 'k = 7'
repl_line 'save "s.bp"'
i=0
while [ -z "$(ls -A "$T/home" | grep -v -x s.bp)" ] && [ $i -lt 600 ]; do
    sleep 0.05
    i=$((i + 1))
done
[ $i -lt 600 ] || fail "no temporary file appeared within 30 s"
repl_keys C-c
repl_wait 'interrupted: s\.bp not written' "a message saying the save was interrupted"
repl_wait_count '^bp> $' 1 "the prompt back after Ctrl-C"
cmp -s "$T/home/s.bp" "$T/orig" || fail "s.bp changed by an interrupted save"
left=$(ls -A "$T/home" | grep -v -x s.bp)
[ -z "$left" ] || fail "files left behind: $left"
repl_line 'k + 1'
repl_wait '^8$' "the session intact after the interrupted save"
repl_line 'delete W'
repl_line 'save "s.bp"'
repl_line 'print "saved"'
repl_wait '^saved$'
grep -q '^k = 7$' "$T/home/s.bp" || fail "the save after the interrupted one did not write s.bp"
repl_line 'quit'
echo "PASS: Ctrl-C during save"
