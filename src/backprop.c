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

/* Slot i's rule (backprop_slot), inlined into the loops below.  pruned
 * (a constant where inlined): the scalar rules skip an input whose
 * gradient no parameter needs (the literal of x*1.0000001), as the
 * kernels do with t->pruned. */
static inline __attribute__((always_inline)) void rule(Tape *t, int i, int pruned)
{
    const unsigned char *op = t->op;
    const int *a = t->a, *b = t->b;
    const long *off = t->off;
    const double *v = t->val;
    double *g = t->grad;
    const OpInfo *o = &op_info[op[i]];
    if (t->sid[i] == 0 && !o->kbwd) {
        /* a scalar element-wise operation (or a leaf): the commonest
         * rules inline, the others through the op table */
        double gi = g[off[i]];
        if (gi == 0 || o->arity == 0) return;   /* nothing to send, or no inputs */
        double *ga = g + off[a[i]];
        switch (op[i]) {
        case OP_ADD:
            if (!pruned || t->need[a[i]]) *ga += gi;
            if (!pruned || t->need[b[i]]) g[off[b[i]]] += gi;
            break;
        case OP_SUB:
            if (!pruned || t->need[a[i]]) *ga += gi;
            if (!pruned || t->need[b[i]]) g[off[b[i]]] -= gi;
            break;
        case OP_MUL:
            if (!pruned || t->need[a[i]]) *ga += gi * v[off[b[i]]];
            if (!pruned || t->need[b[i]]) g[off[b[i]]] += gi * v[off[a[i]]];
            break;
        case OP_NEG: *ga -= gi; break;
        default:
            if (o->arity == 2)
                o->bwd(ga, g + off[b[i]], gi, v[off[a[i]]], v[off[b[i]]], v[off[i]]);
            else
                o->bwd(ga, NULL, gi, v[off[a[i]]], 0, v[off[i]]);
        }
    } else if (o->kbwd) {
        o->kbwd(t, i);
    } else if (o->arity > 0) {
        k_elem_bwd(t, i, o);
    }
}

static void slot_step(Tape *t, int i) { rule(t, i, 0); }

void backprop_slot(Tape *t, int i)
{
    slot_step(t, i);
}

void backprop_seed(Tape *t, const double *seed)
{
    tape_zero_grad(t);
    memcpy(tape_grad(t, t->root), seed, (size_t)tape_size(t, t->root) * sizeof *seed);
    for (int i = t->root; i >= 0; i--)
        rule(t, i, 0);
}

void backprop_params(Tape *t)
{
    if (!t->need) { backprop(t); return; }
    if (!t->grad)   /* zeroed once, so a slot never written holds no garbage */
        t->grad = xcalloc((size_t)(t->valcap ? t->valcap : 1), sizeof *t->grad);
    const unsigned char *need = t->need;
    const long *off = t->off;
    /* zero the marked slots' gradients, runs of adjacent slots at once
     * (a scalar alone, between the literals of a chain, by a store) */
    for (int i = 0; i <= t->root; ) {
        if (!need[i]) { i++; continue; }
        int j = i;
        while (j <= t->root && need[j]) j++;
        long end = off[j - 1] + tape_size(t, j - 1);
        if (end - off[i] == 1) t->grad[off[i]] = 0;
        else memset(t->grad + off[i], 0, (size_t)(end - off[i]) * sizeof *t->grad);
        i = j;
    }
    if (!need[t->root]) return;                 /* f reaches no parameter */
    t->grad[off[t->root]] = 1.0;
    t->pruned = 1;
    for (int i = t->root; i >= 0; i--)
        if (need[i]) rule(t, i, 1);
    t->pruned = 0;
}

void backprop(Tape *t)
{
    tape_zero_grad(t);
    t->grad[t->off[t->root]] = 1.0;             /* seed: ∂f/∂f = 1 */
    for (int i = t->root; i >= 0; i--)
        rule(t, i, 0);
}
