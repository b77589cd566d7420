/* bench_elem.c: bp's side of compare/elem_compare.py, the elementwise
 * workload of issue 15: f = sum(tanh(w*x)) with w a parameter of N
 * entries and x a const, one forward and one backward pass (the backward
 * as `train` runs it, backprop_params: df/dw only).  Entry i of w is
 * 0.5 sin(0.37 i), of x cos(0.11 i), of b 0.2 sin(0.05 i), so NumPy starts
 * from the same values.  The tape is in alias mode, as train runs it
 * (tape.h).  CASE picks the chain (default 0):
 *   0  f = sum(tanh(w*x))
 *   1  f = sum(sigmoid(w*x + b))       (b a parameter too)
 *   2  f = mean(exp(-(w*x)^2))
 * and `unfused` turns fusion off, forward and backward (fuse.h fuse_use), for
 * the comparison.
 *   bench_elem N SECS [CASE [unfused]]
 * prints RESULT us_per_pass=... cpu_us_per_pass=... f=... g0=... g1=...
 * (wall and CPU time, best of three runs each). */
#include <math.h>
#include <string.h>
#include "bench_util.h"
#include "fuse.h"

static void fill(Session *s, const char *name, double scale, double freq, int cosine)
{
    Entry *e = session_find(s, name);
    for (long i = 0, n = shape_size(e->val.shape); i < n; i++)
        e->val.data[i] = scale * (cosine ? cos(freq * (double)i) : sin(freq * (double)i));
    session_changed(s, e);
}

/* This process's CPU time in seconds: on a shared machine, the time the
 * pass ran rather than waited (cpu_us_per_pass, beside the wall time). */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void pass(Tape *t) { bench_forward(t); backprop_params(t); }

int main(int argc, char **argv)
{
    static const char *chain[] = {
        "sum(tanh(w*x))", "sum(sigmoid(w*x + b))", "mean(exp(-(w*x)^2))",
    };
    if (argc < 3) { fprintf(stderr, "usage: bench_elem N SECS [CASE [unfused]]\n"); return 2; }
    long n = atol(argv[1]);
    double secs = atof(argv[2]);
    int which = argc > 3 ? atoi(argv[3]) : 0;
    if (which < 0 || which > 2) { fprintf(stderr, "bench_elem: CASE is 0, 1 or 2\n"); return 2; }
    if (argc > 4 && strcmp(argv[4], "unfused") == 0) fuse_use(0);
    Session *s = bench_session();
    Buf b = { 0 };
    buf_printf(&b, "w = zeros(%ld)\nb = zeros(%ld)\nconst x = zeros(%ld)\nf = %s\n", n, n, n, chain[which]);
    bench_run(s, "elem", &b);
    fill(s, "w", 0.5, 0.37, 0);
    fill(s, "x", 1, 0.11, 1);
    fill(s, "b", 0.2, 0.05, 0);
    Tape *t = bench_tape(s, "f", NULL);
    tape_alias_begin(t);      /* w and x read in place, as train reads them (tape.h) */
    pass(t);
    double t0 = bench_now();
    pass(t);
    double one = bench_now() - t0;
    long reps = one > 0 ? (long)(secs / 3 / one) + 1 : 1000;
    double best = INFINITY, cpu = INFINITY;
    for (int k = 0; k < 3; k++) {
        t0 = bench_now();
        double c0 = cpu_now();
        for (long r = 0; r < reps; r++) pass(t);
        best = fmin(best, (bench_now() - t0) / (double)reps);
        cpu = fmin(cpu, (cpu_now() - c0) / (double)reps);
    }
    int ws = tape_slot_of(t, session_find(s, "w"));
    printf("RESULT us_per_pass=%.6f cpu_us_per_pass=%.6f f=%.17g g0=%.17g g1=%.17g\n", best * 1e6, cpu * 1e6,
           tape_val(t, t->root)[0], tape_grad(t, ws)[0], tape_grad(t, ws)[1]);
    tape_alias_end(t);
    return 0;
}
