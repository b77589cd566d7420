/* check_prog.c: the hot passes' program (src/eval.c eval_program, the
 * walks in eval_forward, backprop, backprop_params).
 *
 * A tape mixing literals on either side of +, - and *, a parameter used
 * twice in one product, a const leaf, neg, scalar functions and tensor
 * slots: the value against the same formula written in C, every gradient
 * against derivatives worked by hand (rel 1e-13) and central differences
 * (rel 1e-7), the folded literals' own gradients in the full pass, the
 * pruned pass bit for bit equal to the full pass on every marked slot
 * (a -0 share included) with all gradients NaN beforehand, a forward pass
 * started in the middle as numdiff runs it, a rebuild after compile_need,
 * and domain errors inside a chain of immediates naming the right node. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "tape.h"
#include "ops.h"

/* w, v and W are parameters, c a const.  S = sum(W*w + 4). */
static const char DEFS[] =
    "w = 0.7; v = -1.3; const c = 2.5; W = [0.5, -1, 2]\n"
    "f = 3 - w*2 + (1.5 + v)*w - (-w) + w*w + c*v - v*0.5"
    " + sum(W*w + 4) * (v - 0.25) + tanh(w*0.375) - (w*0)\n";

static double f_c(double w, double v, double c, const double *W)
{
    double S = (W[0] * w + 4) + (W[1] * w + 4) + (W[2] * w + 4);
    return 3 - w * 2 + (1.5 + v) * w - (-w) + w * w + c * v - v * 0.5 + S * (v - 0.25) +
           tanh(w * 0.375) - (w * 0);
}

static Tape *tape_of(Tu *t, const char *name)
{
    Diag d = { 0 };
    Tape *tp = compile_entry(t->s, tu_entry(t, name), &d);
    ck_assert_ptr_nonnull(tp);
    return tp;
}

/* The scalar literal slot holding x (there must be exactly one). */
static int literal(const Tape *tp, double x)
{
    int s = -1;
    for (int i = 0; i < tp->n; i++)
        if (tp->op[i] == OP_NUM && tp->sid[i] == 0 && tape_val(tp, i)[0] == x) {
            ck_assert_msg(s < 0, "two literal slots hold %g", x);
            s = i;
        }
    ck_assert_msg(s >= 0, "no literal slot holds %g", x);
    return s;
}

START_TEST(test_program_shape)
{
    Tu *t = tu_new();
    tu_ok(t, DEFS);
    Tape *tp = tape_of(t, "f");
    const char *msg;
    int bad;
    ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
    /* one instruction per slot but the constants, in slot order */
    int nconst = 0;
    for (int i = 0; i < tp->n; i++) nconst += tp->op[i] == OP_NUM;
    ck_assert_int_eq(tp->nprog, tp->n - nconst);
    int seen[PC_SKIP + 1] = { 0 };
    for (int k = 0; k < tp->nprog; k++) {
        ck_assert(k == 0 || tp->pslot[k] > tp->pslot[k - 1]);
        ck_assert(tp->op[tp->pslot[k]] != OP_NUM);
        seen[tp->pcode[k]]++;
    }
    /* 3 - w*2: ISUB, MULI; 1.5 + v: ADDI; v - 0.25: SUBI; w*w, c*v: MUL;
     * -w: NEG; the tensor slots, tanh and the leaves: FALL */
    ck_assert_int_ge(seen[PC_ISUB], 1);
    ck_assert_int_ge(seen[PC_MULI], 3);
    ck_assert_int_ge(seen[PC_ADDI], 1);
    ck_assert_int_ge(seen[PC_SUBI], 1);
    ck_assert_int_ge(seen[PC_MUL], 3);
    ck_assert_int_ge(seen[PC_SUB], 1);
    ck_assert_int_ge(seen[PC_ADD], 1);
    ck_assert_int_eq(seen[PC_NEG], 1);
    ck_assert_int_ge(seen[PC_FALL], 4);
    /* the pool keeps each distinct literal once: 3 2 1.5 0.5 0.25 0.375 0
     * are folded (4 goes to a tensor sum: not folded) */
    ck_assert_int_eq(tp->npool, 7);
    tu_free(t);
}
END_TEST

