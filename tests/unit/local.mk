# tests/unit: Check unit tests, one program per module.  Included by the
# top-level Makefile.am (non-recursive); each program links the core
# library and prints Check's summary line.
UNIT_TESTS = \
	tests/unit/check_parse \
	tests/unit/check_graph \
	tests/unit/check_eval \
	tests/unit/check_backprop \
	tests/unit/check_tensor \
	tests/unit/check_numdiff \
	tests/unit/check_draw \
	tests/unit/check_gemm \
	tests/unit/check_expr \
	tests/unit/check_reduce \
	tests/unit/check_dual \
	tests/unit/check_derive \
	tests/unit/check_prog \
	tests/unit/check_fuse

check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)

UNIT_COMMON = tests/unit/testutil.c tests/unit/testutil.h
UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
UNIT_LDADD = src/libbp.a $(CHECK_LIBS) -lm

tests_unit_check_parse_SOURCES = tests/unit/check_parse.c $(UNIT_COMMON)
tests_unit_check_parse_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_parse_LDADD = $(UNIT_LDADD)

tests_unit_check_graph_SOURCES = tests/unit/check_graph.c $(UNIT_COMMON)
tests_unit_check_graph_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_graph_LDADD = $(UNIT_LDADD)

tests_unit_check_eval_SOURCES = tests/unit/check_eval.c $(UNIT_COMMON)
tests_unit_check_eval_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_eval_LDADD = $(UNIT_LDADD)

tests_unit_check_prog_SOURCES = tests/unit/check_prog.c $(UNIT_COMMON)
tests_unit_check_prog_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_prog_LDADD = $(UNIT_LDADD)

tests_unit_check_backprop_SOURCES = tests/unit/check_backprop.c $(UNIT_COMMON)
tests_unit_check_backprop_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_backprop_LDADD = $(UNIT_LDADD)

tests_unit_check_tensor_SOURCES = tests/unit/check_tensor.c $(UNIT_COMMON)
tests_unit_check_tensor_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_tensor_LDADD = $(UNIT_LDADD)

tests_unit_check_numdiff_SOURCES = tests/unit/check_numdiff.c $(UNIT_COMMON)
tests_unit_check_numdiff_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_numdiff_LDADD = $(UNIT_LDADD)

tests_unit_check_reduce_SOURCES = tests/unit/check_reduce.c $(UNIT_COMMON)
tests_unit_check_reduce_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_reduce_LDADD = $(UNIT_LDADD)

# The drawing suite does not use testutil.
tests_unit_check_draw_SOURCES = tests/unit/check_draw.c
tests_unit_check_draw_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_draw_LDADD = $(UNIT_LDADD)

tests_unit_check_gemm_SOURCES = tests/unit/check_gemm.c $(UNIT_COMMON)
tests_unit_check_gemm_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_gemm_LDADD = $(UNIT_LDADD)

tests_unit_check_expr_SOURCES = tests/unit/check_expr.c $(UNIT_COMMON)
tests_unit_check_expr_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_expr_LDADD = $(UNIT_LDADD)

tests_unit_check_dual_SOURCES = tests/unit/check_dual.c $(UNIT_COMMON)
tests_unit_check_dual_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_dual_LDADD = $(UNIT_LDADD)

tests_unit_check_derive_SOURCES = tests/unit/check_derive.c $(UNIT_COMMON)
tests_unit_check_derive_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_derive_LDADD = $(UNIT_LDADD)

tests_unit_check_fuse_SOURCES = tests/unit/check_fuse.c $(UNIT_COMMON)
tests_unit_check_fuse_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_fuse_LDADD = $(UNIT_LDADD)
