# bench: see bench/README.md; make bench
#
# The benchmark programs are EXTRA_PROGRAMS: built only when `make bench`
# asks for them, never by `make`, `make check` or `make install`.
# `make bench` builds them and runs bench/run.sh, which prints one table.
# BENCH_ARGS passes options to run.sh (make bench BENCH_ARGS=--quick).

BENCH_PROGS = bench/bench_tape bench/bench_fd bench/bench_moons bench/bench_matmul bench/bench_chain bench/bench_elem bench/timecmd
EXTRA_PROGRAMS = $(BENCH_PROGS)
CLEANFILES += $(BENCH_PROGS)

bench_bench_tape_SOURCES = bench/bench_tape.c bench/bench_util.h
bench_bench_tape_LDADD = src/libbp.a -lm
bench_bench_fd_SOURCES = bench/bench_fd.c bench/bench_util.h
bench_bench_fd_LDADD = src/libbp.a -lm
bench_bench_moons_SOURCES = bench/bench_moons.c bench/bench_util.h
bench_bench_moons_LDADD = src/libbp.a -lm
bench_bench_matmul_SOURCES = bench/bench_matmul.c bench/bench_util.h
bench_bench_matmul_LDADD = src/libbp.a -lm
bench_bench_chain_SOURCES = bench/bench_chain.c bench/bench_util.h
bench_bench_chain_LDADD = src/libbp.a -lm
bench_bench_elem_SOURCES = bench/bench_elem.c bench/bench_util.h
bench_bench_elem_LDADD = src/libbp.a -lm
bench_timecmd_SOURCES = bench/timecmd.c

EXTRA_DIST += bench/README.md bench/RESULTS.md bench/run.sh bench/gen_mlp.sh bench/script_mem.sh \
	bench/optimizers_torch.py bench/digits_torch.py bench/digits_steps.bp.in bench/sgd_budget.sh \
	bench/gen_moons_scalar.sh bench/moons_tensor.bp bench/profile.sh \
	bench/compare/torch_moons.py bench/compare/micrograd_moons.py \
	bench/compare/blas_compare.py bench/compare/elem_compare.py

.PHONY: bench
bench: src/bp $(BENCH_PROGS)
	$(SHELL) $(srcdir)/bench/run.sh --bp '$(abs_builddir)/src/bp' \
	  --bin '$(abs_builddir)/bench' --src '$(abs_srcdir)' $(BENCH_ARGS)
