/* bench_fd.c: finite differences against backprop as the number of
 * parameters P grows (issue 7: FD costs 2P forward passes, backprop one
 * forward and one backward, so FD/backprop should grow linearly in P).
 *
 * Two forms of the same function, f = sum over i of tanh(w_i * x_i):
 *   tensor: w = randn(P) one parameter of P entries, x a const vector;
 *           each FD pass re-runs the whole (5-slot, P-entry) tape;
 *   scalar: P scalar parameters w0..w{P-1} in one formula; each FD pass
 *           re-runs the tape from the perturbed leaf on (half of it on
 *           average).
 * backprop = one forward + one backward pass; FD = central differences
 * (SPEC section 4: 2 forward passes per entry) over all P entries, exactly
 * as `grad` runs them (numdiff_entry with fd = central).
 *
 * usage: bench_fd [MAXP]   (default 10000: P = 10, 100, 1000, 10000) */
#include <math.h>
#include "bench_util.h"
#include "numdiff.h"

typedef struct Job {
    Tape *t;
    int *slots;          /* the parameter slot of each entry */
    long *k;             /* and the entry in it */
    long p;
    double *scratch;
    Settings set;
    FdCost cost;
    double maxerr;
} Job;

static void run_backprop(Job *j)
{
    bench_forward(j->t);
    backprop(j->t);
}

static void run_fd(Job *j)
{
    Tape *t = j->t;
    bench_forward(t);       /* FD starts from the unperturbed values */
    for (long i = 0; i < j->p; i++) {
        FdResult r;
        double g = tape_grad(t, j->slots[i])[j->k[i]];
        numdiff_entry(t, j->slots[i], j->k[i], g, &j->set, j->scratch, &r, &j->cost);
        double err = fabs(r.central.value - g);
        if (err > j->maxerr) j->maxerr = err;
    }
}

/* Seconds per call of fn: one call if it takes over 0.3 s, else the best
 * of 5 batches of about 20 ms each. */
static double per_call(void (*fn)(Job *), Job *j)
{
    double t0 = bench_now();
    fn(j);
    double one = bench_now() - t0;
    if (one > 0.3) return one;
    long reps = (long)(0.02 / fmax(one, 1e-7)) + 1;
    double best = INFINITY;
    for (int r = 0; r < 5; r++) {
        t0 = bench_now();
        for (long i = 0; i < reps; i++) fn(j);
        best = fmin(best, (bench_now() - t0) / (double)reps);
    }
    return best;
}

static void measure(const char *form, Session *s, long p)
{
    Job j = { 0 };
    j.t = bench_tape(s, "f", NULL);
    j.p = p;
    j.slots = malloc((size_t)p * sizeof *j.slots);
    j.k = malloc((size_t)p * sizeof *j.k);
    long n = 0;
    for (int i = 0; i < j.t->nleaves && n < p; i++) {
        int slot = j.t->leaves[i];
        if (tape_name(j.t, slot)->kind != ENT_PARAM) continue;
        for (long k = 0; k < tape_size(j.t, slot) && n < p; k++, n++) {
            j.slots[n] = slot;
            j.k[n] = k;
        }
    }
    if (n != p) { fprintf(stderr, "bench_fd: %ld parameters, expected %ld\n", n, p); exit(1); }
    j.scratch = malloc((size_t)j.t->nval * sizeof *j.scratch);
    j.set = s->set;
    j.set.fd = FD_CENTRAL;

    run_backprop(&j);
    double bp = per_call(run_backprop, &j);
    memset(&j.cost, 0, sizeof j.cost);
    j.maxerr = 0;
    double t0 = bench_now();
    run_fd(&j);               /* once, to count the passes */
    double fd = bench_now() - t0;
    long passes = j.cost.central;
    if (fd < 0.3) fd = fmin(fd, per_call(run_fd, &j));

    char w[64], size[64], tm[96], ratio[160], a[32], b[32];
    snprintf(w, sizeof w, "fd/backprop %s", form);
    snprintf(size, sizeof size, "P = %ld (%d slots)", p, j.t->n);
    snprintf(tm, sizeof tm, "%s vs %s", bench_fmt_time(a, sizeof a, fd), bench_fmt_time(b, sizeof b, bp));
    snprintf(ratio, sizeof ratio, "FD/bp = %.0f = %.2f x P (%ld passes)", fd / bp, fd / bp / (double)p,
             passes);
    bench_row(w, size, tm, ratio);
    printf("# %s P=%ld: max |backprop - central| = %.2e\n", form, p, j.maxerr);
    free(j.slots); free(j.k); free(j.scratch);
}

static void tensor_form(long p)
{
    Session *s = bench_session();
    Buf b = { 0 };
    buf_printf(&b, "set seed 1\nw = randn(%ld) * 0.5\nconst x = randn(%ld)\nf = sum(tanh(w * x))\n", p, p);
    bench_run(s, "fd-tensor", &b);
    measure("tensor", s, p);
    free(b.p);
    session_free(s);
}

static void scalar_form(long p)
{
    Session *s = bench_session();
    Buf b = { 0 };
    for (long i = 0; i < p; i++)
        buf_printf(&b, "w%ld = %.4f\n", i, 0.5 * sin(1.0 + (double)i));
    buf_printf(&b, "f =");
    for (long i = 0; i < p; i++)
        buf_printf(&b, "%s tanh(w%ld*%.4f)", i == 0 ? "" : i % 10 ? " +" : " +\n ",
                   i, cos(2.0 + (double)i));   /* a trailing + continues the line */
    buf_printf(&b, "\n");
    bench_run(s, "fd-scalar", &b);
    measure("scalar", s, p);
    free(b.p);
    session_free(s);
}

int main(int argc, char **argv)
{
    long maxp = bench_arg(argc, argv, 1, 10000);
    for (long p = 10; p <= maxp; p *= 10)
        tensor_form(p);
    for (long p = 10; p <= maxp; p *= 10)
        scalar_form(p);
    return 0;
}
