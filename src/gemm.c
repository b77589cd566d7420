/* gemm.c: C = op(A) op(B) + beta C, through CBLAS (HAVE_CBLAS: configure
 * found OpenBLAS or another CBLAS by pkg-config) or through the C kernel
 * below, which every build has.
 *
 * Both paths treat a product with a dimension of 1 as what it is: a dot
 * product (M = N = 1), a rank-1 update (K = 1: the gradients of an outer
 * product), a matrix-vector product (M = 1 or N = 1).  The C kernel does a
 * general product as GotoBLAS does: op(B) in KC x NC panels and op(A) in
 * MC x KC blocks are packed (transposes are undone while packing, so one
 * micro-kernel serves all four cases) into slivers that a 6 x 8 register
 * tile walks with unit stride.  The tile is written with GCC's vector
 * extension; on x86-64 the whole C path is compiled twice, for the
 * baseline (SSE2) and for AVX2 + FMA, and the second is called when the
 * processor has both (a feature test: GCC's target_clones("arch=haswell")
 * tests the model, and virtual machines often report an unknown one), so
 * a default -O2 build reaches AVX speed without -march flags. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "gemm.h"
#include "xalloc.h"
#ifdef HAVE_CBLAS
#include <cblas.h>
#endif

#if defined(__GNUC__) && defined(__x86_64__)
#define GEMM_AVX2 1
#endif
#define INL static inline __attribute__((always_inline))

typedef double v4d __attribute__((vector_size(32)));
/* the same, for loads and stores at any double's address */
typedef double v4du __attribute__((vector_size(32), aligned(8)));

enum { MR = 6, NR = 8, KC = 256, MC = 96, NC = 1024 };
/* below this many multiply-adds: c_small (packing would cost more than it
 * saves up to about 4096; up to 32768 it keeps the old rounding, below) */
#define SMALL 32768L

INL long lmin(long a, long b) { return a < b ? a : b; }

/* ---- level 1 and 2: dot, axpy, matrix-vector ------------------------- */

INL double dot(long n, const double *x, const double *y)
{
    v4d s0 = { 0 }, s1 = { 0 };
    long k = 0;
    for (; k + 8 <= n; k += 8) {
        s0 += *(const v4du *)(x + k) * *(const v4du *)(y + k);
        s1 += *(const v4du *)(x + k + 4) * *(const v4du *)(y + k + 4);
    }
    s0 += s1;
    double r = (s0[0] + s0[1]) + (s0[2] + s0[3]);
    for (; k < n; k++) r += x[k] * y[k];
    return r;
}

/* y += a x */
INL void axpy(long n, double a, const double *restrict x, double *restrict y)
{
    long k = 0;
    for (; k + 4 <= n; k += 4) *(v4du *)(y + k) += a * *(const v4du *)(x + k);
    for (; k < n; k++) y[k] += a * x[k];
}

/* y (R) += M x for M stored R x C by rows */
INL void c_gemv_rows(long R, long C, const double *M, const double *x, double *y)
{
    for (long r = 0; r < R; r++) y[r] += dot(C, M + r * C, x);
}

/* y (C) += Mᵀ x for M stored R x C by rows: row r of M, scaled by x[r] */
INL void c_gemv_cols(long R, long C, const double *M, const double *x, double *y)
{
    for (long r = 0; r < R; r++) axpy(C, x[r], M + r * C, y);
}

/* C (M x N) += a bᵀ */
INL void c_ger(long M, long N, const double *a, const double *b, double *C)
{
    for (long r = 0; r < M; r++) axpy(N, a[r], b, C + r * N);
}

INL double c_dot(long n, const double *x, const double *y) { return dot(n, x, y); }

/* ---- level 3: the blocked product ------------------------------------ */

/* op(A)[i0 .. i0+mc, p0 .. p0+kc) into slivers of MR rows, each stored
 * column after column (MR numbers per p), the last sliver padded with 0. */
