/* kernels.c: forward and backward of every tensor operation, side by side,
 * with the rule that gives the output's shape.
 *
 * Conventions (llm.c's): backward only accumulates (+=) into its inputs'
 * gradients; gradients are zeroed before each backward pass.  Shapes are
 * checked when the tape is compiled, so kernels can trust them. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "gemm.h"
#include "kernels.h"
#include "kvec.h"
#include "tape.h"

#define X(t, s) tape_val(t, s)
#define G(t, s) tape_grad(t, s)

static const char *shape_err(Tape *t, const char *what, Shape a, Shape b)
{
    char sa[48], sb[48];
    shape_str(a, sa, sizeof sa);
    shape_str(b, sb, sizeof sb);
    snprintf(t->errbuf, sizeof t->errbuf, "%s: shapes %s and %s do not fit", what, sa, sb);
    return t->errbuf;
}

/* A shape as rows × columns, for loops: scalar (1, 1), vector (1, n). */
static void rc(Shape s, long *r, long *c)
{
    *r = s.rank == 2 ? s.d[0] : 1;
    *c = s.rank == 0 ? 1 : s.rank == 1 ? s.d[0] : s.d[1];
}

/* ---- element-wise, with broadcasting ---------------------------------- */

const char *k_elem_shape(Tape *t, int i, const OpInfo *o)
{
    if (o->arity == 1) {
        t->newshape = tape_shape(t, t->a[i]);
        return NULL;
    }
    if (shape_broadcast(tape_shape(t, t->a[i]), tape_shape(t, t->b[i]), &t->newshape))
        return shape_err(t, o->name, tape_shape(t, t->a[i]), tape_shape(t, t->b[i]));
    return NULL;
}

/* Strides of input s within output (R, C): 0 along a stretched axis. */
static void bstrides(Shape s, long R, long C, long *rs, long *cs)
{
    long r, c;
    rc(s, &r, &c);
    (void)R; (void)C;
    *rs = r == 1 ? 0 : c;
    *cs = c == 1 ? 0 : 1;
}

/* The loop of a broadcasting binary op at slot i: output R x C, and for
 * each input its row and column strides within it. */
typedef struct Bcast { long R, C, ar, ac, br, bc; } Bcast;

static Bcast bcast(const Tape *t, int i, int binary)
{
    Bcast b = { 0 };
    rc(tape_shape(t, i), &b.R, &b.C);
    bstrides(tape_shape(t, t->a[i]), b.R, b.C, &b.ar, &b.ac);
    if (binary) bstrides(tape_shape(t, t->b[i]), b.R, b.C, &b.br, &b.bc);
    return b;
}

static const char *entry_err(Tape *t, const char *err, long k, long n)
{
    if (n == 1) return err;
    snprintf(t->errbuf, sizeof t->errbuf, "%s (entry %ld)", err, k);
    return t->errbuf;
}

#ifdef TANH_AVX2
#include <immintrin.h>

/* expm1(r) = r + r^2 (1/2 + r/6 + ... + r^11/13!): the bracket's
 * coefficients, from r^11's down (Horner's order). */
static const double expm1_c[12] = {
    1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
    1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0,
    1.0 / 6.0, 0.5,
};

/* expm1(r) for z = k ln2 + r, |r| <= ln2/2 (Cody-Waite: ln2 in two
 * parts), four at a time, by expm1_c's polynomial; *kd gets k (a whole
 * double) and *s 2^k, built from k's bits (z within the normal range of
 * 2^k: the callers see to it).  Shared by tanh_avx2 and exp_avx2. */
__attribute__((target("avx2,fma")))
static inline __m256d expm1_avx2(__m256d z, __m256d *kd, __m256d *s)
{
    const __m256d inv_ln2 = _mm256_set1_pd(1.4426950408889634), magic = _mm256_set1_pd(0x1.8p52);
    const __m256d ln2_hi = _mm256_set1_pd(6.93147180369123816490e-01);
    const __m256d ln2_lo = _mm256_set1_pd(1.90821492927058770002e-10);
    __m256d k = _mm256_sub_pd(_mm256_fmadd_pd(z, inv_ln2, magic), magic);
    __m256d r = _mm256_fnmadd_pd(k, ln2_hi, z);
    r = _mm256_fnmadd_pd(k, ln2_lo, r);
    __m256d q = _mm256_set1_pd(expm1_c[0]);
    for (int j = 1; j < 12; j++) q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(expm1_c[j]));
    /* 2^k from k's bits: k + magic holds k in its low bits */
    __m256i kb = _mm256_castpd_si256(_mm256_add_pd(k, magic));
    *s = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(kb, _mm256_set1_epi64x(1023)), 52));
    *kd = k;
    return _mm256_fmadd_pd(_mm256_mul_pd(r, r), q, r);
}

/* y[k] = tanh(x[k]), four at a time (libm's tanh is a call per entry and
 * two thirds of sum(tanh(w*x))'s time): glibc's formula, tanh|x| = -e /
 * (2 + e) with e = expm1(-2|x|), vectorised.  expm1 by Cody-Waite
 * reduction (z = k ln2 + r, |r| <= ln2/2) and its Taylor polynomial to
 * r^13 (truncation below 1e-17 relative), e = 2^k p + (2^k - 1) in one
 * fused step.  Within 2.5 ulp of the exact tanh over [-25, 25] and tiny
 * and huge |x| (glibc's own: 2.1 ulp; bench/RESULTS.md), odd and exact at
 * 0 and for |x| >= 22 (1).  A block of four with a NaN or an infinity
 * goes to libm. */
__attribute__((target("avx2,fma")))
static void tanh_avx2(const double *x, double *y, long n)
{
    const __m256d sign = _mm256_set1_pd(-0.0), big = _mm256_set1_pd(22.0);
    const __m256d one = _mm256_set1_pd(1.0), two = _mm256_set1_pd(2.0), inf = _mm256_set1_pd(INFINITY);
    long k = 0;
    for (; k + 4 <= n; k += 4) {
        __m256d v = _mm256_loadu_pd(x + k);
        __m256d ax = _mm256_andnot_pd(sign, v);
        if (_mm256_movemask_pd(_mm256_cmp_pd(ax, inf, _CMP_NLT_UQ))) {    /* NaN or inf */
            for (int j = 0; j < 4; j++) y[k + j] = tanh(x[k + j]);
            continue;
        }
        __m256d a = _mm256_min_pd(ax, big);
        __m256d kd, s;
        __m256d p = expm1_avx2(_mm256_mul_pd(a, _mm256_set1_pd(-2.0)), &kd, &s);
        __m256d e = _mm256_fmadd_pd(s, p, _mm256_sub_pd(s, one));
        /* near 0: -e / (2 + e); far from it (k <= -4, |x| > 2.4) the
         * accurate one is u = 1 + e = e^-2|x|: tanh = 1 - 2u / (2 + e) */
        __m256d far = _mm256_cmp_pd(kd, _mm256_set1_pd(-4.0), _CMP_LE_OQ);
        __m256d u = _mm256_fmadd_pd(s, p, s);
        __m256d num = _mm256_blendv_pd(_mm256_xor_pd(e, sign), _mm256_add_pd(u, u), far);
        __m256d q0 = _mm256_div_pd(num, _mm256_add_pd(two, e));
        __m256d t = _mm256_blendv_pd(q0, _mm256_sub_pd(one, q0), far);
        t = _mm256_andnot_pd(sign, t);              /* tanh(+0) is +0, not -0 / 2 */
        _mm256_storeu_pd(y + k, _mm256_or_pd(t, _mm256_and_pd(v, sign)));
    }
    for (; k < n; k++) y[k] = tanh(x[k]);
}

/* expm1_avx2 eight at a time (the same operations lane by lane, so the
 * same bits); for tanh_avx512 and exp_avx512. */
