/* check_fuse.c: the fused forward (src/fuse.c fuse_forward) and the
 * per-block finiteness check (src/eval.c, kernels.c k_elem_block).
 *
 * The fused forward must give every slot the bits of the slot-by-slot
 * pass, which must give the bits of one whole-slot kernel call
 * (k_elem_fwd): each chain is run fused, then each element-wise slot is
 * recomputed here by k_elem_fwd over all its entries at once and compared
 * bit for bit, and then the whole pass is run again with fusion off and
 * compared.  Sizes below and above 1024 (where the vector exp and tanh
 * start, a choice per slot), not multiples of 256 or of 4.  Then a `from`
 * inside a run, errors inside a run (the slot, message and entry of the
 * unfused pass), a named intermediate, gradients against central
 * differences, and a pass over many leaves in a row kept linear. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "testutil.h"
#include "ops.h"
#include "tape.h"
#include "kernels.h"
#include "fuse.h"

/* A session with parameters w, v and const x of n entries, entry k of
 * the j-th (0.4 + 0.3 j) sin((0.37 + 0.2 j) k + j) scaled by `scale`
 * (w only), const s = 0.7, then defs (which define L); *tp: L's tape,
 * not yet run. */
static Tu *chain_tu(long n, double scale, const char *defs, Tape **tp)
{
    Tu *t = tu_new();
    tu_okf(t, "w = zeros(%ld); v = zeros(%ld); const x = zeros(%ld); const s = 0.7", n, n, n);
    Entry *es[3] = { tu_entry(t, "w"), tu_entry(t, "v"), tu_entry(t, "x") };
    for (long k = 0; k < n; k++)
        for (int j = 0; j < 3; j++)
            es[j]->val.data[k] = (j ? 1 : scale) * (0.4 + 0.3 * j) * sin((0.37 + 0.2 * j) * (double)k + j);
    for (int j = 0; j < 3; j++) session_changed(t->s, es[j]);
    tu_ok(t, defs);
    Diag d = { 0 };
    *tp = compile_entry(t->s, tu_entry(t, "L"), &d);
    ck_assert_ptr_nonnull(*tp);
    return t;
}

/* A leaf's value for fuse_forward, as eval.c's (tape.h; no alias mode
 * in these tapes). */
static void leaf(Tape *t, int i)
{
    const double *src = t->leafent[t->a[i]]->val.data;
    memcpy(tape_val(t, i), src, (size_t)tape_size(t, i) * sizeof *t->val);
}

/* The most element-wise slots a run fuse_forward finds in tp's program
 * has (tp run once; fuse_forward recomputes the run in place, the same
 * values). */
static int longest_run(Tape *tp)
{
    int best = 0;
    for (int k = 0; k < tp->nprog; k++) {
        int r = fuse_forward(tp, k, leaf), e = 0;
        ck_assert_int_ge(r, 0);
        for (int j = k; j < k + r; j++) e += tp->op[tp->pslot[j]] != OP_LEAF;
        if (e > best) best = e;
    }
    return best;
}

static const char *chains[] = {
    "L = sum(sigmoid(w * x + v))",
    "L = mean(exp(-(w * x)^2))",
    "L = sum(tanh(w * x))",
    "L = sum(-w * x - v)",
    "L = sum(relu(w - x) * exp(v))",
    "L = sum(tanh(sigmoid(w) * v) / (x + 2))",
    "L = sum(2 * w * x - 0.5 * v^3 + sin(w))",
    "L = mean(w * s + abs(v) / s - s)",
    "L = sum(w / (v + 2) + v - w)",
    "L = sum(exp(w) * sigmoid(-v) + w^2)",
    "L = sum(cos(w) + softplus(x * v) - s / (w + 3))",
    "L = sum(sigmoid(tanh(exp(-w * x) + 1) * 3 - v))",
    "h = w * x; L = sum(sigmoid(h + v))",        /* a named intermediate */
};
static const long sizes[] = { 7, 300, 1000, 1023, 1024, 1501, 2050, 4099 };
/* the longest run each chain has */
static const int runs[] = { 3, 4, 2, 3, 4, 5, 7, 5, 4, 6, 7, 8, 3 };

/* Every element-wise slot of tp recomputed by one k_elem_fwd call:
 * the same bits as it holds. */
