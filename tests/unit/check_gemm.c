/* check_gemm.c: the matrix products (src/gemm.c) and the `@` kernels over
 * them (k_matmul_* in src/kernels.c).
 *
 * gemm_mul (CBLAS, or the C kernel with --without-blas) and gemm_mul_c
 * (the C kernel, in every build) are compared with a plain triple loop
 * written here, on random shapes with dimensions of 1, sizes across the C
 * kernel's paths and blocks (6 x 8 tiles, 96 x 256 x 1024 panels), every transpose
 * and both betas.  Not bit equality: each entry must lie within the
 * rounding bound 2 (K + 2) eps sum |a||b| of the exact value.
 *
 * Then bp's `@` on every case it supports (matrix@matrix, matrix@vector,
 * vector@matrix, vector@vector, 1 x n and n x 1 matrices): the value
 * against the triple loop, grad(L, A) and grad(L, B) of
 * L = sum(A) + sum(W * (A @ B)) + sum(A^2) + sum(B^2) against the formulas
 * dA = W Bᵀ + 1 + 2A, dB = Aᵀ W + 2B computed here, and against central
 * differences done here. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "gemm.h"
#include "testutil.h"

static unsigned long long rng_state = 0x9E3779B97F4A7C15ULL;

/* uniform in [-1, 1): xorshift64*, so the test does not depend on rand() */
static double urand(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    unsigned long long x = rng_state * 2685821657736338717ULL;
    return (double)(x >> 11) * 0x1p-52 - 1.0;
}

static double *rand_array(long n)
{
    double *p = malloc((size_t)(n ? n : 1) * sizeof *p);
    for (long k = 0; k < n; k++) p[k] = urand();
    return p;
}

/* op(A)[i][p] with op(A) M x K; op(B)[p][j] with op(B) K x N */
static double opa(int ta, const double *A, long M, long K, long i, long p)
{
    return ta ? A[p * M + i] : A[i * K + p];
}
static double opb(int tb, const double *B, long N, long K, long p, long j)
{
    return tb ? B[j * K + p] : B[p * N + j];
}

typedef void (*GemmFn)(int, int, long, long, long, const double *, const double *, double,
                       double *);

/* One product by fn against the triple loop, C starting as NaN (beta 0:
 * must not be read) or random (beta 1). */
static void check_one(GemmFn fn, const char *fname, int ta, int tb, long M, long N, long K,
                      double beta)
{
    double *A = rand_array(M * K), *B = rand_array(K * N), *C = rand_array(M * N);
    double *C0 = malloc((size_t)(M * N > 0 ? M * N : 1) * sizeof *C0);
    if (beta == 0)
        for (long k = 0; k < M * N; k++) C[k] = NAN;
    memcpy(C0, C, (size_t)(M * N) * sizeof *C);
    fn(ta, tb, M, N, K, A, B, beta, C);
    for (long i = 0; i < M; i++)
        for (long j = 0; j < N; j++) {
            double want = beta == 0 ? 0 : C0[i * N + j], bound = fabs(want);
            for (long p = 0; p < K; p++) {
                double x = opa(ta, A, M, K, i, p) * opb(tb, B, N, K, p, j);
                want += x;
                bound += fabs(x);
            }
            double got = C[i * N + j], tol = 2.0 * (double)(K + 2) * DBL_EPSILON * bound;
            ck_assert_msg(fabs(got - want) <= tol,
                          "%s(ta %d, tb %d, M %ld, N %ld, K %ld, beta %g): C[%ld][%ld] = %.17g, "
                          "triple loop %.17g (|diff| %.3g > %.3g)",
                          fname, ta, tb, M, N, K, beta, i, j, got, want, fabs(got - want), tol);
        }
    free(A); free(B); free(C); free(C0);
}

/* M, N, K: below 32768 multiply-adds the C kernel runs its small loop;
 * above, its dot product, matrix-vector products, rank-1 update and
 * blocked product, each reached by a row here */
static const long shapes[][3] = {
    { 1, 1, 1 }, { 1, 1, 7 }, { 1, 1, 1000 }, { 1, 5, 1 }, { 5, 1, 1 }, { 4, 6, 1 },
    { 1, 9, 13 }, { 13, 1, 9 }, { 3, 4, 5 }, { 2, 3, 1000 }, { 17, 23, 19 },
    { 1, 1, 40003 }, { 1, 601, 100 }, { 601, 1, 101 }, { 301, 203, 1 }, { 1, 33001, 1 },
    { 1, 600, 100 }, { 600, 1, 104 },
    { 64, 64, 64 }, { 13, 17, 257 }, { 97, 13, 300 }, { 5, 1030, 9 }, { 12, 1033, 11 },
    { 101, 37, 513 },
};

