/* check_numdiff.c: finite differences (src/numdiff.c), SPEC section 4.
 *
 * numdiff_entry on functions whose derivative is known: the estimates'
 * accuracy, the step as actually stored, one-sided differences at a domain
 * edge, `set eps`, `set fd`, the cost; numdiff_disagree against SPEC's
 * formula at its boundaries. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "numdiff.h"

/* A formula's tape after one forward and one backward pass, with the slot
 * of parameter w. */
typedef struct Fx {
    Tu *t;
    Tape *tape;
    int slot;
    double bp;
    double *scratch;
} Fx;

static Fx setup(const char *defs, const char *f, const char *w)
{
    Fx x = { 0 };
    x.t = tu_new();
    tu_ok(x.t, defs);
    Diag d = { 0 };
    x.tape = compile_entry(x.t->s, tu_entry(x.t, f), &d);
    ck_assert_msg(x.tape != NULL, "%s", d.msg);
    const char *msg;
    int bad;
    ck_assert_int_eq(eval_forward(x.tape, 0, &bad, &msg), E_OK);
    backprop(x.tape);
    x.slot = tape_slot_of(x.tape, tu_entry(x.t, w));
    ck_assert_int_ge(x.slot, 0);
    x.bp = tape_grad(x.tape, x.slot)[0];
    x.scratch = malloc((size_t)x.tape->nval * sizeof *x.scratch);
    ck_assert_ptr_nonnull(x.scratch);
    return x;
}

static void run(Fx *x, FdResult *r, FdCost *cost)
{
    memset(cost, 0, sizeof *cost);
    numdiff_entry(x->tape, x->slot, 0, x->bp, &x->t->s->set, x->scratch, r, cost);
}

static void teardown(Fx *x)
{
    free(x->scratch);
    tu_free(x->t);
}

/* ---- accuracy and the steps ------------------------------------------------ */

START_TEST(test_exp_at_one)
{
    Fx x = setup("w = 1; f = exp(w)", "f", "w");
    double before = tape_val(x.tape, x.tape->root)[0];
    FdResult r;
    FdCost cost;
    run(&x, &r, &cost);
    ck_assert(r.central.done && r.forward.done);
    ck_assert(!r.central.failed && !r.forward.failed);
    ck_assert_int_eq(r.central.one_sided, 0);
    ck_assert_int_eq(r.forward.one_sided, 0);
    TU_CLOSE(r.central.value, M_E, 1e-9, 0);
    TU_CLOSE(r.forward.value, M_E, 1e-7, 0);
    ck_assert_msg(fabs(r.forward.value - M_E) > 1e-10,
                  "the forward difference is suspiciously exact: %.17g", r.forward.value);
    ck_assert(!r.disagree);
    ck_assert_int_eq(cost.central, 2);
    ck_assert_int_eq(cost.forward, 1);
    /* the tape is left as it was found */
    ck_assert(tape_val(x.tape, x.tape->root)[0] == before);
    ck_assert(tape_val(x.tape, x.slot)[0] == 1);
    teardown(&x);
}
END_TEST

/* h from the parameter's scale; the quotient divides by the step as
 * stored: (p + h) - p, not h. */
START_TEST(test_step_as_stored)
{
    static const double ps[] = { 3.3, -7.1, 0.1, 1234.5678, 1 };
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        char defs[128];
        snprintf(defs, sizeof defs, "w = %.17g; f = sin(w) * w", ps[i]);
        Fx x = setup(defs, "f", "w");
        double p = ps[i];
        FdResult r;
        FdCost cost;
        run(&x, &r, &cost);
        volatile double hc = cbrt(DBL_EPSILON) * fmax(1, fabs(p));
        volatile double hf = sqrt(DBL_EPSILON) * fmax(1, fabs(p));
        volatile double cp = p + hc, cm = p - hc, fp = p + hf;
        ck_assert_msg(r.central.h == (cp - cm) / 2, "central h %.17g, expected %.17g",
                      r.central.h, (cp - cm) / 2);
        ck_assert_msg(r.forward.h == fp - p, "forward h %.17g, expected %.17g", r.forward.h,
                      fp - p);
        /* the estimates are exactly the quotients over the stored points */
        double fcp = sin(cp) * cp, fcm = sin(cm) * cm, ffp = sin(fp) * fp, f0 = sin(p) * p;
        ck_assert(r.central.fplus == fcp && r.central.fminus == fcm);
        TU_CLOSE(r.central.value, (fcp - fcm) / (cp - cm), 1e-15, 0);
        TU_CLOSE(r.forward.value, (ffp - f0) / (fp - p), 1e-15, 0);
        double d = cos(p) * p + sin(p);
        if (fabs(p) < 10)   /* at 1234 the step is 7e-3: truncation shows */
            TU_CLOSE(r.central.value, d, 1e-8, 1e-9);
        TU_CLOSE(x.bp, d, 1e-13, 0);
        teardown(&x);
    }
}
END_TEST