__attribute__((target("avx512f")))
static inline __m512d expm1_avx512(__m512d z, __m512d *kd, __m512d *s)
{
    const __m512d inv_ln2 = _mm512_set1_pd(1.4426950408889634), magic = _mm512_set1_pd(0x1.8p52);
    const __m512d ln2_hi = _mm512_set1_pd(6.93147180369123816490e-01);
    const __m512d ln2_lo = _mm512_set1_pd(1.90821492927058770002e-10);
    __m512d k = _mm512_sub_pd(_mm512_fmadd_pd(z, inv_ln2, magic), magic);
    __m512d r = _mm512_fnmadd_pd(k, ln2_hi, z);
    r = _mm512_fnmadd_pd(k, ln2_lo, r);
    __m512d q = _mm512_set1_pd(expm1_c[0]);
    for (int j = 1; j < 12; j++) q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(expm1_c[j]));
    __m512i kb = _mm512_castpd_si512(_mm512_add_pd(k, magic));
    *s = _mm512_castsi512_pd(_mm512_slli_epi64(_mm512_add_epi64(kb, _mm512_set1_epi64(1023)), 52));
    *kd = k;
    return _mm512_fmadd_pd(_mm512_mul_pd(r, r), q, r);
}

/* y[k] = tanh(x[k]), eight at a time: tanh_avx2's formula with its
 * division replaced.  The division's throughput (one per 2 cycles per
 * entry at 256 and at 512 bits) bounded tanh_avx2, so the quotient
 * num / d, d = 2 + e in (1, 2], is vrcp14pd's estimate r0 (relative error
 * below 2^-14), one Newton step r1 = r0 + r0 (1 - d r0) (2^-28), the
 * product q0 = num r1 and one correction q = q0 + r1 (num - d q0) with
 * the residual exact by FMA: relative error about 2^-56 before q's own
 * rounding, so within an ulp of the correctly rounded quotient (the
 * division's).  Everything else, and so the contract, as tanh_avx2. */
__attribute__((target("avx512f")))
static void tanh_avx512(const double *x, double *y, long n)
{
    const __m512d big = _mm512_set1_pd(22.0), inf = _mm512_set1_pd(INFINITY);
    const __m512d one = _mm512_set1_pd(1.0), two = _mm512_set1_pd(2.0);
    const __m512i sign = _mm512_set1_epi64((long long)0x8000000000000000ULL);
    long k = 0;
    for (; k + 8 <= n; k += 8) {
        __m512d v = _mm512_loadu_pd(x + k);
        __m512d ax = _mm512_abs_pd(v);
        if (_mm512_cmp_pd_mask(ax, inf, _CMP_NLT_UQ)) {             /* NaN or inf */
            for (int j = 0; j < 8; j++) y[k + j] = tanh(x[k + j]);
            continue;
        }
        __m512d a = _mm512_min_pd(ax, big);
        __m512d kd, s;
        __m512d p = expm1_avx512(_mm512_mul_pd(a, _mm512_set1_pd(-2.0)), &kd, &s);
        __m512d e = _mm512_fmadd_pd(s, p, _mm512_sub_pd(s, one));
        __mmask8 far = _mm512_cmp_pd_mask(kd, _mm512_set1_pd(-4.0), _CMP_LE_OQ);
        __m512d u = _mm512_fmadd_pd(s, p, s);
        __m512d num = _mm512_mask_blend_pd(far, _mm512_sub_pd(_mm512_setzero_pd(), e),
                                           _mm512_add_pd(u, u));
        __m512d d = _mm512_add_pd(two, e);
        __m512d r0 = _mm512_rcp14_pd(d);
        __m512d r1 = _mm512_fmadd_pd(r0, _mm512_fnmadd_pd(d, r0, one), r0);
        __m512d q0 = _mm512_mul_pd(num, r1);
        __m512d q1 = _mm512_fmadd_pd(_mm512_fnmadd_pd(d, q0, num), r1, q0);
        __m512d t = _mm512_abs_pd(_mm512_mask_blend_pd(far, q1, _mm512_sub_pd(one, q1)));
        __m512i sv = _mm512_and_epi64(_mm512_castpd_si512(v), sign);
        _mm512_storeu_pd(y + k, _mm512_castsi512_pd(_mm512_or_epi64(_mm512_castpd_si512(t), sv)));
    }
    for (; k < n; k++) y[k] = tanh(x[k]);
}

/* y[k] = exp(x[k]), four at a time (libm's exp is a call per entry: 60%
 * of sum(sigmoid(w*x + b))'s forward): the reduction and polynomial of
 * tanh_avx2, exp(x) = 2^k (1 + expm1(r)) = 2^k p + 2^k in one fused step.
 * A block with an entry outside [-708, 709] (where 2^k would not be a
 * normal number: overflow, underflow, subnormal results), a NaN or an
 * infinity goes to libm.  Within 1 ulp of libm (tests/unit/check_tensor). */
__attribute__((target("avx2,fma")))
static void exp_avx2(const double *x, double *y, long n)
{
    const __m256d lo = _mm256_set1_pd(-708.0), hi = _mm256_set1_pd(709.0);
    long k = 0;
    for (; k + 4 <= n; k += 4) {
        __m256d z = _mm256_loadu_pd(x + k);
        __m256d in = _mm256_and_pd(_mm256_cmp_pd(z, lo, _CMP_GE_OQ), _mm256_cmp_pd(z, hi, _CMP_LE_OQ));
        if (_mm256_movemask_pd(in) != 15) {     /* a NaN, or out of the normal range */
            for (int j = 0; j < 4; j++) y[k + j] = exp(x[k + j]);
            continue;
        }
        __m256d kd, sc;
        __m256d p = expm1_avx2(z, &kd, &sc);
        _mm256_storeu_pd(y + k, _mm256_fmadd_pd(sc, p, sc));
    }
    for (; k < n; k++) y[k] = exp(x[k]);
}

/* y[k] = exp(x[k]), eight at a time: exp_avx2's operations lane by lane
 * in 512 bits (the same FMAs, so the same bits); a block of eight with an
 * entry outside [-708, 709] goes to exp_avx2, which decides by fours as
 * it always has, so the bits are exp_avx2's everywhere. */
__attribute__((target("avx512f,avx2,fma")))
static void exp_avx512(const double *x, double *y, long n)
{
    const __m512d lo = _mm512_set1_pd(-708.0), hi = _mm512_set1_pd(709.0);
    long k = 0;
    for (; k + 8 <= n; k += 8) {
        __m512d z = _mm512_loadu_pd(x + k);
        __mmask8 in = _mm512_cmp_pd_mask(z, lo, _CMP_GE_OQ) & _mm512_cmp_pd_mask(z, hi, _CMP_LE_OQ);
        if (in != 0xff) { exp_avx2(x + k, y + k, 8); continue; }
        __m512d kd, sc;
        __m512d p = expm1_avx512(z, &kd, &sc);
        _mm512_storeu_pd(y + k, _mm512_fmadd_pd(sc, p, sc));
    }
    exp_avx2(x + k, y + k, n - k);
}

/* The best vector tanh this processor has (K_TANH_AVX512 needs AVX-512F,
 * K_TANH_AVX2 AVX2 + FMA), asked once (a benign race). */
static int tanh_best(void)
{
    static int best = -1;
    if (best < 0) {
        __builtin_cpu_init();
        best = __builtin_cpu_supports("avx512f") ? K_TANH_AVX512
             : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? K_TANH_AVX2
             : K_TANH_LIBM;
    }
    return best;
}
#endif

static int tanh_path = K_TANH_AUTO;

int k_tanh_use(int path)
{
    int best = K_TANH_LIBM;
#ifdef TANH_AVX2
    best = tanh_best();
#endif
    if (path == K_TANH_AUTO || path > best) path = best;
    tanh_path = path;
    return path;
}

/* tanh of m entries of a slot of n: libm's when n is below 1024, so small
 * tensors round as they always have (like gemm.c's SMALL: golden outputs
 * print differences of forward passes, where a last bit shows), the
 * vector loop from there on where the processor has it.  The choice is
 * the slot's (n), not the block's (m), so a block's bits are the whole
 * slot's: the vector loops go four (eight) entries a step from the
 * block's start, and blocks start at multiples of 8. */
static void tanh_all(const double *x, double *y, long m, long n)
{
#ifdef TANH_AVX2
    if (n >= 1024) {
        int path = tanh_path == K_TANH_AUTO ? tanh_best() : tanh_path;
        if (path == K_TANH_AVX512) { tanh_avx512(x, y, m); return; }
        if (path == K_TANH_AVX2) { tanh_avx2(x, y, m); return; }
    }
#endif
    for (long k = 0; k < m; k++) y[k] = tanh(x[k]);
}

