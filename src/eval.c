/* eval.c: the forward pass, a loop over the tape.
 *
 * No allocation, no name look-up, no printing: a slot either gets its value
 * or the loop stops and returns the failing slot (its AST gives the caret).
 * Constants are not visited (t->run lists the other slots).
 * Scalar slots (shape id 0) take a direct path: the commonest operations
 * inline, the others through their scalar rule; tensors go to the kernels. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tape.h"
#include "ops.h"
#include "kernels.h"
#include "xalloc.h"

/* Did every input of slot i hold finite numbers?  (Only asked once a
 * result is not finite, to name the node where that began.) */
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

/* Are all n entries of y finite?  y*0 is 0 for a finite y and NaN for an
 * infinity or a NaN; four sums keep the loop free of branches. */
static int all_finite(const double *y, long n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    long j = 0;
    for (; j + 4 <= n; j += 4) {
        s0 += y[j] * 0.0; s1 += y[j + 1] * 0.0;
        s2 += y[j + 2] * 0.0; s3 += y[j + 3] * 0.0;
    }
    for (; j < n; j++) s0 += y[j] * 0.0;
    return s0 + s1 + s2 + s3 == 0;
}

/* Slots whose inputs are not plain value slots: E_OK, or E_DOMAIN with
 * *msg saying why. */
static int special(Tape *t, int i, const char **msg)
{
    double *y = tape_val(t, i);
    long n = tape_size(t, i);
    switch (t->op[i]) {
    case OP_NUM:
        break;
    case OP_LEAF: {
        /* alias mode (tape.h): a tensor leaf is read where it lives */
        double *src = t->leafent[t->a[i]]->val.data;
        if (t->alias && i < t->nalias && t->sid[i] != 0) { t->alias[i] = src; break; }
        memcpy(t->val + t->off[i], src, (size_t)n * sizeof *y);
        break;
    }
    }
    return E_OK;
}

/* t->run: every slot but the constants, whose values compile wrote once
 * (a literal is a slot of its own: half the slots of `x*1.0000001 +
 * 1e-9`).  Rebuilt when the tape has grown or compile_need said so. */
static void build_run(Tape *t)
{
    free(t->run);
    t->run = xmalloc((size_t)(t->n ? t->n : 1) * sizeof *t->run);
    t->nrun = 0;
    for (int i = 0; i < t->n; i++)
        if (t->op[i] != OP_NUM) t->run[t->nrun++] = i;
    t->nrun_of = t->n;
}

int eval_forward(Tape *t, int from, int *bad, const char **msg)
{
    const unsigned char *op = t->op;
    const int *a = t->a, *b = t->b;
    const unsigned *sid = t->sid;
    const long *off = t->off;
    double *v = t->val;
    *bad = -1;
    if (t->nrun_of != t->n) build_run(t);
    const int *run = t->run;
    int lo = 0, hi = t->nrun;           /* the first run entry >= from */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (run[mid] < from) lo = mid + 1;
        else hi = mid;
    }
    for (int k = lo; k < t->nrun; k++) {
        int i = run[k];
        double *y = v + off[i];
        const char *err = NULL;
        switch (op[i]) {
        case OP_LEAF:
            if (special(t, i, msg)) { *bad = i; return E_DOMAIN; }
            continue;
        }
        const OpInfo *o = &op_info[op[i]];
        if (sid[i] == 0 && (o->flags & OPF_ELEM)) {
            /* a scalar element-wise operation: its inputs are scalars */
            double x = v[off[a[i]]];
            switch (op[i]) {
            case OP_ADD: *y = x + v[off[b[i]]]; break;
            case OP_SUB: *y = x - v[off[b[i]]]; break;
            case OP_MUL: *y = x * v[off[b[i]]]; break;
            case OP_NEG: *y = -x; break;
            default: err = o->fwd(x, o->arity == 2 ? v[off[b[i]]] : 0, y);
            }
        } else {
            err = o->kfwd ? o->kfwd(t, i) : k_elem_fwd(t, i, o);
        }
        if (err) {
            *msg = err;
            *bad = i;
            return E_DOMAIN;
        }
        /* Inputs finite, output not: name the node where it began.  These
         * give a finite result for every finite input (and the result of
         * an input that was not is not reported): no scan. */
        switch (op[i]) {
        case OP_TANH: case OP_SIN: case OP_COS: case OP_RELU: case OP_NEG:
            continue;
        }
        long n = sid[i] == 0 ? 1 : tape_size(t, i);
        if (n > 1 && all_finite(y, n)) continue;
        for (long j = 0; j < n; j++)
            if (!isfinite(y[j])) {
                if (!inputs_finite(t, i)) break;
                *msg = isnan(y[j]) ? "the result is not a number (NaN)"
                                   : "overflow: the result is infinite";
                *bad = i;
                return E_DOMAIN;
            }
    }
    return E_OK;
}
