/* check_eval.c: the forward pass (src/eval.c, the forward rules in
 * src/ops.c).
 *
 * Values against C's math library for every function and operator of SPEC
 * section 3 at several points; domain errors are errors naming the
 * operation (never a silent NaN or Inf); a chain of a million definitions;
 * shared subexpressions computed once. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "tape.h"
#include "ops.h"

static double sigmoid(double x) { return 1 / (1 + exp(-x)); }
static double softplus(double x) { return log(1 + exp(x)); }
static double relu(double x) { return x > 0 ? x : 0; }

typedef struct Case1 { const char *expr; double (*f)(double); int domain; } Case1;
enum { ANY, POSITIVE, NONNEG, TAN, ABOVE_M1 };

static const Case1 unary[] = {
    { "exp(w)", exp, ANY }, { "log(w)", log, POSITIVE }, { "sqrt(w)", sqrt, NONNEG },
    { "sin(w)", sin, ANY }, { "cos(w)", cos, ANY }, { "tan(w)", tan, TAN },
    { "tanh(w)", tanh, ANY }, { "sigmoid(w)", sigmoid, ANY }, { "relu(w)", relu, ANY },
    { "softplus(w)", softplus, ANY }, { "abs(w)", fabs, ANY },
    { "atan(w)", atan, ANY }, { "asinh(w)", asinh, ANY }, { "log1p(w)", log1p, ABOVE_M1 },
    { "expm1(w)", expm1, ANY },
};

static const double points[] = { -2.5, -1, -0.3, 0, 1e-3, 0.7, 1, 1.9, 4.25, 20 };

START_TEST(test_unary_functions)
{
    Tu *t = tu_new();
    tu_ok(t, "w = 0; f = 0");
    for (size_t i = 0; i < sizeof unary / sizeof unary[0]; i++) {
        char def[64];
        snprintf(def, sizeof def, "f = %s", unary[i].expr);
        tu_ok(t, def);
        for (size_t k = 0; k < sizeof points / sizeof points[0]; k++) {
            double x = points[k];
            if (unary[i].domain == POSITIVE && x <= 0) continue;
            if (unary[i].domain == NONNEG && x < 0) continue;
            if (unary[i].domain == ABOVE_M1 && x <= -1) continue;
            tu_set(t, "w", x);
            double want = unary[i].f(x);
            double got = tu_num(t, "f");
            ck_assert_msg(tu_close(got, want, 1e-14, 1e-300), "%s at w = %g: %.17g, expected %.17g",
                          unary[i].expr, x, got, want);
        }
    }
    /* unary minus, and a few points where the naive formula would overflow */
    tu_set(t, "w", 1.5);
    ck_assert(tu_num(t, "-w") == -1.5);
    ck_assert(tu_num(t, "- -w") == 1.5);
    ck_assert(tu_num(t, "sigmoid(-800)") == 0 || tu_num(t, "sigmoid(-800)") < 1e-300);
    ck_assert(tu_num(t, "sigmoid(800)") == 1);
    TU_CLOSE(tu_num(t, "softplus(800)"), 800.0, 1e-15, 0);
    TU_CLOSE(tu_num(t, "softplus(-40)"), exp(-40), 1e-12, 0);
    ck_assert(tu_num(t, "exp(-1000)") == 0);
    ck_assert(tu_num(t, "relu(0)") == 0);
    ck_assert(tu_num(t, "abs(-0)") == 0);
    tu_free(t);
}
END_TEST

typedef struct Case2 { const char *expr; double (*f)(double, double); } Case2;
static double add(double a, double b) { return a + b; }
static double sub(double a, double b) { return a - b; }
static double mul(double a, double b) { return a * b; }
static double dvd(double a, double b) { return a / b; }
static double mn(double a, double b) { return a < b ? a : b; }
static double mx(double a, double b) { return a > b ? a : b; }
static double lt(double a, double b) { return a < b; }
static double le(double a, double b) { return a <= b; }
static double gt(double a, double b) { return a > b; }
static double ge(double a, double b) { return a >= b; }
static double eq(double a, double b) { return a == b; }
static double ne(double a, double b) { return a != b; }

static const Case2 binary[] = {
    { "w + v", add }, { "w - v", sub }, { "w * v", mul }, { "w / v", dvd },
    { "w ^ v", pow }, { "pow(w, v)", pow }, { "min(w, v)", mn }, { "max(w, v)", mx },
    { "w < v", lt }, { "w <= v", le }, { "w > v", gt }, { "w >= v", ge },
    { "w == v", eq }, { "w != v", ne },
};