static void whole_slot_bits(Tape *tp, const char *what)
{
    for (int i = 0; i <= tp->root; i++) {
        if (!k_elem_blocks(tp, i) || tp->sid[i] == 0) continue;
        long n = tape_size(tp, i);
        double *y = tape_val(tp, i), *keep = malloc((size_t)n * sizeof *keep);
        memcpy(keep, y, (size_t)n * sizeof *keep);
        ck_assert_ptr_null(k_elem_fwd(tp, i, &op_info[tp->op[i]]));
        ck_assert_msg(memcmp(keep, y, (size_t)n * sizeof *keep) == 0,
                      "%s: slot %d (%s) differs from its whole-slot kernel", what,
                      i, op_info[tp->op[i]].name);
        free(keep);
    }
}

START_TEST(test_fused_bits)
{
    int nc = (int)(sizeof chains / sizeof *chains), ns = (int)(sizeof sizes / sizeof *sizes);
    for (int c = 0; c < nc; c++)
        for (int z = 0; z < ns; z++) {
            char what[160];
            Tape *tp;
            Tu *t = chain_tu(sizes[z], 1, chains[c], &tp);
            snprintf(what, sizeof what, "%s, n = %ld", chains[c], sizes[z]);
            const char *msg;
            int bad;
            ck_assert_int_eq(fuse_use(1), 1);
            ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
            ck_assert_msg(longest_run(tp) == runs[c], "%s: longest run %d, expected %d",
                          what, longest_run(tp), runs[c]);
            size_t bytes = (size_t)tp->nval * sizeof *tp->val;
            double *fused = malloc(bytes);
            memcpy(fused, tp->val, bytes);
            whole_slot_bits(tp, what);
            ck_assert(memcmp(fused, tp->val, bytes) == 0);
            fuse_use(0);
            ck_assert_int_eq(longest_run(tp), 0);
            for (int i = 0; i <= tp->root; i++)     /* the computed slots, spoilt */
                if (tp->op[i] != OP_NUM && tp->op[i] != OP_LEAF)
                    for (long k = 0; k < tape_size(tp, i); k++) tape_val(tp, i)[k] = NAN;
            ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
            ck_assert_msg(memcmp(fused, tp->val, bytes) == 0, "%s: fused and unfused differ", what);
            fuse_use(1);
            free(fused);
            tu_free(t);
        }
}
END_TEST

/* eval_forward(t, from) with `from` inside a run (numdiff re-runs from a
 * perturbed slot): slot s0 = w * x is perturbed by hand, the pass re-run
 * from s0 + 1 (the run then starts there), fused and unfused alike; the
 * values are the same bits, and L moved (the perturbation was seen). */
START_TEST(test_from_inside)
{
    for (int z = 0; z < 3; z++) {
        long n = z == 0 ? 300 : z == 1 ? 1501 : 4099;
        double *got[2];
        size_t bytes = 0;
        double L0 = 0, L1 = 0;
        for (int f = 0; f < 2; f++) {
            Tape *tp;
            Tu *t = chain_tu(n, 1, "L = sum(tanh(sigmoid(w * x + v) * 3 - v))", &tp);
            const char *msg;
            int bad, s0 = -1;
            fuse_use(f == 0);
            ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
            for (int i = 0; i <= tp->root && s0 < 0; i++)
                if (tp->op[i] == OP_MUL && tp->sid[i] != 0) s0 = i;
            ck_assert_int_ge(s0, 0);
            if (f == 0) {
                int k = 0;
                while (tp->pslot[k] < s0 + 1) k++;
                /* + v (and the leaf v), sigmoid, * 3, - v, tanh */
                ck_assert_int_eq(fuse_forward(tp, k, leaf), 6);
            }
            L0 = tape_val(tp, tp->root)[0];
            for (long k = 0; k < n; k++) tape_val(tp, s0)[k] += 1e-3 * (double)(k % 7);
            ck_assert_int_eq(eval_forward(tp, s0 + 1, &bad, &msg), E_OK);
            L1 = tape_val(tp, tp->root)[0];
            ck_assert(L1 != L0);
            bytes = (size_t)tp->nval * sizeof *tp->val;
            got[f] = malloc(bytes);
            memcpy(got[f], tp->val, bytes);
            tu_free(t);
        }
        fuse_use(1);
        ck_assert_msg(memcmp(got[0], got[1], bytes) == 0, "n = %ld: from inside a run differs", n);
        free(got[0]);
        free(got[1]);
    }
}
END_TEST