/* exp of m entries of a slot of n: libm's when n is below 1024 (as
 * tanh_all, so no small tensor's last bit moves), exp_avx2 from there
 * where the processor has AVX2 and FMA, exp_avx512 (the same bits) where
 * it has AVX-512F (k_tanh_use's choice of path applies: K_TANH_LIBM
 * forces libm here too). */
static void exp_all(const double *x, double *y, long m, long n)
{
#ifdef TANH_AVX2
    if (n >= 1024) {
        int path = tanh_path == K_TANH_AUTO ? tanh_best() : tanh_path;
        if (path == K_TANH_AVX512) { exp_avx512(x, y, m); return; }
        if (path == K_TANH_AVX2) { exp_avx2(x, y, m); return; }
    }
#endif
    for (long k = 0; k < m; k++) y[k] = exp(x[k]);
}

/* The hottest of those loops four entries a step, where the processor has
 * AVX2 (half the instructions of the SSE2 loops; a tenth of a pass of
 * sum(tanh(w*x))).  Only AVX2 is enabled, not FMA, so gcc cannot fuse a
 * product into an add: each entry gets the operations and roundings of the
 * loop it replaces, the same bits (make check's goldens hold them). */
enum {
    W_MUL, W_ADD, W_SUB,                /* y = p op q */
    W_TANH_B, W_TANH_B0,                /* y += p (1 - q q); y = 0 + p (1 - q q) */
    W_MUL_B, W_MUL_B0,                  /* y += p q; y = 0 + p q */
    W_ADD_B, W_ADD_B0, W_SUB_B, W_SUB_B0,   /* y += p; y = 0 + p; y -= p; y = 0 - p */
    W_FILL_B, W_FILL_B0,                /* y += c; y = 0 + c */
    W_ADDC, W_SUBC, W_MULC,             /* y = p op c */
    W_CADD, W_CSUB, W_CMUL,             /* y = c op p */
    W_NEG, W_NABS, W_SQR,               /* y = -p; y = -|p|; y = p p */
    W_SIGQ,                             /* y = (p >= 0 ? 1 : y) / (1 + y) */
};

#ifdef TANH_AVX2
#define WLOOP(vec, scalar)                                                     \
    do {                                                                       \
        for (; k + 4 <= n; k += 4) { vec; }                                    \
        for (; k < n; k++) { scalar; }                                         \
    } while (0)

__attribute__((target("avx2")))
static void wide_avx2(int what, long n, double *y, const double *p, const double *q, double c)
{
    long k = 0;
    switch (what) {
    case W_MUL: WLOOP(V4(y) = V4(p) * V4(q), y[k] = p[k] * q[k]); break;
    case W_ADD: WLOOP(V4(y) = V4(p) + V4(q), y[k] = p[k] + q[k]); break;
    case W_SUB: WLOOP(V4(y) = V4(p) - V4(q), y[k] = p[k] - q[k]); break;
    case W_TANH_B: WLOOP(V4(y) += V4(p) * (1 - V4(q) * V4(q)), y[k] += p[k] * (1 - q[k] * q[k])); break;
    case W_TANH_B0: WLOOP(V4(y) = 0.0 + V4(p) * (1 - V4(q) * V4(q)), y[k] = 0.0 + p[k] * (1 - q[k] * q[k])); break;
    case W_MUL_B: WLOOP(V4(y) += V4(p) * V4(q), y[k] += p[k] * q[k]); break;
    case W_MUL_B0: WLOOP(V4(y) = 0.0 + V4(p) * V4(q), y[k] = 0.0 + p[k] * q[k]); break;
    case W_ADD_B: WLOOP(V4(y) += V4(p), y[k] += p[k]); break;
    case W_ADD_B0: WLOOP(V4(y) = 0.0 + V4(p), y[k] = 0.0 + p[k]); break;
    case W_SUB_B: WLOOP(V4(y) -= V4(p), y[k] -= p[k]); break;
    case W_SUB_B0: WLOOP(V4(y) = 0.0 - V4(p), y[k] = 0.0 - p[k]); break;
    case W_FILL_B: WLOOP(V4(y) += c, y[k] += c); break;
    case W_FILL_B0: { v4u cc = { c, c, c, c }; WLOOP(V4(y) = 0.0 + cc, y[k] = 0.0 + c); break; }
    case W_ADDC: WLOOP(V4(y) = V4(p) + c, y[k] = p[k] + c); break;
    case W_SUBC: WLOOP(V4(y) = V4(p) - c, y[k] = p[k] - c); break;
    case W_MULC: WLOOP(V4(y) = V4(p) * c, y[k] = p[k] * c); break;
    case W_CADD: WLOOP(V4(y) = c + V4(p), y[k] = c + p[k]); break;
    case W_CSUB: WLOOP(V4(y) = c - V4(p), y[k] = c - p[k]); break;
    case W_CMUL: WLOOP(V4(y) = c * V4(p), y[k] = c * p[k]); break;
    case W_NEG: WLOOP(V4(y) = -V4(p), y[k] = -p[k]); break;
    case W_SQR: WLOOP(V4(y) = V4(p) * V4(p), y[k] = p[k] * p[k]); break;
    case W_NABS: {      /* -|p|: p with its sign bit set, as -fabs gives */
        const __m256d sign = _mm256_set1_pd(-0.0);
        WLOOP(_mm256_storeu_pd(y + k, _mm256_or_pd(_mm256_loadu_pd(p + k), sign)), y[k] = -fabs(p[k]));
        break;
    }
    case W_SIGQ: {      /* the numerator chosen, then the one division */
        const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
        WLOOP(__m256d e = _mm256_loadu_pd(y + k);
              __m256d ge = _mm256_cmp_pd(_mm256_loadu_pd(p + k), zero, _CMP_GE_OQ);
              _mm256_storeu_pd(y + k, _mm256_div_pd(_mm256_blendv_pd(e, one, ge), _mm256_add_pd(one, e))),
              y[k] = p[k] >= 0 ? 1 / (1 + y[k]) : y[k] / (1 + y[k]));
        break;
    }
    }
}

/* k_sum_fwd's four running sums as one register: lane j adds the entries
 * k = j mod 4, as s0, s1 there do, and they are combined in its order. */
__attribute__((target("avx2")))
static double sum_avx2(const double *x, long n)
{
    v4u acc = { 0, 0, 0, 0 };
    double s = 0;
    long k = 0;
    for (; k + 4 <= n; k += 4) acc += V4(x);
    for (; k < n; k++) s += x[k];
    return ((acc[0] + acc[2]) + (acc[1] + acc[3])) + s;
}

#endif

int k_have_avx2(void)
{
#ifdef TANH_AVX2
    static int yes = -1;
    if (yes < 0) {
        __builtin_cpu_init();
        yes = __builtin_cpu_supports("avx2") != 0;
    }
    return yes;
#else
    return 0;
#endif
}

/* Loop `what` over n entries four wide: 1, or 0 when the processor cannot
 * (the caller's own loop then runs). */
static int wide(int what, long n, double *y, const double *p, const double *q, double c)
{
#ifdef TANH_AVX2
    if (k_have_avx2()) { wide_avx2(what, n, y, p, q, c); return 1; }
#endif
    (void)what; (void)n; (void)y; (void)p; (void)q; (void)c;
    return 0;
}

/* The commonest element-wise ops with the switch outside the entry loop
 * (no call per entry; gcc vectorises the simple ones): an input of the
 * output's size or a scalar (stride 0).  Only ops that cannot fail.
 * Entries [k0, k0 + m) of slot i's n (the choices of loop are by n, so
 * every block gets the whole slot's bits).  Returns 1 when it did them. */