/* SPEC 4 and issue 14: a step that leaves the domain on one side is shrunk
 * until both sides fit, then 1000 times more, so that the edge is far away
 * compared with h: at sqrt(1e-9), a one-sided step of 6e-6 gave 401 for
 * the true 15811. */
START_TEST(test_domain_edge)
{
    Fx x = setup("w = 1e-9; f = sqrt(w)", "f", "w");
    FdResult r;
    FdCost cost;
    run(&x, &r, &cost);
    ck_assert(!r.central.failed);
    ck_assert_int_eq(r.central.one_sided, 0);
    double p = 1e-9, want = 0.5 / sqrt(p);
    volatile double h = cbrt(DBL_EPSILON);
    ck_assert(r.central.edge_h == h);
    ck_assert_msg(r.central.h <= p / 1000, "h %g is not far inside the domain", r.central.h);
    TU_CLOSE(r.central.value, want, 1e-7, 0);
    ck_assert(!r.disagree);
    /* a wrong value is still marked: the truncation estimate is small */
    numdiff_entry(x.tape, x.slot, 0, want * (1 + 1e-3), &x.t->s->set, x.scratch, &r, &cost);
    ck_assert(r.disagree);
    /* the forward difference only needs p + h */
    ck_assert_int_eq(r.forward.one_sided, 0);
    ck_assert(!r.forward.failed);
    teardown(&x);

    /* the other side: only p - h is valid */
    x = setup("w = -1e-9; f = sqrt(-w)", "f", "w");
    run(&x, &r, &cost);
    ck_assert_int_eq(r.central.one_sided, 0);
    ck_assert(r.central.edge_h == h);
    TU_CLOSE(r.central.value, -want, 1e-7, 0);
    ck_assert(!r.disagree);
    /* forward falls back to the backward difference */
    ck_assert_int_eq(r.forward.one_sided, -1);
    ck_assert(!r.forward.failed && r.forward.value < 0);
    teardown(&x);

    /* the edge at p itself: no two-sided step fits, so the one-sided
     * difference on the valid side with the first h */
    x = setup("w = 0; f = w^1.5", "f", "w");
    run(&x, &r, &cost);
    ck_assert_int_eq(r.central.one_sided, +1);
    ck_assert(r.central.edge_h == 0);
    volatile double pp = 0 + h;
    TU_CLOSE(r.central.value, pow(pp, 1.5) / pp, 1e-13, 0);
    teardown(&x);

    /* log at a point whose both steps are valid: no one-sided */
    x = setup("w = 0.5; f = log(w)", "f", "w");
    run(&x, &r, &cost);
    ck_assert_int_eq(r.central.one_sided, 0);
    TU_CLOSE(r.central.value, 2.0, 1e-9, 0);
    teardown(&x);
}
END_TEST

/* Neither side valid: the estimate fails instead of printing nonsense. */
START_TEST(test_no_valid_side)
{
    /* sqrt(1e-20 - w^2) at w = 0: any step of 1e-10 or more leaves the domain */
    Fx x = setup("w = 0; f = sqrt(1e-20 - w*w)", "f", "w");
    FdResult r;
    FdCost cost;
    run(&x, &r, &cost);
    ck_assert(r.central.failed);
    ck_assert(r.forward.failed);
    ck_assert(isnan(r.central.value));
    teardown(&x);
}
END_TEST

START_TEST(test_set_eps)
{
    Fx x = setup("w = 1; f = exp(w)", "f", "w");
    tu_ok(x.t, "set eps 1e-3");
    ck_assert(x.t->s->set.eps == 1e-3);
    FdResult r;
    FdCost cost;
    run(&x, &r, &cost);
    volatile double pp = 1 + 1e-3, pm = 1 - 1e-3;
    ck_assert(r.central.h == (pp - pm) / 2);
    ck_assert(r.forward.h == pp - 1);
    TU_CLOSE(r.central.value, (exp(pp) - exp(pm)) / (pp - pm), 1e-14, 0);
    TU_CLOSE(r.forward.value, (exp(pp) - M_E) / (pp - 1), 1e-14, 0);
    /* the truncation error is now visible: e·h²/6 and e·h/2 */
    TU_CLOSE(r.central.value - M_E, M_E * 1e-6 / 6, 1e-3, 0);
    TU_CLOSE(r.forward.value - M_E, M_E * 1e-3 / 2, 1e-2, 0);

    tu_ok(x.t, "set eps auto");
    ck_assert(x.t->s->set.eps == 0);
    run(&x, &r, &cost);
    ck_assert(r.central.h != 1e-3);
    TU_CLOSE(r.central.value, M_E, 1e-9, 0);

    ck_assert_int_eq(tu_run(x.t, "set eps -1"), E_USAGE);
    ck_assert_int_eq(tu_run(x.t, "set eps 0"), E_USAGE);
    ck_assert(x.t->s->set.eps == 0);
    teardown(&x);
}
END_TEST

