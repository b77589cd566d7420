/* check_derive.c: the derivative as a graph (src/derive.c), every op.
 *
 * walk: every differentiable op of the op list (element-wise or a kernel,
 * not a comparison, constructor or leaf, and not one whose derivative is
 * 0: argmax, one_hot) must have a case in CASES below, or the test fails:
 * a new op cannot arrive without its second derivative checked.  Each
 * case is a scalar L using the op (the test checks the op is on L's
 * tape) and a parameter w:
 *   - the first derivative grad(L, w), emitted by derive.c, against
 *     central differences of L computed here (FD_TOL);
 *   - the second, grad(D, w) with D = sum(grad(L, w) * C) for a fixed
 *     direction C (so the graph of the graph, H C), against central
 *     differences of D computed here (FD_TOL).
 * Central differences with h = cbrt(eps) max(1, |p|): truncation
 * h^2 f'''/6 and round-off eps |f| / h are both near 1e-10 for these
 * values of order 1, so 1e-6 relative (1e-8 absolute) has room and still
 * catches a wrong rule (whose error is of order 1).
 *
 * Then the new rules worked by hand (second and third derivatives of
 * logsumexp, log_softmax, the axis reductions, reshape, class-index
 * cross_entropy; ties of max split 1/k), the Hessian of a class-index
 * cross_entropy symmetric and equal to diag(s) - s sᵀ, and the bad
 * inputs of issue 11: an argmax or comparison on the path gives 0, an
 * order past maxnodes is a located limit error that changes nothing. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "tape.h"
#include "ops.h"

#define FD_TOL 1e-6
#define FD_ATOL 1e-8
#define HAND_TOL 1e-12

/* The parameters every case may use: scalars x, y; a positive vector P;
 * a vector V; matrices W (2 x 3, entries distinct, no ties) and Z. */
static const char *SETUP =
    "x = 0.7\n"
    "y = 1.3\n"
    "P = [0.3, 0.8, 1.1]\n"
    "V = [0.3, -0.8, 1.1]\n"
    "W = [[0.5, -1.2, 0.9], [1.4, 0.2, -0.6]]\n"
    "Z = [[0.1, 0.4], [-0.3, 0.6], [0.8, -0.5]]\n";

typedef struct Case { int op; const char *L; const char *w; } Case;

