/* check_backprop.c: the backward pass (src/backprop.c, the backward rules
 * in src/ops.c).
 *
 * For every scalar function and operator of SPEC section 3, backprop (read
 * through grad(f, w)) is compared with two independent values at several
 * points:
 *   - the derivative worked out by hand and written here in C (relative
 *     tolerance 1e-12);
 *   - a central difference computed here (tu_central, not src/numdiff.c),
 *     relative tolerance 1e-6;
 *   - unary functions also the complex step (src/numdiff.c, through the
 *     op's complex rule, not its backward rule), relative tolerance 1e-12.
 * Each function is checked alone, f = fn(w), and inside a composition,
 * f = fn(u)·w + w with u = 0.5·w + 0.25, so the chain rule and the
 * accumulation into a leaf used three times are exercised as well.
 * Then the kink conventions (PyTorch's), shared subexpressions, running
 * backprop twice, and a chain of a million nodes. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "ops.h"
#include "tape.h"
#include "numdiff.h"

#define HAND_TOL 1e-12
#define FD_TOL 1e-6

/* ---- the hand derivatives ---------------------------------------------- */

static double sigmoid(double x) { return 1 / (1 + exp(-x)); }
static double softplus(double x) { return log1p(exp(x)); }
static double relu(double x) { return x > 0 ? x : 0; }
static double neg(double x) { return -x; }

static double d_exp(double x) { return exp(x); }
static double d_log(double x) { return 1 / x; }
static double d_sqrt(double x) { return 0.5 / sqrt(x); }
static double d_sin(double x) { return cos(x); }
static double d_cos(double x) { return -sin(x); }
static double d_tan(double x) { return 1 / (cos(x) * cos(x)); }
static double d_tanh(double x) { double c = cosh(x); return 1 / (c * c); }
static double d_sigmoid(double x) { return exp(-x) / ((1 + exp(-x)) * (1 + exp(-x))); }
static double d_relu(double x) { return x > 0 ? 1 : 0; }
static double d_softplus(double x) { return 1 / (1 + exp(-x)); }
static double d_abs(double x) { return x > 0 ? 1 : x < 0 ? -1 : 0; }
static double d_neg(double x) { (void)x; return -1; }
static double d_atan(double x) { return 1 / (1 + x * x); }
static double d_asinh(double x) { return 1 / sqrt(1 + x * x); }
static double d_log1p(double x) { return 1 / (1 + x); }
static double d_expm1(double x) { return exp(x); }

typedef struct Unary {
    const char *name;          /* as called in bp; NULL name: "-" prefix */
    double (*f)(double), (*df)(double);
    double lo, hi;             /* the points tried lie in (lo, hi) */
} Unary;

static const Unary unary[] = {
    { "exp", exp, d_exp, -1e9, 1e9 },
    { "log", log, d_log, 0, 1e9 },
    { "sqrt", sqrt, d_sqrt, 0, 1e9 },
    { "sin", sin, d_sin, -1e9, 1e9 },
    { "cos", cos, d_cos, -1e9, 1e9 },
    { "tan", tan, d_tan, -1.5, 1.5 },
    { "tanh", tanh, d_tanh, -1e9, 1e9 },
    { "sigmoid", sigmoid, d_sigmoid, -1e9, 1e9 },
    { "relu", relu, d_relu, -1e9, 1e9 },
    { "softplus", softplus, d_softplus, -1e9, 1e9 },
    { "abs", fabs, d_abs, -1e9, 1e9 },
    { "-", neg, d_neg, -1e9, 1e9 },
    { "atan", atan, d_atan, -1e9, 1e9 },
    { "asinh", asinh, d_asinh, -1e9, 1e9 },
    { "log1p", log1p, d_log1p, -1, 1e9 },
    { "expm1", expm1, d_expm1, -1e9, 1e9 },
};

static const double upoints[] = { -2.7, -1.1, -0.4, 0.05, 0.3, 0.9, 1.4, 2.2, 3.9 };

static void call(char *buf, size_t n, const char *fn, const char *arg)
{
    if (strcmp(fn, "-") == 0) snprintf(buf, n, "-(%s)", arg);
    else snprintf(buf, n, "%s(%s)", fn, arg);
}

/* backprop of f at the current w against `want`, and against a central
 * difference computed here */
static void check_at(Tu *t, const char *f, const char *w, double want, int fd, const char *what)
{
    double bp = tu_grad(t, f, w);
    double p = tu_entry(t, w)->val.data[0];
    ck_assert_msg(tu_close(bp, want, HAND_TOL, 0),
                  "%s: d%s/d%s at %s = %.17g: backprop %.17g, by hand %.17g (rel err %.2g)",
                  what, f, w, w, p, bp, want, fabs(bp - want) / fabs(want));
    if (!fd) return;
    double c = tu_central(t, f, w, 0, tu_step(p));
    ck_assert_msg(tu_close(bp, c, FD_TOL, 1e-9),
                  "%s: d%s/d%s at %s = %.17g: backprop %.17g, central difference %.17g", what, f, w,
                  w, p, bp, c);
}

