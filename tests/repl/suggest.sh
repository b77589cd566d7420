#!/bin/sh
# Unknown words suggest the nearest known one, in errors too (issue 3):
# a misspelt function, a misspelt help topic, a misspelt setting, a
# misspelt name of the session.
set -u
: "${BP:?BP must name the bp binary (set by make check)}"
export NO_COLOR=1
status=0
# expect STATEMENTS SUGGESTION: bp fails, and stderr says "did you mean
# SUGGESTION".
expect() {
    err=$("$BP" -e "$1" </dev/null 2>&1 >/dev/null)
    code=$?
    [ "$code" = 1 ] || { echo "FAIL: bp -e '$1': exit status $code, expected 1"; status=1; }
    case $err in
    *"did you mean $2"*) ;;
    *) echo "FAIL: bp -e '$1' does not suggest $2:"; echo "$err"; status=1 ;;
    esac
}
expect 'tanhh(1)' tanh
expect 'sigmod(0)' sigmoid
expect 'help tanhh' tanh
expect 'help grda' grad
expect 'set digts 3' digits
expect 'weight = 2; weigth + 1' weight
[ $status = 0 ] && echo "PASS: suggestions"
exit $status
