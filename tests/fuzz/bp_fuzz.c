/* bp_fuzz.c: a libFuzzer target over one whole bp input: parse, evaluate,
 * and backprop + finite differences of what the input defined.
 *
 * One input is one script, run in a fresh session with stdout and stderr
 * sent to /dev/null.  After it, `grad NAME` and `show NAME` run for the
 * last few names it defined, so every input that defines a formula also
 * exercises compile, backprop and numdiff even when it never says grad.
 *
 * Two optional first lines (comments to bp itself, so every corpus file
 * is also a valid script for tests/fuzz/replay.sh) select a mode:
 *   #!json   --json output
 *   #!repl   fed line by line as the REPL does (continuation lines,
 *            E_INCOMPLETE, errors that do not end the session)
 *
 * Bounded work: inputs over MAX_INPUT bytes are rejected, and so are inputs
 * naming commands that touch files or are meant to run long (load,
 * load_csv, save, dot or plot with a file name, train, sweep): the fuzzer must not
 * write files or wait on them.
 * tests/hostile covers those commands instead.  Every session starts with
 * bp's own limits lowered (SESSION_LIMITS: 256 MiB of values, 10^6 graph
 * nodes) so that they, not libFuzzer's 2 GiB RSS limit, stop a big input;
 * inputs that would raise them again (maxmem, maxnodes) are rejected.
 *
 * Build: `make fuzz` (tests/fuzz/local.mk).  The AFL++ driver is
 * tests/fuzz/afl_driver.c. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "run.h"
#include "session.h"

extern volatile sig_atomic_t bp_interrupted;

enum { MAX_INPUT = 64 * 1024, MAX_REPL_INPUT = 4 * 1024, MAX_GRADS = 8 };
static const char SESSION_LIMITS[] = "set maxmem 256\nset maxnodes 1000000\n";

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    devnull = fopen("/dev/null", "w");
    if (!devnull) { perror("/dev/null"); abort(); }
    return 0;
}

static int has_word(const uint8_t *d, size_t n, const char *w)
{
    size_t k = strlen(w);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(d + i, w, k) == 0)
            return 1;
    return 0;
}

static int starts_with(const uint8_t *d, size_t n, const char *p)
{
    size_t k = strlen(p);
    return n >= k && memcmp(d, p, k) == 0;
}

/* The REPL's plain loop (src/repl.c): accumulate lines until the text is
 * a complete statement, then run it; an error does not end the session. */
static void run_repl(Session *s, const char *text, size_t len)
{
    char *pend = malloc(len + 1);
    size_t plen = 0;
    int first = 1, line = 1;
    const char *p = text, *end = text + len;
    while (p < end && !s->quit) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        memcpy(pend + plen, p, n);
        plen += n;
        p += n;
        line++;
        bp_interrupted = 0;
        if (run_text(s, "<stdin>", pend, plen, first, 1) == S_INCOMPLETE)
            continue;
        plen = 0;
        first = line;
    }
    if (plen && !s->quit)
        run_text(s, "<stdin>", pend, plen, first, 0);
    free(pend);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!devnull) LLVMFuzzerInitialize(NULL, NULL);
    if (size > MAX_INPUT)
        return -1;
    static const char *const skip[] = { "load", "save", "train", "sweep",
                                        "maxmem", "maxnodes" };
    for (size_t i = 0; i < sizeof skip / sizeof *skip; i++)
        if (has_word(data, size, skip[i]))
            return -1;
    if ((has_word(data, size, "dot") || has_word(data, size, "plot"))
        && memchr(data, '"', size))
        return -1;              /* dot f "f.dot", plot f wrt x "f.svg" write files */

    Session *s = session_new();
    s->out = devnull;
    s->err = devnull;
    bp_interrupted = 0;
    run_text(s, "<limits>", SESSION_LIMITS, sizeof SESSION_LIMITS - 1, 1, 0);
    s->json = starts_with(data, size, "#!json");

    if (starts_with(data, size, "#!repl")) {
        if (size > MAX_REPL_INPUT) { session_free(s); return -1; }
        run_repl(s, (const char *)data, size);
    } else {
        run_text(s, "<fuzz>", (const char *)data, size, 1, 0);
    }

    /* Differentiate and show the last names defined (a deleted name is
     * unlinked from this list, so every one is defined). */
    int k = 0;
    Entry *e = s->last;
    while (e && e->prev && k < MAX_GRADS - 1) { e = e->prev; k++; }
    s->quit = 0;
    for (; e; e = e->next) {
        char cmd[300];
        int n = snprintf(cmd, sizeof cmd, "grad %s\nshow %s\n", e->name, e->name);
        if (n > 0 && (size_t)n < sizeof cmd)
            run_text(s, "<fuzz-grad>", cmd, (size_t)n, 1, 0);
    }
    session_free(s);
    return 0;
}