INL void pack_a(int ta, long M, long K, const double *A, long i0, long mc, long p0, long kc,
                double *restrict ap)
{
    for (long s = 0; s < mc; s += MR, ap += kc * MR) {
        long mr = lmin(MR, mc - s);
        for (long p = 0; p < kc; p++) {
            long q = p0 + p, r = 0;
            for (; r < mr; r++) {
                long i = i0 + s + r;
                ap[p * MR + r] = ta ? A[q * M + i] : A[i * K + q];
            }
            for (; r < MR; r++) ap[p * MR + r] = 0;
        }
    }
}

/* op(B)[p0 .. p0+kc, j0 .. j0+nc) into slivers of NR columns, each stored
 * row after row (NR numbers per p), the last sliver padded with 0. */
INL void pack_b(int tb, long N, long K, const double *B, long p0, long kc, long j0, long nc,
                double *restrict bp)
{
    for (long s = 0; s < nc; s += NR, bp += kc * NR) {
        long nr = lmin(NR, nc - s);
        for (long p = 0; p < kc; p++) {
            long q = p0 + p, c = 0;
            if (!tb && nr == NR) {
                memcpy(bp + p * NR, B + q * N + j0 + s, NR * sizeof *bp);
                continue;
            }
            for (; c < nr; c++) {
                long j = j0 + s + c;
                bp[p * NR + c] = tb ? B[j * K + q] : B[q * N + j];
            }
            for (; c < NR; c++) bp[p * NR + c] = 0;
        }
    }
}

/* C[0 .. mr, 0 .. nr) (row stride ldc) += a sliver times b sliver: twelve
 * 4-wide accumulators, two loads of b and six broadcasts of a per step. */
INL void tile(long kc, const double *restrict a, const double *restrict b, double *restrict C,
              long ldc, long mr, long nr)
{
    v4d c0 = { 0 }, c1 = { 0 }, c2 = { 0 }, c3 = { 0 }, c4 = { 0 }, c5 = { 0 };
    v4d d0 = { 0 }, d1 = { 0 }, d2 = { 0 }, d3 = { 0 }, d4 = { 0 }, d5 = { 0 };
    for (long p = 0; p < kc; p++, a += MR, b += NR) {
        v4d b0 = *(const v4du *)b, b1 = *(const v4du *)(b + 4);
        c0 += a[0] * b0; d0 += a[0] * b1;
        c1 += a[1] * b0; d1 += a[1] * b1;
        c2 += a[2] * b0; d2 += a[2] * b1;
        c3 += a[3] * b0; d3 += a[3] * b1;
        c4 += a[4] * b0; d4 += a[4] * b1;
        c5 += a[5] * b0; d5 += a[5] * b1;
    }
    v4d acc[MR][2] = { { c0, d0 }, { c1, d1 }, { c2, d2 }, { c3, d3 }, { c4, d4 }, { c5, d5 } };
    if (mr == MR && nr == NR) {
        for (long r = 0; r < MR; r++) {
            *(v4du *)(C + r * ldc) += acc[r][0];
            *(v4du *)(C + r * ldc + 4) += acc[r][1];
        }
        return;
    }
    for (long r = 0; r < mr; r++)
        for (long c = 0; c < nr; c++) C[r * ldc + c] += acc[r][c / 4][c % 4];
}

INL void c_blocked(int ta, int tb, long M, long N, long K, const double *A,
                             const double *B, double *C)
{
    long ncap = lmin(NC, (N + NR - 1) / NR * NR), mcap = lmin(MC, (M + MR - 1) / MR * MR);
    double *ap = xmalloc((size_t)(mcap * KC) * sizeof *ap);
    double *bp = xmalloc((size_t)(ncap * KC) * sizeof *bp);
    for (long jc = 0; jc < N; jc += NC) {
        long nc = lmin(NC, N - jc);
        for (long pc = 0; pc < K; pc += KC) {
            long kc = lmin(KC, K - pc);
            pack_b(tb, N, K, B, pc, kc, jc, nc, bp);
            for (long ic = 0; ic < M; ic += MC) {
                long mc = lmin(MC, M - ic);
                pack_a(ta, M, K, A, ic, mc, pc, kc, ap);
                for (long jr = 0; jr < nc; jr += NR)
                    for (long ir = 0; ir < mc; ir += MR)
                        tile(kc, ap + ir * kc, bp + jr * kc, C + (ic + ir) * N + jc + jr, N,
                             lmin(MR, mc - ir), lmin(NR, nc - jr));
            }
        }
    }
    free(ap);
    free(bp);
}

