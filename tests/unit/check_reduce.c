/* check_reduce.c: reductions along an axis and their friends
 * (src/kernels_reduce.c, the call forms of src/ops.c and src/compile.c).
 *
 * Each op: its values against numbers worked by hand here in C; its
 * gradient (backprop) against the hand-worked derivative, against central
 * differences computed here (FD_TOL), and against the complex step (the
 * imaginary-part kernels, CS_TOL: both are exact to rounding, and they are
 * separate code).  Then the forms of a call (max(a, b) against max(X)),
 * ties, stability at +-700 and the errors, which change nothing. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "numdiff.h"

#define HAND_TOL 1e-13   /* against a value worked here: a few roundings */
#define FD_TOL 1e-6      /* central differences: h^2 truncation + u/h round-off */
#define CS_TOL 1e-12     /* the complex step against backprop */

/* The value of expression e as a flat array of n entries (checked). */
static void value_is(Tu *t, const char *e, const double *want, long n, int rank)
{
    Value v = tu_value(t, e);
    ck_assert_msg(v.shape.rank == rank, "%s has rank %d, expected %d", e, v.shape.rank, rank);
    ck_assert_msg(shape_size(v.shape) == n, "%s has %ld entries, expected %ld", e,
                  shape_size(v.shape), n);
    for (long k = 0; k < n; k++)
        ck_assert_msg(tu_close(v.data[k], want[k], HAND_TOL, 1e-300),
                      "%s entry %ld: %.17g, expected %.17g", e, k, v.data[k], want[k]);
    value_free(&v);
}

/* dL/dW by the numeric backward pass (the rules this suite checks; their
 * derivative-as-graph rules are checked in check_derive.c). */
static Value bp_grad(Tu *t, const char *L, const char *W)
{
    char def[300];
    snprintf(def, sizeof def, "bp_target = %s", L);
    tu_ok(t, def);
    Diag d = { 0 };
    Tape *tp = compile_entry(t->s, tu_entry(t, "bp_target"), &d);
    ck_assert_msg(tp != NULL, "%s", d.msg);
    const char *msg;
    int bad;
    ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
    backprop(tp);
    Entry *we = tu_entry(t, W);
    int slot = tape_slot_of(tp, we);
    Value g = { 0 };
    ck_assert_int_ge(slot, 0);
    value_set(&g, tape_shape(tp, slot), tape_grad(tp, slot));
    tu_ok(t, "delete bp_target");
    return g;
}

/* grad(L, W) against want (hand-worked, n entries), against central
 * differences done here, and against the complex step of numdiff.c. */
static void grad_is(Tu *t, const char *L, const char *W, const double *want, long n)
{
    char e[160];
    snprintf(e, sizeof e, "grad(%s, %s)", L, W);
    Value g = bp_grad(t, L, W);
    ck_assert_int_eq(shape_size(g.shape), n);
    for (long k = 0; k < n; k++) {
        ck_assert_msg(tu_close(g.data[k], want[k], HAND_TOL, 1e-15),
                      "d%s/d%s entry %ld: backprop %.17g, by hand %.17g", L, W, k, g.data[k], want[k]);
        double p = tu_entry(t, W)->val.data[k];
        double c = tu_central(t, L, W, k, tu_step(p));
        ck_assert_msg(tu_close(g.data[k], c, FD_TOL, 1e-9),
                      "d%s/d%s entry %ld: backprop %.17g, central difference %.17g", L, W, k,
                      g.data[k], c);
    }
    /* the complex step, entry by entry, through the imaginary-part kernels */
    tu_ok(t, "set fd complex");
    Diag d = { 0 };
    Tape *tape = compile_entry(t->s, tu_entry(t, L), &d);
    ck_assert_msg(tape != NULL, "%s", d.msg);
    const char *msg;
    int bad;
    ck_assert_int_eq(eval_forward(tape, 0, &bad, &msg), E_OK);
    int slot = tape_slot_of(tape, tu_entry(t, W));
    ck_assert_int_ge(slot, 0);
    double *scratch = malloc((size_t)tape->nval * sizeof *scratch);
    for (long k = 0; k < n; k++) {
        FdResult r;
        FdCost cost = { 0 };
        numdiff_entry(tape, slot, k, g.data[k], &t->s->set, scratch, &r, &cost);
        ck_assert_msg(r.cstep.done && !r.cstep.failed, "%s: %s", L, r.cstep.why ? r.cstep.why : "");
        ck_assert_msg(tu_close(r.cstep.value, g.data[k], CS_TOL, 1e-15),
                      "d%s/d%s entry %ld: complex step %.17g, backprop %.17g", L, W, k,
                      r.cstep.value, g.data[k]);
    }
    free(scratch);
    tu_ok(t, "set fd central");
    value_free(&g);
}