START_TEST(test_set_fd)
{
    Fx x = setup("w = 2; f = w^3", "f", "w");
    FdResult r;
    FdCost cost;
    tu_ok(x.t, "set fd forward");
    run(&x, &r, &cost);
    ck_assert(!r.central.done && r.forward.done);
    ck_assert_int_eq(cost.central, 0);
    ck_assert_int_eq(cost.forward, 1);
    TU_CLOSE(r.forward.value, 12.0, 1e-6, 0);

    tu_ok(x.t, "set fd central");
    run(&x, &r, &cost);
    ck_assert(r.central.done && !r.forward.done);
    ck_assert_int_eq(cost.central, 2);
    ck_assert_int_eq(cost.forward, 0);

    tu_ok(x.t, "set fd off");
    run(&x, &r, &cost);
    ck_assert(!r.central.done && !r.forward.done);
    ck_assert_int_eq(cost.central + cost.forward, 0);
    ck_assert(!r.disagree);

    tu_ok(x.t, "set fd central, forward");
    ck_assert_uint_eq(x.t->s->set.fd, FD_CENTRAL | FD_FORWARD);
    ck_assert_int_eq(tu_run(x.t, "set fd sideways"), E_USAGE);
    ck_assert_uint_eq(x.t->s->set.fd, FD_CENTRAL | FD_FORWARD);
    teardown(&x);
}
END_TEST

/* ---- kinks (SPEC 4): retry with h/10 up to 3 times, then left and right
 * slopes; agreement when backprop lies between them. */

START_TEST(test_kink_slopes)
{
    Fx x = setup("w = 0; f = relu(w) * 3", "f", "w");
    FdResult r;
    FdCost cost;
    run(&x, &r, &cost);
    ck_assert(x.bp == 0);                       /* relu'(0) = 0 */
    ck_assert(r.central.kink);
    ck_assert(r.central.left == 0);
    TU_CLOSE(r.central.right, 3.0, 1e-15, 0);
    ck_assert_int_eq(cost.central, 8);          /* 4 attempts, 2 passes each */
    volatile double h = cbrt(DBL_EPSILON) / 10 / 10 / 10, pp = 0 + h, pm = 0 - h;
    ck_assert(r.central.h == (pp - pm) / 2);
    ck_assert(!r.disagree);                     /* 0 lies in [0, 3] */
    /* a backprop value outside the slopes is marked */
    numdiff_entry(x.tape, x.slot, 0, 3.5, &x.t->s->set, x.scratch, &r, &cost);
    ck_assert(r.disagree);
    numdiff_entry(x.tape, x.slot, 0, 1.5, &x.t->s->set, x.scratch, &r, &cost);
    ck_assert(!r.disagree);
    teardown(&x);

    x = setup("w = 0; f = abs(w)", "f", "w");
    run(&x, &r, &cost);
    ck_assert(r.central.kink);
    ck_assert(r.central.left == -1 && r.central.right == 1);
    ck_assert(!r.disagree);
    teardown(&x);

    x = setup("w = 1; v = 1; f = max(w, v) + 2 * min(w, v)", "f", "w");
    run(&x, &r, &cost);
    ck_assert(r.central.kink);
    ck_assert(x.bp == 1.5);                     /* half of each at the tie */
    TU_CLOSE(fmin(r.central.left, r.central.right), 1.0, 1e-6, 0);   /* round-off u/h */
    TU_CLOSE(fmax(r.central.left, r.central.right), 2.0, 1e-6, 0);
    ck_assert(!r.disagree);
    teardown(&x);
}
END_TEST

/* Near a kink, a smaller step that no longer straddles it is used. */
START_TEST(test_kink_retry)
{
    /* w = 1e-7: h = 6e-6 and 6e-7 straddle 0, h/100 = 6e-8 does not */
    Fx x = setup("w = 1e-7; f = relu(w) * w", "f", "w");
    FdResult r;
    FdCost cost;
    run(&x, &r, &cost);
    ck_assert(!r.central.kink);
    ck_assert_int_eq(cost.central, 6);
    volatile double h = cbrt(DBL_EPSILON) / 10 / 10, pp = 1e-7 + h, pm = 1e-7 - h;
    ck_assert(r.central.h == (pp - pm) / 2);
    TU_CLOSE(r.central.value, 2e-7, 1e-6, 0);
    ck_assert(!r.disagree);
    teardown(&x);

    /* far from the kink: one attempt */
    x = setup("w = 0.5; f = relu(w) * w", "f", "w");
    run(&x, &r, &cost);
    ck_assert(!r.central.kink);
    ck_assert_int_eq(cost.central, 2);
    teardown(&x);
}
END_TEST

/* Ridders' extrapolation (SPEC 4): far more accurate than one central
 * difference, with an error estimate. */