/* The complex step Im f(w + ih)/h of formula f at the current w, by
 * src/numdiff.c (set fd complex): the ops' complex rules, which share no
 * code with their backward rules. */
static double complex_step(Tu *t, const char *f, const char *w)
{
    tu_ok(t, "set fd complex");
    Diag d = { 0 };
    Tape *tape = compile_entry(t->s, tu_entry(t, f), &d);
    ck_assert_msg(tape != NULL, "%s", d.msg);
    const char *msg;
    int bad;
    ck_assert_int_eq(eval_forward(tape, 0, &bad, &msg), E_OK);
    int slot = tape_slot_of(tape, tu_entry(t, w));
    ck_assert_int_ge(slot, 0);
    double *scratch = malloc((size_t)tape->nval * sizeof *scratch);
    ck_assert_ptr_nonnull(scratch);
    FdResult r;
    FdCost cost = { 0 };
    numdiff_entry(tape, slot, 0, 0, &t->s->set, scratch, &r, &cost);
    free(scratch);
    ck_assert_msg(r.cstep.done && !r.cstep.failed, "%s: complex step failed: %s", f,
                  r.cstep.why ? r.cstep.why : "");
    return r.cstep.value;
}

START_TEST(test_unary_rules)
{
    const Unary *u = &unary[_i];
    Tu *t = tu_new();
    char f1[64], f2[96], in[64];
    call(f1, sizeof f1, u->name, "w");
    call(in, sizeof in, u->name, "0.5*w + 0.25");
    snprintf(f2, sizeof f2, "%s * w + w", in);
    tu_okf(t, "w = 1; f1 = %s; f2 = %s", f1, f2);
    int tried = 0;
    for (size_t k = 0; k < sizeof upoints / sizeof upoints[0]; k++) {
        double x = upoints[k], uu = 0.5 * x + 0.25;
        if (!(x > u->lo && x < u->hi && uu > u->lo && uu < u->hi)) continue;
        tu_set(t, "w", x);
        /* the forward value first: the derivative is taken where bp is */
        TU_CLOSE(tu_num(t, "f1"), u->f(x), 1e-14, 1e-300);
        check_at(t, "f1", "w", u->df(x), 1, u->name);
        double want = u->df(uu) * 0.5 * x + u->f(uu) + 1;
        check_at(t, "f2", "w", want, 1, u->name);
        /* the complex step against the same hand derivatives */
        double c1 = complex_step(t, "f1", "w"), c2 = complex_step(t, "f2", "w");
        ck_assert_msg(tu_close(c1, u->df(x), HAND_TOL, 0),
                      "%s at %g: complex step %.17g, by hand %.17g", u->name, x, c1, u->df(x));
        ck_assert_msg(tu_close(c2, want, HAND_TOL, 0),
                      "%s (composed) at %g: complex step %.17g, by hand %.17g", u->name, x, c2, want);
        tried++;
    }
    ck_assert_int_ge(tried, 4);
    tu_free(t);
}
END_TEST

/* ---- binary operators --------------------------------------------------- */

typedef struct Binary {
    const char *fmt;                        /* %s twice: the operands */
    double (*f)(double, double);
    double (*dw)(double, double), (*dv)(double, double);
    int positive_w;                         /* only w > 0 (powers) */
    int kink;                               /* no differences across a branch */
} Binary;

static double add(double a, double b) { return a + b; }
static double sub(double a, double b) { return a - b; }
static double mul(double a, double b) { return a * b; }
static double dvd(double a, double b) { return a / b; }
static double mn(double a, double b) { return a < b ? a : b; }
static double mx(double a, double b) { return a > b ? a : b; }
static double one(double a, double b) { (void)a; (void)b; return 1; }
static double minus_one(double a, double b) { (void)a; (void)b; return -1; }
static double zero(double a, double b) { (void)a; (void)b; return 0; }
static double first(double a, double b) { (void)a; return b; }
static double second(double a, double b) { (void)b; return a; }
static double div_da(double a, double b) { (void)a; return 1 / b; }
static double div_db(double a, double b) { return -a / (b * b); }
static double pow_da(double a, double b) { return b * pow(a, b - 1); }
static double pow_db(double a, double b) { return pow(a, b) * log(a); }
static double min_da(double a, double b) { return a < b ? 1 : a > b ? 0 : 0.5; }
static double min_db(double a, double b) { return b < a ? 1 : b > a ? 0 : 0.5; }
static double max_da(double a, double b) { return a > b ? 1 : a < b ? 0 : 0.5; }
static double max_db(double a, double b) { return b > a ? 1 : b < a ? 0 : 0.5; }
static double lt(double a, double b) { return a < b; }
static double le(double a, double b) { return a <= b; }
static double gt(double a, double b) { return a > b; }
static double ge(double a, double b) { return a >= b; }
static double eq(double a, double b) { return a == b; }
static double ne(double a, double b) { return a != b; }

