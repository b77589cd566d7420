/* eval.c: the forward pass, a loop over the tape.
 *
 * No name look-up, no printing, no allocation but the program's (once per
 * tape): a slot either gets its value or the loop stops and returns the
 * failing slot (its AST gives the caret).
 * The loop walks the tape's program (t->prog, built here): constants are
 * not visited, a scalar +, -, * or neg is one packed instruction with a
 * literal input folded in as an immediate; every other slot (leaves,
 * tensors, other scalar operations) runs through slot_forward, the
 * general path: scalars through their scalar rule, tensors to the kernels. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "tape.h"
#include "ops.h"
#include "fuse.h"
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

/* A leaf's value: the entry's current one, copied into val; in alias mode
 * (tape.h) a tensor leaf is read where it lives instead. */
static void leaf_forward(Tape *t, int i)
{
    const double *src = t->leafent[t->a[i]]->val.data;
    if (t->alias && i < t->nalias && t->sid[i] != 0) { t->alias[i] = (double *)src; return; }
    memcpy(t->val + t->off[i], src, (size_t)tape_size(t, i) * sizeof *t->val);
}

/* Slot i's n entries at y hold a value that is not finite: E_DOMAIN with
 * *msg saying which, when its inputs were all finite (the node where it
 * began), else E_OK (an earlier slot was reported, or its input was
 * given so). */
static int not_finite(const Tape *t, int i, const double *y, long n, const char **msg)
{
    for (long j = 0; j < n; j++)
        if (!isfinite(y[j])) {
            if (!inputs_finite(t, i)) return E_OK;
            *msg = isnan(y[j]) ? "the result is not a number (NaN)"
                               : "overflow: the result is infinite";
            return E_DOMAIN;
        }
    return E_OK;
}

/* Inputs finite, output not: the node where it began is named.  An
 * OPF_FINITE op gives a finite result for every finite input (and the
 * result of an input that was not is not reported): no scan. */
static int no_scan(int op)
{
    return (op_info[op].flags & OPF_FINITE) != 0;
}

/* Element-wise tensor slot i (kernels.h k_elem_blocks), EVAL_BLK entries
 * at a time, each block checked for finiteness while it is still in L1
 * (no second pass over the output); only when one is not does not_finite
 * search the slot, so the messages are the whole slot's.  As slot_forward. */
#define EVAL_BLK 256
static int blocks_forward(Tape *t, int i, const char **msg)
{
    const OpInfo *o = &op_info[t->op[i]];
    double *y = tape_val(t, i);
    long n = tape_size(t, i);
    int scan = !no_scan(t->op[i]), finite = 1;
    for (long k0 = 0; k0 < n; k0 += EVAL_BLK) {
        long m = n - k0 < EVAL_BLK ? n - k0 : EVAL_BLK;
        const char *err = k_elem_block(t, i, o, k0, m);
        if (err) { *msg = err; return E_DOMAIN; }
        if (scan) finite &= k_finite(y + k0, m);
    }
    return finite ? E_OK : not_finite(t, i, y, n, msg);
}

/* Slot i's value, by its general path.  Returns E_OK, or E_DOMAIN with
 * *msg naming the error. */
static int slot_forward(Tape *t, int i, const char **msg)
{
    const int *a = t->a, *b = t->b;
    const long *off = t->off;
    double *v = t->val, *y = v + off[i];
    const char *err = NULL;
    unsigned char op = t->op[i];
    if (op == OP_LEAF) { leaf_forward(t, i); return E_OK; }
    const OpInfo *o = &op_info[op];
    if (t->sid[i] == 0 && (o->flags & OPF_ELEM)) {
        /* a scalar element-wise operation: its inputs are scalars */
        double x = v[off[a[i]]];
        switch (op) {
        case OP_ADD: *y = x + v[off[b[i]]]; break;
        case OP_SUB: *y = x - v[off[b[i]]]; break;
        case OP_MUL: *y = x * v[off[b[i]]]; break;
        case OP_NEG: *y = -x; break;
        default: err = o->fwd(x, o->arity == 2 ? v[off[b[i]]] : 0, y);
        }
    } else if (k_elem_blocks(t, i)) {
        return blocks_forward(t, i, msg);
    } else {
        err = o->kfwd ? o->kfwd(t, i) : k_elem_fwd(t, i, o);
    }
    if (err) {
        *msg = err;
        return E_DOMAIN;
    }
    if (no_scan(op)) return E_OK;
    long n = t->sid[i] == 0 ? 1 : tape_size(t, i);
    if (n > 1 && k_finite(y, n)) return E_OK;
    return not_finite(t, i, y, n, msg);
}

/* Is slot i a scalar literal (a constant the program folds into its
 * user)? */
static int scalar_const(const Tape *t, int i)
{
    return t->op[i] == OP_NUM && t->sid[i] == 0;
}

/* The literals' pool while a program is built: an open-addressing table
 * of pool indices by the value's bits (distinct bits: -0 is not 0). */
typedef struct Pool { int *slot; size_t mask; } Pool;

static uint32_t pool_index(Tape *t, Pool *p, double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    size_t h = (size_t)((bits * 0x9E3779B97F4A7C15u) >> 32) & p->mask;
    for (;; h = (h + 1) & p->mask) {
        int k = p->slot[h];
        if (k < 0) break;
        uint64_t kb;
        memcpy(&kb, &t->pool[k], sizeof kb);
        if (kb == bits) return (uint32_t)k;
    }
    p->slot[h] = t->npool;
    t->pool[t->npool] = x;
    return (uint32_t)t->npool++;
}