/* ---- sum and mean along an axis ----------------------------------------- */

START_TEST(test_sum_mean_axis)
{
    Tu *t = tu_new();
    tu_ok(t, "X = [[1, 5, 3], [4, 2, 6]]; const u = [0.5, -1, 2]; const v = [3, -0.25]");
    double c[3] = { 5, 7, 9 }, r[2] = { 9, 12 }, cm[3] = { 2.5, 3.5, 4.5 }, rm[2] = { 3, 4 };
    value_is(t, "sum(X, 0)", c, 3, 1);
    value_is(t, "sum(X, axis=0)", c, 3, 1);
    value_is(t, "sum(X, -2)", c, 3, 1);
    value_is(t, "sum(X, 1)", r, 2, 1);
    value_is(t, "sum(X, axis=-1)", r, 2, 1);
    value_is(t, "mean(X, 0)", cm, 3, 1);
    value_is(t, "mean(X, axis=1)", rm, 2, 1);
    double all = 21, v6 = 6;
    value_is(t, "sum([1, 2, 3], 0)", &v6, 1, 0);      /* a vector: axis 0 is all of it */
    value_is(t, "sum(X[0] + X[1], axis=0)", &all, 1, 0);
    value_is(t, "mean([1, 2, 3], axis=0)", (double[]){ 2 }, 1, 0);
    /* the keyword is told by the '=' after the name: a name axis is a
     * positional argument, and axis = 1 a definition, as before */
    tu_ok(t, "axis = 1");
    value_is(t, "sum(X, axis)", r, 2, 1);
    value_is(t, "sum(X, axis = 0)", c, 3, 1);
    value_is(t, "sum(X, axis=axis)", r, 2, 1);

    /* d/dX sum(sum(X, 0) * u) = u in every row; of mean: u / rows */
    tu_ok(t, "L0 = sum(sum(X, 0) * u); L1 = sum(sum(X, axis=1) * v); "
             "M0 = sum(mean(X, 0) * u); M1 = sum(mean(X, 1) * v)");
    double g0[6] = { 0.5, -1, 2, 0.5, -1, 2 }, g1[6] = { 3, 3, 3, -0.25, -0.25, -0.25 };
    double m0[6], m1[6];
    for (int k = 0; k < 6; k++) { m0[k] = g0[k] / 2; m1[k] = g1[k] / 3; }
    grad_is(t, "L0", "X", g0, 6);
    grad_is(t, "L1", "X", g1, 6);
    grad_is(t, "M0", "X", m0, 6);
    grad_is(t, "M1", "X", m1, 6);
    tu_free(t);
}
END_TEST

/* ---- max and min: all entries, along an axis, ties --------------------- */

