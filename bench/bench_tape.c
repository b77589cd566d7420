/* bench_tape.c: the scalar tape's speed and size (issue 7's first target:
 * forward + backward over 10^6 nodes at <= 20 ns per node, backward <= 2x
 * forward, <= 64 bytes per node).
 *
 * Two graphs of about 10^6 slots, built from generated bp text:
 *   chain: x0 = 0.5; x_{i+1} = sin(x_i)*0.999 + 0.001  (5 slots a line:
 *          sin, 0.999, *, 0.001, +), deep and sequential;
 *   wide:  a sum of products a_i*b_j of 2 000 parameters, 100 products a
 *          line, the lines summed at the end: fan-out (each parameter is
 *          used 250 times, its gradient collects every use).
 * For each: the time to parse and define the text, to compile the tape,
 * then the best of R forward passes and the best of R backward passes.
 *
 * usage: bench_tape [SLOTS [RUNS]]   (default 1000000 7) */
#include <math.h>
#include "bench_util.h"

/* x_{i+1} = x_i + 0.001*sin(x_i): x climbs from 0.5 towards pi, and
 * df/dx0 = prod (1 + 0.001 cos x_i) stays a normal number (about 1e-100
 * after 250 000 lines).  4 slots a line: sin, 0.001, *, +. */
static void chain_text(Buf *b, long slots)
{
    long lines = slots / 4;
    buf_printf(b, "x0 = 0.5\n");
    for (long i = 1; i <= lines; i++)
        buf_printf(b, "x%ld = x%ld + 0.001*sin(x%ld)\n", i, i - 1, i - 1);
    buf_printf(b, "f = x%ld\n", lines);
}

/* x_{i+1} = sin(x_i)*0.999 + 0.001: x settles at 0.17, and the gradient
 * shrinks by 0.985 a line until it is subnormal (below 2.2e-308), where
 * it stays for most of the chain (rounding keeps it from reaching 0):
 * arithmetic on subnormal numbers is slow on x86, so the backward pass
 * shows the cost of a vanishing gradient.  5 slots a line. */
static void underflow_text(Buf *b, long slots)
{
    long lines = slots / 5;
    buf_printf(b, "x0 = 0.5\n");
    for (long i = 1; i <= lines; i++)
        buf_printf(b, "x%ld = sin(x%ld)*0.999 + 0.001\n", i, i - 1);
    buf_printf(b, "f = x%ld\n", lines);
}

enum { POOL = 1000, PER_LINE = 100 };

static void wide_text(Buf *b, long slots)
{
    long lines = slots / (2 * PER_LINE);
    for (int i = 0; i < POOL; i++)
        buf_printf(b, "a%d = %.4f\nb%d = %.4f\n", i, 0.5 + 0.0005 * i, i, 1.0 - 0.0003 * i);
    for (long k = 0; k < lines; k++) {
        buf_printf(b, "s%ld =", k);
        for (int m = 0; m < PER_LINE; m++) {
            long p = k * PER_LINE + m;
            buf_printf(b, "%s a%ld*b%ld", m ? " +" : "", p % POOL, (p * 7 + k) % POOL);
        }
        buf_printf(b, "\n");
    }
    /* f = s0 + s1 + ...: continued lines (a trailing + continues a statement) */
    buf_printf(b, "f = s0");
    for (long k = 1; k < lines; k++)
        buf_printf(b, k % 20 ? " + s%ld" : " +\n  s%ld", k);
    buf_printf(b, "\n");
}

static void measure(const char *name, Buf *text, int runs)
{
    char size[64], tm[64], ratio[160], t1[32], t2[32];
    double heap0 = bench_heap();
    Session *s = bench_session();
    double t0 = bench_now();
    bench_run(s, name, text);
    double parse = bench_now() - t0, compile;
    double heap1 = bench_heap();
    Tape *t = bench_tape(s, "f", &compile);

    double fwd = INFINITY, bwd = INFINITY;
    for (int r = 0; r < runs; r++) {
        double a = bench_now();
        bench_forward(t);
        double m = bench_now();
        backprop(t);
        double z = bench_now();
        fwd = fmin(fwd, m - a);
        bwd = fmin(bwd, z - m);
    }
    double heap2 = bench_heap();     /* grad is allocated by the first backward pass */
    double n = t->n, used, alloc;
    bench_tape_bytes(t, &used, &alloc);
    snprintf(size, sizeof size, "%d slots", t->n);
    double g0 = tape_grad(t, t->leaves[0])[0];
    printf("# %s: %d slots, %ld values, %d leaves; f = %.10g; df/d(first leaf) = %.6g%s\n",
           name, t->n, t->nval, t->nleaves, tape_val(t, t->root)[0], g0,
           fpclassify(g0) == FP_SUBNORMAL ? " (subnormal)" : "");

    char w[96];
    snprintf(w, sizeof w, "tape %s: forward", name);
    snprintf(tm, sizeof tm, "%.1f ns/slot", 1e9 * fwd / n);
    snprintf(ratio, sizeof ratio, "%s total", bench_fmt_time(t1, sizeof t1, fwd));
    bench_row(w, size, tm, ratio);
    snprintf(w, sizeof w, "tape %s: backward", name);
    snprintf(tm, sizeof tm, "%.1f ns/slot", 1e9 * bwd / n);
    snprintf(ratio, sizeof ratio, "bwd/fwd = %.2f (target <= 2)", bwd / fwd);
    bench_row(w, size, tm, ratio);
    snprintf(w, sizeof w, "tape %s: fwd+bwd", name);
    snprintf(tm, sizeof tm, "%.1f ns/slot", 1e9 * (fwd + bwd) / n);
    snprintf(ratio, sizeof ratio, "target <= 20 ns/slot: %s",
             1e9 * (fwd + bwd) / n <= 20 ? "met" : "MISSED");
    bench_row(w, size, tm, ratio);
    snprintf(w, sizeof w, "tape %s: memory", name);
    snprintf(tm, sizeof tm, "%.0f B/slot", used / n);
    snprintf(ratio, sizeof ratio, "heap: tape %.0f, definitions %.0f B/slot; target <= 64: %s",
             (heap2 - heap1) / n, (heap1 - heap0) / n, used / n <= 64 ? "met" : "MISSED");
    bench_row(w, size, tm, ratio);
    snprintf(w, sizeof w, "tape %s: parse+define", name);
    snprintf(tm, sizeof tm, "%s", bench_fmt_time(t1, sizeof t1, parse));
    snprintf(ratio, sizeof ratio, "compile %s = %.0f ns/slot", bench_fmt_time(t2, sizeof t2, compile),
             1e9 * compile / n);
    bench_row(w, size, tm, ratio);
    session_free(s);
}

int main(int argc, char **argv)
{
    long slots = bench_arg(argc, argv, 1, 1000000);
    int runs = (int)bench_arg(argc, argv, 2, 7);
    const char *only = getenv("BENCH_ONLY");      /* "chain" or "wide" (profiling) */
    if (slots < 100 || runs < 1) {
        fprintf(stderr, "usage: bench_tape [SLOTS [RUNS]]\n");
        return 2;
    }
    static const struct { const char *name; void (*text)(Buf *, long); } work[] = {
        { "chain", chain_text }, { "wide", wide_text }, { "underflow", underflow_text },
    };
    Buf b = { 0 };
    for (size_t i = 0; i < sizeof work / sizeof *work; i++) {
        if (only && strcmp(only, work[i].name)) continue;
        b.n = 0;
        work[i].text(&b, slots);
        measure(work[i].name, &b, runs);
    }
    free(b.p);
    return 0;
}
