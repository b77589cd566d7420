# tests/fuzz: the libFuzzer target, its AFL++ build, and the corpus replay.
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_ARGS='-seed=1 ...']
#       builds tests/fuzz/bp_fuzz with clang (-fsanitize=fuzzer,address,
#       undefined) and fuzzes for FUZZ_SECONDS.  New corpus entries go to
#       tests/fuzz/work/corpus, crashes, leaks, timeouts and OOMs to
#       tests/fuzz/work/artifacts (then `make fuzz` fails and lists them:
#       minimise one with `tests/fuzz/bp_fuzz -minimize_crash=1 FILE`, put
#       it in tests/fuzz/regress/).
#   make fuzz-afl [FUZZ_SECONDS=60]
#       the same target under AFL++ (afl-clang-fast, ASan+UBSan),
#       output in tests/fuzz/work-afl.
#   make fuzz-clean
#
# Neither is built by `make` or run by `make check` (no clang needed for
# those).  `make check` runs tests/fuzz/replay.sh: every corpus file and
# every crash reproducer, as a script through src/bp.

FUZZ_CC = clang
AFL_CC = afl-clang-fast
FUZZ_SECONDS = 60
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer
# UBSan is recoverable in the build; UBSAN_OPTIONS below make every report
# fatal except the known bugs listed in tests/fuzz/ubsan.supp.
FUZZ_SAN = -fsanitize=address,undefined
FUZZ_ENV = UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$(abs_srcdir)/tests/fuzz/ubsan.supp \
	ASAN_OPTIONS=detect_leaks=1
# AFL++ wants aborts, no symbolising, and finds leaks no better than libFuzzer.
AFL_ENV = ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0 \
	UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:suppressions=$(abs_srcdir)/tests/fuzz/ubsan.supp
FUZZ_ARGS =
# clang + glibc do not define C11's CMPLX (glibc gives it to GCC only).
FUZZ_COMPAT = '-DCMPLX(x,y)=__builtin_complex((double)(x),(double)(y))'
FUZZ_CPPFLAGS = $(DEFS) -I$(srcdir)/src -I$(srcdir)/grammar -I$(builddir)/grammar $(FUZZ_COMPAT)
# libFuzzer options: 10 s per input and 2 GiB are the limits of "hang" and
# "out of memory".  The run stops at the first crash; to keep going and
# collect every crash, add FUZZ_ARGS='-fork=1 -ignore_crashes=1
# -ignore_ooms=1 -ignore_timeouts=1' (about 4 times slower).
FUZZ_MAX_LEN = 8192
FUZZ_RUN_FLAGS = -timeout=10 -rss_limit_mb=2048 -max_len=$(FUZZ_MAX_LEN) -print_final_stats=1

TESTS += tests/fuzz/replay.sh
EXTRA_DIST += tests/fuzz/bp_fuzz.c tests/fuzz/afl_driver.c tests/fuzz/bp.dict tests/fuzz/ubsan.supp \
	tests/fuzz/replay.sh tests/fuzz/KNOWN_FAILING tests/fuzz/README \
	tests/fuzz/corpus tests/fuzz/regress

# Compile the library's C sources with $$cc and $$flags into $$dir (set by
# the caller), collecting the objects in $$objs.  Sources are listed in
# Makefile.am (src_libbp_a_SOURCES), so a new source file needs no change
# here.
fuzz_compile_lib = \
	objs=; \
	for f in $(src_libbp_a_SOURCES) $(nodist_grammar_libgrammar_a_SOURCES); do \
	  case $$f in *.c) ;; *) continue ;; esac; \
	  if test -f "$$f"; then src=$$f; else src=$(srcdir)/$$f; fi; \
	  o=$$dir/`echo $$f | sed 's|/|_|g; s|\.c$$|.o|'`; \
	  echo "  FUZZCC   $$f"; \
	  $$cc $(FUZZ_CPPFLAGS) $$flags -c "$$src" -o "$$o" || exit 1; \
	  objs="$$objs $$o"; \
	done