static const Binary binary[] = {
    { "%s + %s", add, one, one, 0, 0 },
    { "%s - %s", sub, one, minus_one, 0, 0 },
    { "%s * %s", mul, first, second, 0, 0 },
    { "%s / %s", dvd, div_da, div_db, 0, 0 },
    { "%s ^ %s", pow, pow_da, pow_db, 1, 0 },
    { "pow(%s, %s)", pow, pow_da, pow_db, 1, 0 },
    { "min(%s, %s)", mn, min_da, min_db, 0, 1 },
    { "max(%s, %s)", mx, max_da, max_db, 0, 1 },
    { "%s < %s", lt, zero, zero, 0, 1 },
    { "%s <= %s", le, zero, zero, 0, 1 },
    { "%s > %s", gt, zero, zero, 0, 1 },
    { "%s >= %s", ge, zero, zero, 0, 1 },
    { "%s == %s", eq, zero, zero, 0, 1 },
    { "%s != %s", ne, zero, zero, 0, 1 },
};

static const double bpoints[][2] = {
    { 0.5, 2 }, { 1.7, -1.3 }, { 2.5, 0.75 }, { -0.8, 3.1 }, { 3, -2 }, { 0.9, 0.4 },
};

START_TEST(test_binary_rules)
{
    const Binary *o = &binary[_i];
    Tu *t = tu_new();
    char f1[64], in[64];
    snprintf(f1, sizeof f1, o->fmt, "w", "v");
    snprintf(in, sizeof in, o->fmt, "w", "v");
    tu_okf(t, "w = 1; v = 1; f1 = %s; f2 = sin(%s) * v", f1, in);
    int tried = 0;
    for (size_t k = 0; k < sizeof bpoints / sizeof bpoints[0]; k++) {
        double a = bpoints[k][0], b = bpoints[k][1];
        if (o->positive_w && a <= 0) continue;
        tu_set(t, "w", a);
        tu_set(t, "v", b);
        double y = o->f(a, b);
        TU_CLOSE(tu_num(t, "f1"), y, 1e-15, 0);
        check_at(t, "f1", "w", o->dw(a, b), 1, o->fmt);
        check_at(t, "f1", "v", o->dv(a, b), 1, o->fmt);
        /* f2 = sin(w op v)·v: the chain rule around the operator */
        check_at(t, "f2", "w", cos(y) * o->dw(a, b) * b, 1, o->fmt);
        check_at(t, "f2", "v", cos(y) * o->dv(a, b) * b + sin(y), 1, o->fmt);
        tried++;
    }
    ck_assert_int_ge(tried, 4);
    /* the same operand on both sides: w op w */
    if (!o->kink) {
        char f3[64];
        snprintf(f3, sizeof f3, o->fmt, "w", "w");
        tu_okf(t, "f3 = %s", f3);
        tu_set(t, "w", 1.3);
        check_at(t, "f3", "w", o->dw(1.3, 1.3) + o->dv(1.3, 1.3), 1, f3);
    }
    tu_free(t);
}
END_TEST

/* A negative base with an integer exponent; constant exponents. */
START_TEST(test_power_cases)
{
    Tu *t = tu_new();
    tu_ok(t, "w = -2; f = w^3; g = w^2; h = w^0.5; k = w^-1; z = w^0");
    check_at(t, "f", "w", 12, 1, "(-2)^3");
    check_at(t, "g", "w", -4, 1, "(-2)^2");
    check_at(t, "k", "w", -0.25, 1, "(-2)^-1");
    tu_set(t, "w", 6.25);
    check_at(t, "h", "w", 0.5 / 2.5, 1, "w^0.5");
    check_at(t, "k", "w", -1 / (6.25 * 6.25), 1, "w^-1");
    check_at(t, "z", "w", 0, 1, "w^0");
    tu_set(t, "w", 0);
    ck_assert(tu_grad(t, "g", "w") == 0);
    ck_assert(tu_grad(t, "z", "w") == 0);
    ck_assert(tu_grad(t, "f", "w") == 0);
    tu_free(t);
}
END_TEST

/* SPEC 3: at a kink the derivative follows PyTorch. */
START_TEST(test_kink_conventions)
{
    Tu *t = tu_new();
    tu_ok(t, "w = 0; v = 0; r = relu(w); a = abs(w); lo = min(w, v); hi = max(w, v)");
    ck_assert(tu_grad(t, "r", "w") == 0);
    ck_assert(tu_grad(t, "a", "w") == 0);
    ck_assert(tu_grad(t, "lo", "w") == 0.5);
    ck_assert(tu_grad(t, "lo", "v") == 0.5);
    ck_assert(tu_grad(t, "hi", "w") == 0.5);
    ck_assert(tu_grad(t, "hi", "v") == 0.5);
    /* a tie away from 0, and the same name on both sides */
    tu_set(t, "w", 2.5);
    tu_set(t, "v", 2.5);
    ck_assert(tu_grad(t, "lo", "w") == 0.5);
    ck_assert(tu_grad(t, "hi", "v") == 0.5);
    ck_assert(tu_grad(t, "min(w, w)", "w") == 1);
    ck_assert(tu_grad(t, "max(w, w) * 3", "w") == 3);
    /* just off the kink */
    tu_set(t, "w", 1e-300);
    ck_assert(tu_grad(t, "r", "w") == 1);
    ck_assert(tu_grad(t, "a", "w") == 1);
    tu_set(t, "w", -1e-300);
    ck_assert(tu_grad(t, "r", "w") == 0);
    ck_assert(tu_grad(t, "a", "w") == -1);
    /* comparisons: derivative 0 on both sides and at equality */
    tu_set(t, "w", 2.5);
    ck_assert(tu_grad(t, "(w <= v) * w", "w") == 1);
    ck_assert(tu_grad(t, "(w < v) * w", "w") == 0);
    ck_assert(tu_grad(t, "(w == v) + (w != v) + (w >= v) + (w > v)", "v") == 0);
    tu_free(t);
}
END_TEST

