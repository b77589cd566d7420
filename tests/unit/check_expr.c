/* check_expr.c: the expression printer (src/expr.c) and diff (src/diff.c).
 *
 * Round trips: each formula's tape printed back, pasted into the session
 * and evaluated at random points equals the formula's value; each
 * printed derivative (its where-lines defined first) equals backprop's
 * grad(f, x) to rounding and central differences to their truncation
 * error; the derivative's own tape, run forward, gives the same number.
 * Then exact texts: minimal parentheses, simplification, names. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "tape.h"
#include "expr.h"
#include "diff.h"

/* Formulas of w, x, b (valid for w, x, b in [0.5, 2]). */
static const char *const formulas[] = {
    "tanh(w*x + b)",
    "sigmoid(w*x + b)",
    "w^3 + 2*w*x - x/w + exp(w*x)",
    "sqrt(w*w + x*x)",
    "log(w + x)*sin(b) - cos(w*b)",
    "w^x",
    "2^w + x^2.5 + b^0.5",
    "tan(w/4) + softplus(x - b)",
    "relu(w - x) + abs(x - b) + max(w, b) + min(x, w*b)",
    "-w^2 + -(x - b)",
    "(-w)^2 - (-x)^3",
    "(w - x)*(w + x)/(b + 1)",
    "exp(-(w*x)^2/2)",
    "w*x*b*(w + x + b)",
    "1/(1 + exp(-(w*x + b)))",
    "(w > x)*w + (w <= x)*x",
    "pi*w^2 + e^x",
    "sin(sin(sin(w))) - (x/b)^(-1)",
    "2^3^w",
    "(2^3)^w",
    "w - (x - b) + w/(x/b) + (w/x)/b",
    "w*1e-05 + x*1e20 - b*0.1",
    "log(w*x)/log(b + 1)",
    "(w + x)^2 - (w - x)^2 - 4*w*x + b",
    "x*x*x/(w*w) + 0*b + 1*w - 0 + w^1",
    "sqrt(w)*sqrt(w) + (w < 1)",
    "max(w*x, b) * min(w, x*b) / (1 + abs(w - b))",
    "exp(log(w)*x) - w^x + softplus(-w*b)",
    "cos(w)^2 + sin(w)^2 + tanh(x)^2",
    "z*z + tanh(z)",                       /* z is a formula: by name */
    "sq(w) + sq(x*b) + cube(b - w)",       /* user functions expanded */
};

/* Evaluate text (its where-lines defined first); removes them after. */
static double eval_text(Tu *t, const ExprText *x, const char *what)
{
    for (int k = 0; k < x->nwhere; k++)
        tu_okf(t, "%s = %s", x->wname[k], x->wtext[k]);
    double v = tu_numf(t, "%s", x->text);
    for (int k = x->nwhere - 1; k >= 0; k--)
        tu_okf(t, "delete %s", x->wname[k]);
    (void)what;
    return v;
}

static void setup(Tu *t)
{
    tu_ok(t, "w = 1; x = 1; b = 1");
    tu_ok(t, "z = w*x - b");
    tu_ok(t, "sq(u) = u*u");
    tu_ok(t, "cube(u) = u^3");
}

