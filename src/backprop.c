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

void backprop(Tape *t)
{
    double *g = t->grad, *v = t->val;
    const unsigned char *op = t->op;
    const int *a = t->a, *b = t->b;
    memset(g, 0, t->n * sizeof *g);
    g[t->root] = 1.0;                       /* seed: ∂f/∂f = 1 */
    for (int i = t->root; i >= 0; i--) {
        if (g[i] == 0 || op_info[op[i]].arity == 0)
            continue;                       /* leaves, constants, grad(): no inputs */
        const OpInfo *o = &op_info[op[i]];
        if (o->arity == 2)
            o->bwd(&g[a[i]], &g[b[i]], g[i], v[a[i]], v[b[i]], v[i]);
        else
            o->bwd(&g[a[i]], NULL, g[i], v[a[i]], 0, v[i]);
    }
}