START_TEST(test_max_min)
{
    Tu *t = tu_new();
    tu_ok(t, "X = [[1, 5, 3], [4, 2, 6]]; const u = [0.5, -1, 2]; const v = [3, -0.25]");
    value_is(t, "max(X)", (double[]){ 6 }, 1, 0);
    value_is(t, "min(X)", (double[]){ 1 }, 1, 0);
    value_is(t, "max(X, axis=0)", (double[]){ 4, 5, 6 }, 3, 1);
    value_is(t, "max(X, axis=1)", (double[]){ 5, 6 }, 2, 1);
    value_is(t, "min(X, axis=0)", (double[]){ 1, 2, 3 }, 3, 1);
    value_is(t, "min(X, axis=-1)", (double[]){ 1, 2 }, 2, 1);
    /* a second value is the element-wise maximum, as always */
    value_is(t, "max(X, 4)", (double[]){ 4, 5, 4, 4, 4, 6 }, 6, 2);
    value_is(t, "max(0, -2)", (double[]){ 0 }, 1, 0);
    value_is(t, "min([3, -1, 2], axis=0)", (double[]){ -1 }, 1, 0);

    tu_ok(t, "A = max(X); B = sum(max(X, axis=0) * u); C = sum(min(X, axis=1) * v); D = min(X)");
    grad_is(t, "A", "X", (double[]){ 0, 0, 0, 0, 0, 1 }, 6);
    grad_is(t, "B", "X", (double[]){ 0, -1, 0, 0.5, 0, 2 }, 6);
    grad_is(t, "C", "X", (double[]){ 3, 0, 0, 0, -0.25, 0 }, 6);
    grad_is(t, "D", "X", (double[]){ 1, 0, 0, 0, 0, 0 }, 6);

    /* ties: two entries get half each (as max(a, b)), three a third each */
    tu_ok(t, "T = [[2, 7, 7], [7, 1, 0]]");
    Value g = bp_grad(t, "max(T)", "T");
    double third[6] = { 0, 1.0 / 3, 1.0 / 3, 1.0 / 3, 0, 0 };
    for (int k = 0; k < 6; k++) TU_CLOSE(g.data[k], third[k], 1e-15, 0);
    value_free(&g);
    g = bp_grad(t, "sum(max(T, axis=1))", "T");
    double half[6] = { 0, 0.5, 0.5, 1, 0, 0 };
    for (int k = 0; k < 6; k++) TU_CLOSE(g.data[k], half[k], 1e-15, 0);
    value_free(&g);
    /* at a tie the finite difference sees the kink (k_ties_flipped): one-
     * sided slopes 0 and 1, and backprop's 1/3 between them is no mismatch */
    tu_ok(t, "TM = max(T)");
    Diag d = { 0 };
    Tape *tape = compile_entry(t->s, tu_entry(t, "TM"), &d);
    ck_assert_msg(tape != NULL, "%s", d.msg);
    const char *msg;
    int bad;
    ck_assert_int_eq(eval_forward(tape, 0, &bad, &msg), E_OK);
    double *scratch = malloc((size_t)tape->nval * sizeof *scratch);
    FdResult r;
    FdCost cost = { 0 };
    numdiff_entry(tape, tape_slot_of(tape, tu_entry(t, "T")), 1, 1.0 / 3, &t->s->set, scratch,
                  &r, &cost);
    ck_assert(r.central.kink);
    ck_assert(fmin(r.central.left, r.central.right) == 0 && fmax(r.central.left, r.central.right) == 1);
    ck_assert(!r.disagree);
    /* away from the tie: no kink */
    numdiff_entry(tape, tape_slot_of(tape, tu_entry(t, "T")), 0, 0, &t->s->set, scratch, &r, &cost);
    ck_assert(!r.central.kink && !r.disagree);
    free(scratch);
    tu_ok(t, "a2 = 7; b2 = 7");
    TU_CLOSE(tu_num(t, "grad(max(a2, b2), a2)"), 0.5, 0, 0);   /* the scalar rule agrees */
    tu_free(t);
}
END_TEST

/* ---- logsumexp ------------------------------------------------------------ */

