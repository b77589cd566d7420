#!/bin/sh
# driver.sh: automake test driver for tests/hostile/*.hostile.  It runs
# build-aux/test-driver, telling it to expect a failure when the case is
# listed in tests/hostile/KNOWN_FAILING: a listed case that fails is XFAIL
# (an open bug, make check stays green), a listed case that passes is
# XPASS, which make check counts as a failure (take it off the list).
here=$(cd "$(dirname "$0")" && pwd)
driver=$here/../../build-aux/test-driver
name=
prev=
for a in "$@"; do
    [ "$prev" = --test-name ] && name=$a
    prev=$a
done
base=$(basename "$name" .hostile)
xfail=no
if sed 's/#.*//' "$here/KNOWN_FAILING" | awk '{print $1}' | grep -qxF "$base"; then
    xfail=yes
fi
n=$#
i=0
value_next=no
while [ "$i" -lt "$n" ]; do
    a=$1
    shift
    i=$((i + 1))
    if [ "$value_next" = yes ]; then
        set -- "$@" "$xfail"
        value_next=no
        continue
    fi
    [ "$a" = --expect-failure ] && value_next=yes
    set -- "$@" "$a"
done
exec ${SHELL:-/bin/sh} "$driver" "$@"