START_TEST(test_round_trip)
{
    Tu *t = tu_new();
    setup(t);
    srand(11);
    const char *names[] = { "w", "x", "b" };
    int checked = 0;
    for (size_t i = 0; i < sizeof formulas / sizeof *formulas; i++) {
        tu_okf(t, "f = %s", formulas[i]);
        for (int point = 0; point < 6; point++) {
            for (int k = 0; k < 3; k++)
                tu_set(t, names[k], 0.5 + 1.5 * rand() / (double)RAND_MAX);
            Diag d = { 0 };
            Entry *fe = tu_entry(t, "f");
            Tape *tp = compile_entry(t->s, fe, &d);
            ck_assert(tp);
            ExprText pf;
            char err[300];
            ck_assert_msg(expr_format(t->s, tp, tp->root, fe, &pf, err, sizeof err) == 0, "%s", err);
            double want = tu_num(t, "f"), got = eval_text(t, &pf, "f");
            ck_assert_msg(tu_close(got, want, 1e-12, 1e-300),
                          "f = %s printed as %s: %.17g, expected %.17g", formulas[i], pf.text, got, want);
            expr_text_free(&pf);
            for (int k = 0; k < 3; k++) {
                Ast f = { .kind = AST_NAME, .name = "f" };
                Ast xa = { .kind = AST_NAME, .name = names[k] };
                int slot;
                Tape *dt = diff_tape(t->s, &f, &xa, &slot, &d);
                ck_assert_msg(dt, "diff %s wrt %s: %s", formulas[i], names[k], d.msg);
                ExprText px;
                ck_assert_msg(expr_format(t->s, dt, slot, fe, &px, err, sizeof err) == 0, "%s", err);
                const char *msg = NULL;
                int bad;
                ck_assert(eval_forward(dt, 0, &bad, &msg) == E_OK);
                double tape_value = tape_val(dt, slot)[0];
                tape_free(dt);
                double bp = tu_grad(t, "f", names[k]);
                double printed = eval_text(t, &px, "df");
                double p = tu_entry(t, names[k])->val.data[0];
                double h = tu_step(p), central = tu_central(t, "f", names[k], 0, h);
                double floor = 100 * DBL_EPSILON * fmax(1, fabs(want)) / h;   /* round-off */
                ck_assert_msg(tu_close(printed, bp, 1e-9, 1e-12),
                              "d(%s)/d%s printed as %s = %.17g, backprop %.17g",
                              formulas[i], names[k], px.text, printed, bp);
                ck_assert_msg(tu_close(tape_value, bp, 1e-9, 1e-12),
                              "d(%s)/d%s: the derivative's tape gives %.17g, backprop %.17g",
                              formulas[i], names[k], tape_value, bp);
                /* central differences: error O(h^2) ~ 1e-10 relative here,
                 * except at a jump of (w > x) or a kink, which the points avoid */
                ck_assert_msg(tu_close(printed, central, 1e-5, 1e-7 + floor),
                              "d(%s)/d%s printed as %s = %.17g, central %.17g",
                              formulas[i], names[k], px.text, printed, central);
                expr_text_free(&px);
                checked++;
            }
        }
    }
    ck_assert_int_eq(checked, (int)(sizeof formulas / sizeof *formulas) * 6 * 3);
    tu_free(t);
}
END_TEST

/* The printed text of formula `def` (as f), or of df/d`wrt`. */
static char *printed(Tu *t, const char *def, const char *wrt, int latex)
{
    tu_okf(t, "f = %s", def);
    Diag d = { 0 };
    Entry *fe = tu_entry(t, "f");
    Tape *tp;
    int slot;
    if (wrt) {
        Ast f = { .kind = AST_NAME, .name = "f" };
        Ast xa = { .kind = AST_NAME, .name = wrt };
        tp = diff_tape(t->s, &f, &xa, &slot, &d);
    } else {
        tp = compile_expr(t->s, &(Ast){ .kind = AST_NAME, .name = "f" }, NULL, NULL, &d);
        slot = tp ? tp->root : -1;
    }
    ck_assert_msg(tp, "%s", d.msg);
    ExprText x;
    char err[300];
    ck_assert_msg(expr_format(t->s, tp, slot, fe, &x, err, sizeof err) == 0, "%s", err);
    tape_free(tp);
    size_t n = strlen(x.text) + 1;
    for (int k = 0; k < x.nwhere; k++)
        n += strlen(x.wname[k]) + strlen(latex ? x.wlatex[k] : x.wtext[k]) + 16;
    char *out = malloc(n + strlen(x.latex));
    strcpy(out, latex ? x.latex : x.text);
    for (int k = 0; k < x.nwhere; k++)
        sprintf(out + strlen(out), "; %s = %s", x.wname[k], latex ? x.wlatex[k] : x.wtext[k]);
    expr_text_free(&x);
    return out;
}

#define PRINTS(def, wrt, want)                                                     \
    do {                                                                           \
        char *got_ = printed(t, def, wrt, 0);                                      \
        ck_assert_msg(strcmp(got_, want) == 0, "%s (wrt %s): got \"%s\", want \"%s\"", \
                      def, wrt ? wrt : "-", got_, want);                           \
        free(got_);                                                                \
    } while (0)

#define LATEX(def, wrt, want)                                                      \
    do {                                                                           \
        char *got_ = printed(t, def, wrt, 1);                                      \
        ck_assert_msg(strcmp(got_, want) == 0, "%s (wrt %s): got \"%s\", want \"%s\"", \
                      def, wrt ? wrt : "-", got_, want);                           \
        free(got_);                                                                \
    } while (0)