tests/fuzz/bp_fuzz: $(src_libbp_a_SOURCES) $(BUILT_SOURCES) $(srcdir)/tests/fuzz/bp_fuzz.c
	@$(MKDIR_P) tests/fuzz/obj
	@cc='$(FUZZ_CC)'; dir=tests/fuzz/obj; \
	flags='$(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link'; \
	$(fuzz_compile_lib); \
	echo "  FUZZLD   $@"; \
	$$cc $(FUZZ_CPPFLAGS) $$flags -c $(srcdir)/tests/fuzz/bp_fuzz.c -o $$dir/bp_fuzz.o && \
	$$cc $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer $$objs $$dir/bp_fuzz.o -o $@ -lm

tests/fuzz/bp_afl: $(src_libbp_a_SOURCES) $(BUILT_SOURCES) $(srcdir)/tests/fuzz/bp_fuzz.c $(srcdir)/tests/fuzz/afl_driver.c
	@$(MKDIR_P) tests/fuzz/obj-afl
	@cc='$(AFL_CC)'; dir=tests/fuzz/obj-afl; flags='$(FUZZ_CFLAGS)'; \
	export AFL_USE_ASAN=1 AFL_USE_UBSAN=1 AFL_QUIET=1; \
	$(fuzz_compile_lib); \
	echo "  AFLLD    $@"; \
	$$cc $(FUZZ_CPPFLAGS) $$flags -c $(srcdir)/tests/fuzz/bp_fuzz.c -o $$dir/bp_fuzz.o && \
	$$cc $(FUZZ_CPPFLAGS) $$flags -c $(srcdir)/tests/fuzz/afl_driver.c -o $$dir/afl_driver.o && \
	$$cc $(FUZZ_CFLAGS) $$objs $$dir/bp_fuzz.o $$dir/afl_driver.o -o $@ -lm

fuzz: tests/fuzz/bp_fuzz
	@$(MKDIR_P) tests/fuzz/work/corpus tests/fuzz/work/artifacts
	@echo "fuzzing for $(FUZZ_SECONDS) s: corpus tests/fuzz/work/corpus, crashes tests/fuzz/work/artifacts"
	@(cd tests/fuzz/work && $(FUZZ_ENV) ../bp_fuzz $(FUZZ_RUN_FLAGS) -max_total_time=$(FUZZ_SECONDS) \
	  -dict=$(abs_srcdir)/tests/fuzz/bp.dict -artifact_prefix=artifacts/ $(FUZZ_ARGS) \
	  corpus $(abs_srcdir)/tests/fuzz/corpus $(abs_srcdir)/tests/fuzz/regress \
	  $(abs_srcdir)/examples `test -d $(abs_srcdir)/tests/scripts && echo $(abs_srcdir)/tests/scripts`); \
	status=$$?; \
	if test -n "`ls tests/fuzz/work/artifacts`"; then \
	  echo "fuzz: inputs that crashed, leaked, hung or ran out of memory:"; \
	  ls -l tests/fuzz/work/artifacts; exit 1; \
	fi; \
	test $$status = 0 && echo "fuzz: no crash found"

fuzz-afl: tests/fuzz/bp_afl
	@rm -rf tests/fuzz/work-afl/in; $(MKDIR_P) tests/fuzz/work-afl/in
	@for f in $(abs_srcdir)/tests/fuzz/corpus/* $(abs_srcdir)/examples/*.bp; do \
	  test -f "$$f" && cp "$$f" tests/fuzz/work-afl/in/; done; true
	$(AFL_ENV) AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
	  afl-fuzz -m none -t 10000 -V $(FUZZ_SECONDS) -x $(abs_srcdir)/tests/fuzz/bp.dict \
	  -i tests/fuzz/work-afl/in -o tests/fuzz/work-afl/out -- tests/fuzz/bp_afl
	@if test -n "`ls tests/fuzz/work-afl/out/default/crashes 2>/dev/null | grep -v README`"; then \
	  echo "fuzz-afl: crashes in tests/fuzz/work-afl/out/default/crashes"; exit 1; \
	else echo "fuzz-afl: no crash found"; fi

fuzz-clean:
	rm -rf tests/fuzz/obj tests/fuzz/obj-afl tests/fuzz/work tests/fuzz/work-afl \
	  tests/fuzz/bp_fuzz tests/fuzz/bp_afl

.PHONY: fuzz fuzz-afl fuzz-clean