static int elem_fast_fwd(Tape *t, int i, long n, long k0, long m)
{
    double *y = X(t, i) + k0;
    const double *x = X(t, t->a[i]);
    if (op_info[t->op[i]].arity == 1) {
        x += k0;
        switch (t->op[i]) {
        case OP_NEG:
            if (!wide(W_NEG, m, y, x, NULL, 0)) for (long k = 0; k < m; k++) y[k] = -x[k];
            return 1;
        case OP_TANH: tanh_all(x, y, m, n); return 1;
        case OP_RELU: for (long k = 0; k < m; k++) y[k] = x[k] > 0 ? x[k] : 0; return 1;
        case OP_EXP: exp_all(x, y, m, n); return 1;
        case OP_SIGMOID:
            if (n < 1024) return 0;         /* ops.c's sigmoid_f, entry by entry */
            /* ops.c's formula (exp never overflows) with exp_all's exp:
             * e = exp(-|x|), then 1/(1 + e) for x >= 0, e/(1 + e) below */
            if (!wide(W_NABS, m, y, x, NULL, 0)) for (long k = 0; k < m; k++) y[k] = -fabs(x[k]);
            exp_all(y, y, m, n);
            if (!wide(W_SIGQ, m, y, x, NULL, 0))
                for (long k = 0; k < m; k++) y[k] = x[k] >= 0 ? 1 / (1 + y[k]) : y[k] / (1 + y[k]);
            return 1;
        case OP_SIN: for (long k = 0; k < m; k++) y[k] = sin(x[k]); return 1;
        case OP_COS: for (long k = 0; k < m; k++) y[k] = cos(x[k]); return 1;
        }
        return 0;
    }
    long na = tape_size(t, t->a[i]), nb = tape_size(t, t->b[i]);
    if ((na != n && na != 1) || (nb != n && nb != 1)) return 0;
    const double *z = X(t, t->b[i]);
    if (na == n && nb == n) {
        int w = t->op[i] == OP_ADD ? W_ADD : t->op[i] == OP_SUB ? W_SUB : t->op[i] == OP_MUL ? W_MUL : -1;
        x += k0;
        z += k0;
        if (w >= 0 && wide(w, m, y, x, z, 0)) return 1;
        switch (t->op[i]) {
        case OP_ADD: VLOOP(m, V(y) = V(x) + V(z), y[k] = x[k] + z[k]); return 1;
        case OP_SUB: VLOOP(m, V(y) = V(x) - V(z), y[k] = x[k] - z[k]); return 1;
        case OP_MUL: VLOOP(m, V(y) = V(x) * V(z), y[k] = x[k] * z[k]); return 1;
        }
    } else if (nb == 1) {
        double c = z[0];
        x += k0;
        /* x^2 as x*x (correctly rounded; libm's pow is within 0.52 ulp and
         * a call per entry, two thirds of mean(exp(-(w*x)^2))'s forward),
         * for 1024 entries or more, as tanh_all and exp_all: no small
         * tensor's last bit moves */
        if (t->op[i] == OP_POW && c == 2 && n >= 1024) {
            if (!wide(W_SQR, m, y, x, NULL, 0)) VLOOP(m, V(y) = V(x) * V(x), y[k] = x[k] * x[k]);
            return 1;
        }
        int w = t->op[i] == OP_ADD ? W_ADDC : t->op[i] == OP_SUB ? W_SUBC : t->op[i] == OP_MUL ? W_MULC : -1;
        if (w >= 0 && wide(w, m, y, x, NULL, c)) return 1;
        switch (t->op[i]) {
        case OP_ADD: for (long k = 0; k < m; k++) y[k] = x[k] + c; return 1;
        case OP_SUB: for (long k = 0; k < m; k++) y[k] = x[k] - c; return 1;
        case OP_MUL: for (long k = 0; k < m; k++) y[k] = x[k] * c; return 1;
        }
    } else {
        double c = x[0];
        z += k0;
        int w = t->op[i] == OP_ADD ? W_CADD : t->op[i] == OP_SUB ? W_CSUB : t->op[i] == OP_MUL ? W_CMUL : -1;
        if (w >= 0 && wide(w, m, y, z, NULL, c)) return 1;
        switch (t->op[i]) {
        case OP_ADD: for (long k = 0; k < m; k++) y[k] = c + z[k]; return 1;
        case OP_SUB: for (long k = 0; k < m; k++) y[k] = c - z[k]; return 1;
        case OP_MUL: for (long k = 0; k < m; k++) y[k] = c * z[k]; return 1;
        }
    }
    return 0;
}

/* The backward of those: an input's gradient is skipped in the pruned
 * pass when no parameter depends on it (need[] 0). */
static int elem_fast_bwd(Tape *t, int i, long n)
{
    const double *y = X(t, i), *g = G(t, i);
    const double *x = X(t, t->a[i]);
    int wa = !t->pruned || t->need[t->a[i]];
    /* fa, fb: this slot is the only user of a (b) and the pruned pass did
     * not zero its gradient (backprop.c, t->assign): write 0 + the share,
     * the bits that adding it to a zeroed gradient gives */
    int fa = t->pruned && (t->assign[i] & 1), fb = t->pruned && (t->assign[i] & 2);
    if (op_info[t->op[i]].arity == 1) {
        double *gx = G(t, t->a[i]);
        if (!wa) return 1;
        switch (t->op[i]) {
        case OP_NEG:
            if (fa) VLOOP(n, V(gx) = 0.0 - V(g), gx[k] = 0.0 - g[k]);
            else VLOOP(n, V(gx) -= V(g), gx[k] -= g[k]);
            return 1;
        case OP_TANH:
            if (wide(fa ? W_TANH_B0 : W_TANH_B, n, gx, g, y, 0)) return 1;
            if (fa) VLOOP(n, V(gx) = 0.0 + V(g) * (1 - V(y) * V(y)), gx[k] = 0.0 + g[k] * (1 - y[k] * y[k]));
            else VLOOP(n, V(gx) += V(g) * (1 - V(y) * V(y)), gx[k] += g[k] * (1 - y[k] * y[k]));
            return 1;
        case OP_RELU:   /* a select, not a branch: the signs of x are data */
            for (long k = 0; k < n; k++) {
                double s = gx[k] + g[k];
                gx[k] = x[k] > 0 ? s : gx[k];
            }
            return 1;
        case OP_EXP:
            if (fa) VLOOP(n, V(gx) = 0.0 + V(g) * V(y), gx[k] = 0.0 + g[k] * y[k]);
            else VLOOP(n, V(gx) += V(g) * V(y), gx[k] += g[k] * y[k]);
            return 1;
        }
        return 0;
    }
    long na = tape_size(t, t->a[i]), nb = tape_size(t, t->b[i]);
    if (na != n || nb != n) return 0;      /* broadcasting: the general loop */
    int wb = !t->pruned || t->need[t->b[i]];
    const double *z = X(t, t->b[i]);
    double *ga = G(t, t->a[i]), *gb = G(t, t->b[i]);
    switch (t->op[i]) {
    case OP_ADD:
        if (wa && wide(fa ? W_ADD_B0 : W_ADD_B, n, ga, g, NULL, 0)) wa = 0;
        if (wb && wide(fb ? W_ADD_B0 : W_ADD_B, n, gb, g, NULL, 0)) wb = 0;
        if (wa && fa) VLOOP(n, V(ga) = 0.0 + V(g), ga[k] = 0.0 + g[k]);
        else if (wa) VLOOP(n, V(ga) += V(g), ga[k] += g[k]);
        if (wb && fb) VLOOP(n, V(gb) = 0.0 + V(g), gb[k] = 0.0 + g[k]);
        else if (wb) VLOOP(n, V(gb) += V(g), gb[k] += g[k]);
        return 1;
    case OP_SUB:
        if (wa && wide(fa ? W_ADD_B0 : W_ADD_B, n, ga, g, NULL, 0)) wa = 0;
        if (wb && wide(fb ? W_SUB_B0 : W_SUB_B, n, gb, g, NULL, 0)) wb = 0;
        if (wa && fa) VLOOP(n, V(ga) = 0.0 + V(g), ga[k] = 0.0 + g[k]);
        else if (wa) VLOOP(n, V(ga) += V(g), ga[k] += g[k]);
        if (wb && fb) VLOOP(n, V(gb) = 0.0 - V(g), gb[k] = 0.0 - g[k]);
        else if (wb) VLOOP(n, V(gb) -= V(g), gb[k] -= g[k]);
        return 1;
    case OP_MUL:
        if (wa && wide(fa ? W_MUL_B0 : W_MUL_B, n, ga, g, z, 0)) wa = 0;
        if (wb && wide(fb ? W_MUL_B0 : W_MUL_B, n, gb, g, x, 0)) wb = 0;
        if (wa && fa) VLOOP(n, V(ga) = 0.0 + V(g) * V(z), ga[k] = 0.0 + g[k] * z[k]);
        else if (wa) VLOOP(n, V(ga) += V(g) * V(z), ga[k] += g[k] * z[k]);
        if (wb && fb) VLOOP(n, V(gb) = 0.0 + V(g) * V(x), gb[k] = 0.0 + g[k] * x[k]);
        else if (wb) VLOOP(n, V(gb) += V(g) * V(x), gb[k] += g[k] * x[k]);
        return 1;
    }
    return 0;
}

