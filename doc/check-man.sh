#!/bin/sh
# check-man.sh: doc/bp.1 is in step with the program and renders cleanly.
#  - every word of bp's `help` overview that is a help topic (commands,
#    functions, constants, syntax, kinks, errors ...), every function and
#    setting the overview lists, and every command word that completion
#    offers and `help WORD` knows, appears in the page;
#  - every option that `bp --help` lists appears in the page;
#  - the version in .TH is the one `bp --version` prints;
#  - man (or groff) formats the page without a warning.
set -u
: "${BP:?BP must name the bp binary (set by make check)}"
case $BP in /*) ;; *) BP=$(pwd)/$BP ;; esac
man=${srcdir:-.}/doc/bp.1
[ -f "$man" ] || { echo "FAIL: $man not found"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/bp-man.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
export NO_COLOR=1 LC_ALL=C
status=0
fail() { echo "FAIL: $*"; status=1; }

# ---- the page as plain text, one paragraph per line (no hyphenation) ----
if command -v groff >/dev/null 2>&1; then
    groff -man -Tascii -P-cbou -rLL=3000n -rHY=0 "$man" >"$T/page" 2>/dev/null ||
        fail "groff cannot format the page"
else
    # No groff: strip the usual escapes from the source.
    sed -e 's/\\f[BIRP]//g; s/\\f(..//g; s/\\-/-/g; s/\\&//g; s/\\c//g' \
        -e 's/\\(dq/"/g; s/\\(aq/'"'"'/g' -e 's/^\.[A-Z][A-Za-z]* *//' "$man" >"$T/page"
fi
in_page() { grep -q -w -F -e "$1" "$T/page"; }

# ---- words of the help overview -----------------------------------------
"$BP" -e help </dev/null >"$T/help" 2>&1 || fail "bp -e help failed"
[ -s "$T/help" ] || fail "bp -e help printed nothing"
# The functions, tensors and settings lines list names: all of them count
# (from Functions: through Settings:, as the lines wrap).
sed -n -e '/^Functions:/,/^Settings:/p' "$T/help" | sed -e 's/^[A-Z][a-z]*://' |
    sed 's/([^)]*)//g; s/(help set)//; s/constants://' |
    tr -cs 'a-z0-9_' '\n' | grep -v '^[0-9]*$' >"$T/listed"     # log1p, expm1
# Any word of the overview that `help WORD` accepts is a topic.
tr -cs 'a-z_' '\n' <"$T/help" | grep -v '^$' | sort -u >"$T/words"
: >"$T/topics"
while read -r w; do
    "$BP" -e "help $w" </dev/null >/dev/null 2>&1 && echo "$w" >>"$T/topics"
done <"$T/words"
# Reserved command words (the completion list) that help knows, even when
# the overview does not show them.
for w in grad trace graph dot sweep step train check print show vars \
         delete clear load save set help quit exit const wrt; do
    "$BP" -e "help $w" </dev/null >/dev/null 2>&1 && echo "$w" >>"$T/topics"
done
n=$(sort -u "$T/topics" "$T/listed" | wc -l)
[ "$n" -ge 20 ] || fail "only $n help words found: is the help overview as expected?"
for w in $(sort -u "$T/topics" "$T/listed"); do
    in_page "$w" || fail "'$w' (named by bp's help) does not appear in doc/bp.1"
done

# ---- options of --help ---------------------------------------------------
"$BP" --help </dev/null >"$T/usage" 2>&1 || fail "bp --help failed"
opts=$(grep -o -E -e '(^|[ ,])--?[A-Za-z][A-Za-z-]*' "$T/usage" | tr -d ' ,' | sort -u)
[ -n "$opts" ] || fail "no options found in bp --help"
for o in $opts; do
    grep -q -F -e "$o" "$T/page" || fail "option $o (in bp --help) does not appear in doc/bp.1"
done

# ---- version -------------------------------------------------------------
v=$("$BP" --version </dev/null | head -n 1)
grep -q -F -e "\"$v\"" "$man" ||
    fail "the .TH line does not name \"$v\" (the output of bp --version)"

# ---- formatting warnings -------------------------------------------------
if command -v man >/dev/null 2>&1; then
    MANWIDTH=80 man --warnings -l "$man" >/dev/null 2>"$T/warn" || fail "man -l failed"
    [ -s "$T/warn" ] && { fail "man reports warnings:"; cat "$T/warn"; }
fi
if command -v groff >/dev/null 2>&1; then
    for dev in utf8 ascii; do       # ascii: no character missing there either
        groff -man -T$dev -ww -z "$man" 2>"$T/warn" || fail "groff -T$dev failed"
        [ -s "$T/warn" ] && { fail "groff -T$dev reports warnings:"; cat "$T/warn"; }
    done
fi
if ! command -v man >/dev/null 2>&1 && ! command -v groff >/dev/null 2>&1; then
    echo "note: neither man nor groff installed: formatting not checked"
fi

[ $status = 0 ] && echo "PASS: doc/bp.1 names all $n help words and every option"
exit $status