/* An error inside a run: the slot, message and entry of the unfused pass,
 * which are checked against the values as written here (the op that
 * fails, the message ops.c and eval.c give). */
static void error_case(const char *defs, double scale, long n, int op, const char *want)
{
    int badslot[2];
    char msgs[2][160];
    for (int f = 0; f < 2; f++) {
        Tape *tp;
        Tu *t = chain_tu(n, scale, defs, &tp);
        const char *msg = NULL;
        int bad;
        fuse_use(f == 0);
        ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_DOMAIN);
        ck_assert_int_ge(bad, 0);
        ck_assert_msg(tp->op[bad] == op, "%s: reported at %s", defs, op_info[tp->op[bad]].name);
        badslot[f] = bad;
        snprintf(msgs[f], sizeof msgs[f], "%s", msg);
        tu_free(t);
    }
    fuse_use(1);
    ck_assert_int_eq(badslot[0], badslot[1]);
    ck_assert_str_eq(msgs[0], msgs[1]);
    ck_assert_str_eq(msgs[0], want);
}

START_TEST(test_errors_inside)
{
    /* w up to 400: exp(w * x * 10) overflows at some entry; the later
     * slots of the run (- v, sigmoid) are not reported */
    error_case("L = sum(sigmoid(exp(w * x * 10) - v))", 1000, 1501, OP_EXP,
               "overflow: the result is infinite");
    error_case("L = sum(sigmoid(exp(w * x * 10) - v))", 1000, 300, OP_EXP,
               "overflow: the result is infinite");
    /* the first negative entry of w * x + 0.397 is in the sixth block
     * (entry 1354 of these values), found here */
    Tape *tp;
    Tu *t = chain_tu(1501, 1, "L = 0", &tp);
    long first = -1;
    for (long k = 0; k < 1501 && first < 0; k++)
        if (tu_entry(t, "w")->val.data[k] * tu_entry(t, "x")->val.data[k] + 0.397 < 0) first = k;
    tu_free(t);
    ck_assert_int_gt(first, 512);
    char want[80];
    snprintf(want, sizeof want, "log of a negative number (entry %ld)", first);
    error_case("L = sum(tanh(log(w * x + 0.397) + v))", 1, 1501, OP_LOG, want);
    /* a NaN from finite inputs: inf - inf after an overflow is reported at
     * the overflow, the first slot where it began */
    error_case("L = sum(exp(w * 10) - exp(w * 10))", 1000, 2050, OP_EXP,
               "overflow: the result is infinite");
    /* a division by zero at entry 0 (x + 0 - x = 0 everywhere) */
    error_case("L = sum(tanh(v / (x - x)))", 1, 1024, OP_DIV, "division by zero (entry 0)");
}
END_TEST

/* Gradients of fused chains (forward fused, backward fused or not)
 * against central differences computed here: rtol 1e-6, atol 1e-7 (L sums
 * up to 1501 terms of order 1; its rounding over the step, about 6e-6, is
 * some 1e-8). */
START_TEST(test_gradients)
{
    for (int c = 0; c < 12; c++) {
        Tape *tp;
        Tu *t = chain_tu(1501, 1, chains[c], &tp);
        const char *msg;
        int bad;
        ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
        backprop_params(tp);
        int ws = tape_slot_of(tp, tu_entry(t, "w")), vs = tape_slot_of(tp, tu_entry(t, "v"));
        for (int k = 0; k < 3; k++) {
            long e = k * 700 + 3;
            if (ws >= 0)
                TU_CLOSE(tape_grad(tp, ws)[e],
                         tu_central(t, "L", "w", e, tu_step(tu_entry(t, "w")->val.data[e])), 1e-6, 1e-7);
            if (vs >= 0)
                TU_CLOSE(tape_grad(tp, vs)[e],
                         tu_central(t, "L", "v", e, tu_step(tu_entry(t, "v")->val.data[e])), 1e-6, 1e-7);
        }
        tu_free(t);
    }
}
END_TEST

/* exp of 1024 entries or more by the AVX-512 path (kernels.c exp_avx512)
 * and the AVX2 path: the same bits, blocks of eight with an entry out of
 * exp_avx2's range (a NaN, -800, 710) and tails included; where the
 * processor lacks AVX-512, k_tanh_use falls back and the test compares
 * the path with itself. */