/* ---- graph-shaped cases ------------------------------------------------- */

START_TEST(test_seed_neuron)
{
    Tu *t = tu_new();
    tu_ok(t, "w = -3; x = 2; b = 1; f = tanh(w*x + b)");
    double z = -3 * 2 + 1, d = 1 - tanh(z) * tanh(z);
    check_at(t, "f", "w", 2 * d, 1, "neuron");
    check_at(t, "f", "x", -3 * d, 1, "neuron");
    check_at(t, "f", "b", d, 1, "neuron");
    TU_CLOSE(tu_grad(t, "f", "w"), 3.6316646188772062e-04, 1e-12, 0);
    tu_free(t);
}
END_TEST

START_TEST(test_shared_subexpressions)
{
    Tu *t = tu_new();
    tu_ok(t, "a = 1.5; b = a + a; c = a * a; d = b * c");
    ck_assert(tu_grad(t, "b", "a") == 2);
    ck_assert(tu_grad(t, "c", "a") == 3);
    TU_CLOSE(tu_grad(t, "d", "a"), 6 * 1.5 * 1.5, 1e-15, 0);     /* d = 2a^3 */
    /* a formula used on several paths: one node, every path counted */
    tu_ok(t, "w = 0.3; h = tanh(w); g = h*h + 3*h + sin(h)");
    double th = tanh(0.3), dh = 1 - th * th;
    check_at(t, "g", "w", (2 * th + 3 + cos(th)) * dh, 1, "shared h");
    /* 2^60 paths through 60 shared levels */
    tu_ok(t, "x0 = w");
    for (int i = 0; i < 60; i++)
        tu_okf(t, "x%d = x%d + x%d", i + 1, i, i);
    ck_assert(tu_grad(t, "x60", "w") == ldexp(1, 60));
    tu_free(t);
}
END_TEST

/* grad twice gives the same answer (gradients are zeroed, not doubled). */
START_TEST(test_backprop_twice)
{
    Tu *t = tu_new();
    tu_ok(t, "w = 0.7; v = -0.2; f = tanh(w)^2 + w*v");
    double want = 2 * tanh(0.7) * (1 - tanh(0.7) * tanh(0.7)) - 0.2;
    TU_CLOSE(tu_grad(t, "f", "w"), want, HAND_TOL, 0);
    TU_CLOSE(tu_grad(t, "f", "w"), want, HAND_TOL, 0);
    TU_CLOSE(tu_grad(t, "f", "w"), want, HAND_TOL, 0);

    Diag d = { 0 };
    Tape *tp = compile_entry(t->s, tu_entry(t, "f"), &d);
    ck_assert_ptr_nonnull(tp);
    const char *msg;
    int bad;
    ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
    int ws = tape_slot_of(tp, tu_entry(t, "w")), vs = tape_slot_of(tp, tu_entry(t, "v"));
    ck_assert_int_ge(ws, 0);
    ck_assert_int_ge(vs, 0);
    backprop(tp);
    double g1 = tape_grad(tp, ws)[0], h1 = tape_grad(tp, vs)[0];
    backprop(tp);
    ck_assert(tape_grad(tp, ws)[0] == g1);
    ck_assert(tape_grad(tp, vs)[0] == h1);
    TU_CLOSE(g1, want, HAND_TOL, 0);
    ck_assert(h1 == 0.7);
    ck_assert(tape_grad(tp, tp->root)[0] == 1);

    /* the grad table twice prints the same thing */
    tu_clear(t);
    tu_ok(t, "grad f");
    char *first = strdup(tu_out(t));
    tu_clear(t);
    tu_ok(t, "grad f");
    ck_assert_str_eq(tu_out(t), first);
    free(first);
    tu_free(t);
}
END_TEST

/* grad(f, z) with z a formula: ∂f/∂z at that node, inputs held fixed. */
START_TEST(test_grad_wrt_formula)
{
    Tu *t = tu_new();
    tu_ok(t, "w = 0.4; z = w*w; f = sin(z) * z");
    double z = 0.16;
    TU_CLOSE(tu_grad(t, "f", "z"), cos(z) * z + sin(z), HAND_TOL, 0);
    TU_CLOSE(tu_grad(t, "f", "w"), (cos(z) * z + sin(z)) * 0.8, HAND_TOL, 0);
    /* a name f does not use: zero */
    tu_ok(t, "other = 5");
    ck_assert(tu_grad(t, "f", "other") == 0);
    /* a const named explicitly */
    tu_ok(t, "const c = 2; g = c * w^2");
    TU_CLOSE(tu_grad(t, "g", "c"), 0.16, 1e-15, 0);
    tu_free(t);
}
END_TEST

