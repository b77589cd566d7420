/* check_tensor.c: tensors (src/tensor.c, src/kernels.c and the tensor
 * parts of src/compile.c).
 *
 * Each gradient is compared with a formula worked out by hand and computed
 * here in C (the seed's ∂L/∂W = δ aᵀ for the matrix product), and for the
 * losses with central differences computed here as well.  Then the shape
 * errors (E_SHAPE, both shapes in the message) and randn's seed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"
#include "kernels.h"
#include "tape.h"
#include "ops.h"
#include "dual.h"

#define HAND_TOL 1e-12
#define FD_TOL 1e-6

/* grad(L, name) as a flat array of n entries (malloc'd), checking shape. */
static double *grad_of(Tu *t, const char *L, const char *name, int rank, long d0, long d1)
{
    char expr[128];
    snprintf(expr, sizeof expr, "grad(%s, %s)", L, name);
    Value v = tu_value(t, expr);
    ck_assert_msg(v.shape.rank == rank, "%s has rank %d, expected %d", expr, v.shape.rank, rank);
    if (rank >= 1) ck_assert_int_eq(v.shape.d[0], d0);
    if (rank == 2) ck_assert_int_eq(v.shape.d[1], d1);
    return v.data;
}

static void close_all(const double *got, const double *want, long n, double rtol,
                      const char *what)
{
    for (long k = 0; k < n; k++)
        ck_assert_msg(tu_close(got[k], want[k], rtol, 1e-300),
                      "%s entry %ld: %.17g, expected %.17g", what, k, got[k], want[k]);
}

/* Every entry of grad(L, name) against a central difference done here. */
static void fd_all(Tu *t, const char *L, const char *name, const double *g, long n)
{
    for (long k = 0; k < n; k++) {
        double p = tu_entry(t, name)->val.data[k];
        double c = tu_central(t, L, name, k, tu_step(p));
        ck_assert_msg(tu_close(g[k], c, FD_TOL, 1e-9),
                      "d%s/d%s entry %ld: backprop %.17g, central difference %.17g", L, name, k,
                      g[k], c);
    }
}

/* The values of parameter `name`, as a flat array (not a copy). */
static const double *vals(Tu *t, const char *name)
{
    return tu_entry(t, name)->val.data;
}

/* ---- the matrix product ------------------------------------------------- */

/* L = sum(tanh(W @ a + b) * c): δ = c ⊙ tanh'(z), ∂L/∂W = δ aᵀ,
 * ∂L/∂a = Wᵀ δ, ∂L/∂b = δ. */
/* tanh of a tensor of 1024 entries or more takes a vector loop
 * (kernels.c): AVX-512 with the division replaced by a refined
 * reciprocal, or AVX2 + FMA with the division; each is run here
 * (k_tanh_use forces it; on a processor without it, the path it falls
 * back to is the one tested).  Each entry within 4 ulp of libm's tanh
 * (both are within about 2.5 of the exact value), odd, exactly 0 at 0 and
 * 1 from 22 on, tiny arguments (below 1e-150) returned as they are, NaN
 * and infinities as libm gives them, and the 7 entries after the last
 * block of 8 (or 4); the gradient, 1 - tanh^2, from it.  The libm value is
 * the independent one. */
static void tanh_vector_on(int path)
{
    Tu *t = tu_new();
    enum { N = 5007 };
    int used = k_tanh_use(path);
    ck_assert(used != K_TANH_AUTO && used <= path);
    tu_okf(t, "w = zeros(%d); L = sum(tanh(w))", N);
    Entry *e = tu_entry(t, "w");
    double *w = e->val.data;
    for (long k = 0; k < N; k++) {
        double u = sin(0.7 * (double)k + 0.3);
        w[k] = k % 3 == 0 ? 30 * u : k % 3 == 1 ? 3 * u : ldexp(u, -(int)(k % 60));
    }
    w[0] = 0; w[1] = -0.0; w[2] = 1e-300; w[3] = -5e-324; w[4] = 22; w[5] = -22.5;
    w[6] = 0.2168; w[7] = 7.21;
    w[N - 1] = -0.3; w[N - 2] = 1e-200; w[N - 3] = -2.5;   /* the tail: libm's */
    session_changed(t->s, e);
    Value v = tu_value(t, "tanh(w)");
    ck_assert_int_eq(shape_size(v.shape), N);
    for (long k = 0; k < N; k++) {
        double want = tanh(w[k]), got = v.data[k];
        double ulp = nextafter(fabs(want), INFINITY) - fabs(want);
        ck_assert_msg(fabs(got - want) <= 4 * ulp, "path %d: tanh(%.17g) = %.17g, libm %.17g",
                      used, w[k], got, want);
        ck_assert(signbit(got) == signbit(w[k]));
        if (fabs(w[k]) >= 22) ck_assert(fabs(got) == 1);
        if (fabs(w[k]) < 1e-150) ck_assert(got == w[k]);
    }
    Value g = tu_value(t, "grad(L, w)");
    ck_assert_int_eq(shape_size(g.shape), N);
    for (long k = 0; k < N; k++)
        TU_CLOSE(g.data[k], 1 - v.data[k] * v.data[k], 1e-13, 1e-300);
    value_free(&g);
    value_free(&v);
    /* a block with a NaN or an infinity: libm's values for all of it */
    w[8] = NAN; w[17] = INFINITY; w[18] = -INFINITY; w[19] = 0.5;
    session_changed(t->s, e);
    v = tu_value(t, "tanh(w)");
    ck_assert(isnan(v.data[8]));
    ck_assert(v.data[17] == 1 && v.data[18] == -1);
    ck_assert(v.data[19] == tanh(0.5) && v.data[9] == tanh(w[9]));
    value_free(&v);
    tu_free(t);
    k_tanh_use(K_TANH_AUTO);
}

/* exp of a tensor of 1024 entries or more takes kernels.c's exp_avx2
 * where the processor has AVX2 + FMA: each entry within 2 ulp of libm's
 * exp (libm is the independent value; both are within about 1 of the
 * exact one), over [-708, 709], near 0 and tiny arguments; a block of four
 * with an entry outside that range (a subnormal or zero result), a NaN or
 * an infinity, and the tail after the last block, get libm's own values;
 * with the vector loops turned off (k_tanh_use(K_TANH_LIBM)) every entry
 * is libm's. */
START_TEST(test_exp_vector)
{
    Tu *t = tu_new();
    enum { N = 100003 };
    tu_okf(t, "w = zeros(%d)", N);
    Entry *e = tu_entry(t, "w");
    double *w = e->val.data;
    for (long k = 0; k < N; k++) {
        double u = sin(0.37 * (double)k + 0.3);
        w[k] = k % 4 == 0 ? 708.5 * u : k % 4 == 1 ? 20 * u : k % 4 == 2 ? ldexp(u, -(int)(k % 80)) : u;
    }
    w[0] = 0; w[1] = -0.0; w[2] = 709; w[3] = -708;
    w[4] = -720; w[5] = 1; w[6] = 2; w[7] = 3;             /* subnormal result: libm's block */
    w[8] = NAN; w[9] = -INFINITY; w[10] = 0.5; w[11] = -0.5;
    w[12] = -800; w[13] = 1e-300; w[14] = 0.693147180559945; w[15] = 1e-17;
    w[N - 1] = -0.3; w[N - 2] = 700; w[N - 3] = -2.5;      /* the tail: libm's */
    session_changed(t->s, e);
    for (int pass = 0; pass < 2; pass++) {
        k_tanh_use(pass ? K_TANH_LIBM : K_TANH_AUTO);
        Value v = tu_value(t, "exp(w)");
        ck_assert_int_eq(shape_size(v.shape), N);
        double worst = 0;
        for (long k = 0; k < N; k++) {
            double want = exp(w[k]), got = v.data[k];
            if (isnan(want)) { ck_assert(isnan(got)); continue; }
            double ulp = nextafter(want, INFINITY) - want;
            double err = fabs(got - want) / ulp;
            if (err > worst) worst = err;
            ck_assert_msg(err <= (pass ? 0 : 2), "pass %d: exp(%.17g) = %.17g, libm %.17g (%.2f ulp)",
                          pass, w[k], got, want, err);
            if ((k >= 4 && k < 16) || k >= N - 3) ck_assert(got == want);   /* libm's blocks, the tail */
        }
        if (!pass) ck_assert_msg(worst > 0 || k_tanh_use(K_TANH_AUTO) == K_TANH_LIBM,
                                 "the vector exp ran (differs from libm somewhere)");
        value_free(&v);
    }
    k_tanh_use(K_TANH_AUTO);
    tu_free(t);
}
END_TEST