START_TEST(test_logsumexp)
{
    Tu *t = tu_new();
    tu_ok(t, "Z = [[1, 2, 0.5], [-1, 0.25, 3]]; const v = [2, -0.5]; const u = [1, 2, 3]");
    const double *z = tu_entry(t, "Z")->val.data;
    double all = 0, row[2] = { 0, 0 }, col[3];
    for (int k = 0; k < 6; k++) all += exp(z[k]);
    for (int k = 0; k < 6; k++) row[k / 3] += exp(z[k]);
    for (int c = 0; c < 3; c++) col[c] = log(exp(z[c]) + exp(z[3 + c]));
    all = log(all);
    row[0] = log(row[0]);
    row[1] = log(row[1]);
    value_is(t, "logsumexp(Z)", &all, 1, 0);
    value_is(t, "logsumexp(Z, 1)", row, 2, 1);
    value_is(t, "logsumexp(Z, axis=0)", col, 3, 1);
    /* stable: the naive log(sum(exp)) overflows here */
    TU_CLOSE(tu_num(t, "logsumexp([1000, 1000])"), 1000 + log(2), 1e-15, 0);
    TU_CLOSE(tu_num(t, "logsumexp([-1000, -1000])"), -1000 + log(2), 1e-15, 0);

    /* the derivative is a softmax over the entries reduced */
    tu_ok(t, "A = logsumexp(Z); B = sum(logsumexp(Z, axis=1) * v); C = sum(logsumexp(Z, 0) * u)");
    double ga[6], gb[6], gc[6];
    for (int k = 0; k < 6; k++) {
        ga[k] = exp(z[k] - all);
        gb[k] = (k < 3 ? 2 : -0.5) * exp(z[k] - row[k / 3]);
        gc[k] = (k % 3 + 1) * exp(z[k] - col[k % 3]);
    }
    grad_is(t, "A", "Z", ga, 6);
    grad_is(t, "B", "Z", gb, 6);
    grad_is(t, "C", "Z", gc, 6);
    tu_free(t);
}
END_TEST

/* ---- argmax: indices, no gradient ------------------------------------------ */

START_TEST(test_argmax)
{
    Tu *t = tu_new();
    tu_ok(t, "X = [[1, 5, 3], [4, 2, 6], [9, 9, 0]]");
    value_is(t, "argmax(X)", (double[]){ 6 }, 1, 0);             /* row-major: the first 9 */
    value_is(t, "argmax(X, 1)", (double[]){ 1, 2, 0 }, 3, 1);    /* a tie: the first */
    value_is(t, "argmax(X, axis=0)", (double[]){ 2, 2, 1 }, 3, 1);
    value_is(t, "argmax([0.5, -1, 2])", (double[]){ 2 }, 1, 0);
    /* multi-class accuracy, as training needs it */
    tu_ok(t, "const y = [1, 0, 0]");
    TU_CLOSE(tu_num(t, "mean(argmax(X, axis=1) == y)"), 2.0 / 3, 1e-15, 0);
    /* its derivative is zero: a formula using it has a zero gradient */
    tu_ok(t, "L = sum(argmax(X, 1) * X[:, 0])");
    Value g = bp_grad(t, "L", "X");
    double want[9] = { 1, 0, 0, 2, 0, 0, 0, 0, 0 };   /* only through X[:, 0] */
    for (int k = 0; k < 9; k++) TU_CLOSE(g.data[k], want[k], 0, 0);
    value_free(&g);
    tu_free(t);
}
END_TEST

/* ---- log_softmax -------------------------------------------------------------- */

START_TEST(test_log_softmax)
{
    Tu *t = tu_new();
    tu_ok(t, "Z = [[1, 2, 0.5], [-1, 0.25, 3]]; const W = [[1, -2, 0.5], [3, 0, -1]]");
    const double *z = tu_entry(t, "Z")->val.data, w[6] = { 1, -2, 0.5, 3, 0, -1 };
    double y[6], sm[6], g[6];
    for (int r = 0; r < 2; r++) {
        double s = 0, sw = 0;
        for (int c = 0; c < 3; c++) s += exp(z[3 * r + c]);
        for (int c = 0; c < 3; c++) {
            y[3 * r + c] = z[3 * r + c] - log(s);
            sm[3 * r + c] = exp(z[3 * r + c]) / s;
            sw += w[3 * r + c];
        }
        for (int c = 0; c < 3; c++) g[3 * r + c] = w[3 * r + c] - sm[3 * r + c] * sw;
    }
    value_is(t, "log_softmax(Z)", y, 6, 2);
    ck_assert(tu_num(t, "max(abs(log_softmax(Z) - log(softmax(Z))))") < 1e-15);
    tu_ok(t, "L = sum(log_softmax(Z) * W)");
    grad_is(t, "L", "Z", g, 6);

    /* stable at +-700, where log(softmax) gives log(0) */
    value_is(t, "log_softmax([700, -700])", (double[]){ 0, -1400 }, 2, 1);
    value_is(t, "log_softmax([-700, 700, 0])", (double[]){ -1400, 0, -700 }, 3, 1);
    ck_assert_int_ne(tu_run(t, "log(softmax([700, -700]))"), E_OK);
    tu_ok(t, "p = [700, -700]; const q = [1, 2]; P = sum(log_softmax(p) * q)");
    /* d/dp: q - softmax(p) * sum(q) = [1 - 3, 2 - 0] to rounding (e^-1400 = 0) */
    grad_is(t, "P", "p", (double[]){ -2, 2 }, 2);
    tu_free(t);
}
END_TEST