START_TEST(test_binary_operators)
{
    static const double pairs[][2] = {
        { 0.5, 2 }, { 3, 3 }, { 2.5, -1.25 }, { 7, 0.5 }, { 1e-3, 1e3 }, { 4, 2 }, { 1.75, 1.75 },
    };
    Tu *t = tu_new();
    tu_ok(t, "w = 1; v = 1; f = 0");
    for (size_t i = 0; i < sizeof binary / sizeof binary[0]; i++) {
        tu_okf(t, "f = %s", binary[i].expr);
        for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
            tu_set(t, "w", pairs[k][0]);
            tu_set(t, "v", pairs[k][1]);
            double want = binary[i].f(pairs[k][0], pairs[k][1]);
            double got = tu_num(t, "f");
            ck_assert_msg(tu_close(got, want, 1e-15, 0), "%s at (%g, %g): %.17g, expected %.17g",
                          binary[i].expr, pairs[k][0], pairs[k][1], got, want);
        }
    }
    /* a negative base with an integer exponent is fine */
    ck_assert(tu_num(t, "(-2)^3") == -8);
    ck_assert(tu_num(t, "(-2)^-2") == 0.25);
    ck_assert(tu_num(t, "0^0") == 1);
    ck_assert(tu_num(t, "0^2") == 0);
    tu_free(t);
}
END_TEST

/* ---- domain errors ------------------------------------------------------ */

static void domain_error(Tu *t, const char *expr, const char *word, int col)
{
    tu_clear(t);
    int rc = tu_run(t, expr);
    ck_assert_msg(rc == E_DOMAIN, "`%s` returned %d, expected E_DOMAIN; out: %s", expr, rc,
                  tu_out(t));
    ck_assert_msg(strstr(tu_err(t), word) != NULL, "`%s`: message lacks \"%s\": %s", expr, word,
                  tu_err(t));
    char where[32];
    snprintf(where, sizeof where, "t:1:%d: error:", col);
    ck_assert_msg(strstr(tu_err(t), where) != NULL, "`%s`: not at column %d: %s", expr, col,
                  tu_err(t));
    /* nothing printed as a value, nan or inf */
    ck_assert_msg(strstr(tu_out(t), "nan") == NULL && strstr(tu_out(t), "inf") == NULL,
                  "`%s` printed %s", expr, tu_out(t));
}

START_TEST(test_domain_errors)
{
    Tu *t = tu_new();
    tu_ok(t, "w = -1; z = 0");
    domain_error(t, "log(-1)", "log", 1);
    domain_error(t, "log(0)", "log", 1);
    domain_error(t, "1 + log(w)", "log", 5);
    domain_error(t, "sqrt(-1)", "sqrt", 1);
    domain_error(t, "2 * sqrt(w)", "sqrt", 5);
    domain_error(t, "1/0", "division by zero", 1);
    domain_error(t, "w / z", "division by zero", 1);
    domain_error(t, "0/0", "division by zero", 1);
    domain_error(t, "0^-1", "zero", 1);
    domain_error(t, "z^w", "zero", 1);
    domain_error(t, "pow(0, -2)", "zero", 1);
    domain_error(t, "exp(1000)", "exp", 1);
    domain_error(t, "log1p(-1)", "log1p", 1);
    domain_error(t, "2 + log1p(w - 1)", "log1p", 5);
    domain_error(t, "expm1(1000)", "expm1", 1);
    domain_error(t, "10^400", "overflow", 1);
    domain_error(t, "(-8)^(1/3)", "negative", 1);
    domain_error(t, "1e200 * 1e200", "overflow", 1);
    domain_error(t, "1e308 + 1e308", "overflow", 1);
    domain_error(t, "-1e308 - 1e308", "overflow", 1);
    domain_error(t, "1e300 / 1e-300", "overflow", 1);
    /* in a formula: pointed at inside it, with a note naming it */
    tu_ok(t, "x = 4\nf = 1 + log(x - 5)");
    tu_clear(t);
    ck_assert_int_eq(tu_run(t, "f"), E_DOMAIN);
    ck_assert_msg(strstr(tu_err(t), "t:2:9: error: log") != NULL, "%s", tu_err(t));
    ck_assert_msg(strstr(tu_err(t), "note: while evaluating f (line 2)") != NULL, "%s", tu_err(t));
    /* defining a parameter from a bad value is refused; nothing changes */
    ck_assert_int_eq(tu_run(t, "x = sqrt(-4)"), E_DOMAIN);
    ck_assert(tu_num(t, "x") == 4);
    tu_free(t);
}
END_TEST