/* sigmoid of 1024 entries or more: ops.c's formula with the vector exp,
 * each entry within 2 ulp of that formula with libm's exp (the
 * independent value), in (0, 1), sigmoid(0) = 0.5, NaN for NaN, 0 and 1
 * at -inf and inf. */
START_TEST(test_sigmoid_large)
{
    Tu *t = tu_new();
    enum { N = 20011 };
    tu_okf(t, "w = zeros(%d)", N);
    Entry *e = tu_entry(t, "w");
    double *w = e->val.data;
    for (long k = 0; k < N; k++) w[k] = (k % 2 ? 40 : 3) * sin(0.37 * (double)k + 0.3);
    w[0] = 0; w[1] = NAN; w[2] = -INFINITY; w[3] = INFINITY; w[4] = -800; w[5] = 800;
    session_changed(t->s, e);
    Value v = tu_value(t, "sigmoid(w)");
    for (long k = 0; k < N; k++) {
        double a = w[k], want;
        if (a >= 0) want = 1 / (1 + exp(-a));
        else { double u = exp(a); want = u / (1 + u); }
        if (isnan(want)) { ck_assert(isnan(v.data[k])); continue; }
        double ulp = nextafter(want, INFINITY) - want;
        ck_assert_msg(v.data[k] == want || fabs(v.data[k] - want) <= 2 * ulp,
                      "sigmoid(%.17g) = %.17g, libm's exp gives %.17g", a, v.data[k], want);
        ck_assert(v.data[k] >= 0 && v.data[k] <= 1);
    }
    ck_assert(v.data[0] == 0.5 && v.data[2] == 0 && v.data[3] == 1);
    value_free(&v);
    tu_free(t);
}
END_TEST

/* w^2 of 1024 entries or more is w*w, the correctly rounded square
 * (kernels.c elem_fast_fwd): within 1 ulp of libm's pow, equal to the
 * product entry for entry, -0 squared +0, NaN and infinities as pow gives
 * them; below 1024 entries pow's own values. */
START_TEST(test_square_large)
{
    Tu *t = tu_new();
    enum { N = 4099 };
    tu_okf(t, "w = zeros(%d); u = zeros(7)", N);
    Entry *e = tu_entry(t, "w"), *f = tu_entry(t, "u");
    double *w = e->val.data;
    for (long k = 0; k < N; k++) w[k] = 1e3 * sin(0.37 * (double)k + 0.3) * (k % 7 ? 1 : 1e-160);
    w[0] = -0.0; w[1] = NAN; w[2] = -INFINITY; w[3] = 1e150;
    for (int k = 0; k < 7; k++) f->val.data[k] = 0.1 * (k + 1) + 1e-3;
    session_changed(t->s, e);
    session_changed(t->s, f);
    Value v = tu_value(t, "w^2");
    for (long k = 0; k < N; k++) {
        double p = pow(w[k], 2), ulp = nextafter(fabs(p), INFINITY) - fabs(p);
        if (isnan(p)) { ck_assert(isnan(v.data[k])); continue; }
        ck_assert_msg(v.data[k] == w[k] * w[k], "entry %ld", k);
        ck_assert(v.data[k] == p || fabs(v.data[k] - p) <= ulp);
    }
    ck_assert(v.data[0] == 0 && !signbit(v.data[0]) && v.data[2] == INFINITY);
    value_free(&v);
    v = tu_value(t, "u^2");
    for (int k = 0; k < 7; k++) ck_assert(v.data[k] == pow(f->val.data[k], 2));
    value_free(&v);
    tu_free(t);
}
END_TEST

START_TEST(test_tanh_vector)
{
    tanh_vector_on(K_TANH_AVX512);
    tanh_vector_on(K_TANH_AVX2);
}
END_TEST

/* The element-wise loops run four entries a step where the processor has
 * AVX2 (kernels.c wide_avx2, sum_avx2): the same bits as one entry at a
 * time in C, written here in the order backprop's rules take (a fused
 * multiply-add, or another order of the sum's four running sums, would
 * differ in last bits).  1003 entries: the tails too.  The tanh values
 * are bp's own (its vector tanh is tested above). */
START_TEST(test_wide_loops_exact)
{
    enum { N = 1003 };
    Tu *t = tu_new();
    tu_okf(t, "w = zeros(%d); const x = zeros(%d); L = sum(tanh(w*x) + (w - x) * w) - sum(x - w)", N, N);
    Entry *we = tu_entry(t, "w"), *xe = tu_entry(t, "x");
    for (long k = 0; k < N; k++) {
        we->val.data[k] = 0.9 * sin(0.37 * (double)k + 0.1);
        xe->val.data[k] = 1.7 * cos(0.11 * (double)k);
    }
    session_changed(t->s, we);
    session_changed(t->s, xe);
    const double *w = we->val.data, *x = xe->val.data;
    Value th = tu_value(t, "tanh(w*x)");
    Diag d = { 0 };
    Tape *tp = compile_entry(t->s, tu_entry(t, "L"), &d);    /* backprop's kernels, */
    ck_assert_ptr_nonnull(tp);                                /* not grad()'s formula */
    int bad;
    const char *msg;
    ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
    backprop(tp);
    const double *g = tape_grad(tp, tape_slot_of(tp, we));
    for (long k = 0; k < N; k++) {
        ck_assert(th.data[k] == tanh(w[k] * x[k]) || N >= 1024);   /* libm below 1024 */
        /* slots in order: w*x, tanh, w - x, (w-x)*w, +, sum, x - w, sum, -; each
         * gradient starts at 0 and gets += its share, the rules in reverse */
        double gsum1 = 0.0 + 1.0, gsum2 = 0.0 - 1.0;
        double gadd = 0.0 + gsum1, gxw = 0.0 + gsum2;
        double gtanh = 0.0 + gadd, gprod = 0.0 + gadd;
        double gwx = 0.0 + gtanh * (1 - th.data[k] * th.data[k]);
        double gdiff = 0.0 + gprod * w[k];
        double gw = 0.0;
        gw -= gxw;                     /* x - w: b's share, in reverse slot order */
        gw += gprod * (w[k] - x[k]);   /* (w - x) * w: b */
        gw += gdiff;                   /* w - x: a */
        gw += gwx * x[k];              /* w*x: a */
        ck_assert_msg(g[k] == gw, "entry %ld: %.17g, by hand %.17g", k, g[k], gw);
    }
    value_free(&th);
    /* a sum of 1024 entries or more: four running sums, lane j the entries
     * k = j mod 4, combined ((0 + 2) + (1 + 3)) + the tail */
    tu_okf(t, "u = zeros(%d)", 4099);
    Entry *ue = tu_entry(t, "u");
    for (long k = 0; k < 4099; k++) ue->val.data[k] = exp(sin(1.3 * (double)k)) * 1e-3 * (double)(k % 17);
    session_changed(t->s, ue);
    double lane[4] = { 0, 0, 0, 0 }, tail = 0;
    long k = 0;
    for (; k + 4 <= 4099; k += 4)
        for (int j = 0; j < 4; j++) lane[j] += ue->val.data[k + j];
    for (; k < 4099; k++) tail += ue->val.data[k];
    ck_assert(tu_num(t, "sum(u)") == ((lane[0] + lane[2]) + (lane[1] + lane[3])) + tail);
    tu_free(t);
}
END_TEST