/* ---- one_hot and reshape ----------------------------------------------------- */

START_TEST(test_one_hot_reshape)
{
    Tu *t = tu_new();
    value_is(t, "one_hot([0, 2, 1, 2], 3)", (double[]){ 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1 }, 12, 2);
    value_is(t, "one_hot(1, 4)", (double[]){ 0, 1, 0, 0 }, 4, 1);
    /* labels are indices: a parameter of labels gets a zero gradient */
    tu_ok(t, "lab = [0, 1]; H = sum(one_hot(lab, 2) * [[1, 2], [3, 4]])");
    TU_CLOSE(tu_num(t, "H"), 5, 0, 0);
    Value g = bp_grad(t, "H", "lab");
    ck_assert(g.data[0] == 0 && g.data[1] == 0);
    value_free(&g);

    tu_ok(t, "X = [[1, 2, 3], [4, 5, 6]]; const W = [[1, -1], [2, 0.5], [3, -3]]");
    value_is(t, "reshape(X, 3, 2)", (double[]){ 1, 2, 3, 4, 5, 6 }, 6, 2);
    value_is(t, "reshape(X, 6)", (double[]){ 1, 2, 3, 4, 5, 6 }, 6, 1);
    value_is(t, "reshape(X, 3, 2)[2, 0]", (double[]){ 5 }, 1, 0);
    value_is(t, "reshape([1, 2, 3, 4], 2, 2) @ [1, 1]", (double[]){ 3, 7 }, 2, 1);
    tu_ok(t, "R = sum(reshape(X, 3, 2) * W); S = sum(tanh(reshape(X, 6)))");
    grad_is(t, "R", "X", (double[]){ 1, -1, 2, 0.5, 3, -3 }, 6);
    double gs[6];
    for (int k = 0; k < 6; k++) gs[k] = 1 - tanh(k + 1) * tanh(k + 1);
    grad_is(t, "S", "X", gs, 6);
    tu_free(t);
}
END_TEST

/* ---- cross_entropy with class indices ---------------------------------------- */

START_TEST(test_xent_indices)
{
    Tu *t = tu_new();
    tu_ok(t, "Z = [[2, 1, -1], [0.5, 0.5, 3], [-2, 4, 1], [0, 0, 0]]; const y = [0, 2, 1, 1]; "
             "L = cross_entropy(Z, y); L1 = cross_entropy(Z, one_hot(y, 3))");
    const double *z = tu_entry(t, "Z")->val.data;
    int y[4] = { 0, 2, 1, 1 };
    double L = 0, g[12];
    for (int r = 0; r < 4; r++) {
        double s = 0;
        for (int c = 0; c < 3; c++) s += exp(z[3 * r + c]);
        L += (log(s) - z[3 * r + y[r]]) / 4;
        for (int c = 0; c < 3; c++) g[3 * r + c] = (exp(z[3 * r + c]) / s - (c == y[r])) / 4;
    }
    TU_CLOSE(tu_num(t, "L"), L, HAND_TOL, 0);
    TU_CLOSE(tu_num(t, "L1"), L, HAND_TOL, 0);   /* the same loss as one-hot rows */
    grad_is(t, "L", "Z", g, 12);
    /* with respect to the indices: zero (they are not differentiable) */
    tu_ok(t, "yy = [0, 2, 1, 1]; Ly = cross_entropy(Z, yy)");
    Value gy = bp_grad(t, "Ly", "yy");
    for (int k = 0; k < 4; k++) ck_assert(gy.data[k] == 0);
    value_free(&gy);
    /* one sample: logits a vector, the class a scalar */
    tu_ok(t, "z = [0.1, 0.2, 0.7]; l = cross_entropy(z, 2)");
    double s = exp(0.1) + exp(0.2) + exp(0.7);
    TU_CLOSE(tu_num(t, "l"), log(s) - 0.7, HAND_TOL, 0);
    grad_is(t, "l", "z", (double[]){ exp(0.1) / s, exp(0.2) / s, exp(0.7) / s - 1 }, 3);
    /* stable for large logits */
    TU_CLOSE(tu_num(t, "cross_entropy([[0, 1000]], [0])"), 1000.0, 1e-15, 0);
    ck_assert(tu_num(t, "cross_entropy([[1000, 0]], [0])") < 1e-300);
    tu_free(t);
}
END_TEST