/* Needs-grad pruning (backprop_params): the marks follow the parameters;
 * the parameters' gradients are those of the full pass and of central
 * differences; the matrix product leaves the const input's gradient
 * alone (a sentinel there survives), and a const-only branch is skipped. */
/* The pruned pass does not zero a gradient that its only user writes
 * whole (tanh, exp, neg, same-size add, sub, mul, sum: t->assign): with
 * every gradient NaN beforehand, the parameters' gradients must still be
 * those of the full pass, bit for bit, and again on a second pass.  u is
 * used twice (u * u, and in v): its gradient must be added, not written. */
START_TEST(test_pruned_assign)
{
    Tu *t = tu_new();
    tu_ok(t, "w = [0.5, -1.25, 2, 0.1, -0.3]; const x = [1, 2, -1, 0.5, 3]\n"
             "u = tanh(w * x); v = exp(-u) - u * u + (w - x); L = sum(v * x) + sum(-tanh(w))");
    Diag d = { 0 };
    Tape *tp = compile_entry(t->s, tu_entry(t, "L"), &d);
    ck_assert_ptr_nonnull(tp);
    int ws = tape_slot_of(tp, tu_entry(t, "w"));
    const char *msg;
    int bad;
    ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
    backprop(tp);
    double full[5];
    memcpy(full, tape_grad(tp, ws), sizeof full);
    for (int pass = 0; pass < 2; pass++) {
        for (long k = 0; k < tp->nval; k++) tp->grad[k] = NAN;
        backprop_params(tp);
        for (int k = 0; k < 5; k++)
            ck_assert_msg(tape_grad(tp, ws)[k] == full[k], "pass %d: dL/dw[%d] = %.17g, full pass %.17g",
                          pass, k, tape_grad(tp, ws)[k], full[k]);
    }
    int written = 0;                    /* some gradient was in fact written, not zeroed */
    for (int i = 0; i <= tp->root; i++) written += (tp->assign[i] & 4) != 0;
    ck_assert_int_gt(written, 2);
    for (int k = 0; k < 5; k++) {
        double p = tu_entry(t, "w")->val.data[k];
        TU_CLOSE(full[k], tu_central(t, "L", "w", k, tu_step(p)), 1e-7, 1e-9);
    }
    tu_free(t);
}
END_TEST

/* sum(tanh(a * b))'s backward fused into one loop in the pruned pass
 * (fuse.c fuse_bwd): with every gradient NaN beforehand, the
 * parameters' gradients bit for bit those of the full pass (and again on a
 * second pass), 1501 entries (the wide loops and their tails).  That the
 * loop was fused shows in the tanh's and the product's gradients, never
 * written (still NaN).  A named formula below the tanh is not fused away:
 * its gradient is the full pass's; a product of w with itself, and a w
 * with a second user (its gradient added to, not written), fuse too. */
enum { FN = 1501 };

/* The fusion tests' session: parameters w, v and const x of FN entries,
 * entry k of the j-th (0.4 + 0.3 j) sin((0.37 + 0.2 j) k + j), then defs
 * (which define L); es gets the three entries, *tp L's tape. */
static Tu *fused_tu(const char *defs, Entry **es, Tape **tp)
{
    Tu *t = tu_new();
    tu_okf(t, "w = zeros(%d); v = zeros(%d); const x = zeros(%d); const s = 0.7", FN, FN, FN);
    es[0] = tu_entry(t, "w"), es[1] = tu_entry(t, "v"), es[2] = tu_entry(t, "x");
    for (long k = 0; k < FN; k++)
        for (int j = 0; j < 3; j++)
            es[j]->val.data[k] = (0.4 + 0.3 * j) * sin((0.37 + 0.2 * j) * (double)k + j);
    for (int j = 0; j < 3; j++) session_changed(t->s, es[j]);
    tu_ok(t, defs);
    Diag d = { 0 };
    *tp = compile_entry(t->s, tu_entry(t, "L"), &d);
    ck_assert_ptr_nonnull(*tp);
    return t;
}