/* Alias mode (tape.h), as train and step use it: 4 steps of gd on
 * sum(tanh(w*x)) over 1500 entries against the same steps done here with
 * libm (w -= lr x (1 - tanh(w x)^2)); the cached tape left out of the
 * mode, its leaf holding w's values; then w given new storage (the old
 * freed: a pointer kept past the command would read freed memory, which
 * the sanitizer run of this test reports), and step, grad and dual
 * numbers on the same cached tape. */
START_TEST(test_alias_train)
{
    enum { N = 1500, STEPS = 4 };
    Tu *t = tu_new();
    tu_okf(t, "w = zeros(%d); const x = zeros(%d); f = sum(tanh(w*x))", N, N);
    Entry *we = tu_entry(t, "w"), *xe = tu_entry(t, "x");
    double *want = malloc(N * sizeof *want);
    const double *x = xe->val.data;
    for (long k = 0; k < N; k++) {
        want[k] = we->val.data[k] = 0.5 * sin(0.37 * (double)k);
        xe->val.data[k] = 2 * cos(0.11 * (double)k);
    }
    session_changed(t->s, we);
    session_changed(t->s, xe);
    for (int s = 0; s < STEPS; s++)
        for (long k = 0; k < N; k++) {
            double h = tanh(want[k] * x[k]);
            want[k] -= 0.1 * (x[k] * (1 - h * h));
        }
    tu_okf(t, "train f 0.1 %d", STEPS);
    close_all(we->val.data, want, N, 1e-13, "w after train");
    Diag d = { 0 };
    Tape *tp = compile_entry(t->s, tu_entry(t, "f"), &d);
    ck_assert_ptr_nonnull(tp);
    ck_assert_ptr_null(tp->alias);
    int slot = tape_slot_of(tp, we);
    ck_assert_ptr_ne(tape_val(tp, slot), we->val.data);
    ck_assert(memcmp(tape_val(tp, slot), we->val.data, N * sizeof *want) == 0);
    /* new storage for w; step on the cached tape */
    tu_okf(t, "w = zeros(%d) + 0.25", N);
    we = tu_entry(t, "w");
    tu_ok(t, "step f 0.1");
    for (long k = 0; k < N; k++) {
        double h = tanh(0.25 * x[k]);
        want[k] = 0.25 - 0.1 * (x[k] * (1 - h * h));
    }
    close_all(we->val.data, want, N, 1e-13, "w after step");
    double *g = grad_of(t, "f", "w", 1, N, 0);
    for (long k = 0; k < N; k++) {
        double h = tanh(want[k] * x[k]);
        TU_CLOSE(g[k], x[k] * (1 - h * h), 1e-13, 1e-300);
    }
    free(g);
    /* dual numbers on a tape in alias mode: the mode ends, the tangent is right */
    tp = compile_entry(t->s, tu_entry(t, "f"), &d);
    ck_assert_ptr_nonnull(tp);
    slot = tape_slot_of(tp, we);
    tape_alias_begin(tp);
    int bad;
    const char *msg;
    ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
    ck_assert_ptr_eq(tape_val(tp, slot), we->val.data);
    ck_assert_int_eq(dual_pass(tp, slot, 7, &bad, &msg), 0);
    ck_assert_ptr_null(tp->alias);
    double h = tanh(want[7] * x[7]);
    TU_CLOSE(tp->im[tp->off[tp->root]], x[7] * (1 - h * h), 1e-13, 0);
    free(want);
    tu_free(t);
}
END_TEST

/* Sum of terms in double, compensated (Neumaier: each add's rounding
 * error, exact by TwoSum, kept in c) so the result is within an ulp or so
 * of the exact sum; a term x*y enters as its rounded product and that
 * product's exact error (fma).  Not long double: Valgrind runs x87 at
 * 64-bit precision, where an in-order long double sum is a plain double
 * one (1.1e-15 off for 4099 entries, past the test's 1e-15). */
typedef struct Csum { double s, c; } Csum;
static void csum_add(Csum *a, double x)
{
    double t = a->s + x;
    a->c += fabs(a->s) >= fabs(x) ? (a->s - t) + x : (x - t) + a->s;
    a->s = t;
}
static void csum_addmul(Csum *a, double x, double y)
{
    double p = x * y;
    csum_add(a, p);
    csum_add(a, fma(x, y, -p));
}

/* sum of 1024 entries or more (kernels.c: four running sums) against a
 * compensated sum (csum_add), for a length that leaves a remainder; its
 * gradient is all ones. */
START_TEST(test_sum_large)
{
    Tu *t = tu_new();
    enum { N = 4099 };
    tu_okf(t, "w = zeros(%d); L = sum(w * w)", N);
    Entry *e = tu_entry(t, "w");
    Csum want = { 0, 0 }, want2 = { 0, 0 };
    for (long k = 0; k < N; k++) {
        e->val.data[k] = 1 + 0.5 * sin(0.37 * (double)k);
        csum_add(&want, e->val.data[k]);
        csum_addmul(&want2, e->val.data[k], e->val.data[k]);
    }
    session_changed(t->s, e);
    TU_CLOSE(tu_num(t, "sum(w)"), want.s + want.c, 1e-15, 0);
    TU_CLOSE(tu_num(t, "L"), want2.s + want2.c, 1e-15, 0);
    TU_CLOSE(tu_num(t, "mean(w)"), (want.s + want.c) / N, 1e-15, 0);
    Value g = tu_value(t, "grad(sum(w), w)");
    for (long k = 0; k < N; k++) ck_assert(g.data[k] == 1);
    value_free(&g);
    tu_free(t);
}
END_TEST

START_TEST(test_matmul_layer)
{
    Tu *t = tu_new();
    tu_ok(t, "W = [[0.2, -0.5, 0.1], [0.7, 0.3, -0.4]]; a = [1.5, -0.5, 2]; b = [0.1, -0.2]; "
             "const c = [1, -2]; L = sum(tanh(W @ a + b) * c)");
    const double *W = vals(t, "W"), *a = vals(t, "a"), *b = vals(t, "b"), c[2] = { 1, -2 };
    double delta[2], dW[6], da[3] = { 0 }, L = 0;
    for (int i = 0; i < 2; i++) {
        double z = b[i];
        for (int j = 0; j < 3; j++) z += W[i * 3 + j] * a[j];
        L += tanh(z) * c[i];
        delta[i] = c[i] * (1 - tanh(z) * tanh(z));
    }
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) {
            dW[i * 3 + j] = delta[i] * a[j];
            da[j] += W[i * 3 + j] * delta[i];
        }
    TU_CLOSE(tu_num(t, "L"), L, 1e-14, 0);
    double *g = grad_of(t, "L", "W", 2, 2, 3);
    close_all(g, dW, 6, HAND_TOL, "dL/dW");
    fd_all(t, "L", "W", g, 6);
    free(g);
    g = grad_of(t, "L", "a", 1, 3, 0);
    close_all(g, da, 3, HAND_TOL, "dL/da");
    fd_all(t, "L", "a", g, 3);
    free(g);
    g = grad_of(t, "L", "b", 1, 2, 0);
    close_all(g, delta, 2, HAND_TOL, "dL/db");
    free(g);
    /* ∂L/∂W equals outer(δ, a) computed in bp itself from the same formula */
    tu_ok(t, "z = W @ a + b; delta = c * (1 - tanh(z)^2)");
    g = grad_of(t, "L", "W", 2, 2, 3);
    Value o = tu_value(t, "outer(delta, a)");
    close_all(g, o.data, 6, HAND_TOL, "outer(delta, a)");
    value_free(&o);
    free(g);
    tu_free(t);
}
END_TEST