static void check_all(GemmFn fn, const char *fname)
{
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                check_one(fn, fname, ta, tb, shapes[s][0], shapes[s][1], shapes[s][2], 0);
                check_one(fn, fname, ta, tb, shapes[s][0], shapes[s][1], shapes[s][2], 1);
            }
}

START_TEST(test_gemm_mul)
{
    check_all(gemm_mul, "gemm_mul");
}
END_TEST

START_TEST(test_gemm_mul_c)
{
    check_all(gemm_mul_c, "gemm_mul_c");
}
END_TEST

/* Empty products: K = 0 is a zero matrix (beta 0) or C unchanged (beta 1);
 * M = 0 or N = 0 touches nothing. */
START_TEST(test_gemm_empty)
{
    GemmFn fns[2] = { gemm_mul, gemm_mul_c };
    for (int f = 0; f < 2; f++) {
        double A[4] = { 1, 2, 3, 4 }, C[4] = { NAN, NAN, NAN, NAN };
        fns[f](0, 0, 2, 2, 0, A, A, 0, C);
        for (int k = 0; k < 4; k++) ck_assert(C[k] == 0);
        double D[4] = { 5, 6, 7, 8 };
        fns[f](1, 1, 2, 2, 0, A, A, 1, D);
        for (int k = 0; k < 4; k++) ck_assert(D[k] == 5 + k);
        double E[1] = { 9 };
        fns[f](0, 0, 0, 1, 3, A, A, 0, E);
        fns[f](0, 0, 1, 0, 3, A, A, 0, E);
        ck_assert(E[0] == 9);
    }
    const char *b = gemm_backend();
    ck_assert(strcmp(b, "cblas") == 0 || strcmp(b, "C kernel") == 0);
}
END_TEST

/* ---- bp's @ ---------------------------------------------------------------- */

/* A shape text for randn: "" for a scalar, "3" or "3, 4". */
static void dims_text(char *buf, size_t n, int rank, long d0, long d1)
{
    if (rank == 0) snprintf(buf, n, "1");
    else if (rank == 1) snprintf(buf, n, "%ld", d0);
    else snprintf(buf, n, "%ld, %ld", d0, d1);
}

static void check_values(const Value *v, const double *want, long n, double tol, const char *what)
{
    ck_assert_int_eq(shape_size(v->shape), n);
    for (long k = 0; k < n; k++)
        ck_assert_msg(tu_close(v->data[k], want[k], tol, 1e-13),
                      "%s entry %ld: %.17g, expected %.17g", what, k, v->data[k], want[k]);
}

/* The round-off floor of a central difference of f with step h: f's
 * rounding, a few ulps of |f|, divided by 2h. */
static double floor_of(double f, double h)
{
    return 1e-9 + 8 * DBL_EPSILON * fabs(f) / h;
}

/* A is (m, k) or a vector (k) (ra = 1), B is (k, n) or a vector (k); W has
 * the product's shape.  const_a: A is a const (its gradient is still asked
 * for by grad(L, A), so the kernel must compute it). */
