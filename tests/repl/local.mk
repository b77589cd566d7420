# tests/repl: see Makefile.am
# The REPL driven through a pseudo-terminal (tmux; each test SKIPs when
# tmux is missing), and the command line where a golden script test
# cannot reach (cli.sh).  lib.sh is the shared pty driver.
REPL_TESTS = \
	tests/repl/prompt.sh \
	tests/repl/continuation.sh \
	tests/repl/errors.sh \
	tests/repl/history.sh \
	tests/repl/complete.sh \
	tests/repl/interrupt.sh \
	tests/repl/train-interrupt.sh \
	tests/repl/save-interrupt.sh \
	tests/repl/interrupt-reset.sh \
	tests/repl/eof-statement.sh \
	tests/repl/colour.sh \
	tests/repl/suggest.sh \
	tests/repl/oom.sh \
	tests/repl/check-interrupt.sh \
	tests/repl/cli.sh
TESTS += $(REPL_TESTS)
EXTRA_DIST += $(REPL_TESTS) tests/repl/lib.sh
