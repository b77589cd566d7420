/* kvec.h: the vector types and entry loops that kernels.c and fuse.c
 * share (internal to them: macros and types only, no functions). */
#ifndef BP_KVEC_H
#define BP_KVEC_H

/* x86-64 with GCC's builtins: the AVX2 (and AVX-512) loops are built,
 * each behind a check of the processor (kernels.h k_have_avx2). */
#if defined(__GNUC__) && defined(__x86_64__)
#define TANH_AVX2 1
#endif

/* Entry loops two at a time, in GCC's vector extension (SSE2's width, in
 * every x86-64 build): gcc -O2 leaves the plain loops scalar (its cheap
 * cost model vectorises no loop that needs a remainder).  Each entry gets
 * the same operations in the same order as the scalar loop: the same bits. */
typedef double v2u __attribute__((vector_size(16), aligned(8)));
#define V(p) (*(v2u *)((p) + k))
#define VLOOP(n, vec, scalar)                                                  \
    do {                                                                       \
        long k = 0;                                                            \
        for (; k + 2 <= (n); k += 2) { vec; }                                  \
        for (; k < (n); k++) { scalar; }                                       \
    } while (0)

#ifdef TANH_AVX2
/* Four entries a step, for functions built with target("avx2"). */
typedef double v4u __attribute__((vector_size(32), aligned(8)));
#define V4(p) (*(v4u *)((p) + k))
#endif

#endif