/* Small products: the loops bp had before CBLAS, in their order, so that
 * small results round as they did (golden outputs print differences of
 * forward passes, which show a last-bit change): C += op(A) B row by row
 * in p order, and C += op(A) Bᵀ as a sum from 0 added at the end.  Called
 * only from baseline code: no fused multiply-add. */
static void c_small(int ta, int tb, long M, long N, long K, const double *A, const double *B,
                    double *C)
{
    for (long i = 0; i < M; i++) {
        double *c = C + i * N;
        if (tb) {
            for (long j = 0; j < N; j++) {
                double s = 0;
                for (long p = 0; p < K; p++) s += (ta ? A[p * M + i] : A[i * K + p]) * B[j * K + p];
                c[j] += s;
            }
            continue;
        }
        for (long p = 0; p < K; p++) {
            double a = ta ? A[p * M + i] : A[i * K + p];
            const double *b = B + p * N;
            for (long j = 0; j < N; j++) c[j] += a * b[j];
        }
    }
}

INL void mul_c(int ta, int tb, long M, long N, long K,
               const double *A, const double *B, double beta, double *C)
{
    if (M <= 0 || N <= 0) return;
    if (beta == 0) memset(C, 0, (size_t)(M * N) * sizeof *C);
    if (K <= 0) return;
    /* a vector is the same memory as a row or a column: ta, tb only
     * matter where both of a matrix's dimensions exceed 1 */
    if (M == 1 && N == 1) C[0] += c_dot(K, A, B);
    else if (K == 1) c_ger(M, N, A, B, C);
    else if (M == 1) {
        if (tb) c_gemv_rows(N, K, B, A, C);
        else c_gemv_cols(K, N, B, A, C);
    } else if (N == 1) {
        if (ta) c_gemv_cols(K, M, A, B, C);
        else c_gemv_rows(M, K, A, B, C);
    } else c_blocked(ta, tb, M, N, K, A, B, C);
}

static void mul_c_base(int ta, int tb, long M, long N, long K,
                       const double *A, const double *B, double beta, double *C)
{
    mul_c(ta, tb, M, N, K, A, B, beta, C);
}

#ifdef GEMM_AVX2
__attribute__((target("avx2,fma")))
static void mul_c_avx2(int ta, int tb, long M, long N, long K,
                       const double *A, const double *B, double beta, double *C)
{
    mul_c(ta, tb, M, N, K, A, B, beta, C);
}
#endif