/* matrix @ matrix, rows are samples: L = sum((X @ W)^2);
 * ∂L/∂W = Xᵀ (2 X W), ∂L/∂X = (2 X W) Wᵀ. */
START_TEST(test_matmul_matrices)
{
    Tu *t = tu_new();
    tu_ok(t, "X = [[1, 2, 0.5], [-1, 0.25, 3], [2, -2, 1], [0, 1, -1]]; "
             "W = [[0.3, -0.1], [0.2, 0.4], [-0.5, 0.6]]; L = sum((X @ W)^2)");
    const double *X = vals(t, "X"), *W = vals(t, "W");
    double Y[8] = { 0 }, dW[6] = { 0 }, dX[12] = { 0 }, L = 0;
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 2; c++) {
            for (int k = 0; k < 3; k++) Y[r * 2 + c] += X[r * 3 + k] * W[k * 2 + c];
            L += Y[r * 2 + c] * Y[r * 2 + c];
        }
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 2; c++)
            for (int k = 0; k < 3; k++) {
                dW[k * 2 + c] += X[r * 3 + k] * 2 * Y[r * 2 + c];
                dX[r * 3 + k] += 2 * Y[r * 2 + c] * W[k * 2 + c];
            }
    TU_CLOSE(tu_num(t, "L"), L, 1e-14, 0);
    double *g = grad_of(t, "L", "W", 2, 3, 2);
    close_all(g, dW, 6, HAND_TOL, "dL/dW");
    fd_all(t, "L", "W", g, 6);
    free(g);
    g = grad_of(t, "L", "X", 2, 4, 3);
    close_all(g, dX, 12, HAND_TOL, "dL/dX");
    free(g);

    /* vector @ matrix and the dot product */
    tu_ok(t, "v = [0.5, -1, 2]; const k = [1, -3]; M = sum((v @ W) * k); d = v @ a; "
             "a = [2, 1, -1]; dd = dot(v, a)");
    double dv[3], dWv[6];
    for (int i = 0; i < 3; i++) {
        dv[i] = W[i * 2] * 1 + W[i * 2 + 1] * -3;
        dWv[i * 2] = vals(t, "v")[i] * 1;
        dWv[i * 2 + 1] = vals(t, "v")[i] * -3;
    }
    g = grad_of(t, "M", "v", 1, 3, 0);
    close_all(g, dv, 3, HAND_TOL, "d(v@W)/dv");
    free(g);
    g = grad_of(t, "M", "W", 2, 3, 2);
    close_all(g, dWv, 6, HAND_TOL, "d(v@W)/dW");
    free(g);
    ck_assert(tu_num(t, "d") == 0.5 * 2 - 1 - 2);
    ck_assert(tu_num(t, "dd") == tu_num(t, "d"));
    g = grad_of(t, "d", "v", 1, 3, 0);
    close_all(g, vals(t, "a"), 3, 0, "d(v@a)/dv");
    free(g);
    g = grad_of(t, "dd", "a", 1, 3, 0);
    close_all(g, vals(t, "v"), 3, 0, "d(dot(v,a))/da");
    free(g);
    tu_free(t);
}
END_TEST

/* Backward rules only accumulate: an operand that is used elsewhere too
 * gets every contribution (W in W @ a and in W * W, a on both sides). */
START_TEST(test_matmul_accumulates)
{
    Tu *t = tu_new();
    tu_ok(t, "W = [[1, 2], [3, 4], [5, 6]]; a = [0.5, -1]; "
             "L = sum(W @ a) + sum(W * W) + sum(a * a) + a @ transpose(W) @ [1, 1, 1]");
    const double *W = vals(t, "W"), *a = vals(t, "a");
    double dW[6], da[2] = { 0 };
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++) {
            dW[i * 2 + j] = 2 * a[j] + 2 * W[i * 2 + j];
            da[j] += 2 * W[i * 2 + j];
        }
    for (int j = 0; j < 2; j++) da[j] += 2 * a[j];
    double *g = grad_of(t, "L", "W", 2, 3, 2);
    close_all(g, dW, 6, HAND_TOL, "dL/dW");
    free(g);
    g = grad_of(t, "L", "a", 1, 2, 0);
    close_all(g, da, 2, HAND_TOL, "dL/da");
    free(g);
    tu_free(t);
}
END_TEST

/* ---- broadcasting -------------------------------------------------------- */

START_TEST(test_broadcast_gradients)
{
    Tu *t = tu_new();
    /* X @ W + b adds the vector b to every row: ∂/∂b sums over the rows */
    tu_ok(t, "X = [[1, 2], [3, -4], [0.5, 6]]; b = [0.25, -1]; L = sum((X + b)^2)");
    const double *X = vals(t, "X"), *b = vals(t, "b");
    double db[2] = { 0 }, dX[6];
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 2; c++) {
            db[c] += 2 * (X[r * 2 + c] + b[c]);
            dX[r * 2 + c] = 2 * (X[r * 2 + c] + b[c]);
        }
    double *g = grad_of(t, "L", "b", 1, 2, 0);
    close_all(g, db, 2, HAND_TOL, "dL/db");
    fd_all(t, "L", "b", g, 2);
    free(g);
    g = grad_of(t, "L", "X", 2, 3, 2);
    close_all(g, dX, 6, HAND_TOL, "dL/dX");
    free(g);

    /* the vector on the left, and a product */
    tu_ok(t, "L2 = sum(b * X)");
    double db2[2] = { X[0] + X[2] + X[4], X[1] + X[3] + X[5] };
    g = grad_of(t, "L2", "b", 1, 2, 0);
    close_all(g, db2, 2, HAND_TOL, "d sum(b*X)/db");
    free(g);

    /* a scalar stretched over everything */
    tu_ok(t, "s = 1.5; L3 = sum((X * s)^2)");
    double ds = 0;
    for (int k = 0; k < 6; k++) ds += 2 * X[k] * X[k] * 1.5;
    TU_CLOSE(tu_grad(t, "L3", "s"), ds, HAND_TOL, 0);

    /* a column (3, 1) stretched along the columns */
    tu_ok(t, "col = [[1], [-2], [0.5]]; L4 = sum((X - col)^3)");
    const double *col = vals(t, "col");
    double dcol[3] = { 0 };
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 2; c++) {
            double u = X[r * 2 + c] - col[r];
            dcol[r] -= 3 * u * u;
        }
    g = grad_of(t, "L4", "col", 2, 3, 1);
    close_all(g, dcol, 3, HAND_TOL, "dL/dcol");
    fd_all(t, "L4", "col", g, 3);
    free(g);

    /* (3) + (2, 1) -> (2, 3): both stretched */
    tu_ok(t, "r = [1, 2, 3]; q = [[10], [20]]; L5 = sum((r + q) * [[1, 2, 3], [4, 5, 6]])");
    Value v = tu_value(t, "r + q");
    ck_assert_int_eq(v.shape.rank, 2);
    ck_assert_int_eq(v.shape.d[0], 2);
    ck_assert_int_eq(v.shape.d[1], 3);
    ck_assert(v.data[5] == 23);
    value_free(&v);
    double dr[3] = { 5, 7, 9 }, dq[2] = { 6, 15 };
    g = grad_of(t, "L5", "r", 1, 3, 0);
    close_all(g, dr, 3, 0, "dL/dr");
    free(g);
    g = grad_of(t, "L5", "q", 2, 2, 1);
    close_all(g, dq, 2, 0, "dL/dq");
    free(g);
    tu_free(t);
}
END_TEST

