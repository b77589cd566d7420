/* kernels.h: tensor kernels over tape slots (see OpKernel* in ops.h).
 *
 * Below the op table: kernels.c never reads op_info.  The element-wise
 * kernels apply the scalar rules of the op they are given (its OpInfo, from
 * the caller), and the op table (ops.c) names the tensor kernels. */
#ifndef BP_KERNELS_H
#define BP_KERNELS_H

#include "ops.h"

struct Tape;

/* Entry-by-entry forward/backward of slot i, a unary or binary operation
 * with broadcasting, by the scalar rules of o (the slot's op). */
const char *k_elem_fwd(struct Tape *t, int i, const OpInfo *o);
/* Can slot i be computed a block of entries at a time (k_elem_block)?
 * A slot of an element-wise op with the scalar rules (no kernel of
 * its own) whose operands are of its size or scalars. */
int k_elem_blocks(const struct Tape *t, int i);
/* Entries [k0, k0 + m) of such a slot, by o's rules (o: its op), with
 * the bits the whole slot's k_elem_fwd gives them, as long as k0 is a
 * multiple of 8 (the vector loops' step).  NULL, or the first failing
 * entry's message (its index in the slot, as k_elem_fwd says it). */
const char *k_elem_block(struct Tape *t, int i, const OpInfo *o, long k0, long m);
/* Are all n entries of y finite?  y*0 is 0 for a finite y and NaN for an
 * infinity or a NaN; four sums keep the loop free of branches. */
int k_finite(const double *y, long n);
void k_elem_bwd(struct Tape *t, int i, const OpInfo *o);
const char *k_elem_shape(struct Tape *t, int i, const OpInfo *o);

/* Has the processor AVX2 (and the build the vector loops)?  Asked once
 * (a benign race); for fuse.c's loops. */
int k_have_avx2(void);

/* Which loop computes tanh of a tensor of 1024 entries or more (smaller
 * ones always take libm's): K_TANH_AUTO, the default, the fastest the
 * processor has (AVX-512, else AVX2 + FMA, else libm); the others force
 * one, for tests and benchmarks.  A path the processor lacks falls back
 * to the best it has.  Returns the path now in use (not AUTO). */
enum { K_TANH_AUTO, K_TANH_LIBM, K_TANH_AVX2, K_TANH_AVX512 };
int k_tanh_use(int path);

#define KERNEL(name) \
    const char *k_##name##_fwd(struct Tape *t, int i); \
    void k_##name##_bwd(struct Tape *t, int i); \
    void k_##name##_im(struct Tape *t, int i);
KERNEL(matmul)
KERNEL(sum)
KERNEL(mean)
KERNEL(transpose)
KERNEL(softmax)
KERNEL(outer)
KERNEL(mse)
KERNEL(xent)
KERNEL(index)
KERNEL(stack)
/* kernels_reduce.c */
KERNEL(sum_axis)
KERNEL(mean_axis)
KERNEL(amax)
KERNEL(amin)
KERNEL(logsumexp)
KERNEL(argmax)
KERNEL(log_softmax)
KERNEL(one_hot)
KERNEL(reshape)
KERNEL(xent_idx)
#undef KERNEL

/* Complex step, element-wise: t->im of slot i from its inputs' values
 * and imaginary parts, by o's complex rule.  NULL or a message. */
const char *k_elem_im(struct Tape *t, int i, const OpInfo *o);

/* Kinks: does slot i, an element-wise op o with a kink test, take at some
 * entry another branch with the current values than with `saved` (a copy
 * of the value arena from the unperturbed pass)? */
int k_branch_flipped(const struct Tape *t, int i, const OpInfo *o, const double *saved);

/* Kinks of max(X), min(X), argmax (kernels_reduce.c): does some group of
 * slot i have another set of winners (entries equal to its extreme) with
 * the current values than with `saved`? */
int k_ties_flipped(const struct Tape *t, int i, const double *saved);

const char *k_matmul_shape(struct Tape *t, int i, const char *name);
const char *k_reduce_shape(struct Tape *t, int i, const char *name);
const char *k_transpose_shape(struct Tape *t, int i, const char *name);
const char *k_same_shape(struct Tape *t, int i, const char *name);
const char *k_outer_shape(struct Tape *t, int i, const char *name);
const char *k_pair_reduce_shape(struct Tape *t, int i, const char *name);
const char *k_index_shape(struct Tape *t, int i, const char *name);
const char *k_stack_shape(struct Tape *t, int i, const char *name);
/* kernels_reduce.c: b holds the axis (-1: all entries), one_hot's k,
 * reshape's columns (0: a vector); xent_idx checks the class indices' shape. */
const char *k_axis_shape(struct Tape *t, int i, const char *name);
const char *k_one_hot_shape(struct Tape *t, int i, const char *name);
const char *k_reshape_shape(struct Tape *t, int i, const char *name);
const char *k_xent_idx_shape(struct Tape *t, int i, const char *name);

#endif