static const Case CASES[] = {
    { OP_NEG, "sin(-x) * x^2", "x" },
    { OP_NEG, "sum(exp(-P) * P)", "P" },
    { OP_EXP, "sum(exp(P) * P^2)", "P" },
    { OP_LOG, "sum(log(P) * P^2)", "P" },
    { OP_SQRT, "sum(sqrt(P) * P^2)", "P" },
    { OP_SIN, "sum(sin(P) * P^2)", "P" },
    { OP_COS, "sum(cos(P) * P^2)", "P" },
    { OP_TAN, "sum(tan(P) * P^2)", "P" },
    { OP_TANH, "sum(tanh(V) * V^2)", "V" },
    { OP_SIGMOID, "sum(sigmoid(V) * V^2)", "V" },
    { OP_RELU, "sum(relu(V)^3 * V)", "V" },
    { OP_SOFTPLUS, "sum(softplus(V) * V^2)", "V" },
    { OP_ABS, "sum(abs(V)^3 * V)", "V" },
    { OP_ATAN, "sum(atan(V) * V^2)", "V" },
    { OP_ASINH, "sum(asinh(V) * V^2)", "V" },
    { OP_LOG1P, "sum(log1p(V) * V^2)", "V" },
    { OP_EXPM1, "sum(expm1(V) * V^2)", "V" },
    { OP_ADD, "sum(sin(V + V^2))", "V" },
    { OP_ADD, "sum(sin(W + V * x))", "V" },          /* broadcast: summed back */
    { OP_SUB, "sum(sin(V - V^2))", "V" },
    { OP_SUB, "sum(sin(x - W))", "x" },
    { OP_MUL, "sum(sin(V) * cos(V))", "V" },
    { OP_MUL, "sum(sin(W * V))", "W" },
    { OP_DIV, "sum(sin(P) / (1 + P^2))", "P" },
    { OP_DIV, "sum(x / (W^2 + 1))", "W" },
    { OP_POW, "sum(P ^ P)", "P" },
    { OP_POW, "sum(P ^ 2.5) + x^y", "y" },
    { OP_MATMUL, "sum(sin(W @ transpose(W)))", "W" },
    { OP_MATMUL, "sin(V @ V) + sum(sin(V @ Z))", "V" },   /* vector @ vector, (3) @ (3, 2) */
    { OP_MATMUL, "sum(sin(W @ V))", "W" },
    { OP_MATMUL, "sum(sin(W @ Z))", "Z" },
    { OP_MIN, "sum(min(P, P^2)^3)", "P" },
    { OP_MAX, "sum(max(P, P^2)^3)", "P" },
    { OP_SUM, "sin(sum(W^2)) * sum(W)", "W" },
    { OP_MEAN, "sin(mean(W^2)) * mean(W)", "W" },
    { OP_TRANSPOSE, "sum(transpose(W) @ sin(W))", "W" },
    { OP_SOFTMAX, "sum(softmax(W) * W)", "W" },
    { OP_SOFTMAX, "softmax(V) @ V^2", "V" },
    { OP_OUTER, "sum(sin(outer(V, V * 2)))", "V" },
    { OP_MSE, "mse(sin(W), W^2)", "W" },
    { OP_XENT, "cross_entropy(W, softmax(W * 2))", "W" },
    { OP_XENT, "cross_entropy(V, softmax(V^2))", "V" },
    { OP_INDEX, "sin(W[1, 0]) * W[0, 1] + sum(W[:, 1]^3) + sum(sin(W[0]) * W[1])", "W" },
    { OP_INDEX, "sum(sin(W[0:2, 1:3])^2) + V[1]^3 * sum(V[0:2]^2)", "W" },
    { OP_INDEX, "V[1]^3 * sum(V[0:2]^2)", "V" },
    { OP_STACK, "sum(sin([x, x^2, y * x]))", "x" },
    { OP_SUM_AXIS, "sum(sin(sum(W, 0))^2) + sum(sum(W^2, 1)^2)", "W" },
    { OP_SUM_AXIS, "sin(sum(V^2, 0))", "V" },         /* a vector's axis 0: all of it */
    { OP_MEAN_AXIS, "sum(mean(W, 0)^3) + sum(sin(mean(W, 1)) * mean(W^2, 1))", "W" },
    { OP_AMAX, "max(W)^3 + sum(max(W, axis=0)^2) + sum(sin(max(W^2, axis=1)))", "W" },
    { OP_AMIN, "min(W)^3 + sum(min(W, axis=0)^2) + sum(sin(min(W^2, axis=1)))", "W" },
    { OP_LOGSUMEXP, "logsumexp(W)^2 + sum(logsumexp(W, 0)^2) + sum(sin(logsumexp(W, 1)))", "W" },
    { OP_LOGSUMEXP, "logsumexp(V^2) * logsumexp(V)", "V" },
    { OP_LOG_SOFTMAX, "sum(log_softmax(W)^2)", "W" },
    { OP_LOG_SOFTMAX, "log_softmax(V) @ V", "V" },
    { OP_RESHAPE, "sum(reshape(W, 3, 2)^3 @ [1, 2]) + sum(sin(reshape(W, 6)))", "W" },
    { OP_RESHAPE, "sum(reshape(x, 1)^3) + sum(sin(reshape(V, 1, 3)))", "x" },
    { OP_RESHAPE, "sum(sin(reshape(V, 3, 1)) * V)", "V" },
    { OP_XENT_IDX, "cross_entropy(W * W, [2, 0])", "W" },
    { OP_XENT_IDX, "cross_entropy(V * 2 + V^2, 1)", "V" },
};
#define NCASES (int)(sizeof CASES / sizeof CASES[0])