/* ---- errors: located, and nothing changes -------------------------------------- */

static void fails(Tu *t, const char *stmt, int kind, const char *part)
{
    tu_clear(t);
    int rc = tu_run(t, stmt);
    ck_assert_msg(rc == kind, "%s: status %d, expected %d (%s)", stmt, rc, kind, tu_err(t));
    ck_assert_msg(strstr(tu_err(t), part), "%s: the message\n%s\nlacks '%s'", stmt, tu_err(t), part);
    ck_assert_msg(strchr(tu_err(t), '^'), "%s: no caret in\n%s", stmt, tu_err(t));
}

START_TEST(test_errors)
{
    Tu *t = tu_new();
    /* updates evaluate now (a definition is checked when it is used) */
    tu_ok(t, "X = [[1, 2, 3], [4, 5, 6]]; L = [5, 7, 9]");
    fails(t, "L := sum(X, 2)", E_SHAPE, "axis 2 is out of range for shape (2, 3)");
    fails(t, "L := max(X, axis=-3)", E_SHAPE, "axis -3 is out of range");
    fails(t, "L := mean(X, axis=0.5)", E_USAGE, "whole number");
    fails(t, "L := sum(X, foo=1)", E_USAGE, "unknown keyword foo");
    fails(t, "L := max(X, 1, 2)", E_ARITY, "max(x, y) or max(X) or max(X, axis=K)");
    fails(t, "L := tanh(X, axis=0)", E_ARITY, "tanh takes no keyword arguments");
    fails(t, "L := reshape(X, 4, 2)", E_SHAPE, "shape (2, 3) has 6 entries, shape (4, 2) has 8");
    fails(t, "L := one_hot(X, 3)", E_SHAPE, "vector of class indices");
    fails(t, "L := one_hot([0, 3], 3)", E_DOMAIN, "label 3 (entry 1) is out of range");
    fails(t, "L := one_hot([0.5], 3)", E_DOMAIN, "label 0.5 is not a whole number");
    fails(t, "L := cross_entropy(X, [0, 3])", E_DOMAIN, "class index 3 (row 1) is out of range");
    fails(t, "L := cross_entropy(X, [-1, 0])", E_DOMAIN, "class index -1 (row 0) is out of range");
    fails(t, "L := cross_entropy(X, [0, 1, 2])", E_SHAPE, "shapes (2, 3) and (3) do not fit");
    /* none of them changed L */
    value_is(t, "L", (double[]){ 5, 7, 9 }, 3, 1);
    tu_free(t);
}
END_TEST

static Suite *reduce_suite(void)
{
    Suite *s = suite_create("reduce");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_sum_mean_axis);
    tcase_add_test(tc, test_max_min);
    tcase_add_test(tc, test_logsumexp);
    tcase_add_test(tc, test_argmax);
    tcase_add_test(tc, test_log_softmax);
    tcase_add_test(tc, test_one_hot_reshape);
    tcase_add_test(tc, test_xent_indices);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_main(reduce_suite());
}