int k_elem_blocks(const Tape *t, int i)
{
    const OpInfo *o = &op_info[t->op[i]];
    if (!(o->flags & OPF_ELEM) || o->kfwd || o->arity < 1 || o->arity > 2) return 0;
    long n = tape_size(t, i), na = tape_size(t, t->a[i]);
    if (o->arity == 1) return na == n;
    long nb = tape_size(t, t->b[i]);
    return (na == n || na == 1) && (nb == n || nb == 1);
}

const char *k_elem_block(Tape *t, int i, const OpInfo *o, long k0, long m)
{
    long n = tape_size(t, i);
    if (elem_fast_fwd(t, i, n, k0, m)) return NULL;
    double *y = X(t, i) + k0;
    const double *x = X(t, t->a[i]);
    if (o->arity == 1) {
        x += k0;
        for (long k = 0; k < m; k++) {
            const char *err = o->fwd(x[k], 0, &y[k]);
            if (err) return entry_err(t, err, k0 + k, n);
        }
        return NULL;
    }
    /* an operand of the slot's size steps with the entry, a scalar not */
    const double *z = X(t, t->b[i]);
    long sa = tape_size(t, t->a[i]) == n, sb = tape_size(t, t->b[i]) == n;
    x += sa * k0;
    z += sb * k0;
    for (long k = 0; k < m; k++) {
        const char *err = o->fwd(x[sa * k], z[sb * k], &y[k]);
        if (err) return entry_err(t, err, k0 + k, n);
    }
    return NULL;
}

const char *k_elem_fwd(Tape *t, int i, const OpInfo *o)
{
    double *y = X(t, i);
    long n = tape_size(t, i);
    if (k_elem_blocks(t, i)) return k_elem_block(t, i, o, 0, n);
    const double *x = X(t, t->a[i]), *z = X(t, t->b[i]);
    Bcast B = bcast(t, i, 1);
    int op = t->op[i];
    if (op == OP_ADD || op == OP_SUB || op == OP_MUL) {
        /* a stretched +, -, * (a bias added to every row): ops.c's rules
         * with the switch outside the loop, the same bits, no call per
         * entry (they cannot fail) */
        for (long r = 0; r < B.R; r++) {
            const double *xr = x + r * B.ar, *zr = z + r * B.br;
            double *yr = y + r * B.C;
            long ac = B.ac, bc = B.bc, C = B.C;
            if (op == OP_ADD) for (long c = 0; c < C; c++) yr[c] = xr[c * ac] + zr[c * bc];
            else if (op == OP_SUB) for (long c = 0; c < C; c++) yr[c] = xr[c * ac] - zr[c * bc];
            else for (long c = 0; c < C; c++) yr[c] = xr[c * ac] * zr[c * bc];
        }
        return NULL;
    }
    for (long r = 0, k = 0; r < B.R; r++)
        for (long c = 0; c < B.C; c++, k++) {
            const char *err = o->fwd(x[r * B.ar + c * B.ac], z[r * B.br + c * B.bc], &y[k]);
            if (err) return entry_err(t, err, k, n);
        }
    return NULL;
}

#ifdef TANH_AVX2
/* k_finite's sums sixteen entries a step in four registers (one add's
 * latency per step, not per four entries; their order does not matter:
 * any NaN makes the total NaN, and finite entries add zeros). */
__attribute__((target("avx2")))
static int finite_avx2(const double *y, long n)
{
    v4u a0 = { 0, 0, 0, 0 }, a1 = a0, a2 = a0, a3 = a0;
    double s = 0;
    long k = 0;
    for (; k + 16 <= n; k += 16) {
        a0 += V4(y) * 0.0;
        a1 += V4(y + 4) * 0.0;
        a2 += V4(y + 8) * 0.0;
        a3 += V4(y + 12) * 0.0;
    }
    for (; k < n; k++) s += y[k] * 0.0;
    a0 += (a1 + a2) + a3;
    return (a0[0] + a0[1]) + (a0[2] + a0[3]) + s == 0;
}
#endif

int k_finite(const double *y, long n)
{
#ifdef TANH_AVX2
    if (k_have_avx2()) return finite_avx2(y, n);
#endif
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    long j = 0;
    for (; j + 4 <= n; j += 4) {
        s0 += y[j] * 0.0; s1 += y[j + 1] * 0.0;
        s2 += y[j + 2] * 0.0; s3 += y[j + 3] * 0.0;
    }
    for (; j < n; j++) s0 += y[j] * 0.0;
    return s0 + s1 + s2 + s3 == 0;
}

/* A stretched input receives the sum over the axis it was stretched along:
 * the accumulation does that by itself. */
void k_elem_bwd(Tape *t, int i, const OpInfo *o)
{
    if (t->pruned && (t->assign[i] & 16)) {   /* done by its sum's rule: fuse.c */
        t->assign[i] &= (unsigned char)~16;
        return;
    }
    const double *y = X(t, i), *g = G(t, i);
    long n = tape_size(t, i);
    if (elem_fast_bwd(t, i, n)) return;
    if (o->arity == 1) {
        const double *x = X(t, t->a[i]);
        double *gx = G(t, t->a[i]);
        for (long k = 0; k < n; k++)
            o->bwd(&gx[k], NULL, g[k], x[k], 0, y[k]);
        return;
    }
    const double *x = X(t, t->a[i]), *z = X(t, t->b[i]);
    double *gx = G(t, t->a[i]), *gz = G(t, t->b[i]);
    Bcast B = bcast(t, i, 1);
    int op = t->op[i];
    if ((op == OP_ADD || op == OP_SUB || op == OP_MUL) && t->a[i] != t->b[i]) {
        /* a stretched +, -, *: ops.c's add_b, sub_b, mul_b with the switch
         * outside the loop; each gradient entry gets its shares in the
         * same order (rows, then columns), so the same bits (x - g is
         * x + -g); a gradient no parameter needs is skipped in the pruned
         * pass */
        int wa = !t->pruned || t->need[t->a[i]], wb = !t->pruned || t->need[t->b[i]];
        for (long r = 0; r < B.R; r++) {
            const double *gr = g + r * B.C, *xr = x + r * B.ar, *zr = z + r * B.br;
            double *gar = gx + r * B.ar, *gbr = gz + r * B.br;
            long ac = B.ac, bc = B.bc, C = B.C;
            if (op == OP_MUL) {
                if (wa) for (long c = 0; c < C; c++) gar[c * ac] += gr[c] * zr[c * bc];
                if (wb) for (long c = 0; c < C; c++) gbr[c * bc] += gr[c] * xr[c * ac];
                continue;
            }
            /* a row's shares: element-wise where the input runs along the
             * row (two at a time), else summed into its one entry in order */
            if (wa && ac == 1) VLOOP(C, V(gar) += V(gr), gar[k] += gr[k]);
            else if (wa) for (long c = 0; c < C; c++) gar[0] += gr[c];
            if (wb && bc == 1 && op == OP_ADD) VLOOP(C, V(gbr) += V(gr), gbr[k] += gr[k]);
            else if (wb && bc == 1) VLOOP(C, V(gbr) -= V(gr), gbr[k] -= gr[k]);
            else if (wb && op == OP_ADD) for (long c = 0; c < C; c++) gbr[0] += gr[c];
            else if (wb) for (long c = 0; c < C; c++) gbr[0] -= gr[c];
        }
        return;
    }
    for (long r = 0, k = 0; r < B.R; r++)
        for (long c = 0; c < B.C; c++, k++) {
            long ia = r * B.ar + c * B.ac, ib = r * B.br + c * B.bc;
            o->bwd(&gx[ia], &gz[ib], g[k], x[ia], z[ib], y[k]);
        }
}