/* Does the op list say op has a derivative worth a second-order test? */
static int differentiable(int op)
{
    const OpInfo *o = &op_info[op];
    if (!(o->flags & (OPF_ELEM | OPF_KERNEL)) || (o->flags & (OPF_CMP | OPF_CTOR)))
        return 0;
    return o->deriv[0] != '0';   /* argmax, one_hot: "0: ..." */
}

/* A fixed direction for w's entry k: of order 1, signs mixed. */
static double dir(long k) { return (k % 2 ? -0.6 : 0.9) + 0.13 * (double)k; }

/* The direction as bp text, for a value of w's shape. */
static void dir_text(Shape s, char *buf, size_t n)
{
    size_t len = 0;
    if (s.rank == 0) { snprintf(buf, n, "%.17g", dir(0)); return; }
    long R = s.rank == 2 ? s.d[0] : 1, C = s.rank == 2 ? s.d[1] : s.d[0];
    len += (size_t)snprintf(buf + len, n - len, s.rank == 2 ? "[" : "");
    for (long r = 0; r < R; r++) {
        len += (size_t)snprintf(buf + len, n - len, "%s[", r ? ", " : "");
        for (long c = 0; c < C; c++)
            len += (size_t)snprintf(buf + len, n - len, "%s%.17g", c ? ", " : "", dir(r * C + c));
        len += (size_t)snprintf(buf + len, n - len, "]");
    }
    if (s.rank == 2) snprintf(buf + len, n - len, "]");
}

/* Is there a slot with op on formula name's tape? */
static int tape_has(Tu *t, const char *name, int op)
{
    Diag d = { 0 };
    Tape *tp = compile_entry(t->s, tu_entry(t, name), &d);
    ck_assert_msg(tp != NULL, "%s", d.msg);
    for (int i = 0; i < tp->n; i++)
        if (tp->op[i] == op) return 1;
    return 0;
}

/* value of expression e, entry by entry, against central differences of
 * formula f in w, computed here */
static void against_central(Tu *t, const char *what, const char *e, const char *f, const char *w)
{
    Value g = tu_value(t, e);
    Entry *we = tu_entry(t, w);
    ck_assert_msg(shape_eq(g.shape, we->val.shape), "%s: %s has the wrong shape", what, e);
    for (long k = 0, n = shape_size(g.shape); k < n; k++) {
        double p = we->val.data[k];
        double c = tu_central(t, f, w, k, tu_step(p));
        ck_assert_msg(tu_close(g.data[k], c, FD_TOL, FD_ATOL),
                      "%s: %s entry %ld = %.17g, central differences of %s %.17g", what, e, k,
                      g.data[k], f, c);
    }
    value_free(&g);
}

START_TEST(test_every_op_has_a_case)
{
    for (int op = 0; op < OP_COUNT; op++) {
        if (!differentiable(op)) continue;
        int hit = 0;
        for (int c = 0; c < NCASES; c++) hit |= CASES[c].op == op;
        ck_assert_msg(hit, "op %s (%d) is differentiable but has no second-derivative case "
                      "in check_derive.c", op_info[op].name, op);
    }
}
END_TEST

