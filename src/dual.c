/* dual.c: forward mode, dual numbers through the tape (see dual.h).
 *
 * A dual number x + ẋε with ε² = 0 carries the derivative along with the
 * value: f(x + ẋε) = f(x) + f'(x)ẋε.  The values are the forward pass's,
 * already on the tape, so only the tangents are computed.
 *
 * Element-wise ops reuse their backward rule: called with upstream g = 1 it
 * adds exactly ∂y/∂a and ∂y/∂b at one entry, and the tangent is their sum
 * weighted by the inputs' tangents, so no op needs a second rule (and the
 * kink conventions, relu'(0) = 0 and half each on a min/max tie, are the
 * same in both modes).  Broadcasting reads the stretched input's entry at
 * every output entry it reaches.
 *
 * Tensor ops use their JVP kernels, which are the complex step's kernels
 * (kernels.c, k_*_im): those compute Im op(x + i·h·ẋ)/h to first order,
 * dropping the O(h²) terms, so they are linear in the imaginary parts and
 * give exactly the directional derivative: Ȧ B + A Ḃ for matmul, y ⊙ (ż −
 * Σ y ż) for softmax, and so on.  An op with no such kernel is an error
 * naming it, never a silent zero. */
#include <stdio.h>
#include <string.h>
#include "dual.h"
#include "kernels.h"
#include "ops.h"
#include "xalloc.h"

int dual_seed(Tape *t, int slot, long k)
{
    tape_alias_end(t);     /* the passes read val, where the leaves then are (tape.h) */
    if (!t->im && !(t->im = try_realloc(NULL, (size_t)(t->valcap ? t->valcap : 1) * sizeof *t->im)))
        return -1;
    memset(t->im, 0, (size_t)t->nval * sizeof *t->im);
    t->im[t->off[slot] + k] = 1.0;
    return 0;
}

/* One output entry: ∂y/∂a·ȧ + ∂y/∂b·ḃ from the backward rule at g = 1. */
static double elem_tangent(const OpInfo *o, double a, double ad, double b, double bd, double y)
{
    double da = 0, db = 0;
    if (ad == 0 && bd == 0) return 0;
    o->bwd(&da, o->arity == 2 ? &db : NULL, 1.0, a, b, y);
    return (ad != 0 ? da * ad : 0) + (bd != 0 ? db * bd : 0);
}

/* The shape of a slot as rows × columns, and the strides of an input
 * broadcast into it (0 along a stretched axis). */
static void rows_cols(Shape s, long *r, long *c)
{
    *r = s.rank == 2 ? s.d[0] : 1;
    *c = s.rank == 0 ? 1 : s.rank == 1 ? s.d[0] : s.d[1];
}

static void strides(Shape s, long *rs, long *cs)
{
    long r, c;
    rows_cols(s, &r, &c);
    *rs = r == 1 ? 0 : c;
    *cs = c == 1 ? 0 : 1;
}

static void elem_slot(Tape *t, int i, const OpInfo *o)
{
    double *yd = t->im + t->off[i];
    const double *y = tape_val(t, i);
    const double *x = tape_val(t, t->a[i]), *xd = t->im + t->off[t->a[i]];
    if (o->arity == 1) {
        for (long k = 0, n = tape_size(t, i); k < n; k++)
            yd[k] = elem_tangent(o, x[k], xd[k], 0, 0, y[k]);
        return;
    }
    const double *z = tape_val(t, t->b[i]), *zd = t->im + t->off[t->b[i]];
    long R, C, ar, ac, br, bc;
    rows_cols(tape_shape(t, i), &R, &C);
    strides(tape_shape(t, t->a[i]), &ar, &ac);
    strides(tape_shape(t, t->b[i]), &br, &bc);
    for (long r = 0, k = 0; r < R; r++)
        for (long c = 0; c < C; c++, k++) {
            long ia = r * ar + c * ac, ib = r * br + c * bc;
            yd[k] = elem_tangent(o, x[ia], xd[ia], z[ib], zd[ib], y[k]);
        }
}

const char *dual_slot(Tape *t, int i)
{
    const OpInfo *o = &op_info[t->op[i]];
    switch (t->op[i]) {
    case OP_NUM: case OP_LEAF:
        return NULL;                    /* inputs: the seed decides their tangent */
    default:
        break;
    }
    if (o->flags & OPF_KERNEL) {
        if (!o->kim) {
            snprintf(t->errbuf, sizeof t->errbuf,
                     "forward mode: %s has no dual-number (JVP) rule", o->name);
            return t->errbuf;
        }
        o->kim(t, i);
        return NULL;
    }
    if (!o->bwd || o->arity < 1) {
        snprintf(t->errbuf, sizeof t->errbuf, "forward mode: %s has no dual-number rule", o->name);
        return t->errbuf;
    }
    elem_slot(t, i, o);
    return NULL;
}

int dual_pass(Tape *t, int slot, long k, int *bad, const char **msg)
{
    *bad = -1;
    *msg = NULL;
    if (dual_seed(t, slot, k)) {
        *bad = slot;
        *msg = DUAL_NO_MEMORY;
        return -1;
    }
    for (int j = slot + 1; j < t->n; j++) {
        const char *err = dual_slot(t, j);
        if (err) { *bad = j; *msg = err; return -1; }
    }
    return 0;
}