START_TEST(test_ridders)
{
    Fx x = setup("w = 1; f = exp(w) * sin(w)", "f", "w");
    tu_ok(x.t, "set fd ridders");
    FdResult r;
    FdCost cost;
    run(&x, &r, &cost);
    double want = exp(1) * (sin(1) + cos(1));
    ck_assert(r.ridders.done && !r.ridders.failed);
    ck_assert(!r.central.done && !r.forward.done);
    TU_CLOSE(r.ridders.value, want, 1e-12, 0);
    ck_assert_msg(r.ridders.err >= 0 && r.ridders.err < 1e-9, "error estimate %g", r.ridders.err);
    ck_assert_msg(cost.ridders >= 4 && cost.ridders <= 20 && cost.ridders % 2 == 0,
                  "%ld passes", cost.ridders);
    ck_assert(!r.disagree);
    numdiff_entry(x.tape, x.slot, 0, want * (1 + 1e-5), &x.t->s->set, x.scratch, &r, &cost);
    ck_assert(r.disagree);
    teardown(&x);

    /* the first step h0 = 0.1 leaves the domain of sqrt at 0.05 */
    x = setup("w = 0.05; f = sqrt(w)", "f", "w");
    tu_ok(x.t, "set fd ridders");
    run(&x, &r, &cost);
    ck_assert(r.ridders.failed);
    teardown(&x);
}
END_TEST

/* The complex step (SPEC 4): exact to rounding for analytic operations,
 * one pass, branches decided on the real part. */
