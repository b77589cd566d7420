/* backprop.c: the backward pass, one reverse loop over the tape.
 *
 * The chain rule: ∂f/∂x = Σ over the users y of x of ∂f/∂y · ∂y/∂x.  The
 * tape is in topological order, so walking it backwards reaches every user
 * of x before x itself: by the time a slot is visited its gradient is
 * complete, and its rule passes it on to its inputs.  Rules only add, so a
 * slot used twice collects both contributions (micrograd's issue #2 cannot
 * happen), and gradients are zeroed at the start of every pass, so running
 * it twice does not double them. */
#include <string.h>
#include "tape.h"
#include "ops.h"
#include "kernels.h"
#include "xalloc.h"

void tape_zero_grad(Tape *t)
{
    if (!t->grad)   /* evaluation alone never needs it */
        t->grad = xmalloc((size_t)(t->valcap ? t->valcap : 1) * sizeof *t->grad);
    memset(t->grad, 0, (size_t)t->nval * sizeof *t->grad);
}

void backprop(Tape *t)
{
    const unsigned char *op = t->op;
    const int *a = t->a, *b = t->b;
    tape_zero_grad(t);
    tape_grad(t, t->root)[0] = 1.0;             /* seed: ∂f/∂f = 1 */
    for (int i = t->root; i >= 0; i--) {
        const OpInfo *o = &op_info[op[i]];
        if (o->kbwd) {
            o->kbwd(t, i);
        } else if (o->arity == 0) {
            continue;                            /* leaves, constants, grad() */
        } else if (tape_shape(t, i).rank == 0) {      /* scalar fast path */
            double g = tape_grad(t, i)[0];
            if (g == 0) continue;
            double *y = tape_val(t, i);
            if (o->arity == 2)
                o->bwd(tape_grad(t, a[i]), tape_grad(t, b[i]), g,
                       tape_val(t, a[i])[0], tape_val(t, b[i])[0], y[0]);
            else
                o->bwd(tape_grad(t, a[i]), NULL, g, tape_val(t, a[i])[0], 0, y[0]);
        } else {
            k_elem_bwd(t, i);
        }
    }
}
