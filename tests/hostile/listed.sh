#!/bin/sh
# listed.sh: fails when a tests/hostile/*.hostile case is missing from
# tests/hostile/local.mk (so it would silently not run), or when
# KNOWN_FAILING names a case that does not exist.
cd "${srcdir:-.}" || exit 1
status=0
for f in tests/hostile/*.hostile; do
    grep -q "	$f\( \|$\)" tests/hostile/local.mk ||
        { echo "not listed in tests/hostile/local.mk: $f"; status=1; }
done
for name in $(sed 's/#.*//' tests/hostile/KNOWN_FAILING | awk '{print $1}'); do
    [ -f "tests/hostile/$name.hostile" ] ||
        { echo "KNOWN_FAILING names a case that does not exist: $name"; status=1; }
done
exit $status