START_TEST(test_program_values_and_gradients)
{
    Tu *t = tu_new();
    tu_ok(t, DEFS);
    const double w = 0.7, v = -1.3, c = 2.5, W[3] = { 0.5, -1, 2 };
    double cdw = tu_central(t, "f", "w", 0, tu_step(w));
    double cdv = tu_central(t, "f", "v", 0, tu_step(v));
    double cdW[3];
    for (int k = 0; k < 3; k++) cdW[k] = tu_central(t, "f", "W", k, tu_step(W[k]));

    Tape *tp = tape_of(t, "f");
    const char *msg;
    int bad;
    ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
    ck_assert_int_eq(bad, -1);
    TU_CLOSE(tape_val(tp, tp->root)[0], f_c(w, v, c, W), 1e-15, 1e-15);

    /* by hand: S = w sum(W) + 12, th = tanh(0.375 w) */
    double sumW = W[0] + W[1] + W[2], S = w * sumW + 12, th = tanh(0.375 * w);
    double dw = -2 + (1.5 + v) + 1 + 2 * w + sumW * (v - 0.25) + 0.375 * (1 - th * th);
    double dv = w + c - 0.5 + S;
    double dW = w * (v - 0.25);
    int ws = tape_slot_of(tp, tu_entry(t, "w")), vs = tape_slot_of(tp, tu_entry(t, "v"));
    int Ws = tape_slot_of(tp, tu_entry(t, "W")), cs = tape_slot_of(tp, tu_entry(t, "c"));
    ck_assert(ws >= 0 && vs >= 0 && Ws >= 0 && cs >= 0);
    for (int pruned = 0; pruned < 2; pruned++) {
        for (long k = 0; tp->grad && k < tp->nval; k++) tp->grad[k] = NAN;
        if (pruned) backprop_params(tp);
        else backprop(tp);
        TU_CLOSE(tape_grad(tp, ws)[0], dw, 1e-13, 1e-15);
        TU_CLOSE(tape_grad(tp, vs)[0], dv, 1e-13, 1e-15);
        TU_CLOSE(tape_grad(tp, ws)[0], cdw, 1e-7, 1e-9);
        TU_CLOSE(tape_grad(tp, vs)[0], cdv, 1e-7, 1e-9);
        for (int k = 0; k < 3; k++) {
            TU_CLOSE(tape_grad(tp, Ws)[k], dW, 1e-13, 1e-15);
            TU_CLOSE(tape_grad(tp, Ws)[k], cdW[k], 1e-7, 1e-9);
        }
        if (!pruned) {
            /* the full pass gives the const and the folded literals their
             * gradients (graph shows them): df/dc = v; 3 - w*2: d/d2 = -w;
             * (1.5 + v)*w: d/d1.5 = w; (v - 0.25): d/d0.25 = -S;
             * v*0.5 subtracted: d/d0.5 = -v; w*0 subtracted: d/d0 = -w */
            TU_CLOSE(tape_grad(tp, cs)[0], v, 1e-15, 0);
            TU_CLOSE(tape_grad(tp, literal(tp, 2))[0], -w, 1e-15, 0);
            TU_CLOSE(tape_grad(tp, literal(tp, 1.5))[0], w, 1e-15, 0);
            TU_CLOSE(tape_grad(tp, literal(tp, 0.25))[0], -S, 1e-14, 0);
            TU_CLOSE(tape_grad(tp, literal(tp, 0.5))[0], -v, 1e-15, 0);
            TU_CLOSE(tape_grad(tp, literal(tp, 0))[0], -w, 1e-15, 0);
            TU_CLOSE(tape_grad(tp, literal(tp, 3))[0], 1, 0, 0);
        }
    }
    tu_free(t);
}
END_TEST

/* The pruned pass equals the full pass, bit for bit, on every marked slot
 * at or below the root, with every gradient NaN beforehand (one that
 * should have been zeroed, or written, shows), twice.  -((v + 0.125)*0)
 * sends v + 0.125, whose only user it is, a share of -0: 0 + -0 is +0,
 * which a plain store of the share would miss. */
START_TEST(test_pruned_equals_full)
{
    Tu *t = tu_new();
    tu_ok(t, DEFS);
    tu_ok(t, "x0 = w; x1 = x0*1.5 - 0.25; x2 = 2 - x1*x1; x3 = -x2 + v*x1; x4 = x3*0.5 + x1\n"
             "g = x4 - (w*0) + (v*0)*x4 - (v + 0.125)*0 + f");
    Tape *tp = tape_of(t, "g");
    const char *msg;
    int bad;
    ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
    backprop(tp);
    double *full = malloc((size_t)tp->nval * sizeof *full);
    ck_assert_ptr_nonnull(full);
    memcpy(full, tp->grad, (size_t)tp->nval * sizeof *full);
    for (int pass = 0; pass < 2; pass++) {
        for (long k = 0; k < tp->nval; k++) tp->grad[k] = NAN;
        backprop_params(tp);
        int marked = 0, fused = 0;
        for (int i = 0; i <= tp->root; i++) {
            if (!tp->need[i]) continue;
            marked++;
            /* an unnamed slot whose rule its sum ran fused (sum(W*w + 4)'s
             * + here): its gradient is not kept (tape.h backprop_params) */
            if (tp->assign[i] & 32) { fused++; continue; }
            long o = tp->off[i], n = tape_size(tp, i);
            ck_assert_msg(memcmp(tp->grad + o, full + o, (size_t)n * sizeof *full) == 0,
                          "pass %d: slot %d (op %s): pruned %.17g, full %.17g", pass, i,
                          op_info[tp->op[i]].name, tp->grad[o], full[o]);
        }
        ck_assert_int_gt(marked, 20);
        ck_assert_int_eq(fused, 1);
    }
    /* some gradients were written by their only user, not zeroed first */
    int written = 0;
    for (int i = 0; i <= tp->root; i++) written += (tp->assign[i] & 8) != 0;
    ck_assert_int_gt(written, 5);
    /* the pass skipped what no parameter needs: c's gradient stays NaN */
    ck_assert(isnan(tape_grad(tp, tape_slot_of(tp, tu_entry(t, "c")))[0]));
    free(full);
    tu_free(t);
}
END_TEST