/* A stretched +, -, * (kernels.c: the loops with the switch outside,
 * forward and backward) must give the bits of ops.c's per-entry rules,
 * op_info[op].fwd and .bwd run here in the order the general loop ran
 * them (rows, then columns), for every way an input can be stretched:
 * a row vector, a column, a (1, C) row, a scalar-like (1, 1), on either
 * side.  L = sum((A op B) * G) with a const G of entries that are not
 * round, so that the gradient of A op B is G itself; backprop (full) and
 * backprop_params (pruned) both.  Then relu's backward (a select, not a
 * branch) against values worked by hand. */
START_TEST(test_broadcast_rules_bits)
{
    static const char *shapes[][2] = {
        { "zeros(4, 5)", "zeros(5)" },    { "zeros(5)", "zeros(4, 5)" },
        { "zeros(4, 5)", "zeros(4, 1)" }, { "zeros(4, 1)", "zeros(4, 5)" },
        { "zeros(1, 5)", "zeros(4, 1)" }, { "zeros(4, 5)", "zeros(1, 1)" },
        { "zeros(1, 5)", "zeros(4, 5)" },
    };
    static const char ops[] = "+-*";
    static const int opc[] = { OP_ADD, OP_SUB, OP_MUL };
    for (size_t sh = 0; sh < sizeof shapes / sizeof *shapes; sh++)
        for (int o = 0; o < 3; o++)
            for (int pruned = 0; pruned < 2; pruned++) {
                Tu *t = tu_new();
                tu_okf(t, "A = %s; B = %s; const G = zeros(4, 5)", shapes[sh][0], shapes[sh][1]);
                Entry *ea = tu_entry(t, "A"), *eb = tu_entry(t, "B"), *eg = tu_entry(t, "G");
                long na = shape_size(ea->val.shape), nb = shape_size(eb->val.shape);
                for (long k = 0; k < na; k++) ea->val.data[k] = 0.3 + sin(1.7 * (double)k + 0.1);
                for (long k = 0; k < nb; k++) eb->val.data[k] = -0.2 + cos(0.9 * (double)k + 0.4);
                for (long k = 0; k < 20; k++) eg->val.data[k] = 1.0 / 3 + 0.01 * (double)k * (double)k;
                session_changed(t->s, ea); session_changed(t->s, eb); session_changed(t->s, eg);
                tu_okf(t, "Y = A %c B; L = sum(Y * G)", ops[o]);
                Diag d = { 0 };
                Tape *tp = compile_entry(t->s, tu_entry(t, "L"), &d);
                ck_assert_ptr_nonnull(tp);
                const char *msg;
                int bad;
                ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
                if (pruned) backprop_params(tp);
                else backprop(tp);
                /* the expected bits, by the op's own rules entry by entry */
                const OpInfo *oi = &op_info[opc[o]];
                long ar = ea->val.shape.rank == 2 ? ea->val.shape.d[0] : 1;
                long ac = ea->val.shape.rank == 2 ? ea->val.shape.d[1] : ea->val.shape.d[0];
                long br = eb->val.shape.rank == 2 ? eb->val.shape.d[0] : 1;
                long bc = eb->val.shape.rank == 2 ? eb->val.shape.d[1] : eb->val.shape.d[0];
                double y[20], ga[20] = { 0 }, gb[20] = { 0 };
                for (long r = 0; r < 4; r++)
                    for (long c = 0; c < 5; c++) {
                        long ia = (ar == 1 ? 0 : r) * ac + (ac == 1 ? 0 : c);
                        long ib = (br == 1 ? 0 : r) * bc + (bc == 1 ? 0 : c);
                        const double *a = ea->val.data, *b = eb->val.data;
                        ck_assert_ptr_null(oi->fwd(a[ia], b[ib], &y[r * 5 + c]));
                        oi->bwd(&ga[ia], &gb[ib], eg->val.data[r * 5 + c], a[ia], b[ib], y[r * 5 + c]);
                    }
                const double *Y = tape_val(tp, tape_slot_of(tp, tu_entry(t, "Y")));
                const double *GA = tape_grad(tp, tape_slot_of(tp, ea)), *GB = tape_grad(tp, tape_slot_of(tp, eb));
                for (long k = 0; k < 20; k++)
                    ck_assert_msg(memcmp(&Y[k], &y[k], sizeof y[k]) == 0, "%s %c %s: Y[%ld] %.17g, rule %.17g",
                                  shapes[sh][0], ops[o], shapes[sh][1], k, Y[k], y[k]);
                for (long k = 0; k < na; k++)
                    ck_assert_msg(memcmp(&GA[k], &ga[k], sizeof ga[k]) == 0, "%s %c %s (%s): dA[%ld] %.17g, rule %.17g",
                                  shapes[sh][0], ops[o], shapes[sh][1], pruned ? "pruned" : "full", k, GA[k], ga[k]);
                for (long k = 0; k < nb; k++)
                    ck_assert_msg(memcmp(&GB[k], &gb[k], sizeof gb[k]) == 0, "%s %c %s (%s): dB[%ld] %.17g, rule %.17g",
                                  shapes[sh][0], ops[o], shapes[sh][1], pruned ? "pruned" : "full", k, GB[k], gb[k]);
                tu_free(t);
            }

    /* relu's backward (a select, not a branch): the gradient where x > 0,
     * nothing where x <= 0 (0 included), worked by hand */
    Tu *t = tu_new();
    tu_ok(t, "A = [[1, -2], [0, 3]]; const G = [[0.5, 7], [11, 2]]; L = sum(relu(A) * G)");
    Diag d = { 0 };
    Tape *tp = compile_entry(t->s, tu_entry(t, "L"), &d);
    ck_assert_ptr_nonnull(tp);
    const char *msg;
    int bad;
    ck_assert_int_eq(eval_forward(tp, 0, &bad, &msg), E_OK);
    backprop(tp);
    const double *GA = tape_grad(tp, tape_slot_of(tp, tu_entry(t, "A")));
    ck_assert(GA[0] == 0.5 && GA[1] == 0 && GA[2] == 0 && GA[3] == 2);
    tu_free(t);
}
END_TEST

/* ---- softmax and the losses --------------------------------------------- */

static void softmax_row(const double *z, double *y, int n)
{
    double m = z[0], s = 0;
    for (int i = 1; i < n; i++) if (z[i] > m) m = z[i];
    for (int i = 0; i < n; i++) s += y[i] = exp(z[i] - m);
    for (int i = 0; i < n; i++) y[i] /= s;
}

START_TEST(test_softmax)
{
    Tu *t = tu_new();
    tu_ok(t, "z = [0.5, -1, 2, 0.25]; const c = [1, 2, -3, 0.5]; L = sum(softmax(z) * c)");
    const double *z = vals(t, "z"), c[4] = { 1, 2, -3, 0.5 };
    double y[4], dz[4], cy = 0;
    softmax_row(z, y, 4);
    Value v = tu_value(t, "softmax(z)");
    close_all(v.data, y, 4, 1e-14, "softmax(z)");
    value_free(&v);
    for (int i = 0; i < 4; i++) cy += c[i] * y[i];
    for (int i = 0; i < 4; i++) dz[i] = y[i] * (c[i] - cy);
    double *g = grad_of(t, "L", "z", 1, 4, 0);
    close_all(g, dz, 4, HAND_TOL, "d softmax/dz");
    fd_all(t, "L", "z", g, 4);
    free(g);

    /* along the last axis of a matrix: each row on its own */
    tu_ok(t, "Z = [[1, 2, 3], [-1, 0, 5]]; const C = [[1, 0, 0], [0, 2, -1]]; "
             "M = sum(softmax(Z) * C)");
    const double *Z = vals(t, "Z"), C[6] = { 1, 0, 0, 0, 2, -1 };
    double Y[6], dZ[6];
    for (int r = 0; r < 2; r++) {
        softmax_row(Z + 3 * r, Y + 3 * r, 3);
        double s = 0;
        for (int i = 0; i < 3; i++) s += C[3 * r + i] * Y[3 * r + i];
        for (int i = 0; i < 3; i++) dZ[3 * r + i] = Y[3 * r + i] * (C[3 * r + i] - s);
    }
    g = grad_of(t, "M", "Z", 2, 2, 3);
    close_all(g, dZ, 6, HAND_TOL, "d softmax/dZ");
    fd_all(t, "M", "Z", g, 6);
    free(g);

    /* computed stably */
    v = tu_value(t, "softmax([1000, 1000, -1000])");
    ck_assert(v.data[0] == 0.5 && v.data[1] == 0.5 && v.data[2] == 0);
    value_free(&v);
    tu_free(t);
}
END_TEST

