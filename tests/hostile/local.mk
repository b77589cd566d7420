# tests/hostile: see Makefile.am
