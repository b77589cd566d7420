# bench: see bench/README.md; make bench
