/* bench_util.h: what the C benchmarks share: a monotonic clock, a growing
 * text buffer for generated scripts, a quiet session, the tape's memory
 * and one output format.
 *
 * Every benchmark prints rows "ROW<TAB>workload<TAB>size<TAB>time<TAB>ratio"
 * on stdout (bench/run.sh turns them into the table) and anything else as
 * comment lines starting with '#'.  Times are the best of several runs:
 * the machine is shared, and the minimum is the figure least disturbed by
 * other work; ratios are taken between figures measured in the same run. */
#ifndef BP_BENCH_UTIL_H
#define BP_BENCH_UTIL_H

#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "run.h"
#include "session.h"
#include "tape.h"

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A growing string: the scripts are generated in memory. */
typedef struct Buf { char *p; size_t n, cap; } Buf;

static inline void buf_printf(Buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
        va_end(ap);
        if (k >= 0 && (size_t)k < b->cap - b->n) { b->n += (size_t)k; return; }
        b->cap = b->cap ? 2 * b->cap + (size_t)k : 1 << 20;
        b->p = realloc(b->p, b->cap);
        if (!b->p) { perror("bench"); exit(3); }
    }
}

/* A session whose output goes nowhere (errors still reach stderr). */
static inline Session *bench_session(void)
{
    Session *s = session_new();
    s->out = fopen("/dev/null", "w");
    if (!s->out) { perror("/dev/null"); exit(3); }
    return s;
}

static inline void bench_run(Session *s, const char *name, const Buf *b)
{
    if (run_text(s, name, b->p, b->n, 1, 0)) {
        fprintf(stderr, "bench: the generated script %s failed\n", name);
        exit(1);
    }
}

/* The tape of formula `name`, compiled now (the compile is timed). */
static inline Tape *bench_tape(Session *s, const char *name, double *secs)
{
    Entry *e = session_find(s, name);
    Diag d;
    memset(&d, 0, sizeof d);
    double t0 = bench_now();
    Tape *t = e ? compile_entry(s, e, &d) : NULL;
    if (secs) *secs = bench_now() - t0;
    if (!t) { fprintf(stderr, "bench: %s does not compile\n", name); exit(1); }
    return t;
}

static inline void bench_forward(Tape *t)
{
    const char *msg = NULL;
    int bad;
    if (eval_forward(t, 0, &bad, &msg) != E_OK) {
        fprintf(stderr, "bench: forward pass failed: %s\n", msg ? msg : "?");
        exit(1);
    }
}

/* The tape's own arrays (src/tape.h), in bytes: per slot op, a, b, sid,
 * off, src; per entry val and grad; per name named and named_slot; per leaf
 * leaves and leafent; the owner runs and shape table.  *used counts what
 * the tape holds, *alloc what its capacities reserve (arrays grow by
 * doubling). */
static inline void bench_tape_bytes(const Tape *t, double *used, double *alloc)
{
    size_t per_slot = sizeof *t->op + sizeof *t->a + sizeof *t->b + sizeof *t->sid
                    + sizeof *t->off + sizeof *t->src;
    size_t per_val = sizeof *t->val + sizeof *t->grad;
    size_t per_name = sizeof *t->named + sizeof *t->named_slot;
    double extra = (double)t->nnamed * (double)per_name
                 + (double)t->nleaves * (sizeof *t->leaves + sizeof *t->leafent)
                 + (double)t->nruns * (sizeof *t->run_start + sizeof *t->run_owner)
                 + (double)t->nshapes * sizeof *t->shapes
                 + (double)t->ndeps * sizeof *t->deps;
    *used = (double)t->n * (double)per_slot + (double)t->nval * (double)per_val + extra;
    *alloc = (double)t->cap * (double)per_slot + (double)t->valcap * (double)per_val + extra;
}

/* Heap bytes in use now (glibc's mallinfo2: small blocks plus mmapped
 * ones).  Differences measure what a step allocated and kept, unlike the
 * resident set size, which freed memory does not shrink. */
static inline double bench_heap(void)
{
    struct mallinfo2 m = mallinfo2();
    return (double)m.uordblks + (double)m.hblkhd;
}

/* A time in the unit that reads best: "12.3 ns", "4.56 ms", "1.23 s". */
static inline const char *bench_fmt_time(char *buf, size_t n, double secs)
{
    if (secs < 1e-6) snprintf(buf, n, "%.1f ns", secs * 1e9);
    else if (secs < 1e-3) snprintf(buf, n, "%.2f us", secs * 1e6);
    else if (secs < 1) snprintf(buf, n, "%.2f ms", secs * 1e3);
    else snprintf(buf, n, "%.2f s", secs);
    return buf;
}

static inline void bench_row(const char *workload, const char *size, const char *time,
                             const char *ratio)
{
    printf("ROW\t%s\t%s\t%s\t%s\n", workload, size, time, ratio);
    fflush(stdout);
}

/* A positive integer argument (a size), or the default. */
static inline long bench_arg(int argc, char **argv, int i, long dflt)
{
    return argc > i ? strtol(argv[i], NULL, 10) : dflt;
}

#endif
