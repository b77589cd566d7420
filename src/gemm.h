/* gemm.h: the matrix products under the `@` kernels (kernels.c): C = op(A)
 * op(B) + beta C for row-major, contiguous matrices, through CBLAS when
 * configure found one, otherwise through a blocked, register-tiled C kernel.
 *
 * Shapes: op(A) is M x K, op(B) is K x N, C is M x N.  ta = 0: A is stored
 * M x K; ta = 1: A is stored K x M and used transposed (likewise tb, B with
 * N x K).  A vector is a 1 x n or n x 1 matrix (the same memory). */
#ifndef BP_GEMM_H
#define BP_GEMM_H

/* C = op(A) op(B) + beta C, beta 0 (C's old contents are ignored, as
 * BLAS does) or 1 (accumulate: gradients).  Any of M, N, K may be 1 (then
 * a dot product, a matrix-vector product or a rank-1 update is called) or
 * 0.  The fastest implementation this build has. */
void gemm_mul(int ta, int tb, long M, long N, long K,
              const double *A, const double *B, double beta, double *C);

/* The same product by the built-in C kernel, in every build (so a test can
 * compare it with BLAS and with a plain loop). */
void gemm_mul_c(int ta, int tb, long M, long N, long K,
                const double *A, const double *B, double beta, double *C);

/* Which implementation gemm_mul uses on this machine: "cblas" or "C
 * kernel" (also in a CBLAS build, when the CBLAS is an OpenBLAS running a
 * generic core's kernels on a processor with AVX2 + FMA, or BP_GEMM=c). */
const char *gemm_backend(void);

#endif