START_TEST(test_case)
{
    const Case *cs = &CASES[_i];
    Tu *t = tu_new();
    tu_ok(t, SETUP);
    char def[600], dtxt[400], what[200];
    snprintf(what, sizeof what, "%s: L = %s wrt %s", op_info[cs->op].name, cs->L, cs->w);
    snprintf(def, sizeof def, "L = %s", cs->L);
    tu_ok(t, def);
    ck_assert_msg(tape_has(t, "L", cs->op), "%s: the op is not on L's tape", what);
    /* first order: the emitted gradient against central differences of L */
    snprintf(def, sizeof def, "grad(L, %s)", cs->w);
    against_central(t, what, def, "L", cs->w);
    /* second order: grad of sum(grad(L, w) * C) against central differences of it */
    dir_text(tu_entry(t, cs->w)->val.shape, dtxt, sizeof dtxt);
    tu_okf(t, "const C = %s", dtxt);
    tu_okf(t, "D = sum(grad(L, %s) * C)", cs->w);
    snprintf(def, sizeof def, "grad(D, %s)", cs->w);
    against_central(t, what, def, "D", cs->w);
    tu_free(t);
}
END_TEST

/* softmax of two entries, entry 0 */
static double s2(double a, double b) { return 1 / (1 + exp(b - a)); }

START_TEST(test_hand_logsumexp)
{
    /* d2/da2 logsumexp([a, b]) = s - s^2, d3/da3 = s (1 - s)(1 - 2s), s = softmax_0 */
    Tu *t = tu_new();
    tu_ok(t, "a = 0.4\nb = -0.9\nf = logsumexp([a, b])\ng = logsumexp([[a, b], [b, a]], 1)");
    double s = s2(0.4, -0.9);
    TU_CLOSE(tu_num(t, "grad(grad(f, a), a)"), s - s * s, HAND_TOL, 0);
    TU_CLOSE(tu_num(t, "grad(grad(grad(f, a), a), a)"), s * (1 - s) * (1 - 2 * s), HAND_TOL, 0);
    TU_CLOSE(tu_num(t, "grad(grad(f, a), b)"), -s * (1 - s), HAND_TOL, 0);
    /* per row: g = [lse(a, b), lse(b, a)]; d2/da2 sum(g) = s(1-s) twice */
    TU_CLOSE(tu_num(t, "grad(grad(sum(g), a), a)"), 2 * s * (1 - s), HAND_TOL, 0);
    tu_free(t);
}
END_TEST

START_TEST(test_hand_log_softmax)
{
    /* y0 = a - lse(a, b): d2y0/da2 = -s(1-s), d3/da3 = -s(1-s)(1-2s) */
    Tu *t = tu_new();
    tu_ok(t, "a = 0.4\nb = -0.9\nf = log_softmax([a, b])[0]");
    double s = s2(0.4, -0.9);
    TU_CLOSE(tu_num(t, "grad(grad(f, a), a)"), -s * (1 - s), HAND_TOL, 0);
    TU_CLOSE(tu_num(t, "grad(grad(grad(f, a), a), a)"), -s * (1 - s) * (1 - 2 * s), HAND_TOL, 0);
    /* stable at +-700: s = 1 to rounding, so the second derivative is -exp(-1400) -> 0 */
    tu_ok(t, "a = 700\nb = -700");
    TU_CLOSE(tu_num(t, "grad(grad(f, a), a)"), 0, 0, 1e-300);
    tu_free(t);
}
END_TEST

START_TEST(test_hand_axis_reductions)
{
    /* f = sum(sum(X, 0)^2): d2f/dX[0,0]dX[1,0] = 2 (one column), 0 across columns;
     * g = sum(mean(X, 1)^2), X 2 x 3: 2/9 within a row */
    Tu *t = tu_new();
    tu_ok(t, "X = [[1, 2, 3], [4, 5, 6]]\nf = sum(sum(X, 0)^2)\ng = sum(mean(X, 1)^2)");
    Value h = tu_value(t, "grad(grad(f, X)[1, 0], X)");
    double want[6] = { 2, 0, 0, 2, 0, 0 };
    for (int k = 0; k < 6; k++) TU_CLOSE(h.data[k], want[k], HAND_TOL, 0);
    value_free(&h);
    h = tu_value(t, "grad(grad(g, X)[0, 1], X)");
    double want2[6] = { 2.0 / 9, 2.0 / 9, 2.0 / 9, 0, 0, 0 };
    for (int k = 0; k < 6; k++) TU_CLOSE(h.data[k], want2[k], HAND_TOL, 0);
    value_free(&h);
    /* reshape: d2/dX[1,2]2 of sum(reshape(X, 6)^3) = 6 X[1,2] = 36 */
    TU_CLOSE(tu_num(t, "grad(grad(sum(reshape(X, 6)^3), X)[1, 2], X)[1, 2]"), 36, HAND_TOL, 0);
    tu_free(t);
}
END_TEST