/* eval_forward itself: E_OK (bad slot -1), or E_DOMAIN with the failing
 * slot and a message. */
START_TEST(test_eval_forward_status)
{
    Tu *t = tu_new();
    tu_ok(t, "w = 3; f = sqrt(w - 2) + exp(w)");
    Diag d = { 0 };
    Tape *tp = compile_entry(t->s, tu_entry(t, "f"), &d);
    ck_assert_ptr_nonnull(tp);
    const char *msg = NULL;
    int bad = 99;
    ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
    ck_assert_int_eq(bad, -1);
    TU_CLOSE(tape_val(tp, tp->root)[0], 1 + exp(3), 1e-15, 0);
    tu_entry(t, "w")->val.data[0] = 1;      /* leaves read the session's value */
    ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_DOMAIN);
    ck_assert_int_ge(bad, 0);
    ck_assert_int_eq(tp->op[bad], OP_SQRT);
    ck_assert_ptr_nonnull(msg);
    ck_assert_msg(strstr(msg, "sqrt") != NULL, "%s", msg);
    tape_diag(tp, bad, msg, &d);
    ck_assert_int_eq(d.kind, E_DOMAIN);
    ck_assert_int_eq(d.loc.line, 1);
    ck_assert_int_eq(d.loc.col, 12);
    tu_entry(t, "w")->val.data[0] = 2;
    ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
    TU_CLOSE(tape_val(tp, tp->root)[0], exp(2), 1e-15, 0);
    tu_free(t);
}
END_TEST

/* ---- depth and sharing -------------------------------------------------- */

/* A chain of N definitions x0 = 1, x_{i+1} = x_i + 1 (no recursion over
 * the depth anywhere, so the C stack is never the limit). */
START_TEST(test_deep_chain)
{
    enum { N = 1000000 };
    size_t cap = (size_t)N * 32 + 64, len = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    len += (size_t)sprintf(text, "x0 = 1\n");
    for (int i = 0; i < N; i++)
        len += (size_t)sprintf(text + len, "x%d = x%d + 1\n", i + 1, i);
    Tu *t = tu_new();
    ck_assert_int_eq(run_text(t->s, "chain", text, len, 1, 0), E_OK);
    free(text);
    char last[32];
    snprintf(last, sizeof last, "x%d", N);
    ck_assert(tu_num(t, last) == N + 1);
    tu_set(t, "x0", -5);
    ck_assert(tu_num(t, last) == N - 5);
    tu_free(t);
}
END_TEST

/* A name used twice is one slot: a0 = w, a_{i+1} = a_i + a_i, 60 levels
 * deep, would be 2^60 nodes as a tree. */
START_TEST(test_shared_subexpressions)
{
    Tu *t = tu_new();
    tu_ok(t, "w = 0.75; a0 = w");
    for (int i = 0; i < 60; i++)
        tu_okf(t, "a%d = a%d + a%d", i + 1, i, i);
    ck_assert(tu_num(t, "a60") == ldexp(0.75, 60));
    Diag d = { 0 };
    Tape *tp = compile_entry(t->s, tu_entry(t, "a60"), &d);
    ck_assert_ptr_nonnull(tp);
    ck_assert_int_le(tp->n, 70);

    /* f = a*a + a: a's body is one node */
    tu_ok(t, "b = sin(w) + 1; f = b*b + b");
    double s = sin(0.75) + 1;
    ck_assert(tu_num(t, "f") == s * s + s);
    tp = compile_entry(t->s, tu_entry(t, "f"), &d);
    ck_assert_ptr_nonnull(tp);
    int sins = 0;
    for (int i = 0; i < tp->n; i++) sins += tp->op[i] == OP_SIN;
    ck_assert_int_eq(sins, 1);
    tu_free(t);
}
END_TEST

static Suite *eval_suite(void)
{
    Suite *s = suite_create("eval");
    TCase *tc = tcase_create("values");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_unary_functions);
    tcase_add_test(tc, test_binary_operators);
    tcase_add_test(tc, test_eval_forward_status);
    tcase_add_test(tc, test_shared_subexpressions);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_domain_errors);
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
    return tu_main(eval_suite());
}
