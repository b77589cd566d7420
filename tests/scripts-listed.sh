#!/bin/sh
# Fails when a .bp test or example exists but tests/scripts.mk does not
# list it (run tests/gen-mk.sh).
cd "${srcdir:-.}" || exit 1
status=0
for f in tests/scripts/*.bp examples/*.bp; do
    [ -f "$f" ] || continue
    grep -q "	$f\( \|$\)" tests/scripts.mk || { echo "not listed in tests/scripts.mk: $f"; status=1; }
done
exit $status