/* ---- matmul: C = A B -------------------------------------------------- */

/* (m, k) @ (k, n) -> (m, n); a vector on the left is a row (1, k), on the
 * right a column (k, 1), and that axis is dropped from the result;
 * vector @ vector is the dot product.  Scalars: the plain product. */
static int mm_dims(Shape a, Shape b, long *m, long *k, long *n, Shape *out)
{
    if (a.rank == 0 || b.rank == 0) {
        if (a.rank != 0 || b.rank != 0) return -1;
        *m = *k = *n = 1;
        *out = (Shape){ 0, { 0, 0 } };
        return 0;
    }
    long ak = a.rank == 1 ? a.d[0] : a.d[1];
    long bk = b.d[0];
    if (ak != bk) return -1;
    *m = a.rank == 2 ? a.d[0] : 1;
    *k = ak;
    *n = b.rank == 2 ? b.d[1] : 1;
    if (a.rank == 2 && b.rank == 2) *out = (Shape){ 2, { *m, *n } };
    else if (a.rank == 2) *out = (Shape){ 1, { *m, 0 } };
    else if (b.rank == 2) *out = (Shape){ 1, { *n, 0 } };
    else *out = (Shape){ 0, { 0, 0 } };
    return 0;
}

const char *k_matmul_shape(Tape *t, int i, const char *name)
{
    long m = 1, k = 1, n = 1;
    Shape a = tape_shape(t, t->a[i]), b = tape_shape(t, t->b[i]);
    if (mm_dims(a, b, &m, &k, &n, &t->newshape)) {
        shape_err(t, "@ (matrix product)", a, b);
        if (a.rank == 0 || b.rank == 0)
            snprintf(t->errbuf + strlen(t->errbuf), sizeof t->errbuf - strlen(t->errbuf),
                     "; use * to scale by a scalar");
        else
            snprintf(t->errbuf + strlen(t->errbuf), sizeof t->errbuf - strlen(t->errbuf),
                     " (the inner dimensions must be equal)");
        return t->errbuf;
    }
    return NULL;
}

const char *k_matmul_fwd(Tape *t, int i)
{
    long m = 1, k = 1, n = 1;
    Shape out;
    mm_dims(tape_shape(t, t->a[i]), tape_shape(t, t->b[i]), &m, &k, &n, &out);
    gemm_mul(0, 0, m, n, k, X(t, t->a[i]), X(t, t->b[i]), 0, X(t, i));
    return NULL;
}

/* dA = dC Bᵀ, dB = Aᵀ dC (the seed's δ aᵀ when B is a column).  Both are
 * computed in the full pass (`grad f wrt X` and trace read a const's
 * gradient); the pruned pass (backprop_params) skips the product for an
 * input no parameter depends on: dX of the MLP's const batch X. */
void k_matmul_bwd(Tape *t, int i)
{
    long m = 1, k = 1, n = 1;
    Shape out;
    mm_dims(tape_shape(t, t->a[i]), tape_shape(t, t->b[i]), &m, &k, &n, &out);
    const double *A = X(t, t->a[i]), *B = X(t, t->b[i]), *dC = G(t, i);
    if (!t->pruned || t->need[t->a[i]])
        gemm_mul(0, 1, m, k, n, dC, B, 1, G(t, t->a[i]));
    if (!t->pruned || t->need[t->b[i]])
        gemm_mul(1, 0, k, n, m, A, dC, 1, G(t, t->b[i]));
}

/* ---- sum, mean -------------------------------------------------------- */

const char *k_reduce_shape(Tape *t, int i, const char *name)
{
    t->newshape = (Shape){ 0, { 0, 0 } };
    return NULL;
}

const char *k_sum_fwd(Tape *t, int i)
{
    const double *x = X(t, t->a[i]);
    long n = tape_size(t, t->a[i]);
    double s = 0;
    if (n < 1024) {         /* small sums add in order, as they always have */
        for (long k = 0; k < n; k++) s += x[k];
        X(t, i)[0] = s;
        return NULL;
    }
    /* four running sums (one add's latency each, not one chain of n):
     * the rounding of a pairwise-like order, as NumPy's sum */
#ifdef TANH_AVX2
    if (k_have_avx2()) { X(t, i)[0] = sum_avx2(x, n); return NULL; }
#endif
    v2u s0 = { 0, 0 }, s1 = { 0, 0 };
    long k = 0;
    for (; k + 4 <= n; k += 4) { s0 += V(x); s1 += *(const v2u *)(x + k + 2); }
    for (; k < n; k++) s += x[k];
    X(t, i)[0] = ((s0[0] + s1[0]) + (s0[1] + s1[1])) + s;
    return NULL;
}


void k_sum_bwd(Tape *t, int i)
{
    double g = G(t, i)[0], *gx = G(t, t->a[i]);
    long n = tape_size(t, t->a[i]);
    v2u gg = { g, g };
    if (wide(t->pruned && (t->assign[i] & 1) ? W_FILL_B0 : W_FILL_B, n, gx, NULL, NULL, g)) return;
    if (t->pruned && (t->assign[i] & 1))    /* the only user: see elem_fast_bwd */
        VLOOP(n, V(gx) = 0.0 + gg, gx[k] = 0.0 + g);
    else
        VLOOP(n, V(gx) += g, gx[k] += g);
}

const char *k_mean_fwd(Tape *t, int i)
{
    k_sum_fwd(t, i);
    X(t, i)[0] /= (double)tape_size(t, t->a[i]);
    return NULL;
}

void k_mean_bwd(Tape *t, int i)
{
    long n = tape_size(t, t->a[i]);
    double g = G(t, i)[0] / (double)n, *gx = G(t, t->a[i]);
    for (long k = 0; k < n; k++) gx[k] += g;
}

/* ---- transpose -------------------------------------------------------- */

const char *k_transpose_shape(Tape *t, int i, const char *name)
{
    Shape s = tape_shape(t, t->a[i]);
    if (s.rank == 2) { long r = s.d[0]; s.d[0] = s.d[1]; s.d[1] = r; }
    t->newshape = s;
    return NULL;
}

const char *k_transpose_fwd(Tape *t, int i)
{
    Shape s = tape_shape(t, t->a[i]);
    const double *x = X(t, t->a[i]);
    double *y = X(t, i);
    if (s.rank < 2) { memcpy(y, x, (size_t)shape_size(s) * sizeof *y); return NULL; }
    long R = s.d[0], C = s.d[1];
    for (long r = 0; r < R; r++)
        for (long c = 0; c < C; c++)
            y[c * R + r] = x[r * C + c];
    return NULL;
}

void k_transpose_bwd(Tape *t, int i)
{
    Shape s = tape_shape(t, t->a[i]);
    const double *g = G(t, i);
    double *gx = G(t, t->a[i]);
    long R = s.rank == 2 ? s.d[0] : 1, C = s.rank == 2 ? s.d[1] : shape_size(s);
    if (s.rank < 2) { for (long k = 0; k < C; k++) gx[k] += g[k]; return; }
    for (long r = 0; r < R; r++)
        for (long c = 0; c < C; c++)
            gx[r * C + c] += g[c * R + r];
}

/* ---- softmax along the last axis -------------------------------------- */

const char *k_same_shape(Tape *t, int i, const char *name)
{
    t->newshape = tape_shape(t, t->a[i]);
    return NULL;
}

/* Stable: subtract each row's maximum before exp. */
const char *k_softmax_fwd(Tape *t, int i)
{
    long R, C;
    rc(tape_shape(t, i), &R, &C);
    const double *x = X(t, t->a[i]);
    double *y = X(t, i);
    for (long r = 0; r < R; r++) {
        const double *xr = x + r * C;
        double *yr = y + r * C, mx = xr[0], s = 0;
        for (long c = 1; c < C; c++) if (xr[c] > mx) mx = xr[c];
        for (long c = 0; c < C; c++) s += yr[c] = exp(xr[c] - mx);
        for (long c = 0; c < C; c++) yr[c] /= s;
    }
    return NULL;
}

