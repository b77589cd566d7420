/* derive.h: the backward pass as graph nodes (SPEC section 7).
 *
 * derive_grad appends to a tape the slots that compute df/dw by reverse
 * accumulation over f's slots (only those on a path from w), written with
 * the tape's own operations, so the result is an ordinary formula: it can
 * be evaluated, traced, drawn, printed and differentiated again. */
#ifndef BP_DERIVE_H
#define BP_DERIVE_H

#include "tape.h"

/* How derive appends a slot: op(a, b) with its shape decided by the op's
 * shape rule (shape NULL) or given (an OP_NUM constant, filled by derive
 * afterwards).  Returns the new slot, or -1 with the error already
 * reported (a limit: maxnodes, maxmem).  The compiler supplies it, so
 * derive.c never calls up into compile.c. */
typedef struct DeriveEmit {
    void *ctx;
    int (*emit)(void *ctx, int op, int a, int b, const Shape *shape);
} DeriveEmit;

/* Append df/dw to t: f a scalar slot, w any earlier slot (a leaf or a
 * formula's root).  Returns the slot holding df/dw (w's shape; a constant
 * zero when f does not depend on w), or -1 when em->emit failed.
 * Iterative: the depth of f's graph never touches the C stack. */
int derive_grad(Tape *t, int f, int w, const DeriveEmit *em);

/* The first slot on a path from w to f whose derivative is 0 by its
 * rule (a comparison, argmax, one_hot: a step or an index) and that the
 * user wrote (not one an inner grad(...) emitted: relu's rule holds a
 * comparison of its own), or -1: the compiler says once that nothing
 * flows back through it. */
int derive_zero_at(const Tape *t, int f, int w);

#endif