/* A forward pass started after a slot (numdiff, jacobian and hessian
 * perturb a leaf's value and run the slots after it), and the program
 * rebuilt when compile_need runs: a literal changed in place is then
 * seen (here by hand; compile writes literals before it runs). */
START_TEST(test_program_from_and_rebuild)
{
    Tu *t = tu_new();
    tu_ok(t, "w = 0.7; f = (w*3 - 1)*(w + 2) - w");
    Tape *tp = tape_of(t, "f");
    const char *msg;
    int bad;
    ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
    TU_CLOSE(tape_val(tp, tp->root)[0], (0.7 * 3 - 1) * (0.7 + 2) - 0.7, 1e-15, 0);
    int ws = tape_slot_of(tp, tu_entry(t, "w"));
    tape_val(tp, ws)[0] = -0.4;
    ck_assert_int_eq(eval_forward(tp, ws + 1, &bad, &msg), E_OK);
    TU_CLOSE(tape_val(tp, tp->root)[0], (-0.4 * 3 - 1) * (-0.4 + 2) + 0.4, 1e-15, 0);
    ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);     /* the leaf read again */
    TU_CLOSE(tape_val(tp, tp->root)[0], (0.7 * 3 - 1) * (0.7 + 2) - 0.7, 1e-15, 0);
    tape_val(tp, literal(tp, 3))[0] = 5;
    compile_need(tp);
    ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
    TU_CLOSE(tape_val(tp, tp->root)[0], (0.7 * 5 - 1) * (0.7 + 2) - 0.7, 1e-15, 0);
    backprop_params(tp);                /* d/dw = 5(w + 2) + (5w - 1) - 1 */
    TU_CLOSE(tape_grad(tp, ws)[0], 5 * 2.7 + 2.5 - 1, 1e-15, 0);
    tu_free(t);
}
END_TEST

/* Errors inside a chain of immediates: the failing slot, its caret. */
static void chain_error(Tu *t, const char *f, const char *word, int line, int col)
{
    tu_clear(t);
    ck_assert_int_eq(tu_run(t, f), E_DOMAIN);
    char where[48];
    snprintf(where, sizeof where, "t:%d:%d: error:", line, col);
    ck_assert_msg(strstr(tu_err(t), where) != NULL, "`%s`: not at %s: %s", f, where, tu_err(t));
    ck_assert_msg(strstr(tu_err(t), word) != NULL, "`%s`: lacks \"%s\": %s", f, word, tu_err(t));
}

START_TEST(test_chain_errors)
{
    Tu *t = tu_new();
    tu_ok(t, "w = 0.7\nx1 = w*2 + 1\nx2 = 3 - x1*1.5\nx3 = x2 - 1.25*x1");
    /* the formulas are lines 2-4; a failing command names its own column */
    chain_error(t, "log(x3)", "log", 1, 1);
    chain_error(t, "1 + 1/(x1 - 2.4)", "division by zero", 1, 5);
    /* overflow at the outer product, not the inner one that fed it */
    chain_error(t, "1 + (x1*1e307)*10", "overflow", 1, 5);
    chain_error(t, "2 - (-x3*1e308 - 1e308)", "overflow", 1, 6);
    /* in a definition: the caret inside it, with the note */
    tu_ok(t, "h = x2 + sqrt(x3*2 - 0.5)");
    tu_clear(t);
    ck_assert_int_eq(tu_run(t, "h"), E_DOMAIN);
    ck_assert_msg(strstr(tu_err(t), "t:1:10: error: sqrt") != NULL, "%s", tu_err(t));
    ck_assert_msg(strstr(tu_err(t), "note: while evaluating h (line 1)") != NULL, "%s", tu_err(t));
    /* and a chain that is fine again once w moves */
    tu_ok(t, "w := -3");
    double x1 = -3 * 2 + 1, x2 = 3 - x1 * 1.5, x3 = x2 - 1.25 * x1;
    TU_CLOSE(tu_num(t, "h"), x2 + sqrt(x3 * 2 - 0.5), 1e-15, 0);
    tu_free(t);
}
END_TEST

static Suite *prog_suite(void)
{
    Suite *s = suite_create("prog");
    TCase *tc = tcase_create("program");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_program_shape);
    tcase_add_test(tc, test_program_values_and_gradients);
    tcase_add_test(tc, test_pruned_equals_full);
    tcase_add_test(tc, test_program_from_and_rebuild);
    tcase_add_test(tc, test_chain_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_main(prog_suite());
}
