/* eval.c: the forward pass, a loop over the tape.
 *
 * No allocation, no name look-up, no printing: a slot either gets its value
 * or the loop stops and returns the failing slot (its AST gives the caret). */
#include <math.h>
#include <stdio.h>
#include "tape.h"
#include "ops.h"

int eval_forward(Tape *t, int from, const char **msg)
{
    unsigned char *op = t->op;
    int *a = t->a, *b = t->b;
    double *v = t->val;
    for (int i = from; i < t->n; i++) {
        switch (op[i]) {
        case OP_NUM:
            break;
        case OP_LEAF:
            v[i] = t->ent[i]->value;
            break;
        case OP_GRADOF: {
            /* grad(f, w) in an expression: a forward and a backward pass
             * of f's own tape. */
            GradOf *g = &t->gradof[a[i]];
            int bad = eval_forward(g->sub, 0, msg);
            if (bad >= 0)
                return i;
            if (g->wrt < 0) {
                v[i] = 0;
            } else {
                backprop(g->sub);
                v[i] = g->sub->grad[g->wrt];
            }
            break;
        }
        default: {
            const OpInfo *o = &op_info[op[i]];
            const char *err = o->fwd(v[a[i]], o->arity == 2 ? v[b[i]] : 0, &v[i]);
            if (err) {
                *msg = err;
                return i;
            }
            /* Inputs finite, output not: name the node where it began. */
            if (!isfinite(v[i])) {
                *msg = isnan(v[i]) ? "the result is not a number (NaN)"
                                   : "overflow: the result is infinite";
                if (isfinite(v[a[i]]) && (o->arity < 2 || isfinite(v[b[i]])))
                    return i;
            }
            break;
        }
        }
    }
    return -1;
}

void tape_diag(const Tape *t, int slot, const char *msg, Diag *d)
{
    const Ast *src = t->src[slot];
    diag_set(d, E_DOMAIN, src ? &src->loc : NULL, "%s", msg);
    const Entry *o = t->owner[slot];
    if (o && o->loc.src)
        diag_note(d, "while evaluating %s (line %d)", o->name, o->loc.line);
}