START_TEST(test_hand_max_ties)
{
    /* max(V)^2, V = [3, 1, 3]: a 2-way tie; the gradient 2m/2 = 3 to each,
     * and its derivative 2 (1/2)(1/2) = 0.5 between the tied entries (the
     * first-order convention carried through the rule) */
    Tu *t = tu_new();
    tu_ok(t, "V = [3, 1, 3]\nf = max(V)^2\ng = min(-V)^2");
    Value g1 = tu_value(t, "grad(f, V)");
    double want1[3] = { 3, 0, 3 };
    for (int k = 0; k < 3; k++) TU_CLOSE(g1.data[k], want1[k], HAND_TOL, 0);
    value_free(&g1);
    Value h = tu_value(t, "grad(grad(f, V)[0], V)");
    double want[3] = { 0.5, 0, 0.5 };
    for (int k = 0; k < 3; k++) TU_CLOSE(h.data[k], want[k], HAND_TOL, 0);
    value_free(&h);
    h = tu_value(t, "grad(grad(g, V)[2], V)");
    for (int k = 0; k < 3; k++) TU_CLOSE(h.data[k], want[k], HAND_TOL, 0);
    value_free(&h);
    tu_free(t);
}
END_TEST

START_TEST(test_xent_idx_hessian)
{
    /* cross_entropy(Z, y), Z 2 x 3, y = [2, 0]: the Hessian is block
     * diagonal, row r's block (diag(s_r) - s_r s_rᵀ) / 2, and symmetric */
    Tu *t = tu_new();
    tu_ok(t, "Z = [[0.2, -0.5, 1.1], [0.7, 0.3, -0.4]]\nL = cross_entropy(Z, [2, 0])");
    double z[6] = { 0.2, -0.5, 1.1, 0.7, 0.3, -0.4 }, sm[6], H[6][6];
    for (int r = 0; r < 2; r++) {
        double tot = 0;
        for (int c = 0; c < 3; c++) tot += exp(z[3 * r + c]);
        for (int c = 0; c < 3; c++) sm[3 * r + c] = exp(z[3 * r + c]) / tot;
    }
    for (int k = 0; k < 6; k++) {
        char e[80];
        snprintf(e, sizeof e, "grad(grad(L, Z)[%d, %d], Z)", k / 3, k % 3);
        Value h = tu_value(t, e);
        for (int j = 0; j < 6; j++) H[k][j] = h.data[j];
        value_free(&h);
    }
    for (int k = 0; k < 6; k++)
        for (int j = 0; j < 6; j++) {
            double want = k / 3 != j / 3 ? 0
                        : ((k == j ? sm[k] : 0) - sm[k] * sm[j]) / 2;
            ck_assert_msg(tu_close(H[k][j], want, HAND_TOL, 1e-15), "H[%d][%d] = %.17g, by hand %.17g",
                          k, j, H[k][j], want);
            ck_assert_msg(fabs(H[k][j] - H[j][k]) <= 1e-15, "H not symmetric at %d, %d", k, j);
        }
    tu_free(t);
}
END_TEST

/* How many times does needle occur in hay? */
static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