START_TEST(test_complex_step)
{
    static const struct { const char *f; double p, d; } cases[] = {
        { "sin(w) * exp(w) / w", 0.7, 0 },
        { "w^3", 1.5, 6.75 },
        { "tanh(w) + sigmoid(w) + softplus(w)", -0.4, 0 },
        { "log(w) * sqrt(w)", 2.5, 0 },
        { "abs(w) * w", -2, 4 },
        { "relu(w) + max(w, 1) + min(w, 0) + (w > 0)", 0.3, 1 },
        { "cos(w) / tan(w) - w", 0.9, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char defs[160];
        snprintf(defs, sizeof defs, "w = %.17g; f = %s", cases[i].p, cases[i].f);
        Fx x = setup(defs, "f", "w");
        tu_ok(x.t, "set fd complex");
        FdResult r;
        FdCost cost;
        run(&x, &r, &cost);
        ck_assert_msg(r.cstep.done && !r.cstep.failed, "%s: %s", cases[i].f,
                      r.cstep.why ? r.cstep.why : "");
        ck_assert_int_eq(cost.cstep, 1);
        double p = cases[i].p, want = cases[i].d;
        if (i == 0) want = (cos(p) * exp(p) + sin(p) * exp(p)) / p - sin(p) * exp(p) / (p * p);
        if (i == 2) {
            double t = tanh(p), s = 1 / (1 + exp(-p));
            want = 1 - t * t + s * (1 - s) + s;
        }
        if (i == 3) want = sqrt(p) / p + log(p) * 0.5 / sqrt(p);
        if (i == 6) {
            double c = cos(p), tn = tan(p);
            want = -sin(p) / tn - c / (tn * tn) * (1 + tn * tn) - 1;
        }
        ck_assert_msg(tu_close(r.cstep.value, want, 1e-14, 1e-300),
                      "%s at %g: complex step %.17g, expected %.17g", cases[i].f, p,
                      r.cstep.value, want);
        ck_assert(!r.disagree);
        teardown(&x);
    }
}
END_TEST

/* A formula's slot can be perturbed: ∂f/∂z with z's inputs held fixed. */
START_TEST(test_perturb_formula)
{
    Tu *t = tu_new();
    tu_ok(t, "w = 0.3; z = w * w + 1; f = log(z) * z");
    Diag d = { 0 };
    Tape *tp = compile_entry(t->s, tu_entry(t, "f"), &d);
    const char *msg;
    int bad;
    ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
    backprop(tp);
    int zs = tape_slot_of(tp, tu_entry(t, "z"));
    ck_assert_int_ge(zs, 0);
    double z = 1.09, want = log(z) + 1;
    TU_CLOSE(tape_grad(tp, zs)[0], want, 1e-13, 0);
    double *scratch = malloc((size_t)tp->nval * sizeof *scratch);
    FdResult r;
    FdCost cost = { 0 };
    numdiff_entry(tp, zs, 0, tape_grad(tp, zs)[0], &t->s->set, scratch, &r, &cost);
    TU_CLOSE(r.central.value, want, 1e-9, 0);
    ck_assert(!r.disagree);
    free(scratch);
    tu_free(t);
}
END_TEST

/* A wrong backprop value is marked. */
START_TEST(test_disagree_marked)
{
    Fx x = setup("w = 1; f = exp(w)", "f", "w");
    FdResult r;
    FdCost cost;
    memset(&cost, 0, sizeof cost);
    numdiff_entry(x.tape, x.slot, 0, M_E * (1 + 1e-4), &x.t->s->set, x.scratch, &r, &cost);
    ck_assert(r.disagree);
    numdiff_entry(x.tape, x.slot, 0, M_E, &x.t->s->set, x.scratch, &r, &cost);
    ck_assert(!r.disagree);
    teardown(&x);
}
END_TEST

/* ---- SPEC 4's mark ----------------------------------------------------------
 * disagree when |bp − c| > tol·max(|bp|, |c|) + 10·u·max(|f₊|, |f₋|)/h.
 * The numbers are powers of two, so each side is computed exactly. */

START_TEST(test_disagree_formula)
{
    const double u = DBL_EPSILON, tol = ldexp(1, -20);
    /* relative part only (f± = 0: no floor) */
    ck_assert(!numdiff_disagree(1, 1, 0, 0, 1, tol));
    ck_assert(!numdiff_disagree(1, 1 + ldexp(1, -20), 0, 0, 1, tol));   /* 2^-20 <= 2^-20(1+2^-20) */
    ck_assert(numdiff_disagree(1, 1 + ldexp(1, -19), 0, 0, 1, tol));
    ck_assert(!numdiff_disagree(1 + ldexp(1, -20), 1, 0, 0, 1, tol));   /* symmetric */
    ck_assert(numdiff_disagree(1 + ldexp(1, -19), 1, 0, 0, 1, tol));
    ck_assert(!numdiff_disagree(-1, -1 - ldexp(1, -20), 0, 0, 1, tol));
    ck_assert(numdiff_disagree(-1, -1 - ldexp(1, -19), 0, 0, 1, tol));
    ck_assert(numdiff_disagree(1, -1, 0, 0, 1, tol));
    /* max(|bp|, |c|): relative to the larger */
    ck_assert(!numdiff_disagree(1, 1 - ldexp(1, -20), 0, 0, 1, tol));
    /* tol 0: only exact agreement (or the floor) */
    ck_assert(!numdiff_disagree(0.75, 0.75, 0, 0, 1, 0));
    ck_assert(numdiff_disagree(0.75, 0.75 + ldexp(1, -40), 0, 0, 1, 0));
    /* both zero */
    ck_assert(!numdiff_disagree(0, 0, 0, 0, 1, tol));
    ck_assert(numdiff_disagree(0, ldexp(1, -60), 0, 0, 1, tol));

    /* the floor: 10·u·F/h with F = 2^40, h = 2^-10 is 10·2^-52·2^50 = 2.5 */
    double F = ldexp(1, 40), h = ldexp(1, -10);
    ck_assert(10 * u * F / h == 2.5);
    ck_assert(!numdiff_disagree(0, 2.5, F, 0, h, 0));
    ck_assert(numdiff_disagree(0, 2.5 + ldexp(1, -20), F, 0, h, 0));
    /* max(|f₊|, |f₋|): either side, either sign */
    ck_assert(!numdiff_disagree(0, 2.5, 0, F, h, 0));
    ck_assert(!numdiff_disagree(0, 2.5, -F, 1, h, 0));
    ck_assert(!numdiff_disagree(0, -2.5, 1, -F, h, 0));
    ck_assert(numdiff_disagree(0, 2.5 + ldexp(1, -20), 1, -F, h, 0));
    /* the floor scales with 1/h */
    ck_assert(!numdiff_disagree(0, 5, F, F, h / 2, 0));
    ck_assert(numdiff_disagree(0, 5, F, F, h, 0));
    /* both terms add: 4 = tol·max + floor = 0.5·3 + 2.5 */
    ck_assert(!numdiff_disagree(3, -1, F, 0, h, 0.5));
    ck_assert(numdiff_disagree(3, -1 - ldexp(1, -20), F, 0, h, 0.5));

    /* a NaN estimate is never agreement with a number */
    ck_assert(numdiff_disagree(1, NAN, 0, 0, 1, tol));
    ck_assert(numdiff_disagree(NAN, 1, 0, 0, 1, tol));
}
END_TEST

/* The table's cost line counts the passes really run. */
START_TEST(test_cost_line)
{
    Tu *t = tu_new();
    tu_ok(t, "w = -3; x = 2; b = 1; f = tanh(w*x + b)");
    tu_clear(t);
    tu_ok(t, "grad f");
    ck_assert_msg(strstr(tu_out(t), "cost: backprop 1 fwd + 1 bwd; central 6 fwd; "
                                    "forward 4 fwd\n") != NULL, "%s", tu_out(t));
    tu_ok(t, "set fd central");
    tu_clear(t);
    tu_ok(t, "grad f wrt w");
    ck_assert_msg(strstr(tu_out(t), "central 2 fwd\n") != NULL, "%s", tu_out(t));
    ck_assert_msg(strstr(tu_out(t), "forward diff") == NULL, "%s", tu_out(t));
    tu_free(t);
}
END_TEST

/* ---- issue 14: never ok when not finite; T; kinks that are smooth; jumps;
 * the complex step's own mark; the maxcheck sample ---------------------- */

START_TEST(test_not_finite_never_ok)
{
    /* x^y at x < 0: dx^y/dy is NaN; the row names the node and the cause */
    Fx x = setup("a = -2; b = 2; f = a^b", "f", "b");
    FdResult r;
    FdCost cost;
    run(&x, &r, &cost);
    ck_assert(isnan(x.bp));
    ck_assert(r.disagree);
    ck_assert_str_eq(r.why, "not differentiable here");
    ck_assert_str_eq(r.cause, "x^y with x < 0");
    ck_assert_ptr_nonnull(r.why_node);
    teardown(&x);

    /* sqrt(x^2) at 0: 0·inf */
    x = setup("w = 0; f = sqrt(w^2)", "f", "w");
    run(&x, &r, &cost);
    ck_assert(r.disagree);
    ck_assert_msg(strstr(r.cause, "0·∞") && strstr(r.cause, "sqrt at 0"), "%s", r.cause);
    teardown(&x);

    /* an infinite backprop against a finite estimate, with every method */
    static const char *const fds[] = { "central", "forward", "ridders", "complex" };
    for (int i = 0; i < 4; i++) {
        char set[40];
        x = setup("s = 0; f = sqrt(s)", "f", "s");
        snprintf(set, sizeof set, "set fd %s", fds[i]);
        tu_ok(x.t, set);
        run(&x, &r, &cost);
        ck_assert(isinf(x.bp));
        ck_assert_msg(r.disagree, "%s: an infinite backprop is ok", fds[i]);
        ck_assert_msg(r.why && strstr(r.cause, "sqrt at 0"), "%s", fds[i]);
        teardown(&x);
    }

    /* the step lost: p + h == p */
    x = setup("w = 2; f = w^2", "f", "w");
    tu_ok(x.t, "set eps 1e-30");
    run(&x, &r, &cost);
    ck_assert(r.central.failed && r.forward.failed);
    ck_assert(r.disagree);
    ck_assert_msg(strncmp(r.why, "step lost", 9) == 0, "%s", r.why);
    ck_assert_int_eq(cost.central + cost.forward, 0);   /* nothing ran */
    teardown(&x);

    /* overflow: exp(p + h) is past 1.8e308 */
    x = setup("w = 709.78; f = exp(w)", "f", "w");
    tu_ok(x.t, "set fd central");
    run(&x, &r, &cost);
    ck_assert(isfinite(x.bp));
    ck_assert(r.disagree);
    ck_assert_msg(strncmp(r.why, "overflow", 8) == 0, "%s", r.why);
    teardown(&x);
}
END_TEST

/* T: the truncation estimate from 2h keeps right rows from false alarms
 * and still lets a wrong value show; its passes are counted. */
START_TEST(test_mark_truncation)
{
    static const double ps[] = { 0, 0.001 };
    for (int i = 0; i < 2; i++) {
        char defs[64];
        snprintf(defs, sizeof defs, "w = %g; f = w^3", ps[i]);
        Fx x = setup(defs, "f", "w");
        tu_ok(x.t, "set fd central");
        FdResult r;
        FdCost cost;
        run(&x, &r, &cost);
        double h = cbrt(DBL_EPSILON);
        TU_CLOSE(r.central.value - x.bp, h * h, 1e-3, 0);   /* central's error is h² */
        ck_assert(!r.disagree);
        TU_CLOSE(r.trunc, h * h, 1e-3, 0);                  /* |4h² − h²|/3 */
        ck_assert_int_eq(cost.central, 4);                  /* 2 more for 2h */
        /* wrong by 1e-3 relative (or by 1e-9 at 0): still marked */
        double wrong = x.bp == 0 ? 1e-9 : x.bp * (1 + 1e-3);
        numdiff_entry(x.tape, x.slot, 0, wrong, &x.t->s->set, x.scratch, &r, &cost);
        ck_assert(r.disagree);
        teardown(&x);
    }
    /* a row that agrees at once does not pay for T */
    Fx x = setup("w = 1; f = exp(w)", "f", "w");
    tu_ok(x.t, "set fd central");
    FdResult r;
    FdCost cost;
    run(&x, &r, &cost);
    ck_assert(!r.disagree && r.trunc == 0);
    ck_assert_int_eq(cost.central, 2);
    teardown(&x);

    /* f = 0 computed from numbers near 645: the floor is at their scale */
    x = setup("z = [[645, 0]]; y = [[1, 0]]; f = cross_entropy(z, y)", "f", "z");
    tu_ok(x.t, "set fd central");
    double bp = tape_grad(x.tape, x.slot)[1];
    ck_assert(bp > 0 && bp < 1e-270);
    memset(&cost, 0, sizeof cost);
    numdiff_entry(x.tape, x.slot, 1, bp, &x.t->s->set, x.scratch, &r, &cost);
    ck_assert(r.central.value == 0);
    ck_assert(!r.disagree);
    numdiff_entry(x.tape, x.slot, 1, 1e-3, &x.t->s->set, x.scratch, &r, &cost);
    ck_assert(r.disagree);                                  /* a real error still shows */
    teardown(&x);
}
END_TEST

/* After the retries, equal one-sided slopes mean f is smooth there; a
 * value that steps is a jump, never a kink. */
START_TEST(test_smooth_kink_and_jump)
{
    Fx x = setup("w = 0; f = w*abs(w)", "f", "w");
    FdResult r;
    FdCost cost;
    run(&x, &r, &cost);
    ck_assert(r.central.flipped);
    ck_assert(!r.central.kink && !r.central.jump);
    ck_assert(!r.disagree);
    numdiff_entry(x.tape, x.slot, 0, 0.01, &x.t->s->set, x.scratch, &r, &cost);
    ck_assert(r.disagree);
    teardown(&x);

    x = setup("r = 1; f = (abs(r) <= 1)*r^2/2 + (abs(r) > 1)*(abs(r) - 0.5)", "f", "r");
    run(&x, &r, &cost);
    ck_assert(x.bp == 1);
    ck_assert(!r.central.kink && !r.central.jump);
    ck_assert(!r.disagree);
    teardown(&x);

    x = setup("w = 0; f = (w >= 0) + 0*w", "f", "w");
    run(&x, &r, &cost);
    ck_assert(r.central.jump);
    ck_assert(!r.central.kink);
    ck_assert(r.central.fminus == 0 && r.central.fplus == 1);
    teardown(&x);

    /* relu stays a kink: slopes 0 and 3 */
    x = setup("w = 0; f = relu(w) * 3", "f", "w");
    run(&x, &r, &cost);
    ck_assert(r.central.kink && !r.central.jump);
    teardown(&x);
}
END_TEST

/* At a domain's edge the one-sided difference of w^1.5 converges like
 * sqrt(h) (c(h) = h^0.5): the right derivative 0 agrees, by the order the
 * estimates at h, 2h, 4h show, and a wrong one is still marked, on either
 * side of the estimate. */
START_TEST(test_mark_slow_order)
{
    Fx x = setup("w = 0; f = w^1.5", "f", "w");
    tu_ok(x.t, "set fd central");
    FdResult r;
    FdCost cost;
    run(&x, &r, &cost);
    ck_assert(x.bp == 0);
    ck_assert(r.central.one_sided);
    TU_CLOSE(r.central.value, sqrt(r.central.h), 1e-9, 0);
    ck_assert_msg(!r.disagree, "0 against %g marked", r.central.value);
    static const double wrong[] = { 0.2, 0.5, 1.5, 2.5, -0.5 };   /* times the estimate */
    for (int i = 0; i < 5; i++) {
        double bp = wrong[i] * r.central.value;
        FdResult q;
        numdiff_entry(x.tape, x.slot, 0, bp, &x.t->s->set, x.scratch, &q, &cost);
        ck_assert_msg(q.disagree, "a wrong %g not marked", bp);
    }
    teardown(&x);
}
END_TEST

/* The complex step's mark catches a wrong value (its tolerance is tol,
 * relative: 1e-6, not a loose one). */
START_TEST(test_complex_step_mismatch)
{
    Fx x = setup("w = 0.7; f = sin(w) * exp(w)", "f", "w");
    tu_ok(x.t, "set fd complex");
    FdResult r;
    FdCost cost;
    double want = (cos(0.7) + sin(0.7)) * exp(0.7);
    run(&x, &r, &cost);
    ck_assert(!r.disagree);
    static const double rel[] = { 1e-5, 0.5, -0.9 };
    for (int i = 0; i < 3; i++) {
        numdiff_entry(x.tape, x.slot, 0, want * (1 + rel[i]), &x.t->s->set, x.scratch, &r, &cost);
        ck_assert_msg(r.disagree, "backprop off by %g is not marked", rel[i]);
    }
    numdiff_entry(x.tape, x.slot, 0, want * (1 + 1e-9), &x.t->s->set, x.scratch, &r, &cost);
    ck_assert(!r.disagree);
    teardown(&x);
}
END_TEST

/* The maxcheck sample: m distinct indices in order, the same for the same
 * seed, different for another, every index reachable. */
START_TEST(test_sample)
{
    long a[50], b[50], c[50];
    numdiff_sample(1000, 50, 42, a);
    numdiff_sample(1000, 50, 42, b);
    numdiff_sample(1000, 50, 7, c);
    int same = 1, diff = 0;
    for (int i = 0; i < 50; i++) {
        ck_assert(a[i] >= 0 && a[i] < 1000);
        if (i) ck_assert(a[i] > a[i - 1]);
        same &= a[i] == b[i];
        diff |= a[i] != c[i];
    }
    ck_assert(same && diff);
    long all[10];
    numdiff_sample(10, 10, 1, all);                  /* m = n: every index */
    for (int i = 0; i < 10; i++) ck_assert_int_eq(all[i], i);
    /* roughly uniform: over many seeds, each of 10 indices picked ~ 3/10 */
    int hits[10] = { 0 };
    for (unsigned long long sd = 0; sd < 2000; sd++) {
        long p[3];
        numdiff_sample(10, 3, sd, p);
        for (int i = 0; i < 3; i++) hits[p[i]]++;
    }
    for (int i = 0; i < 10; i++)
        ck_assert_msg(hits[i] > 500 && hits[i] < 700, "index %d picked %d times of 2000", i, hits[i]);
}
END_TEST

/* ---- alias mode (tape.h) ----------------------------------------------------- */

/* f = sum(log(w) * x) over 2000 entries (tensor leaves: aliased), its
 * tape in alias mode after a forward and a backward pass, the way train
 * leaves it between steps.  numdiff must end the mode and perturb the
 * tape's own copy: a perturbation written where the passes do not read
 * would give an estimate of 0, one written into w would change it. */
START_TEST(test_alias_numdiff)
{
    enum { N = 2000 };
    Tu *t = tu_new();
    tu_okf(t, "w = zeros(%d); const x = zeros(%d); f = sum(log(w) * x)", N, N);
    Entry *we = tu_entry(t, "w"), *xe = tu_entry(t, "x");
    for (long k = 0; k < N; k++) {
        we->val.data[k] = 1 + 0.5 * sin(0.3 * (double)k);
        xe->val.data[k] = cos(0.7 * (double)k);
    }
    we->val.data[0] = 1e-300;       /* p - h leaves log's domain: one side, or none */
    session_changed(t->s, we);
    session_changed(t->s, xe);
    double *keep = malloc(N * sizeof *keep);
    memcpy(keep, we->val.data, N * sizeof *keep);
    Diag d = { 0 };
    Tape *tp = compile_entry(t->s, tu_entry(t, "f"), &d);
    ck_assert_ptr_nonnull(tp);
    int slot = tape_slot_of(tp, we), bad;
    const char *msg;
    double *scratch = malloc((size_t)tp->nval * sizeof *scratch);
    for (int k = 3; k >= 0; k -= 3) {       /* entry 3, then the edge at entry 0 */
        tape_alias_begin(tp);
        ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
        backprop(tp);
        ck_assert_ptr_eq(tape_val(tp, slot), we->val.data);    /* read in place */
        double bp = tape_grad(tp, slot)[k];
        TU_CLOSE(bp, xe->val.data[k] / we->val.data[k], 1e-15, 0);
        FdResult r;
        FdCost cost = { 0 };
        numdiff_entry(tp, slot, k, bp, &t->s->set, scratch, &r, &cost);
        ck_assert_ptr_null(tp->alias);
        ck_assert(memcmp(we->val.data, keep, N * sizeof *keep) == 0);
        ck_assert(memcmp(tape_val(tp, slot), keep, N * sizeof *keep) == 0);
        ck_assert_ptr_ne(tape_val(tp, slot), we->val.data);
        if (k == 3) {
            ck_assert(!r.central.failed);
            TU_CLOSE(r.central.value, xe->val.data[3] / keep[3], 1e-8, 0);
        } else {
            ck_assert(r.central.failed || r.central.one_sided || r.central.edge_h > 0);
        }
    }
    free(scratch);
    free(keep);
    tu_free(t);
}
END_TEST

static Suite *numdiff_suite(void)
{
    Suite *s = suite_create("numdiff");
    TCase *tc = tcase_create("estimates");
    tcase_add_test(tc, test_exp_at_one);
    tcase_add_test(tc, test_step_as_stored);
    tcase_add_test(tc, test_domain_edge);
    tcase_add_test(tc, test_no_valid_side);
    tcase_add_test(tc, test_set_eps);
    tcase_add_test(tc, test_set_fd);
    tcase_add_test(tc, test_perturb_formula);
    tcase_add_test(tc, test_cost_line);
    tcase_add_test(tc, test_kink_slopes);
    tcase_add_test(tc, test_kink_retry);
    tcase_add_test(tc, test_ridders);
    tcase_add_test(tc, test_complex_step);
    tcase_add_test(tc, test_alias_numdiff);
    suite_add_tcase(s, tc);

    tc = tcase_create("mark");
    tcase_add_test(tc, test_disagree_marked);
    tcase_add_test(tc, test_disagree_formula);
    tcase_add_test(tc, test_not_finite_never_ok);
    tcase_add_test(tc, test_mark_truncation);
    tcase_add_test(tc, test_mark_slow_order);
    tcase_add_test(tc, test_smooth_kink_and_jump);
    tcase_add_test(tc, test_complex_step_mismatch);
    tcase_add_test(tc, test_sample);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_main(numdiff_suite());
}
