/* eval.c: the forward pass, a loop over the tape.
 *
 * No allocation, no name look-up, no printing: a slot either gets its value
 * or the loop stops and returns the failing slot (its AST gives the caret).
 * Scalars take a fast path straight to the op's scalar rule; tensors go to
 * the kernels. */
#include <math.h>
#include <string.h>
#include "tape.h"
#include "ops.h"
#include "kernels.h"

/* Did every input of slot i hold finite numbers? */
static int inputs_finite(const Tape *t, int i)
{
    const OpInfo *o = &op_info[t->op[i]];
    int in[2] = { t->a[i], o->arity == 2 ? t->b[i] : -1 };
    if (t->op[i] == OP_STACK || t->op[i] == OP_INDEX) in[1] = -1;
    for (int k = 0; k < 2; k++) {
        if (in[k] < 0) continue;
        const double *x = tape_val(t, in[k]);
        for (long j = 0, n = tape_size(t, in[k]); j < n; j++)
            if (!isfinite(x[j])) return 0;
    }
    if (t->op[i] == OP_STACK)
        for (int k = 0; k < t->b[i]; k++) {
            int s = t->args[t->a[i] + k];
            const double *x = tape_val(t, s);
            for (long j = 0, n = tape_size(t, s); j < n; j++)
                if (!isfinite(x[j])) return 0;
        }
    return 1;
}

int eval_forward(Tape *t, int from, const char **msg)
{
    const unsigned char *op = t->op;
    const int *a = t->a, *b = t->b;
    for (int i = from; i < t->n; i++) {
        const OpInfo *o = &op_info[op[i]];
        double *y = tape_val(t, i);
        switch (op[i]) {
        case OP_NUM:
            break;
        case OP_LEAF:
            memcpy(y, t->leafent[t->a[i]]->val.data, (size_t)tape_size(t, i) * sizeof *y);
            break;
        case OP_GRADOF: {
            /* grad(f, w) in an expression: a forward and a backward pass
             * of f's own tape. */
            GradOf *g = &t->gradof[a[i]];
            if (eval_forward(g->sub, 0, msg) >= 0)
                return i;
            long n = tape_size(t, i);
            if (g->wrt < 0) {
                memset(y, 0, (size_t)n * sizeof *y);
            } else {
                backprop(g->sub);
                memcpy(y, tape_grad(g->sub, g->wrt), (size_t)n * sizeof *y);
            }
            break;
        }
        default: {
            const char *err;
            if (o->kfwd)
                err = o->kfwd(t, i);
            else if (tape_shape(t, i).rank == 0)   /* scalar fast path */
                err = o->fwd(tape_val(t, a[i])[0], o->arity == 2 ? tape_val(t, b[i])[0] : 0, y);
            else
                err = k_elem_fwd(t, i);
            if (err) {
                *msg = err;
                return i;
            }
            /* Inputs finite, output not: name the node where it began. */
            for (long j = 0, n = tape_size(t, i); j < n; j++)
                if (!isfinite(y[j])) {
                    if (!inputs_finite(t, i)) break;
                    *msg = isnan(y[j]) ? "the result is not a number (NaN)"
                                       : "overflow: the result is infinite";
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
    const Entry *o = tape_owner(t, slot);
    if (o && o->loc.src)
        diag_note(d, "while evaluating %s (line %d)", o->name, o->loc.line);
}
