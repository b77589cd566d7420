/* bench_moons.c: one training step of the micrograd demo, timed inside
 * the process (no start-up, no parsing in the figure).
 *
 * Runs a model script (bench/moons_tensor.bp or the generated
 * moons_scalar.bp: they define L and its parameters, and train nothing),
 * compiles L, then runs gradient-descent steps exactly as `train` does
 * (src/train.c: forward, backward, p := p - lr*dp/dp for every non-const
 * parameter) through the library:
 *   - N = 10 and N = 10 + STEPS steps, per step = the difference / STEPS
 *     (the method run.sh applies to `bp FILE -e 'train L 0.1 N'`);
 *   - the best of 20 forward passes, backward passes and updates alone.
 * It runs in FILE's directory, which must hold moons.csv.
 *
 * usage: bench_moons NAME FILE.bp [STEPS]   (default 1000) */
#include <libgen.h>
#include <math.h>
#include <unistd.h>
#include "bench_util.h"

typedef struct Model {
    Tape *t;
    int *slots;          /* the parameters' leaf slots */
    int n;
    double lr;
} Model;

static void update(Model *m)
{
    for (int i = 0; i < m->n; i++) {
        int slot = m->slots[i];
        double *w = tape_name(m->t, slot)->val.data;
        const double *g = tape_grad(m->t, slot);
        for (long k = 0, n = tape_size(m->t, slot); k < n; k++)
            w[k] -= m->lr * g[k];
    }
}

static double steps(Model *m, long n)
{
    double t0 = bench_now();
    for (long i = 0; i < n; i++) {
        bench_forward(m->t);
        backprop_params(m->t);   /* as train does */
        update(m);
    }
    return bench_now() - t0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_moons NAME FILE.bp [STEPS]\n");
        return 2;
    }
    const char *name = argv[1];
    long nsteps = bench_arg(argc, argv, 3, 1000);
    char *dir = strdup(argv[2]), *base = strdup(argv[2]);
    const char *file = basename(base);
    if (chdir(dirname(dir)) != 0) { perror(argv[2]); return 1; }
    Session *s = bench_session();
    if (run_file(s, file, NULL)) return 1;
    Model m = { 0 };
    m.t = bench_tape(s, "L", NULL);
    m.lr = 0.1;
    m.slots = malloc((size_t)m.t->nleaves * sizeof *m.slots);
    long nparam = 0;
    for (int i = 0; i < m.t->nleaves; i++)
        if (m.t->leafent[i]->kind == ENT_PARAM) {
            m.slots[m.n++] = m.t->leaves[i];
            nparam += tape_size(m.t, m.t->leaves[i]);
        }
    bench_forward(m.t);
    double loss0 = tape_val(m.t, m.t->root)[0];

    /* the method of run.sh: (T(10 + STEPS) - T(10)) / STEPS; the best of 3 */
    double per = INFINITY;
    for (int r = 0; r < 3; r++) {
        double a = steps(&m, 10), b = steps(&m, 10 + nsteps);
        per = fmin(per, (b - a) / (double)nsteps);
    }
    double loss1 = tape_val(m.t, m.t->root)[0];

    double fwd = INFINITY, bwd = INFINITY, upd = INFINITY;
    for (int r = 0; r < 20; r++) {
        double a = bench_now();
        bench_forward(m.t);
        double b = bench_now();
        backprop(m.t);
        double c = bench_now();
        update(&m);
        double d = bench_now();
        fwd = fmin(fwd, b - a);
        bwd = fmin(bwd, c - b);
        upd = fmin(upd, d - c);
    }
    char w[96], size[96], tm[64], ratio[200], a[32], b[32], c[32];
    snprintf(w, sizeof w, "moons %s: step in-process", name);
    snprintf(size, sizeof size, "%d slots, %ld values, %ld params", m.t->n, m.t->nval, nparam);
    snprintf(tm, sizeof tm, "%.3f ms/step", per * 1e3);
    snprintf(ratio, sizeof ratio, "fwd %s, bwd %s, update %s; bwd/fwd = %.2f",
             bench_fmt_time(a, sizeof a, fwd), bench_fmt_time(b, sizeof b, bwd),
             bench_fmt_time(c, sizeof c, upd), bwd / fwd);
    bench_row(w, size, tm, ratio);
    printf("# moons %s: loss %.10g at the start, %.10g after %ld steps (lr %g)\n", name, loss0,
           loss1, 3 * (20 + nsteps), m.lr);
    free(m.slots);
    free(dir);
    free(base);
    session_free(s);
    return 0;
}
