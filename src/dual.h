/* dual.h: forward-mode automatic differentiation with dual numbers (SPEC
 * section 7): every slot carries, beside its value x, a tangent ẋ = ∂x/∂p
 * for one seed p, and one forward pass over the tape computes them all.
 * The third way to the same numbers: one pass per parameter entry, like
 * finite differences, but exact to rounding, like backprop. */
#ifndef BP_DUAL_H
#define BP_DUAL_H

#include "tape.h"

/* Start a dual pass: every tangent 0, then ẋ = 1 at entry k of slot
 * (a one-hot seed).  The tangents live in t->im, one per value entry, the
 * array the complex step uses (it is allocated here when missing).
 * Returns 0, or -1 when there is no memory for them (its size is the
 * user's: an error, DUAL_NO_MEMORY, not an exit). */
#define DUAL_NO_MEMORY "out of memory: no room for the tangents"
int dual_seed(Tape *t, int slot, long k);

/* Slot i's tangent from its inputs' tangents and values (t must hold a
 * forward pass).  Element-wise: ẏ = ∂y/∂a·ȧ + ∂y/∂b·ḃ, the partials from
 * the op's backward rule called with g = 1 (a term whose input tangent is
 * 0 is left out, so a constant exponent never multiplies a NaN partial).
 * Tensor ops: their JVP kernel.  Returns NULL, or a message naming the op
 * that has no forward-mode rule. */
const char *dual_slot(Tape *t, int i);

/* The whole pass: dual_seed, then dual_slot for every slot after `slot`.
 * Returns 0, or -1 with *bad the slot that failed and *msg its message.
 * The root's tangent (∂f/∂p) is then t->im[t->off[t->root]]. */
int dual_pass(Tape *t, int slot, long k, int *bad, const char **msg);

#endif