void gemm_mul_c(int ta, int tb, long M, long N, long K,
                const double *A, const double *B, double beta, double *C)
{
    if (M > 0 && N > 0 && K > 0 && M * N * K < SMALL) {
        if (beta == 0) memset(C, 0, (size_t)(M * N) * sizeof *C);
        c_small(ta, tb, M, N, K, A, B, C);
        return;
    }
#ifdef GEMM_AVX2
    static int avx2 = -1;     /* a benign race: every thread computes the same */
    if (avx2 < 0) {
        __builtin_cpu_init();
        avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    if (avx2) { mul_c_avx2(ta, tb, M, N, K, A, B, beta, C); return; }
#endif
    mul_c_base(ta, tb, M, N, K, A, B, beta, C);
}

#ifdef HAVE_CBLAS
/* Is the CBLAS worth calling?  Debian's OpenBLAS (DYNAMIC_ARCH) picks its
 * kernels by the processor's model; on a CPU it does not know (virtual
 * machines often report an unknown model) it falls back to a generic core
 * (Prescott: SSE3) and reaches about 14 GFLOP/s where bp's C kernel, which
 * tests the AVX2 and FMA features themselves, reaches 20-35.  So when the
 * CBLAS is OpenBLAS, the core it chose has no AVX2 kernel and this CPU has
 * AVX2 + FMA, the C kernel does the products of SMALL multiply-adds or
 * more (the smaller ones are calls, not arithmetic).  Another CBLAS, or OpenBLAS
 * on a core it knows, is always used.  BP_GEMM=cblas or BP_GEMM=c in the
 * environment overrides the choice (for benchmarks).  Decided once. */
static int blas_slow(void)
{
    static int slow = -1;     /* a benign race: every thread computes the same */
    if (slow >= 0) return slow;
    slow = 0;
    const char *env = getenv("BP_GEMM");
    if (env && strcmp(env, "cblas") == 0) return slow;
    if (env && strcmp(env, "c") == 0) return slow = 1;
#if defined(HAVE_OPENBLAS_GET_CORENAME) && defined(GEMM_AVX2)
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return slow;
    const char *core = openblas_get_corename();
    /* OpenBLAS's x86-64 cores with AVX2 (or AVX-512) double kernels */
    static const char *const fast[] = { "haswell", "zen", "skylakex", "cooperlake",
                                        "sapphirerapids" };
    if (!core) return slow;
    for (size_t k = 0; k < sizeof fast / sizeof *fast; k++)
        if (strcasecmp(core, fast[k]) == 0) return slow;
    slow = 1;
#endif
    return slow;
}

void gemm_mul(int ta, int tb, long M, long N, long K,
              const double *A, const double *B, double beta, double *C)
{
    if (M > INT_MAX || N > INT_MAX || K > INT_MAX || M * N > INT_MAX || M * K > INT_MAX ||
        N * K > INT_MAX || M <= 0 || N <= 0 || K <= 0 || (M * N * K >= SMALL && blas_slow())) {
        /* beyond BLAS's int, empty, or slow: small products stay with the
         * CBLAS in every case, so they round as they always have */
        gemm_mul_c(ta, tb, M, N, K, A, B, beta, C);
        return;
    }
    /* C's old contents are never read when beta = 0 (a NaN left in an
     * output by an earlier pass must not survive 0 * NaN) */
    if (beta == 0) { memset(C, 0, (size_t)(M * N) * sizeof *C); beta = 1; }
    int m = (int)M, n = (int)N, k = (int)K;
    enum CBLAS_TRANSPOSE TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
    if (m == 1 && n == 1) C[0] += cblas_ddot(k, A, 1, B, 1);
    else if (k == 1) cblas_dger(CblasRowMajor, m, n, 1.0, A, 1, B, 1, C, n);
    else if (m == 1) {            /* Cᵀ = op(B)ᵀ aᵀ */
        if (tb) cblas_dgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0, B, k, A, 1, beta, C, 1);
        else cblas_dgemv(CblasRowMajor, CblasTrans, k, n, 1.0, B, n, A, 1, beta, C, 1);
    } else if (n == 1) {
        if (ta) cblas_dgemv(CblasRowMajor, CblasTrans, k, m, 1.0, A, m, B, 1, beta, C, 1);
        else cblas_dgemv(CblasRowMajor, CblasNoTrans, m, k, 1.0, A, k, B, 1, beta, C, 1);
    } else
        cblas_dgemm(CblasRowMajor, TA, TB, m, n, k, 1.0, A, ta ? m : k, B, tb ? k : n, beta, C, n);
}

const char *gemm_backend(void) { return blas_slow() ? "C kernel" : "cblas"; }
#else
void gemm_mul(int ta, int tb, long M, long N, long K,
              const double *A, const double *B, double beta, double *C)
{
    gemm_mul_c(ta, tb, M, N, K, A, B, beta, C);
}

const char *gemm_backend(void) { return "C kernel"; }
#endif