/* dx = y ⊙ (g − Σ g⊙y), row by row (the softmax Jacobian times g). */
void k_softmax_bwd(Tape *t, int i)
{
    long R, C;
    rc(tape_shape(t, i), &R, &C);
    const double *y = X(t, i), *g = G(t, i);
    double *gx = G(t, t->a[i]);
    for (long r = 0; r < R; r++) {
        const double *yr = y + r * C, *gr = g + r * C;
        double dot = 0;
        for (long c = 0; c < C; c++) dot += gr[c] * yr[c];
        for (long c = 0; c < C; c++) gx[r * C + c] += yr[c] * (gr[c] - dot);
    }
}

/* ---- outer: u vᵀ ------------------------------------------------------ */

const char *k_outer_shape(Tape *t, int i, const char *name)
{
    Shape u = tape_shape(t, t->a[i]), v = tape_shape(t, t->b[i]);
    if (u.rank != 1 || v.rank != 1)
        return shape_err(t, "outer needs two vectors", u, v);
    t->newshape = (Shape){ 2, { u.d[0], v.d[0] } };
    return NULL;
}

const char *k_outer_fwd(Tape *t, int i)
{
    long m = tape_shape(t, i).d[0], n = tape_shape(t, i).d[1];
    const double *u = X(t, t->a[i]), *v = X(t, t->b[i]);
    double *y = X(t, i);
    for (long r = 0; r < m; r++)
        for (long c = 0; c < n; c++)
            y[r * n + c] = u[r] * v[c];
    return NULL;
}

/* du = G v, dv = Gᵀ u */
void k_outer_bwd(Tape *t, int i)
{
    long m = tape_shape(t, i).d[0], n = tape_shape(t, i).d[1];
    const double *u = X(t, t->a[i]), *v = X(t, t->b[i]), *g = G(t, i);
    double *gu = G(t, t->a[i]), *gv = G(t, t->b[i]);
    for (long r = 0; r < m; r++)
        for (long c = 0; c < n; c++) {
            gu[r] += g[r * n + c] * v[c];
            gv[c] += g[r * n + c] * u[r];
        }
}

/* ---- losses: mse, cross_entropy ---------------------------------------- */

const char *k_pair_reduce_shape(Tape *t, int i, const char *name)
{
    Shape a = tape_shape(t, t->a[i]), b = tape_shape(t, t->b[i]);
    if (!shape_eq(a, b))
        return shape_err(t, name, a, b);
    t->newshape = (Shape){ 0, { 0, 0 } };
    return NULL;
}

const char *k_mse_fwd(Tape *t, int i)
{
    const double *p = X(t, t->a[i]), *q = X(t, t->b[i]);
    long n = tape_size(t, t->a[i]);
    double s = 0;
    for (long k = 0; k < n; k++) s += (p[k] - q[k]) * (p[k] - q[k]);
    X(t, i)[0] = s / (double)n;
    return NULL;
}

void k_mse_bwd(Tape *t, int i)
{
    const double *p = X(t, t->a[i]), *q = X(t, t->b[i]);
    long n = tape_size(t, t->a[i]);
    double g = G(t, i)[0] * 2 / (double)n, *gp = G(t, t->a[i]), *gq = G(t, t->b[i]);
    for (long k = 0; k < n; k++) {
        gp[k] += g * (p[k] - q[k]);
        gq[k] -= g * (p[k] - q[k]);
    }
}

/* Row r: loss = −Σ_c t_c (z_c − lse(z)), lse(z) = max + log Σ exp(z − max);
 * the mean over rows. */
static double lse(const double *z, long C)
{
    double mx = z[0], s = 0;
    for (long c = 1; c < C; c++) if (z[c] > mx) mx = z[c];
    for (long c = 0; c < C; c++) s += exp(z[c] - mx);
    return mx + log(s);
}

const char *k_xent_fwd(Tape *t, int i)
{
    long R, C;
    rc(tape_shape(t, t->a[i]), &R, &C);
    const double *z = X(t, t->a[i]), *y = X(t, t->b[i]);
    double s = 0;
    for (long r = 0; r < R; r++) {
        double l = lse(z + r * C, C);
        for (long c = 0; c < C; c++) s -= y[r * C + c] * (z[r * C + c] - l);
    }
    X(t, i)[0] = s / (double)R;
    return NULL;
}

/* ∂/∂z_c = (softmax(z)_c Σ t − t_c) / R;  ∂/∂t_c = −(z_c − lse) / R */
void k_xent_bwd(Tape *t, int i)
{
    long R, C;
    rc(tape_shape(t, t->a[i]), &R, &C);
    const double *z = X(t, t->a[i]), *y = X(t, t->b[i]);
    double *gz = G(t, t->a[i]), *gy = G(t, t->b[i]);
    double g = G(t, i)[0] / (double)R;
    for (long r = 0; r < R; r++) {
        const double *zr = z + r * C, *yr = y + r * C;
        double l = lse(zr, C), ty = 0;
        for (long c = 0; c < C; c++) ty += yr[c];
        for (long c = 0; c < C; c++) {
            gz[r * C + c] += g * (exp(zr[c] - l) * ty - yr[c]);
            gy[r * C + c] -= g * (zr[c] - l);
        }
    }
}

/* ---- indexing and slicing ---------------------------------------------- */

/* The spec (t->index[b]) was resolved against the input's shape when the
 * tape was compiled; the output keeps the axes with keep set. */
const char *k_index_shape(Tape *t, int i, const char *name)
{
    const IndexSpec *x = &t->index[t->b[i]];
    Shape in = tape_shape(t, t->a[i]), out = { 0, { 0, 0 } };
    for (int ax = 0; ax < in.rank; ax++)
        if (x->keep[ax]) out.d[out.rank++] = x->len[ax];
    t->newshape = out;
    return NULL;
}

const char *k_index_fwd(Tape *t, int i)
{
    const IndexSpec *x = &t->index[t->b[i]];
    Shape in = tape_shape(t, t->a[i]);
    const double *src = X(t, t->a[i]);
    double *y = X(t, i);
    long C = in.rank == 2 ? in.d[1] : 1;
    long r0 = x->start[0], nr = x->len[0];
    long c0 = in.rank == 2 ? x->start[1] : 0, nc = in.rank == 2 ? x->len[1] : 1;
    for (long r = 0, k = 0; r < nr; r++)
        for (long c = 0; c < nc; c++)
            y[k++] = src[(r0 + r) * C + c0 + c];
    return NULL;
}

void k_index_bwd(Tape *t, int i)
{
    const IndexSpec *x = &t->index[t->b[i]];
    Shape in = tape_shape(t, t->a[i]);
    const double *g = G(t, i);
    double *gs = G(t, t->a[i]);
    long C = in.rank == 2 ? in.d[1] : 1;
    long r0 = x->start[0], nr = x->len[0];
    long c0 = in.rank == 2 ? x->start[1] : 0, nc = in.rank == 2 ? x->len[1] : 1;
    for (long r = 0, k = 0; r < nr; r++)
        for (long c = 0; c < nc; c++)
            gs[(r0 + r) * C + c0 + c] += g[k++];
}

/* ---- [a, b, c]: stacking ---------------------------------------------- */

const char *k_stack_shape(Tape *t, int i, const char *name)
{
    const int *in = t->args + t->a[i];
    int n = t->b[i];
    Shape first = tape_shape(t, in[0]);
    if (first.rank == 2) {
        snprintf(t->errbuf, sizeof t->errbuf,
                 "a list of matrices would be a 3-d tensor, which bp does not have");
        return t->errbuf;
    }
    for (int k = 1; k < n; k++)
        if (!shape_eq(tape_shape(t, in[k]), first))
            return shape_err(t, "the elements of a list must have one shape", first,
                             tape_shape(t, in[k]));
    t->newshape = first.rank == 0 ? (Shape){ 1, { n, 0 } } : (Shape){ 2, { n, first.d[0] } };
    return NULL;
}