START_TEST(test_cross_entropy)
{
    Tu *t = tu_new();
    tu_ok(t, "Z = [[2, 1, -1], [0.5, 0.5, 3], [-2, 4, 1]]; "
             "const T = [[1, 0, 0], [0, 0, 1], [0.25, 0.75, 0]]; L = cross_entropy(Z, T)");
    const double *Z = vals(t, "Z"), T[9] = { 1, 0, 0, 0, 0, 1, 0.25, 0.75, 0 };
    double L = 0, dZ[9];
    for (int r = 0; r < 3; r++) {
        double y[3], m = Z[3 * r], s = 0;
        for (int i = 1; i < 3; i++) if (Z[3 * r + i] > m) m = Z[3 * r + i];
        for (int i = 0; i < 3; i++) s += exp(Z[3 * r + i] - m);
        double lse = m + log(s);
        softmax_row(Z + 3 * r, y, 3);
        for (int i = 0; i < 3; i++) {
            L -= T[3 * r + i] * (Z[3 * r + i] - lse) / 3;
            dZ[3 * r + i] = (y[i] - T[3 * r + i]) / 3;   /* the rows of T sum to 1 */
        }
    }
    TU_CLOSE(tu_num(t, "L"), L, 1e-14, 0);
    double *g = grad_of(t, "L", "Z", 2, 3, 3);
    close_all(g, dZ, 9, HAND_TOL, "d xent/dZ");
    fd_all(t, "L", "Z", g, 9);
    free(g);
    /* with respect to the target (a const, named): -(z - lse(z)) / rows */
    double dT[9];
    for (int r = 0; r < 3; r++) {
        double m = Z[3 * r], s = 0;
        for (int i = 1; i < 3; i++) if (Z[3 * r + i] > m) m = Z[3 * r + i];
        for (int i = 0; i < 3; i++) s += exp(Z[3 * r + i] - m);
        for (int i = 0; i < 3; i++) dT[3 * r + i] = -(Z[3 * r + i] - m - log(s)) / 3;
    }
    g = grad_of(t, "L", "T", 2, 3, 3);
    close_all(g, dT, 9, HAND_TOL, "d xent/dT");
    fd_all(t, "L", "T", g, 9);
    free(g);
    /* rows that do not sum to 1: dZ = (softmax(z)·sum(t) - t) / rows */
    tu_ok(t, "const T2 = [[2, 0, 1], [0, 0.5, 0], [1, 1, 1]]; L2 = cross_entropy(Z, T2)");
    const double *T2 = vals(t, "T2");
    for (int r = 0; r < 3; r++) {
        double y[3], ty = T2[3 * r] + T2[3 * r + 1] + T2[3 * r + 2];
        softmax_row(Z + 3 * r, y, 3);
        for (int i = 0; i < 3; i++) dZ[3 * r + i] = (y[i] * ty - T2[3 * r + i]) / 3;
    }
    g = grad_of(t, "L2", "Z", 2, 3, 3);
    close_all(g, dZ, 9, HAND_TOL, "d xent/dZ, unnormalised rows");
    fd_all(t, "L2", "Z", g, 9);
    free(g);

    /* a vector is one row */
    tu_ok(t, "z = [0.1, 0.2, 0.7]; const y = [0, 1, 0]; l = cross_entropy(z, y)");
    double sm[3];
    softmax_row(vals(t, "z"), sm, 3);
    TU_CLOSE(tu_num(t, "l"), -log(sm[1]), 1e-14, 0);
    double dz[3] = { sm[0], sm[1] - 1, sm[2] };
    g = grad_of(t, "l", "z", 1, 3, 0);
    close_all(g, dz, 3, HAND_TOL, "d xent/dz");
    fd_all(t, "l", "z", g, 3);
    free(g);

    /* stable for large logits */
    double big = tu_num(t, "cross_entropy([1000, 0], [1, 0])");
    ck_assert(big >= 0 && big < 1e-300);
    TU_CLOSE(tu_num(t, "cross_entropy([0, 1000], [1, 0])"), 1000.0, 1e-15, 0);
    tu_free(t);
}
END_TEST

START_TEST(test_mse)
{
    Tu *t = tu_new();
    tu_ok(t, "p = [[0.5, 2], [-1, 3], [0, 0.25]]; const y = [[1, 1], [0, 2], [0.5, 0]]; "
             "L = mse(p, y)");
    const double *p = vals(t, "p"), y[6] = { 1, 1, 0, 2, 0.5, 0 };
    double L = 0, dp[6];
    for (int k = 0; k < 6; k++) {
        L += (p[k] - y[k]) * (p[k] - y[k]) / 6;
        dp[k] = 2 * (p[k] - y[k]) / 6;
    }
    TU_CLOSE(tu_num(t, "L"), L, 1e-15, 0);
    double *g = grad_of(t, "L", "p", 2, 3, 2);
    close_all(g, dp, 6, HAND_TOL, "d mse/dp");
    fd_all(t, "L", "p", g, 6);
    free(g);
    /* with respect to the target: the opposite sign */
    g = grad_of(t, "L", "y", 2, 3, 2);
    for (int k = 0; k < 6; k++) dp[k] = -dp[k];
    close_all(g, dp, 6, HAND_TOL, "d mse/dy");
    free(g);
    tu_free(t);
}
END_TEST

/* ---- outer, transpose, sum, mean ---------------------------------------- */

