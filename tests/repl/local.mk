# tests/repl: see Makefile.am