const char *k_stack_fwd(Tape *t, int i)
{
    const int *in = t->args + t->a[i];
    double *y = X(t, i);
    for (int k = 0; k < t->b[i]; k++) {
        long m = tape_size(t, in[k]);
        memcpy(y, X(t, in[k]), (size_t)m * sizeof *y);
        y += m;
    }
    return NULL;
}

void k_stack_bwd(Tape *t, int i)
{
    const int *in = t->args + t->a[i];
    const double *g = G(t, i);
    for (int k = 0; k < t->b[i]; k++) {
        long m = tape_size(t, in[k]);
        double *gx = G(t, in[k]);
        for (long j = 0; j < m; j++) gx[j] += g[j];
        g += m;
    }
}

/* ---- the complex step ------------------------------------------------
 * f(x + ih) with h = 1e-20: every value is re + i·im with im of order h.
 * The real parts are the unperturbed values to rounding (they differ by
 * O(h²)), so only the imaginary parts are computed, in t->im.  Element-wise
 * ops use their complex rule; the kernels below are the complex extensions
 * of the tensor operations, dropping terms of order h² (1e-40 relative:
 * below the rounding of a double). */

#define IM(t, s) ((t)->im + (t)->off[s])

const char *k_elem_im(Tape *t, int i, const OpInfo *o)
{
    double *yi = IM(t, i);
    long n = tape_size(t, i);
    double _Complex y;
    if (o->arity == 1) {
        const double *x = X(t, t->a[i]), *xi = IM(t, t->a[i]);
        for (long k = 0; k < n; k++) {
            const char *err = o->cfwd(x[k] + xi[k] * 1.0i, 0, &y);
            if (err) return entry_err(t, err, k, n);
            yi[k] = __imag__ y;
        }
        return NULL;
    }
    const double *x = X(t, t->a[i]), *z = X(t, t->b[i]);
    const double *xi = IM(t, t->a[i]), *zi = IM(t, t->b[i]);
    Bcast B = bcast(t, i, 1);
    for (long r = 0, k = 0; r < B.R; r++)
        for (long c = 0; c < B.C; c++, k++) {
            long ia = r * B.ar + c * B.ac, ib = r * B.br + c * B.bc;
            const char *err = o->cfwd(x[ia] + xi[ia] * 1.0i, z[ib] + zi[ib] * 1.0i, &y);
            if (err) return entry_err(t, err, k, n);
            yi[k] = __imag__ y;
        }
    return NULL;
}

/* Im(A B) = Re A · Im B + Im A · Re B */
void k_matmul_im(Tape *t, int i)
{
    long m = 1, k = 1, n = 1;
    Shape out;
    mm_dims(tape_shape(t, t->a[i]), tape_shape(t, t->b[i]), &m, &k, &n, &out);
    gemm_mul(0, 0, m, n, k, X(t, t->a[i]), IM(t, t->b[i]), 0, IM(t, i));
    gemm_mul(0, 0, m, n, k, IM(t, t->a[i]), X(t, t->b[i]), 1, IM(t, i));
}

void k_sum_im(Tape *t, int i)
{
    const double *xi = IM(t, t->a[i]);
    double s = 0;
    for (long k = 0, n = tape_size(t, t->a[i]); k < n; k++) s += xi[k];
    IM(t, i)[0] = s;
}

void k_mean_im(Tape *t, int i)
{
    k_sum_im(t, i);
    IM(t, i)[0] /= (double)tape_size(t, t->a[i]);
}

void k_transpose_im(Tape *t, int i)
{
    Shape s = tape_shape(t, t->a[i]);
    const double *xi = IM(t, t->a[i]);
    double *yi = IM(t, i);
    if (s.rank < 2) { memcpy(yi, xi, (size_t)shape_size(s) * sizeof *yi); return; }
    for (long r = 0; r < s.d[0]; r++)
        for (long c = 0; c < s.d[1]; c++)
            yi[c * s.d[0] + r] = xi[r * s.d[1] + c];
}

/* Im softmax(z)_c = y_c (Im z_c − Σ_k y_k Im z_k) */
void k_softmax_im(Tape *t, int i)
{
    long R, C;
    rc(tape_shape(t, i), &R, &C);
    const double *y = X(t, i), *zi = IM(t, t->a[i]);
    double *yi = IM(t, i);
    for (long r = 0; r < R; r++) {
        double s = 0;
        for (long c = 0; c < C; c++) s += y[r * C + c] * zi[r * C + c];
        for (long c = 0; c < C; c++) yi[r * C + c] = y[r * C + c] * (zi[r * C + c] - s);
    }
}

void k_outer_im(Tape *t, int i)
{
    long m = tape_shape(t, i).d[0], n = tape_shape(t, i).d[1];
    const double *u = X(t, t->a[i]), *v = X(t, t->b[i]);
    const double *ui = IM(t, t->a[i]), *vi = IM(t, t->b[i]);
    double *yi = IM(t, i);
    for (long r = 0; r < m; r++)
        for (long c = 0; c < n; c++)
            yi[r * n + c] = u[r] * vi[c] + ui[r] * v[c];
}

void k_mse_im(Tape *t, int i)
{
    const double *p = X(t, t->a[i]), *q = X(t, t->b[i]);
    const double *pi = IM(t, t->a[i]), *qi = IM(t, t->b[i]);
    long n = tape_size(t, t->a[i]);
    double s = 0;
    for (long k = 0; k < n; k++) s += 2 * (p[k] - q[k]) * (pi[k] - qi[k]);
    IM(t, i)[0] = s / (double)n;
}

/* Im of −Σ t (z − lse(z)): −Σ [Im t (z − lse) + t (Im z − Σ_k softmax_k Im z_k)] */
void k_xent_im(Tape *t, int i)
{
    long R, C;
    rc(tape_shape(t, t->a[i]), &R, &C);
    const double *z = X(t, t->a[i]), *y = X(t, t->b[i]);
    const double *zi = IM(t, t->a[i]), *yi = IM(t, t->b[i]);
    double s = 0;
    for (long r = 0; r < R; r++) {
        const double *zr = z + r * C;
        double l = lse(zr, C), dl = 0;
        for (long c = 0; c < C; c++) dl += exp(zr[c] - l) * zi[r * C + c];
        for (long c = 0; c < C; c++)
            s -= yi[r * C + c] * (zr[c] - l) + y[r * C + c] * (zi[r * C + c] - dl);
    }
    IM(t, i)[0] = s / (double)R;
}

void k_index_im(Tape *t, int i)
{
    const IndexSpec *x = &t->index[t->b[i]];
    Shape in = tape_shape(t, t->a[i]);
    const double *src = IM(t, t->a[i]);
    double *y = IM(t, i);
    long C = in.rank == 2 ? in.d[1] : 1;
    long c0 = in.rank == 2 ? x->start[1] : 0, nc = in.rank == 2 ? x->len[1] : 1;
    for (long r = 0, k = 0; r < x->len[0]; r++)
        for (long c = 0; c < nc; c++)
            y[k++] = src[(x->start[0] + r) * C + c0 + c];
}

void k_stack_im(Tape *t, int i)
{
    const int *in = t->args + t->a[i];
    double *y = IM(t, i);
    for (int k = 0; k < t->b[i]; k++) {
        long m = tape_size(t, in[k]);
        memcpy(y, IM(t, in[k]), (size_t)m * sizeof *y);
        y += m;
    }
}

/* ---- kinks ------------------------------------------------------------ */

int k_branch_flipped(const Tape *t, int i, const OpInfo *o, const double *saved)
{
    if (o->kfwd) return k_ties_flipped(t, i, saved);   /* max(X), argmax: kernels_reduce.c */
    int bin = o->arity == 2;
    Bcast B = bcast(t, i, bin);
    const double *x = X(t, t->a[i]), *x0 = saved + t->off[t->a[i]];
    const double *z = bin ? X(t, t->b[i]) : NULL, *z0 = bin ? saved + t->off[t->b[i]] : NULL;
    for (long r = 0; r < B.R; r++)
        for (long c = 0; c < B.C; c++) {
            long ia = r * B.ar + c * B.ac, ib = r * B.br + c * B.bc;
            if (o->branch(x[ia], bin ? z[ib] : 0) != o->branch(x0[ia], bin ? z0[ib] : 0))
                return 1;
        }
    return 0;
}