START_TEST(test_exp_paths)
{
    Tape *tp;
    Tu *t = chain_tu(4099, 3, "L = sum(exp(w))", &tp);
    Entry *w = tu_entry(t, "w");
    w->val.data[17] = NAN;                  /* given so: not reported */
    w->val.data[1000] = -800;               /* exp underflows to 0 */
    w->val.data[2001] = 709.5;              /* past exp_avx2's range, finite */
    w->val.data[4097] = 709.5;              /* in the tail */
    for (long k = 41; k < 4000; k += 37) w->val.data[k] = -709.5;   /* many blocks of eight */
    session_changed(t->s, w);
    Diag d = { 0 };
    tp = compile_entry(t->s, tu_entry(t, "L"), &d);
    ck_assert_ptr_nonnull(tp);
    double *y[2];
    int es = -1;
    for (int i = 0; i <= tp->root; i++)
        if (tp->op[i] == OP_EXP) es = i;
    ck_assert_int_ge(es, 0);
    for (int p = 0; p < 2; p++) {
        const char *msg;
        int bad;
        k_tanh_use(p ? K_TANH_AVX2 : K_TANH_AVX512);
        ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
        y[p] = malloc(4099 * sizeof *y[p]);
        memcpy(y[p], tape_val(tp, es), 4099 * sizeof *y[p]);
    }
    k_tanh_use(K_TANH_AUTO);
    ck_assert(isnan(y[0][17]) && y[0][1000] == 0 && y[0][2001] == exp(709.5));
    for (long k = 0; k < 4099; k++)
        ck_assert_msg(memcmp(&y[0][k], &y[1][k], sizeof y[0][k]) == 0, "exp entry %ld: %.17g and %.17g",
                      k, y[0][k], y[1][k]);
    free(y[0]);
    free(y[1]);
    tu_free(t);
}
END_TEST

/* A forward pass stays linear in the slots when many tensor leaves follow
 * each other in the program (M = [w0, ..., w19999] of 2-vectors: the
 * leaves, then the stack): fuse_forward, asked at each tensor slot, looks
 * at a bounded number of the instructions after it, not at every leaf up
 * to the next slot (a scan per leaf: 2 10^8 steps a pass).  The fused
 * pass's CPU time against the unfused pass's on the same tape, the best
 * of three each: at most 10 times it and 20 ms (the scan made it some
 * thousand times); L checked against its value worked here. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

START_TEST(test_many_leaves_linear)
{
    enum { NL = 20000 };
    size_t cap = (size_t)NL * 40 + 64, len = 0;
    char *defs = malloc(cap);
    for (int i = 0; i < NL; i++)
        len += (size_t)snprintf(defs + len, cap - len, "w%d = zeros(2)\n", i);
    len += (size_t)snprintf(defs + len, cap - len, "M = [");
    for (int i = 0; i < NL; i++)
        len += (size_t)snprintf(defs + len, cap - len, i ? ", w%d" : "w%d", i);
    snprintf(defs + len, cap - len, "]\nL = sum(M * M + 1)\n");
    Tu *t = tu_new();
    tu_ok(t, defs);
    free(defs);
    Diag d = { 0 };
    Tape *tp = compile_entry(t->s, tu_entry(t, "L"), &d);
    ck_assert_ptr_nonnull(tp);
    double best[2] = { 1e9, 1e9 };
    for (int f = 0; f < 2; f++) {
        fuse_use(f);
        for (int rep = 0; rep < 3; rep++) {
            const char *msg;
            int bad;
            double t0 = cpu_now();
            ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
            double dt = cpu_now() - t0;
            if (dt < best[f]) best[f] = dt;
            ck_assert(tape_val(tp, tp->root)[0] == 2.0 * NL);   /* 0 * 0 + 1 per entry */
        }
    }
    fuse_use(1);
    ck_assert_msg(best[1] <= 10 * best[0] + 0.02, "fused pass %.3g s, unfused %.3g s",
                  best[1], best[0]);
    tu_free(t);
}
END_TEST

static Suite *fuse_suite(void)
{
    Suite *s = suite_create("fuse");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_fused_bits);
    tcase_add_test(tc, test_from_inside);
    tcase_add_test(tc, test_errors_inside);
    tcase_add_test(tc, test_gradients);
    tcase_add_test(tc, test_exp_paths);
    tcase_add_test(tc, test_many_leaves_linear);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_main(fuse_suite());
}
