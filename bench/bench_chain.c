/* bench_chain.c: a 10^6-op chain of cheap scalar ops in bp against a
 * minimal C tape written here (issue 15: chain <= 1.3x the minimal tape).
 *
 *   x0 = 0.5; x{i+1} = x{i}*1.0000001 + 1e-9      (two ops a line)
 *
 * bp: the script's tape, one forward pass and one backward pass as
 * `train` runs them (bench_forward, backprop_params), and the full
 * backprop that `grad` runs.  The minimal tape: per op one byte of op,
 * one input index and the constant as an immediate (plus its value and
 * gradient: 29 B/op), forward and backward loops with the switch inside,
 * no finiteness check, no shapes.  Both start at x0 = 0.5 and must reach
 * the same value and dx_n/dx0 (printed in the notes).
 *   bench_chain [OPS]    (default 1000000) */
#include <math.h>
#include "bench_util.h"

enum { M_ADDC, M_MULC };
typedef struct Mini { long n; unsigned char *op; int *in; double *imm, *val, *grad; } Mini;

static void mini_forward(Mini *m)
{
    const unsigned char *op = m->op;
    const int *in = m->in;
    const double *imm = m->imm;
    double *v = m->val;
    for (long i = 1; i < m->n; i++)
        v[i] = op[i] == M_ADDC ? v[in[i]] + imm[i] : v[in[i]] * imm[i];
}

static void mini_backward(Mini *m)
{
    const unsigned char *op = m->op;
    const int *in = m->in;
    const double *imm = m->imm;
    double *g = m->grad;
    memset(g, 0, (size_t)m->n * sizeof *g);
    g[m->n - 1] = 1;
    for (long i = m->n - 1; i >= 1; i--)
        g[in[i]] += op[i] == M_ADDC ? g[i] : g[i] * imm[i];
}

static double best(void (*f)(void *), void *arg, int reps)
{
    double b = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        f(arg);
        double dt = bench_now() - t0;
        if (dt < b) b = dt;
    }
    return b;
}

static void run_mini(void *p) { mini_forward(p); mini_backward(p); }
static void run_bp(void *p) { bench_forward(p); backprop_params(p); }
static void run_bp_full(void *p) { bench_forward(p); backprop(p); }

int main(int argc, char **argv)
{
    long ops = argc > 1 ? atol(argv[1]) : 1000000;
    long lines = ops / 2;
    Mini m = { .n = 2 * lines + 1 };
    m.op = malloc((size_t)m.n);
    m.in = malloc((size_t)m.n * sizeof *m.in);
    m.imm = malloc((size_t)m.n * sizeof *m.imm);
    m.val = malloc((size_t)m.n * sizeof *m.val);
    m.grad = malloc((size_t)m.n * sizeof *m.grad);
    if (!m.op || !m.in || !m.imm || !m.val || !m.grad) { perror("bench_chain"); return 3; }
    m.val[0] = 0.5;
    for (long i = 1; i < m.n; i++) {
        m.in[i] = (int)(i - 1);
        m.op[i] = i % 2 ? M_MULC : M_ADDC;
        m.imm[i] = i % 2 ? 1.0000001 : 1e-9;
    }

    Buf b = { 0 };
    buf_printf(&b, "x0 = 0.5\n");
    for (long i = 0; i < lines; i++)
        buf_printf(&b, "x%ld = x%ld*1.0000001 + 1e-9\n", i + 1, i);
    Session *s = bench_session();
    bench_run(s, "chain", &b);
    char root[32];
    snprintf(root, sizeof root, "x%ld", lines);
    Tape *t = bench_tape(s, root, NULL);

    double tm = 1e30, tb = 1e30, tf = 1e30;
    for (int round = 0; round < 5; round++) {      /* interleaved */
        double x = best(run_mini, &m, 4); if (x < tm) tm = x;
        x = best(run_bp, t, 4); if (x < tb) tb = x;
        x = best(run_bp_full, t, 4); if (x < tf) tf = x;
    }
    int x0 = tape_slot_of(t, session_find(s, "x0"));
    printf("ROW\tscalar chain fwd+bwd\t%ld ops\t%.2f ns/op\tbp/minimal tape = %.2f (target <= 1.3: %s); "
           "minimal tape %.2f ns/op; bp with the full backprop %.2f ns/op (%.2f)\n",
           2 * lines, 1e9 * tb / (double)(2 * lines), tb / tm, tb / tm <= 1.3 ? "met" : "MISSED",
           1e9 * tm / (double)(2 * lines), 1e9 * tf / (double)(2 * lines), tf / tm);
    printf("# chain: x_n bp %.15g, minimal %.15g; dx_n/dx0 bp %.15g, minimal %.15g; bp %d slots (%.1f per op)\n",
           tape_val(t, t->root)[0], m.val[m.n - 1], tape_grad(t, x0)[0], m.grad[0],
           t->n, (double)t->n / (double)(2 * lines));
    return 0;
}