START_TEST(test_outer_transpose_reductions)
{
    Tu *t = tu_new();
    tu_ok(t, "u = [1.5, -2]; v = [0.5, 1, -3]; const M = [[1, 2, 3], [-1, 0.5, 4]]; "
             "L = sum(outer(u, v) * M)");
    const double *u = vals(t, "u"), *v = vals(t, "v"), M[6] = { 1, 2, 3, -1, 0.5, 4 };
    double du[2] = { 0 }, dv[3] = { 0 };
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) {
            du[i] += M[i * 3 + j] * v[j];
            dv[j] += M[i * 3 + j] * u[i];
        }
    Value o = tu_value(t, "outer(u, v)");
    ck_assert_int_eq(o.shape.rank, 2);
    ck_assert(o.shape.d[0] == 2 && o.shape.d[1] == 3);
    ck_assert(o.data[5] == u[1] * v[2]);
    value_free(&o);
    double *g = grad_of(t, "L", "u", 1, 2, 0);
    close_all(g, du, 2, HAND_TOL, "d outer/du");
    free(g);
    g = grad_of(t, "L", "v", 1, 3, 0);
    close_all(g, dv, 3, HAND_TOL, "d outer/dv");
    fd_all(t, "L", "v", g, 3);
    free(g);

    /* transpose: L = sum(transpose(W) * N) gives ∂L/∂W = Nᵀ */
    tu_ok(t, "W = [[1, 2, 3], [4, 5, 6]]; const N = [[1, -1], [2, -2], [3, -3]]; "
             "T = sum(transpose(W) * N)");
    double dW[6] = { 1, 2, 3, -1, -2, -3 };
    g = grad_of(t, "T", "W", 2, 2, 3);
    close_all(g, dW, 6, 0, "d transpose");
    free(g);
    Value tr = tu_value(t, "transpose(W)");
    ck_assert(tr.shape.rank == 2 && tr.shape.d[0] == 3 && tr.shape.d[1] == 2);
    ck_assert(tr.data[1] == 4 && tr.data[4] == 3);
    value_free(&tr);
    tr = tu_value(t, "transpose(u)");       /* a vector stays as it is */
    ck_assert(tr.shape.rank == 1 && tr.data[1] == -2);
    value_free(&tr);

    /* sum and mean over all entries */
    ck_assert(tu_num(t, "sum(W)") == 21);
    ck_assert(tu_num(t, "mean(W)") == 3.5);
    g = grad_of(t, "mean(W)", "W", 2, 2, 3);
    for (int k = 0; k < 6; k++) ck_assert(g[k] == 1.0 / 6);
    free(g);
    g = grad_of(t, "sum(W * W)", "W", 2, 2, 3);
    for (int k = 0; k < 6; k++) ck_assert(g[k] == 2 * (k + 1));
    free(g);
    ck_assert(tu_num(t, "sum(3)") == 3);
    tu_free(t);
}
END_TEST

/* ---- indexing and lists -------------------------------------------------- */

START_TEST(test_index_gradients)
{
    Tu *t = tu_new();
    tu_ok(t, "X = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]; "
             "L = X[0, 1]*3 + X[-1, -1]^2 + sum(X[:, 0:2]) + sum(X[1]) + sum(X[1:, 2:] * X[1:, 2:])");
    const double *X = vals(t, "X");
    double G[12] = { 0 };
    G[1] += 3;                                     /* X[0, 1]*3 */
    G[11] += 2 * X[11];                            /* X[-1, -1]^2 */
    for (int r = 0; r < 3; r++) G[r * 4] += 1, G[r * 4 + 1] += 1;   /* X[:, 0:2] */
    for (int c = 0; c < 4; c++) G[4 + c] += 1;     /* X[1] */
    for (int r = 1; r < 3; r++)
        for (int c = 2; c < 4; c++) G[r * 4 + c] += 2 * X[r * 4 + c];
    double L = 2 * 3 + 144 + (1 + 2 + 5 + 6 + 9 + 10) + (5 + 6 + 7 + 8) + (49 + 64 + 121 + 144);
    ck_assert(tu_num(t, "L") == L);
    double *g = grad_of(t, "L", "X", 2, 3, 4);
    close_all(g, G, 12, 0, "scatter");
    fd_all(t, "L", "X", g, 12);
    free(g);

    /* shapes and values of the pieces */
    Value v = tu_value(t, "X[0]");
    ck_assert(v.shape.rank == 1 && v.shape.d[0] == 4 && v.data[3] == 4);
    value_free(&v);
    v = tu_value(t, "X[:, 0:2]");
    ck_assert(v.shape.rank == 2 && v.shape.d[0] == 3 && v.shape.d[1] == 2 && v.data[5] == 10);
    value_free(&v);
    v = tu_value(t, "X[:, -1]");
    ck_assert(v.shape.rank == 1 && v.shape.d[0] == 3 && v.data[2] == 12);
    value_free(&v);
    ck_assert(tu_num(t, "X[-3, -4]") == 1);

    /* vectors */
    tu_ok(t, "v = [0.5, -1, 2, 4]; M = v[-1] * v[0] + sum(v[1:3])");
    double dv[4] = { 4, 1, 1, 0.5 };
    g = grad_of(t, "M", "v", 1, 4, 0);
    close_all(g, dv, 4, 0, "vector scatter");
    free(g);
    /* an index used twice accumulates */
    g = grad_of(t, "v[2] * v[2] + v[2]", "v", 1, 4, 0);
    ck_assert(g[0] == 0 && g[1] == 0 && g[2] == 5 && g[3] == 0);
    free(g);
    /* an index from a name */
    tu_ok(t, "i = 1; N = v[i] * 10");
    ck_assert(tu_num(t, "N") == -10);
    tu_set(t, "i", 3);
    ck_assert(tu_num(t, "N") == 40);
    tu_free(t);
}
END_TEST

START_TEST(test_list_gradients)
{
    Tu *t = tu_new();
    tu_ok(t, "w = 1.5; v = -2; L = sum([w*w, v, 2*w] * [1, 2, 3])");
    ck_assert(tu_num(t, "L") == 2.25 - 4 + 9);
    ck_assert(tu_grad(t, "L", "w") == 2 * 1.5 + 6);
    ck_assert(tu_grad(t, "L", "v") == 2);
    /* a matrix from scalars */
    tu_ok(t, "M = sum([[w, v], [v, w]] @ [1, 2])");
    ck_assert(tu_num(t, "M") == 3 * 1.5 + 3 * -2);
    ck_assert(tu_grad(t, "M", "w") == 3);
    ck_assert(tu_grad(t, "M", "v") == 3);
    /* a matrix from vector rows */
    tu_ok(t, "a = [1, 2]; b = [3, -1]; R = sum([a, 2*b]^2)");
    double *g = grad_of(t, "R", "b", 1, 2, 0);
    ck_assert(g[0] == 8 * 3 && g[1] == 8 * -1);
    free(g);
    g = grad_of(t, "R", "a", 1, 2, 0);
    ck_assert(g[0] == 2 && g[1] == 4);
    free(g);
    tu_free(t);
}
END_TEST

/* The grad table lists a tensor parameter entry by entry; consts get no row. */
START_TEST(test_grad_table_entries)
{
    Tu *t = tu_new();
    tu_ok(t, "W = [[1, 2], [3, 4]]; const X = [1, -1]; L = sum((W @ X)^2)");
    tu_clear(t);
    tu_ok(t, "grad L");
    const char *out = tu_out(t);
    ck_assert_msg(strstr(out, "W[0,0]") && strstr(out, "W[0,1]") && strstr(out, "W[1,0]") &&
                  strstr(out, "W[1,1]"), "%s", out);
    ck_assert_msg(strstr(out, "X[") == NULL, "const X has rows: %s", out);
    ck_assert_msg(strstr(out, "MISMATCH") == NULL, "%s", out);
    tu_free(t);
}
END_TEST

/* ---- shape errors --------------------------------------------------------- */

static void shape_error(const char *setup, const char *stmt, const char *s1, const char *s2)
{
    Tu *t = tu_new();
    tu_ok(t, setup);
    int rc = tu_run(t, stmt);
    ck_assert_msg(rc == E_SHAPE, "`%s` returned %d, expected E_SHAPE: %s", stmt, rc, tu_err(t));
    const char *err = tu_err(t);
    ck_assert_msg(strstr(err, "t:1:") != NULL && strstr(err, "^") != NULL, "no location: %s", err);
    ck_assert_msg(strstr(err, s1) != NULL, "`%s`: %s not in the message: %s", stmt, s1, err);
    if (s2) {
        /* both shapes: the same one twice when they are equal */
        const char *p = strcmp(s1, s2) == 0 ? strstr(err, s1) + strlen(s1) : err;
        ck_assert_msg(strstr(p, s2) != NULL, "`%s`: %s not in the message: %s", stmt, s2, err);
    }
    tu_free(t);
}

