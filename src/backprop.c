/* backprop.c: the backward pass, one reverse loop over the tape.
 *
 * The chain rule: ∂f/∂x = Σ over the users y of x of ∂f/∂y · ∂y/∂x.  The
 * tape is in topological order, so walking it backwards reaches every user
 * of x before x itself: by the time a slot is visited its gradient is
 * complete, and its rule passes it on to its inputs.  Rules only add, so a
 * slot used twice collects both contributions (micrograd's issue #2 cannot
 * happen), and gradients are zeroed at the start of every pass, so running
 * it twice does not double them. */
#include <stdlib.h>
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

/* t->assign (tape.h): which gradients the pruned pass need not zero.  A
 * slot's gradient is written first by its last user (the pass runs
 * backwards); when that is its only use and the rule is one whose kernel
 * writes every entry (kernels.c: elem_fast_bwd's tanh, exp, neg and
 * same-size add, sub, mul; sum), the kernel writes 0 + its share instead
 * of adding it to a zeroed gradient: the same bits, two passes fewer.
 * Bits 1 and 2 are on the user (its a, its b), bit 4 on the input. */
static void build_assign(Tape *t)
{
    int n = t->n;
    int *uses = xcalloc((size_t)(n ? n : 1), sizeof *uses);
    for (int i = 0; i < n; i++) {
        switch (t->op[i]) {
        case OP_NUM: case OP_LEAF: break;
        case OP_STACK:
            for (int k = 0; k < t->b[i]; k++) uses[t->args[t->a[i] + k]]++;
            break;
        case OP_INDEX: uses[t->a[i]]++; break;
        default:
            if (op_info[t->op[i]].arity >= 1 && t->a[i] >= 0) uses[t->a[i]]++;
            if (op_info[t->op[i]].arity == 2 && t->b[i] >= 0) uses[t->b[i]]++;
        }
    }
    free(t->assign);
    t->assign = xcalloc((size_t)(n ? n : 1), 1);
    for (int i = 0; i < n; i++) {
        int a = t->a[i], b = t->b[i];
        switch (t->op[i]) {
        case OP_TANH: case OP_EXP: case OP_NEG:
            if (t->sid[i] != 0 && uses[a] == 1) t->assign[i] = 1;
            break;
        case OP_ADD: case OP_SUB: case OP_MUL: {
            long sz = tape_size(t, i);
            if (t->sid[i] == 0 || a == b || tape_size(t, a) != sz || tape_size(t, b) != sz) break;
            t->assign[i] = (uses[a] == 1) | (uses[b] == 1) << 1;
            break;
        }
        case OP_SUM:
            if (uses[a] == 1) t->assign[i] = 1;
            break;
        }
    }
    free(uses);
    /* bit 4 of slot j: its gradient needs no zeroing, because its only
     * user runs in the pruned pass (marked, at or below the root) and
     * writes it (j marked too, so the kernel does not skip it) */
    if (t->need)
        for (int i = 0; i <= t->root && i < n; i++) {
            if (!t->need[i]) continue;
            if ((t->assign[i] & 1) && t->need[t->a[i]]) t->assign[t->a[i]] |= 4;
            if ((t->assign[i] & 2) && t->need[t->b[i]]) t->assign[t->b[i]] |= 4;
        }
    t->nassign_of = n;
}

void backprop_params(Tape *t)
{
    if (!t->need) { backprop(t); return; }
    if (!t->grad)   /* zeroed once, so a slot never written holds no garbage */
        t->grad = xcalloc((size_t)(t->valcap ? t->valcap : 1), sizeof *t->grad);
    const unsigned char *need = t->need;
    const long *off = t->off;
    if (t->nassign_of != t->n) build_assign(t);
    const unsigned char *as = t->assign;
    /* zero the other marked slots' gradients (bit 4: written whole by its
     * only user), runs of adjacent slots at once (a scalar alone, between
     * the literals of a chain, by a store) */
    for (int i = 0; i <= t->root; ) {
        if (!need[i] || (as[i] & 4)) { i++; continue; }
        int j = i;
        while (j <= t->root && need[j] && !(as[j] & 4)) j++;
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