static void fused_case(const char *defs, const char *par2, const char *named, int fused)
{
    enum { N = FN };
    Entry *es[3];
    Tape *tp;
    Tu *t = fused_tu(defs, es, &tp);
    int ws = tape_slot_of(tp, es[0]), vs = par2 ? tape_slot_of(tp, tu_entry(t, par2)) : -1;
    int hs = named ? tape_slot_of(tp, tu_entry(t, named)) : -1;
    const char *msg;
    int bad;
    ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
    backprop(tp);
    double *full = malloc(3 * N * sizeof *full);
    memcpy(full, tape_grad(tp, ws), N * sizeof *full);
    if (vs >= 0) memcpy(full + N, tape_grad(tp, vs), N * sizeof *full);
    if (hs >= 0) memcpy(full + 2 * N, tape_grad(tp, hs), N * sizeof *full);
    int th = -1;
    for (int i = 0; i <= tp->root; i++)
        if (tp->op[i] == OP_TANH) th = i;
    ck_assert_int_ge(th, 0);
    for (int pass = 0; pass < 2; pass++) {
        for (long k = 0; k < tp->nval; k++) tp->grad[k] = NAN;
        backprop_params(tp);
        for (long k = 0; k < N; k++) {
            ck_assert_msg(tape_grad(tp, ws)[k] == full[k], "%s, pass %d: dL/dw[%ld] = %.17g, full %.17g",
                          defs, pass, k, tape_grad(tp, ws)[k], full[k]);
            if (vs >= 0) ck_assert(tape_grad(tp, vs)[k] == full[N + k]);
            if (hs >= 0) ck_assert(tape_grad(tp, hs)[k] == full[2 * N + k]);
        }
        ck_assert_int_eq(isnan(tape_grad(tp, th)[0]), fused);
        for (int i = 0; i < tp->n; i++) ck_assert((tp->assign[i] & 16) == 0);
    }
    for (int k = 0; k < 3; k++) {        /* and the full pass is right */
        long e = k * 700;
        double p = es[0]->val.data[e];
        TU_CLOSE(full[e], tu_central(t, "L", "w", e, tu_step(p)), 1e-7, 1e-9);
    }
    free(full);
    tu_free(t);
}

START_TEST(test_pruned_fused)
{
    fused_case("L = sum(tanh(w * x))", NULL, NULL, 1);
    fused_case("L = sum(tanh(x * w))", NULL, NULL, 1);
    fused_case("L = sum(tanh(w * v))", "v", NULL, 1);
    fused_case("L = sum(tanh(w * w))", NULL, NULL, 1);
    fused_case("L = sum(tanh(w * x)) + sum(w * v)", "v", NULL, 1);
    fused_case("L = sum(tanh(w + x))", NULL, NULL, 1);           /* sum and tanh only */
    fused_case("h = w * x; L = sum(tanh(h))", NULL, "h", 1);     /* h named: kept */
    fused_case("u = tanh(w * x); L = sum(u)", NULL, "u", 0);     /* u named: no fusion */
}
END_TEST

/* General backward fusion (fuse.c fuse_bwd): an element-wise tree
 * under a sum or mean, run block by block by the sum's rule.  With every
 * gradient NaN beforehand, the parameters' (w, v) gradients, and a named
 * formula's, bit for bit the full pass's, twice over, at 1501 entries (six
 * blocks and a tail, the wide loops' tails).  nfused: how many slots the
 * plan fuses (bit 32), each of whose gradients stays NaN (never written,
 * never zeroed); 0 says fusion is refused.  The full pass's gradient
 * against central differences at three entries of w and of v: rtol 1e-6,
 * atol 1e-7, since L sums up to 1501 terms of order 1 and its rounding
 * over the step (about 6e-6) is some 1e-8 (the shares are 1e-3 to 1). */
static void chain_case(const char *defs, const char *named, int nfused)
{
    enum { N = FN };
    Entry *es[3];
    Tape *tp;
    Tu *t = fused_tu(defs, es, &tp);
    int sl[3] = { tape_slot_of(tp, es[0]), tape_slot_of(tp, es[1]),
                  named ? tape_slot_of(tp, tu_entry(t, named)) : -1 };
    ck_assert(sl[0] >= 0 && sl[1] >= 0 && (!named || sl[2] >= 0));
    const char *msg;
    int bad;
    ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
    backprop(tp);
    double *full = malloc(3 * N * sizeof *full);
    for (int j = 0; j < 3; j++)
        if (sl[j] >= 0) memcpy(full + j * N, tape_grad(tp, sl[j]), N * sizeof *full);
    for (int pass = 0; pass < 2; pass++) {
        for (long k = 0; k < tp->nval; k++) tp->grad[k] = NAN;
        backprop_params(tp);
        for (int j = 0; j < 3; j++)
            for (long k = 0; sl[j] >= 0 && k < N; k++)
                ck_assert_msg(tape_grad(tp, sl[j])[k] == full[j * N + k],
                              "%s, pass %d, slot %d: [%ld] = %.17g, full %.17g", defs, pass,
                              sl[j], k, tape_grad(tp, sl[j])[k], full[j * N + k]);
        int nf = 0;
        for (int i = 0; i < tp->n; i++) {
            ck_assert((tp->assign[i] & 16) == 0);
            if (tp->assign[i] & 32) {
                nf++;
                ck_assert_msg(isnan(tape_grad(tp, i)[0]), "%s: fused slot %d written", defs, i);
            }
        }
        ck_assert_msg(nf == nfused, "%s: %d slots fused, expected %d", defs, nf, nfused);
    }
    for (int j = 0; j < 2; j++)          /* and the full pass is right */
        for (int k = 0; k < 3; k++) {
            long e = k * 700 + 3;
            double p = es[j]->val.data[e];
            TU_CLOSE(full[j * N + e], tu_central(t, "L", j ? "v" : "w", e, tu_step(p)), 1e-6, 1e-7);
        }
    free(full);
    tu_free(t);
}