START_TEST(test_print_back)
{
    Tu *t = tu_new();
    setup(t);
    /* the formula as written, with the fewest parentheses */
    PRINTS("tanh(w*x + b)", NULL, "tanh(w*x + b)");
    PRINTS("-w^2", NULL, "-w^2");
    PRINTS("(-w)^2", NULL, "(-w)^2");
    PRINTS("2^3^w", NULL, "2^3^w");
    PRINTS("(w^x)^b", NULL, "(w^x)^b");
    PRINTS("w - (x - b)", NULL, "w - (x - b)");
    PRINTS("(w - x) - b", NULL, "w - x - b");
    PRINTS("w/(x*b)", NULL, "w/(x*b)");
    PRINTS("w*(x + b) < x", NULL, "w*(x + b) < x");
    PRINTS("(w < x) + 1", NULL, "(w < x) + 1");
    PRINTS("w^(-1)", NULL, "w^(-1)");
    PRINTS("max(w, -x) + pi*e", NULL, "max(w, -x) + pi*e");
    PRINTS("z + 1", NULL, "z + 1");                  /* another formula: by name */
    PRINTS("sq(w + 1)", NULL, "(w + 1)^2");          /* u*u is u^2 */
    /* simplified */
    PRINTS("1*w + 0 + x*1 - 0*b + w^1 - -x", NULL, "w + x + w + x");
    PRINTS("2*3*w + 1/4", NULL, "6*w + 0.25");
    PRINTS("w*(-1) + (-1)*x", NULL, "-w - x");
    PRINTS("x + -w", NULL, "x - w");
    PRINTS("log(2)*w + 1/3", NULL, "log(2)*w + 0.3333333333333333");   /* 1/3 folded by compile */
    tu_free(t);
}
END_TEST

/* Derivatives worked by hand. */
START_TEST(test_derivatives)
{
    Tu *t = tu_new();
    setup(t);
    PRINTS("tanh(w*x + b)", "w", "x*(1 - tanh(w*x + b)^2)");
    PRINTS("tanh(w*x + b)", "b", "1 - tanh(w*x + b)^2");
    PRINTS("sigmoid(w*x + b)", "x", "w*t*(1 - t); t = sigmoid(w*x + b)");
    PRINTS("w^3", "w", "3*w^2");
    PRINTS("x^2 + sin(x)", "x", "2*x + cos(x)");
    PRINTS("2^x", "x", "2^x*log(2)");
    PRINTS("sqrt(w*w + x*x)", "w", "w/sqrt(w^2 + x^2)");
    PRINTS("log(w)", "w", "1/w");
    PRINTS("w/x", "x", "-w/x^2");
    PRINTS("exp(w*x)", "w", "x*exp(w*x)");
    PRINTS("cos(w)", "w", "-sin(w)");
    PRINTS("relu(w)", "w", "w > 0");
    PRINTS("abs(w)", "w", "(w > 0) - (w < 0)");
    PRINTS("max(w, x)", "w", "(w > x) + 0.5*(w == x)");
    PRINTS("w*x + b", "b", "1");
    PRINTS("w*x", "b", "0");                         /* f does not use b */
    PRINTS("(w > x)*3", "w", "0");                   /* comparisons: derivative 0 */
    PRINTS("tanh(z)", "w", "x*(1 - tanh(z)^2)");     /* z = w*x - b by name */
    PRINTS("w*w*w", "w", "3*w^2");
    PRINTS("x*sin(x)", "x", "x*cos(x) + sin(x)");
    tu_free(t);
}
END_TEST