/* The program's instruction for slot i: *in and its code (PC_FALL when
 * the slot is not a scalar +, -, * or neg of scalars whose offsets fit
 * in 32 bits, or its two inputs are both literals: a folding the
 * compiler declined). */
static int instruction(Tape *t, Pool *p, int i, TapeIns *in, uint32_t *lit)
{
    const long *off = t->off;
    int op = t->op[i], a = t->a[i], b = t->b[i];
    memset(in, 0, sizeof *in);
    *lit = 0;
    if (t->sid[i] != 0 || off[i] > (long)UINT32_MAX) return PC_FALL;
    in->y = (uint32_t)off[i];
    if (op == OP_NEG) {
        if (off[a] > (long)UINT32_MAX) return PC_FALL;
        in->x = (uint32_t)off[a];
        return PC_NEG;
    }
    if (op != OP_ADD && op != OP_SUB && op != OP_MUL) return PC_FALL;
    int ka = scalar_const(t, a), kb = scalar_const(t, b);
    if ((ka && kb) || off[a] > (long)UINT32_MAX || off[b] > (long)UINT32_MAX) return PC_FALL;
    if (kb) {                                   /* x op imm */
        in->x = (uint32_t)off[a];
        in->u = pool_index(t, p, t->val[off[b]]);
        *lit = (uint32_t)off[b];
        return op == OP_ADD ? PC_ADDI : op == OP_SUB ? PC_SUBI : PC_MULI;
    }
    if (ka) {                                   /* imm op x */
        in->x = (uint32_t)off[b];
        in->u = pool_index(t, p, t->val[off[a]]);
        *lit = (uint32_t)off[a];
        return op == OP_ADD ? PC_ADDI : op == OP_SUB ? PC_ISUB : PC_MULI;
    }
    in->x = (uint32_t)off[a];
    in->u = (uint32_t)off[b];
    return op == OP_ADD ? PC_ADD : op == OP_SUB ? PC_SUB : PC_MUL;
}

int eval_program(Tape *t)
{
    if (t->nrun_of == t->n) return 0;
    /* Sized by what they will hold: an instruction per slot but the
     * constants, a pool entry and two hash places per scalar literal at
     * most (sized by the slot count, the hash alone was 4 MB at the
     * 10^5-line script's peak). */
    size_t nnum = 0, nlit = 0;
    for (int i = 0; i < t->n; i++)
        if (t->op[i] == OP_NUM) { nnum++; nlit += t->sid[i] == 0; }
    size_t n = (size_t)t->n - nnum;
    if (n == 0) n = 1;
    free(t->prog); free(t->pcode); free(t->pslot); free(t->plit); free(t->pool);
    t->prog = xmalloc(n * sizeof *t->prog);
    t->pcode = xmalloc(n);
    t->pslot = xmalloc(n * sizeof *t->pslot);
    t->plit = xmalloc(n * sizeof *t->plit);
    t->pool = xmalloc((nlit ? nlit : 1) * sizeof *t->pool);
    t->npool = 0;
    Pool p;
    for (p.mask = 15; p.mask < 2 * nlit; p.mask = 2 * p.mask + 1) {}
    p.slot = xmalloc((p.mask + 1) * sizeof *p.slot);
    memset(p.slot, -1, (p.mask + 1) * sizeof *p.slot);
    int k = 0;
    for (int i = 0; i < t->n; i++) {
        if (t->op[i] == OP_NUM) continue;
        t->pcode[k] = (unsigned char)instruction(t, &p, i, &t->prog[k], &t->plit[k]);
        t->pslot[k++] = i;
    }
    free(p.slot);
    t->nprog = k;
    t->nrun_of = t->n;
    return 1;
}

int eval_forward(Tape *t, int from, int *bad, const char **msg)
{
    *bad = -1;
    eval_program(t);
    const TapeIns *prog = t->prog;
    const unsigned char *code = t->pcode;
    const int *ps = t->pslot;
    const double *pool = t->pool;
    double *v = t->val;
    int lo = 0, hi = t->nprog;          /* the first instruction of a slot >= from */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (ps[mid] < from) lo = mid + 1;
        else hi = mid;
    }
    int plain = lo;                     /* instructions below: no fused run */
    for (int k = lo, n = t->nprog; k < n; k++) {
        const TapeIns *in = &prog[k];
        double r;
        switch (code[k]) {
        case PC_ADDI: r = v[in->x] + pool[in->u]; break;
        case PC_SUBI: r = v[in->x] - pool[in->u]; break;
        case PC_ISUB: r = pool[in->u] - v[in->x]; break;
        case PC_MULI: r = v[in->x] * pool[in->u]; break;
        case PC_ADD: r = v[in->x] + v[in->u]; break;
        case PC_SUB: r = v[in->x] - v[in->u]; break;
        case PC_MUL: r = v[in->x] * v[in->u]; break;
        case PC_NEG: v[in->y] = -v[in->x]; continue;   /* finite for a finite input */
        default:
            if (k >= plain && t->sid[ps[k]] != 0 && t->op[ps[k]] != OP_LEAF) {
                /* a run of element-wise tensor slots, fused (a scalar
                 * slot or a leaf heads none: no call, and no scan from
                 * each of many leaves in a row); one that failed is done
                 * again slot by slot, for the message */
                int run = fuse_forward(t, k, leaf_forward);
                if (run > 1) { k += run - 1; continue; }
                if (run < 0) plain = k - run;
            }
            if (slot_forward(t, ps[k], msg)) { *bad = ps[k]; return E_DOMAIN; }
            continue;
        }
        v[in->y] = r;
        if (!isfinite(r) && not_finite(t, ps[k], v + in->y, 1, msg)) {
            *bad = ps[k];
            return E_DOMAIN;
        }
    }
    return E_OK;
}