START_TEST(test_pruned_fused_chains)
{
    chain_case("L = sum(sigmoid(w * x + v))", NULL, 3);
    chain_case("L = mean(exp(-(w * x)^2)) + mean(v)", NULL, 4);
    chain_case("L = sum(relu(w - x) * exp(v))", NULL, 4);
    chain_case("L = sum(tanh(sigmoid(w) * v) / (x + 2))", NULL, 4);   /* x + 2: a const, skipped */
    /* a generic rule (sin, pow 3), scalar operands, w's gradient from two slots */
    chain_case("L = sum(2 * w * x - 0.5 * v^3 + sin(w))", NULL, 7);
    chain_case("L = mean(w * s + abs(v) / s - s)", NULL, 5);
    chain_case("L = sum(w / v + v - w)", NULL, 3);               /* the same-size division */
    chain_case("h = sigmoid(w * x); L = sum(h * v)", "h", 1);  /* h named: not fused away */
    /* refused: a rule of the pass (named h's) runs between the tree's slots */
    chain_case("h = w * x; L = sum(exp(v) * tanh(h))", "h", 0);
    /* refused: a scalar operand a parameter needs (its gradient sums entries) */
    chain_case("L = sum(exp(w * x) * sum(v))", NULL, 0);
    chain_case("u = tanh(w * x); L = sum(u) + sum(v)", "u", 0);    /* the head named */
    /* 20 tanh and a product: the tree stops at 16 slots (FMAX), the rest
     * run unfused below it, their gradient written by the tree */
    char deep[256] = "L = sum(";
    for (int k = 0; k < 20; k++) strcat(deep, "tanh(");
    strcat(deep, "w * v");
    for (int k = 0; k < 20; k++) strcat(deep, ")");
    strcat(deep, ")");
    chain_case(deep, NULL, 16);
}
END_TEST

START_TEST(test_pruned_backward)
{
    Tu *t = tu_new();
    tu_ok(t, "const X = [[0.5, -1, 2], [1.5, 0.25, -0.75]]; const c = 3\n"
             "W = [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]]; b = [0.05, -0.1]\n"
             "H = tanh(X @ W + b); K = sin(X) * c; L = sum(H * H) + sum(K)");
    Diag d = { 0 };
    Tape *tp = compile_entry(t->s, tu_entry(t, "L"), &d);
    ck_assert_ptr_nonnull(tp);
    ck_assert_ptr_nonnull(tp->need);
    int xs = tape_slot_of(tp, tu_entry(t, "X")), ws = tape_slot_of(tp, tu_entry(t, "W"));
    int bs = tape_slot_of(tp, tu_entry(t, "b")), ks = tape_slot_of(tp, tu_entry(t, "K"));
    int hs = tape_slot_of(tp, tu_entry(t, "H")), cs = tape_slot_of(tp, tu_entry(t, "c"));
    ck_assert(xs >= 0 && ws >= 0 && bs >= 0 && ks >= 0 && hs >= 0 && cs >= 0);
    ck_assert(!tp->need[xs] && !tp->need[cs] && !tp->need[ks]);
    ck_assert(tp->need[ws] && tp->need[bs] && tp->need[hs] && tp->need[tp->root]);

    const char *msg;
    int bad;
    ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
    backprop(tp);
    double full[8];
    memcpy(full, tape_grad(tp, ws), 6 * sizeof *full);
    memcpy(full + 6, tape_grad(tp, bs), 2 * sizeof *full);
    ck_assert(tape_grad(tp, xs)[0] != 0);       /* the full pass computes dX */
    for (long k = 0; k < 6; k++) tape_grad(tp, xs)[k] = 12345.0;
    tape_grad(tp, ks)[0] = 777.0;
    backprop_params(tp);
    for (long k = 0; k < 6; k++) {
        ck_assert(tape_grad(tp, xs)[k] == 12345.0);     /* dX skipped */
        ck_assert(tape_grad(tp, ws)[k] == full[k]);
    }
    ck_assert(tape_grad(tp, ks)[0] == 777.0);             /* K's branch skipped */
    ck_assert(tape_grad(tp, bs)[0] == full[6] && tape_grad(tp, bs)[1] == full[7]);
    /* (central differences redefine W: tp may not outlive them) */
    for (long k = 0; k < 6; k++) {
        double p = tu_entry(t, "W")->val.data[k];
        TU_CLOSE(full[k], tu_central(t, "L", "W", k, tu_step(p)), 1e-7, 1e-9);
    }
    /* train (which prunes) and grad(L, W) in an expression agree with it */
    Value g = tu_value(t, "grad(L, W)");
    for (long k = 0; k < 6; k++) ck_assert(g.data[k] == full[k]);
    value_free(&g);
    tu_ok(t, "train L 0.1 1");
    for (long k = 0; k < 6; k++) {
        /* the grid of W after one step: W - 0.1 dL/dW, written from the full pass */
        const double w0[] = { 0.1, -0.2, 0.3, 0.4, -0.5, 0.6 };
        TU_CLOSE(tu_entry(t, "W")->val.data[k], w0[k] - 0.1 * full[k], 1e-15, 1e-15);
    }
    tu_free(t);
}
END_TEST