START_TEST(test_latex)
{
    Tu *t = tu_new();
    setup(t);
    tu_ok(t, "alpha = 2; w1 = 3; x_max = 1; lr = 0.5");
    LATEX("tanh(w*x + b)", "w", "x \\cdot \\left(1 - \\tanh\\left(w \\cdot x + b\\right)^{2}\\right)");
    LATEX("sigmoid(w*x + b)", "b", "t \\cdot \\left(1 - t\\right); t = \\sigma\\left(w \\cdot x + b\\right)");
    LATEX("w/x + sqrt(b) + abs(w)", NULL, "\\frac{w}{x} + \\sqrt{b} + \\left|w\\right|");
    LATEX("(w/x)^2 + relu(x) + log(b)", NULL,
          "\\left(\\frac{w}{x}\\right)^{2} + \\operatorname{relu}\\left(x\\right) + \\ln\\left(b\\right)");
    LATEX("alpha*w1 + x_max + lr + pi + 1e-05*w", NULL,
          "\\alpha \\cdot w_{1} + x_{\\mathrm{max}} + \\mathrm{lr} + \\pi + 10^{-5} \\cdot w");
    LATEX("(w <= x) + (w != b)", NULL, "\\left(w \\le x\\right) + \\left(w \\ne b\\right)");
    tu_free(t);
}
END_TEST

START_TEST(test_refused)
{
    Tu *t = tu_new();
    setup(t);
    tu_ok(t, "W = [1, 2]; F = W*w; g = grad(w*w, w)");
    Diag d = { 0 };
    int slot;
    Ast xa = { .kind = AST_NAME, .name = "w" };
    Ast fF = { .kind = AST_NAME, .name = "F" };
    ck_assert(!diff_tape(t->s, &fF, &xa, &slot, &d));
    ck_assert_int_eq(d.kind, E_SHAPE);
    ck_assert_msg(strstr(d.msg, "scalar formulas"), "%s", d.msg);
    Ast fg = { .kind = AST_NAME, .name = "g" };
    memset(&d, 0, sizeof d);
    /* a gradient is a formula now: d/dw of grad(w*w, w) = 2 (by hand) */
    Tape *gt = diff_tape(t->s, &fg, &xa, &slot, &d);
    ck_assert_msg(gt != NULL, "%s", d.msg);
    int bad;
    const char *msg;
    ck_assert(eval_forward(gt, 0, &bad, &msg) == E_OK);
    ck_assert(tape_val(gt, slot)[0] == 2);
    tape_free(gt);
    Ast fz = { .kind = AST_NAME, .name = "z" }, xz = { .kind = AST_NAME, .name = "z" };
    memset(&d, 0, sizeof d);
    ck_assert(!diff_tape(t->s, &fz, &xz, &slot, &d));
    ck_assert_msg(strstr(d.msg, "is a formula"), "%s", d.msg);
    /* the limit: a derivative that would pass maxnodes */
    tu_ok(t, "h = tanh(tanh(tanh(tanh(w))))");
    tu_ok(t, "set maxnodes 20");
    Ast fh = { .kind = AST_NAME, .name = "h" };
    memset(&d, 0, sizeof d);
    ck_assert(!diff_tape(t->s, &fh, &xa, &slot, &d));
    ck_assert_int_eq(d.kind, E_LIMIT);
    tu_free(t);
}
END_TEST

/* A long chain: neither the printer nor diff recurses over its depth. */
START_TEST(test_deep_chain)
{
    Tu *t = tu_new();
    tu_ok(t, "w = 0.5; a0 = w");
    enum { N = 20000 };
    char buf[64];
    for (int i = 1; i <= N; i++) {
        snprintf(buf, sizeof buf, "a%d = sin(a%d)", i, i - 1);
        tu_ok(t, buf);
    }
    snprintf(buf, sizeof buf, "a%d", N);
    Diag d = { 0 };
    int slot;
    Ast f = { .kind = AST_NAME, .name = buf }, xa = { .kind = AST_NAME, .name = "w" };
    Tape *tp = diff_tape(t->s, &f, &xa, &slot, &d);
    ck_assert_msg(tp, "%s", d.msg);
    ExprText x;
    char err[300];
    ck_assert(expr_format(t->s, tp, slot, NULL, &x, err, sizeof err) == 0);
    ck_assert(strlen(x.text) > 10000);
    const char *msg;
    int bad;
    ck_assert(eval_forward(tp, 0, &bad, &msg) == E_OK);
    double want = tu_grad(t, buf, "w");
    TU_CLOSE(tape_val(tp, slot)[0], want, 1e-12, 1e-300);
    expr_text_free(&x);
    tape_free(tp);
    tu_free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("expr");
    TCase *tc = tcase_create("expr");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_print_back);
    tcase_add_test(tc, test_derivatives);
    tcase_add_test(tc, test_latex);
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_deep_chain);
    suite_add_tcase(s, tc);
    return tu_main(s);
}
