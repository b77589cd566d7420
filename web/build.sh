#!/bin/sh
# web/build.sh: write the static site web/site/ (run by `make web`; see
# web/local.mk and web/README.md).
#
#   build.sh SRCDIR -- SOURCES... -- EXAMPLES...
#
# SOURCES are libbp's sources as Makefile.am lists them (the .c files are
# compiled; main.c and repl.c are not among them, bp_web.c takes their
# place), EXAMPLES the installed examples (.bp and the .csv files they
# load), relative to SRCDIR.  The generated grammar (grammar/parser.c,
# lexer.c) is taken from the build tree, the current directory.
set -eu

srcdir=$1; shift
[ "$1" = -- ] && shift
csrc=""
while [ $# -gt 0 ] && [ "$1" != -- ]; do
    case $1 in
        *.c) csrc="$csrc $srcdir/$1" ;;
    esac
    shift
done
[ $# -gt 0 ] && shift
examples=""
for f in "$@"; do
    case $f in
        *.bp|*.csv) examples="$examples --embed-file $srcdir/$f@/home/bp/$(basename "$f")" ;;
    esac
done

if ! command -v emcc >/dev/null 2>&1; then
    echo "make web: emcc (Emscripten) is missing: apt-get install emscripten" >&2
    exit 1
fi
# Debian's emcc runs its JavaScript optimizer with node and needs the
# acorn module, which Debian installs under /usr/share/nodejs; a node not
# from Debian does not look there by itself.
NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
export NODE_PATH

# The terminal: xterm.js from npm, pinned by web/package-lock.json.
mkdir -p web/site
if [ ! -f web/node_modules/@xterm/xterm/lib/xterm.js ]; then
    if [ ! -f web/package.json ] || ! cmp -s "$srcdir/web/package.json" web/package.json; then
        cp "$srcdir/web/package.json" "$srcdir/web/package-lock.json" web/
    fi
    command -v npm >/dev/null 2>&1 || { echo "make web: npm is missing (for xterm.js)" >&2; exit 1; }
    echo "  NPM      web/node_modules (npm ci)"
    (cd web && npm ci --no-audit --no-fund --silent)
fi
xt=web/node_modules/@xterm
cp "$xt/xterm/lib/xterm.js" "$xt/xterm/css/xterm.css" web/site/
cp "$xt/xterm/LICENSE" web/site/xterm-LICENSE.txt
cp "$xt/addon-fit/lib/addon-fit.js" web/site/
cp "$xt/addon-fit/LICENSE" web/site/addon-fit-LICENSE.txt
for f in index.html term.js style.css; do cp "$srcdir/web/$f" web/site/; done

echo "  EMCC     web/site/bp.js web/site/bp.wasm"
# shellcheck disable=SC2086
emcc -O2 -std=gnu11 -Wall -Wno-unused-parameter -Wno-shift-count-overflow \
    -Wno-constant-conversion -Wno-tautological-constant-out-of-range-compare \
    -include "$srcdir/web/web_hooks.h" \
    -I"$srcdir/src" -I"$srcdir/grammar" -Igrammar \
    -DPACKAGE_VERSION="\"${PACKAGE_VERSION:-0}\"" \
    $csrc grammar/parser.c grammar/lexer.c "$srcdir/web/bp_web.c" \
    -sASYNCIFY -sASYNCIFY_STACK_SIZE=262144 \
    -sALLOW_MEMORY_GROWTH -sMAXIMUM_MEMORY=2gb -sENVIRONMENT=web \
    -sEXPORTED_FUNCTIONS=_web_start,_web_line,_web_cancel,_web_complete,_web_flag,_web_resize \
    -sEXPORTED_RUNTIME_METHODS=ccall,FS \
    --pre-js "$srcdir/web/pre.js" \
    $examples --no-entry -o web/site/bp.js
echo "make web: the site is in web/site/ (serve it: python3 -m http.server -d web/site)"