static void check_case(int ra, int rb, long m, long k, long n, int const_a)
{
    Tu *t = tu_new();
    char da[48], db[48], dw[48];
    if (ra == 1) m = 1;
    if (rb == 1) n = 1;
    int rw = (ra == 2) + (rb == 2);
    dims_text(da, sizeof da, ra, ra == 2 ? m : k, k);
    dims_text(db, sizeof db, rb, k, n);
    dims_text(dw, sizeof dw, rw, ra == 2 ? m : n, n);
    tu_okf(t, "%sA = randn(%s)", const_a ? "const " : "", da);
    tu_okf(t, "B = randn(%s)", db);
    if (rw == 0) tu_ok(t, "const W = 1.7");
    else tu_okf(t, "const W = randn(%s)", dw);
    /* the terms after the product reach A and B first in the backward
     * pass: the kernel must add to their gradients, not overwrite them */
    tu_ok(t, "L = sum(A) + sum(W * (A @ B)) + sum(A^2) + sum(B^2)");
    const double *A = tu_entry(t, "A")->val.data, *B = tu_entry(t, "B")->val.data;
    const double *W = tu_entry(t, "W")->val.data;

    double *C = calloc((size_t)(m * n), sizeof *C), *dA = calloc((size_t)(m * k), sizeof *dA);
    double *dB = calloc((size_t)(k * n), sizeof *dB);
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++)
            for (long p = 0; p < k; p++) {
                C[i * n + j] += A[i * k + p] * B[p * n + j];
                dA[i * k + p] += W[i * n + j] * B[p * n + j];      /* W Bᵀ */
                dB[p * n + j] += A[i * k + p] * W[i * n + j];      /* Aᵀ W */
            }
    for (long e = 0; e < m * k; e++) dA[e] += 1 + 2 * A[e];
    for (long e = 0; e < k * n; e++) dB[e] += 2 * B[e];
    char what[120];
    snprintf(what, sizeof what, "rank %d @ rank %d, m %ld k %ld n %ld", ra, rb, m, k, n);
    Value v = tu_value(t, "A @ B");
    ck_assert_int_eq(v.shape.rank, rw);
    check_values(&v, C, m * n, 1e-12, what);
    value_free(&v);
    double L = tu_num(t, "L");
    v = tu_value(t, "grad(L, A)");
    ck_assert_int_eq(v.shape.rank, ra);
    check_values(&v, dA, m * k, 1e-12, "dL/dA");
    /* central differences on a few entries (first, last, one between) */
    for (long e = 0; e < m * k; e += (m * k > 3 ? m * k / 3 : 1)) {
        double h = tu_step(A[e]), c = tu_central(t, "L", "A", e, h);
        ck_assert_msg(tu_close(v.data[e], c, 1e-6, floor_of(L, h)), "%s: dL/dA[%ld] %.17g, central %.17g",
                      what, e, v.data[e], c);
    }
    value_free(&v);
    v = tu_value(t, "grad(L, B)");
    ck_assert_int_eq(v.shape.rank, rb);
    check_values(&v, dB, k * n, 1e-12, "dL/dB");
    for (long e = 0; e < k * n; e += (k * n > 3 ? k * n / 3 : 1)) {
        double h = tu_step(B[e]), c = tu_central(t, "L", "B", e, h);
        ck_assert_msg(tu_close(v.data[e], c, 1e-6, floor_of(L, h)), "%s: dL/dB[%ld] %.17g, central %.17g",
                      what, e, v.data[e], c);
    }
    value_free(&v);
    free(C); free(dA); free(dB);
    tu_free(t);
}

START_TEST(test_matmul_matrix_matrix)
{
    check_case(2, 2, 3, 4, 2, 0);
    check_case(2, 2, 1, 5, 3, 0);      /* 1 x k on the left: a gemv */
    check_case(2, 2, 4, 3, 1, 0);      /* n x 1 result */
    check_case(2, 2, 4, 1, 3, 0);      /* k = 1: an outer product, gradients by dger/dot */
    check_case(2, 2, 1, 1, 1, 0);
    check_case(2, 2, 40, 31, 30, 0);   /* the C kernel's blocked path */
    check_case(2, 2, 7, 300, 9, 1);    /* a const on the left still has its gradient */
}
END_TEST

START_TEST(test_matmul_vectors)
{
    check_case(2, 1, 3, 4, 1, 0);      /* matrix @ vector */
    check_case(2, 1, 1, 4, 1, 0);
    check_case(2, 1, 5, 1, 1, 0);
    check_case(2, 1, 400, 90, 1, 1);
    check_case(1, 2, 1, 4, 3, 0);      /* vector @ matrix */
    check_case(1, 2, 1, 1, 6, 0);
    check_case(1, 2, 1, 200, 200, 0);
    check_case(1, 1, 1, 7, 1, 0);      /* vector @ vector: the dot product */
    check_case(1, 1, 1, 1, 1, 0);
    check_case(1, 1, 1, 40000, 1, 1);
}
END_TEST

static Suite *gemm_suite(void)
{
    Suite *s = suite_create("gemm");
    TCase *tc = tcase_create("products");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_gemm_mul);
    tcase_add_test(tc, test_gemm_mul_c);
    tcase_add_test(tc, test_gemm_empty);
    suite_add_tcase(s, tc);
    tc = tcase_create("matmul");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_matmul_matrix_matrix);
    tcase_add_test(tc, test_matmul_vectors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_main(gemm_suite());
}
