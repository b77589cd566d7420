/* diff.h: the derivative as a formula (SPEC section 7, `diff f wrt x`). */
#ifndef BP_DIFF_H
#define BP_DIFF_H

#include "tape.h"

/* A tape holding f and, at *slot, df/dx as ordinary slots (a formula the
 * printer can write out).  f: a scalar expression of scalars; x: the name
 * of a scalar parameter or const (an AST_NAME, for its location).  The
 * caller frees the tape.  NULL with d filled: an unknown name, x not a
 * parameter, a tensor, grad(...) inside f, the maxnodes limit.
 *
 * The slots are grad(f, x) compiled: f's, then derive.c's backward pass
 * as operations (derive_grad). */
Tape *diff_tape(Session *s, const Ast *f, const Ast *x, int *slot, Diag *d);

#endif
