#!/bin/sh
# Fails when a .bp test or example exists but tests/scripts.mk does not
# list it (run tests/gen-mk.sh), or when an expectation file (.out, .err,
# .code, .args, .stdin) has no script beside it, left behind by a test
# removed or moved into tests/errors.test.
cd "${srcdir:-.}" || exit 1
status=0
for f in tests/scripts/*.bp examples/*.bp; do
    [ -f "$f" ] || continue
    grep -q "	$f\( \|$\)" tests/scripts.mk || { echo "not listed in tests/scripts.mk: $f"; status=1; }
done
for f in tests/scripts/*.out tests/scripts/*.err tests/scripts/*.code \
         tests/scripts/*.args tests/scripts/*.stdin \
         examples/*.out examples/*.err examples/*.code; do
    [ -f "$f" ] || continue
    [ -f "${f%.*}.bp" ] || { echo "no script for $f (${f%.*}.bp)"; status=1; }
done
exit $status