START_TEST(test_shape_errors)
{
    const char *setup = "W = ones(2, 3); v = [1, 2]; u = [1, 2, 3]; s = 1";
    shape_error(setup, "[1, 2] + [1, 2, 3]", "(2)", "(3)");
    shape_error(setup, "v * u", "(2)", "(3)");
    shape_error(setup, "W + v", "(2, 3)", "(2)");
    shape_error(setup, "W @ v", "(2, 3)", "(2)");
    shape_error(setup, "u @ W", "(3)", "(2, 3)");
    shape_error(setup, "W @ W", "(2, 3)", "(2, 3)");
    shape_error(setup, "mse(v, u)", "(2)", "(3)");
    shape_error(setup, "cross_entropy(W, u)", "(2, 3)", "(3)");
    shape_error(setup, "outer(W, v)", "(2, 3)", "(2)");
    shape_error(setup, "[[1, 2], [1, 2, 3]]", "(2)", "(3)");
    shape_error(setup, "u[3]", "3", NULL);
    shape_error(setup, "W[0, 0, 0]", "(2, 3)", NULL);
    shape_error(setup, "v[-3]", "-3", NULL);
    shape_error(setup, "f = W @ v\nf", "(2, 3)", "(2)");
    /* grad of a tensor: the error suggests sum */
    Tu *t = tu_new();
    tu_ok(t, setup);
    tu_ok(t, "L = W * 2");
    ck_assert_int_eq(tu_run(t, "grad L"), E_SHAPE);
    ck_assert_msg(strstr(tu_err(t), "sum") && strstr(tu_err(t), "(2, 3)"), "%s", tu_err(t));
    tu_clear(t);
    ck_assert_int_eq(tu_run(t, "grad(L, W)"), E_SHAPE);
    ck_assert_msg(strstr(tu_err(t), "sum") && strstr(tu_err(t), "(2, 3)"), "%s", tu_err(t));
    tu_free(t);
}
END_TEST

/* ---- constructors and the seed -------------------------------------------- */

START_TEST(test_constructors)
{
    Tu *t = tu_new();
    Value v = tu_value(t, "zeros(3)");
    ck_assert(v.shape.rank == 1 && v.shape.d[0] == 3 && v.data[0] == 0 && v.data[2] == 0);
    value_free(&v);
    v = tu_value(t, "ones(2, 4)");
    ck_assert(v.shape.rank == 2 && v.shape.d[0] == 2 && v.shape.d[1] == 4);
    for (int k = 0; k < 8; k++) ck_assert(v.data[k] == 1);
    value_free(&v);
    tu_ok(t, "n = 2");
    v = tu_value(t, "zeros(n, n + 1)");
    ck_assert(v.shape.d[0] == 2 && v.shape.d[1] == 3);
    value_free(&v);
    ck_assert_int_ne(tu_run(t, "zeros(0)"), E_OK);
    ck_assert_int_ne(tu_run(t, "ones(2.5)"), E_OK);
    ck_assert_int_ne(tu_run(t, "zeros(-1, 2)"), E_OK);
    tu_free(t);
}
END_TEST

/* load_csv: a matrix; a non-numeric first row is a header; a bad cell
 * names file, line and column. */
START_TEST(test_load_csv)
{
    char path[96];
    snprintf(path, sizeof path, "/tmp/bp-check-tensor-%ld.csv", (long)getpid());
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("x, y\n1, 2.5\n-3e2,4\r\n\n0.125 ,1e-3\n", f);
    fclose(f);
    Tu *t = tu_new();
    tu_okf(t, "const D = load_csv(\"%s\")", path);
    Entry *d = tu_entry(t, "D");
    ck_assert_int_eq(d->kind, ENT_CONST);
    ck_assert(d->val.shape.rank == 2 && d->val.shape.d[0] == 3 && d->val.shape.d[1] == 2);
    double want[6] = { 1, 2.5, -300, 4, 0.125, 1e-3 };
    close_all(d->val.data, want, 6, 0, "load_csv");

    f = fopen(path, "w");
    fputs("1,2\n3,oops\n", f);
    fclose(f);
    ck_assert_int_eq(tu_runf(t, "E = load_csv(\"%s\")", path), E_IO);
    char where[128];
    snprintf(where, sizeof where, "%s:2:3:", path);
    ck_assert_msg(strstr(tu_err(t), where) && strstr(tu_err(t), "oops"), "%s", tu_err(t));
    unlink(path);
    tu_free(t);
}
END_TEST

START_TEST(test_randn_seed)
{
    Tu *t = tu_new();
    /* odd sizes: a half-used pair of normals must not leak past `set seed` */
    tu_ok(t, "set seed 7; A = randn(3, 2); set seed 7; B = randn(3, 2); C = randn(3, 2)");
    tu_ok(t, "set seed 7; A3 = randn(3); set seed 7; B3 = randn(3)");
    for (int k = 0; k < 3; k++) ck_assert(vals(t, "A3")[k] == vals(t, "B3")[k]);
    ck_assert(vals(t, "A3")[0] == vals(t, "A")[0]);
    const double *A = vals(t, "A"), *B = vals(t, "B"), *C = vals(t, "C");
    int same = 1;
    for (int k = 0; k < 6; k++) {
        ck_assert(A[k] == B[k]);
        same &= A[k] == C[k];
    }
    ck_assert_msg(!same, "the stream did not move on");
    /* another session, the same seed: the same numbers */
    Tu *u = tu_new();
    tu_ok(u, "set seed 7; A = randn(3, 2)");
    for (int k = 0; k < 6; k++) ck_assert(vals(u, "A")[k] == A[k]);
    tu_ok(u, "set seed 8; D = randn(3, 2)");
    same = 1;
    for (int k = 0; k < 6; k++) same &= vals(u, "D")[k] == A[k];
    ck_assert_msg(!same, "seeds 7 and 8 gave the same numbers");
    tu_free(u);

    /* N(0, 1): mean and variance of 40000 draws */
    tu_ok(t, "set seed 1; R = randn(40000)");
    const double *R = vals(t, "R");
    double m = 0, var = 0;
    for (int k = 0; k < 40000; k++) m += R[k];
    m /= 40000;
    for (int k = 0; k < 40000; k++) var += (R[k] - m) * (R[k] - m);
    var /= 39999;
    ck_assert_msg(fabs(m) < 0.02, "mean %g", m);
    ck_assert_msg(fabs(var - 1) < 0.03, "variance %g", var);
    tu_free(t);
}
END_TEST

static Suite *tensor_suite(void)
{
    Suite *s = suite_create("tensor");
    TCase *tc = tcase_create("gradients");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_matmul_layer);
    tcase_add_test(tc, test_alias_train);
    tcase_add_test(tc, test_wide_loops_exact);
    tcase_add_test(tc, test_matmul_matrices);
    tcase_add_test(tc, test_matmul_accumulates);
    tcase_add_test(tc, test_broadcast_gradients);
    tcase_add_test(tc, test_broadcast_rules_bits);
    tcase_add_test(tc, test_softmax);
    tcase_add_test(tc, test_cross_entropy);
    tcase_add_test(tc, test_mse);
    tcase_add_test(tc, test_outer_transpose_reductions);
    tcase_add_test(tc, test_index_gradients);
    tcase_add_test(tc, test_list_gradients);
    tcase_add_test(tc, test_grad_table_entries);
    suite_add_tcase(s, tc);

    tc = tcase_create("values");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_shape_errors);
    tcase_add_test(tc, test_constructors);
    tcase_add_test(tc, test_load_csv);
    tcase_add_test(tc, test_randn_seed);
    tcase_add_test(tc, test_tanh_vector);
    tcase_add_test(tc, test_exp_vector);
    tcase_add_test(tc, test_square_large);
    tcase_add_test(tc, test_sigmoid_large);
    tcase_add_test(tc, test_sum_large);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_main(tensor_suite());
}