START_TEST(test_zero_through_argmax_and_comparisons)
{
    /* an index or a step on the only path: the derivative is 0 (a constant
     * zero of w's shape), at first and second order, and a note says so
     * once per grad(...), pointing at the op */
    Tu *t = tu_new();
    tu_ok(t, "x = 0.7\nV = [0.3, -0.8, 1.1]\nf = argmax(V * x) + (x > 0.5) * 3");
    tu_clear(t);
    TU_CLOSE(tu_num(t, "grad(f, x)"), 0, 0, 0);
    ck_assert_msg(count(tu_err(t), "note: argmax has derivative 0 (an index)") == 1 &&
                  strstr(tu_err(t), "t:3:5: note:"), "the note: %s", tu_err(t));
    TU_CLOSE(tu_num(t, "grad(grad(f, x), x)"), 0, 0, 0);
    /* a comparison as a mask: the other factor still flows (d/dx of x^2 = 1.4) */
    tu_ok(t, "m = (x > 0.5) * x^2");
    tu_clear(t);
    TU_CLOSE(tu_num(t, "grad(m, x)"), 1.4, HAND_TOL, 0);
    ck_assert_msg(count(tu_err(t), "note: > has derivative 0 (a comparison is a step)") == 1,
                  "the note: %s", tu_err(t));
    /* no zero-derivative op on the path: no note */
    tu_clear(t);
    TU_CLOSE(tu_num(t, "grad(x^2, x)"), 1.4, HAND_TOL, 0);
    ck_assert_msg(!strstr(tu_err(t), "note:"), "a stray note: %s", tu_err(t));
    tu_ok(t, "g = sum(one_hot(argmax(V), 3) * V)");
    Value h = tu_value(t, "grad(g, V)");
    double want[3] = { 0, 0, 1 };   /* one_hot is a constant mask: V[2] passes through */
    for (int k = 0; k < 3; k++) TU_CLOSE(h.data[k], want[k], 0, 0);
    value_free(&h);
    tu_free(t);
}
END_TEST

START_TEST(test_order_past_maxnodes)
{
    /* each order multiplies the graph: past maxnodes it is a limit error
     * with a caret under the grad(...) that overflowed, and nothing
     * changes (ans keeps its value) */
    Tu *t = tu_new();
    tu_ok(t, "x = 0.7\nf = tanh(tanh(tanh(x)))\nset maxnodes 60");
    TU_CLOSE(tu_num(t, "x + 1"), 1.7, HAND_TOL, 0);
    tu_clear(t);
    int rc = tu_run(t, "grad(grad(grad(grad(f, x), x), x), x)");
    ck_assert_int_eq(rc, E_LIMIT);
    ck_assert_msg(strstr(tu_err(t), "more than 60 nodes (the limit: set maxnodes)") &&
                  strstr(tu_err(t), "t:1:6:") && strstr(tu_err(t), "^~~~"),
                  "the limit error: %s", tu_err(t));
    TU_CLOSE(tu_entry(t, "ans")->val.data[0], 1.7, HAND_TOL, 0);
    /* with room it runs: the 4th derivative against central differences
     * of the 3rd (h = 1e-4: truncation h^2 f^(5) / 6 ~ 1e-8) */
    tu_ok(t, "set maxnodes 100000\nd3 = grad(grad(grad(f, x), x), x)");
    double d4 = tu_num(t, "grad(d3, x)");
    TU_CLOSE(d4, tu_central(t, "d3", "x", 0, 1e-4), 1e-6, 1e-7);
    tu_free(t);
}
END_TEST

static Suite *derive_suite(void)
{
    Suite *s = suite_create("derive");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_every_op_has_a_case);
    tcase_add_loop_test(tc, test_case, 0, NCASES);
    tcase_add_test(tc, test_hand_logsumexp);
    tcase_add_test(tc, test_hand_log_softmax);
    tcase_add_test(tc, test_hand_axis_reductions);
    tcase_add_test(tc, test_hand_max_ties);
    tcase_add_test(tc, test_xent_idx_hessian);
    tcase_add_test(tc, test_zero_through_argmax_and_comparisons);
    tcase_add_test(tc, test_order_past_maxnodes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_main(derive_suite()); }
