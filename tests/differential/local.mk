# tests/differential: random programs, bp's values and backprop gradients
# against PyTorch float64 autograd (differential.py).  make check runs 200
# (seed 1); make check-differential runs DIFF_N (default 5000) programs
# with DIFF_SEED (default 2).
DIFFERENTIAL_TESTS = tests/differential/run.sh
TESTS += $(DIFFERENTIAL_TESTS)
EXTRA_DIST += $(DIFFERENTIAL_TESTS) tests/differential/differential.py

DIFF_N ?= 5000
DIFF_SEED ?= 2
check-differential: src/bp$(EXEEXT)
	BP='$(abs_builddir)/src/bp' DIFF_N=$(DIFF_N) DIFF_SEED=$(DIFF_SEED) \
	    $(SHELL) $(srcdir)/tests/differential/run.sh
.PHONY: check-differential