/* The element-wise fast paths (src/kernels.c: same-shape and scalar
 * operands, switch outside the loop): every entry's gradient against
 * central differences, in the full and the pruned pass. */
START_TEST(test_elementwise_fast_paths)
{
    Tu *t = tu_new();
    tu_ok(t, "const x = [0.5, -1.25, 2, 0.75, -0.3]; s = 0.7\n"
             "w = [0.1, -0.4, 0.9, 1.3, -0.05]\n"
             "f = sum(tanh(w*x) + relu(w - s) * exp(-w) + s*w - x*s + sin(w) * cos(x) + (w + x) * (s - w))");
    double cd[6];       /* first: central differences (they redefine w and s) */
    for (long k = 0; k < 5; k++)
        cd[k] = tu_central(t, "f", "w", k, tu_step(tu_entry(t, "w")->val.data[k]));
    cd[5] = tu_central(t, "f", "s", 0, tu_step(0.7));
    Diag d = { 0 };
    Tape *tp = compile_entry(t->s, tu_entry(t, "f"), &d);
    ck_assert_ptr_nonnull(tp);
    const char *msg;
    int bad;
    int ws = tape_slot_of(tp, tu_entry(t, "w")), ss = tape_slot_of(tp, tu_entry(t, "s"));
    ck_assert(ws >= 0 && ss >= 0);
    for (int pruned = 0; pruned < 2; pruned++) {
        ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
        if (pruned) backprop_params(tp); else backprop(tp);
        for (long k = 0; k < 5; k++)
            TU_CLOSE(tape_grad(tp, ws)[k], cd[k], 1e-7, 1e-9);
        TU_CLOSE(tape_grad(tp, ss)[0], cd[5], 1e-7, 1e-9);
    }
    tu_free(t);
}
END_TEST

/* SPEC 7: a formula that uses grad(...) is differentiated like any other:
 * g = 3w^2 = 12, dg/dw = 6w = 12 at w = 2 (by hand). */
START_TEST(test_second_derivative_refused_in_table)
{
    Tu *t = tu_new();
    tu_ok(t, "w = 2; f = w^3; g = grad(f, w)");
    ck_assert(tu_num(t, "g") == 12);
    ck_assert_int_eq(tu_run(t, "grad g"), E_OK);
    TU_CLOSE(tu_grad(t, "g", "w"), 12, 1e-14, 0);
    ck_assert_int_eq(tu_run(t, "step g wrt w 0.5"), E_OK);   /* w := 2 - 0.5*12 */
    ck_assert(tu_num(t, "w") == -4);
    tu_free(t);
}
END_TEST

/* A chain of a million nodes: x0 = w, x_{i+1} = x_i · 1.000001. */
START_TEST(test_deep_chain)
{
    enum { N = 1000000 };
    size_t cap = (size_t)N * 40 + 64, len = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    len += (size_t)sprintf(text, "w = 0.5\nx0 = w\n");
    for (int i = 0; i < N; i++)
        len += (size_t)sprintf(text + len, "x%d = x%d * 1.000001\n", i + 1, i);
    Tu *t = tu_new();
    ck_assert_int_eq(run_text(t->s, "chain", text, len, 1, 0), E_OK);
    free(text);
    char last[32];
    snprintf(last, sizeof last, "x%d", N);
    double k = pow(1.000001, N);
    TU_CLOSE(tu_grad(t, last, "w"), k, 1e-9, 0);
    TU_CLOSE(tu_num(t, last), 0.5 * k, 1e-9, 0);
    /* and with respect to a node in the middle */
    TU_CLOSE(tu_grad(t, last, "x500000"), pow(1.000001, N - 500000), 1e-9, 0);
    tu_free(t);
}
END_TEST

static Suite *backprop_suite(void)
{
    Suite *s = suite_create("backprop");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_unary_rules, 0, (int)(sizeof unary / sizeof unary[0]));
    tcase_add_loop_test(tc, test_binary_rules, 0, (int)(sizeof binary / sizeof binary[0]));
    tcase_add_test(tc, test_power_cases);
    tcase_add_test(tc, test_kink_conventions);
    suite_add_tcase(s, tc);

    tc = tcase_create("graphs");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_seed_neuron);
    tcase_add_test(tc, test_shared_subexpressions);
    tcase_add_test(tc, test_backprop_twice);
    tcase_add_test(tc, test_grad_wrt_formula);
    tcase_add_test(tc, test_pruned_backward);
    tcase_add_test(tc, test_pruned_assign);
    tcase_add_test(tc, test_pruned_fused);
    tcase_add_test(tc, test_pruned_fused_chains);
    tcase_add_test(tc, test_elementwise_fast_paths);
    tcase_add_test(tc, test_second_derivative_refused_in_table);
    suite_add_tcase(s, tc);

    tc = tcase_create("depth");
    tcase_set_tags(tc, "slow");      /* CK_EXCLUDE_TAGS=slow skips it */
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_deep_chain);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_main(backprop_suite());
}
