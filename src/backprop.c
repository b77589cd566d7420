/* backprop.c: the backward pass, one reverse loop over the tape.
 *
 * The chain rule: ∂f/∂x = Σ over the users y of x of ∂f/∂y · ∂y/∂x.  The
 * tape is in topological order, so walking it backwards reaches every user
 * of x before x itself: by the time a slot is visited its gradient is
 * complete, and its rule passes it on to its inputs.  Rules only add, so a
 * slot used twice collects both contributions (micrograd's issue #2 cannot
 * happen), and gradients are zeroed at the start of every pass, so running
 * it twice does not double them.
 *
 * The passes walk the tape's program (eval.c eval_program): a scalar +, -,
 * * or neg is one instruction whose rule is written out in the loop, a
 * literal input folded in as an immediate; every other slot goes through
 * rule() below.  The same shares are added in the same order as rule()
 * adds them, so the gradients are the same to the bit. */
#include <stdlib.h>
#include <string.h>
#include "tape.h"
#include "ops.h"
#include "fuse.h"
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
        if (!pruned || !fuse_bwd(t, i)) o->kbwd(t, i);
    } else if (o->arity > 0) {
        k_elem_bwd(t, i, o);
    }
}

static void slot_step(Tape *t, int i) { rule(t, i, 0); }

void backprop_slot(Tape *t, int i)
{
    slot_step(t, i);
}

/* The last instruction of t's program at or below slot `root`, plus 1. */
static int prog_end(const Tape *t, int root)
{
    int lo = 0, hi = t->nprog;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (t->pslot[mid] <= root) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* The full pass's rules, slots root down to 0, over the program: every
 * input gets its share, a folded literal too (its slot's gradient, which
 * graph and dot show), in the order rule() gives them. */
static void full_pass(Tape *t)
{
    eval_program(t);
    const TapeIns *prog = t->prog;
    const unsigned char *code = t->pcode;
    const int *ps = t->pslot;
    const uint32_t *lit = t->plit;
    const double *v = t->val, *pool = t->pool;
    double *g = t->grad;
    for (int k = prog_end(t, t->root) - 1; k >= 0; k--) {
        int c = code[k];
        if (c == PC_FALL) { rule(t, ps[k], 0); continue; }
        const TapeIns *in = &prog[k];
        double gi = g[in->y];
        if (gi == 0) continue;                  /* nothing to send */
        double *gx = g + in->x;
        switch (c) {
        case PC_ADDI: *gx += gi; g[lit[k]] += gi; break;
        case PC_SUBI: *gx += gi; g[lit[k]] -= gi; break;
        case PC_ISUB: g[lit[k]] += gi; *gx -= gi; break;
        case PC_MULI: *gx += gi * pool[in->u]; g[lit[k]] += gi * v[in->x]; break;
        case PC_NEG: *gx -= gi; break;
        case PC_ADD: *gx += gi; g[in->u] += gi; break;
        case PC_SUB: *gx += gi; g[in->u] -= gi; break;
        case PC_MUL: *gx += gi * v[in->u]; g[in->u] += gi * v[in->x]; break;
        }
    }
}

void backprop_seed(Tape *t, const double *seed)
{
    tape_zero_grad(t);
    memcpy(tape_grad(t, t->root), seed, (size_t)tape_size(t, t->root) * sizeof *seed);
    full_pass(t);
}

/* t->assign (tape.h): which gradients the pruned pass need not zero.  A
 * slot's gradient is written first by its last user (the pass runs
 * backwards); when that is its only use and the rule is one whose kernel
 * writes every entry (kernels.c: elem_fast_bwd's tanh, exp, neg and
 * same-size add, sub, mul; sum), the kernel writes 0 + its share instead
 * of adding it to a zeroed gradient: the same bits, two passes fewer.
 * Bits 1 and 2 are on the user (its a, its b), bit 4 on the input; bit 8
 * on an input whose only user is a scalar instruction of the program that
 * writes 0 + its share (bcode's PC_ASA, PC_ASB).
 *
 * Bit 32 (fuse.c fuse_plan): a slot whose rule its sum's runs fused;
 * its gradient is neither zeroed nor written.
 *
 * Also built here: t->bcode, the program's codes for the pruned pass
 * (PC_SKIP for a slot it skips: unmarked, above the root, a leaf), and
 * t->zruns, the runs of gradients it zeroes first. */
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
    /* bit 4 of slot j: its gradient needs no zeroing, because its only
     * user runs in the pruned pass (marked, at or below the root) and
     * writes it (j marked too, so the kernel does not skip it) */
    if (t->need)
        for (int i = 0; i <= t->root && i < n; i++) {
            if (!t->need[i]) continue;
            if ((t->assign[i] & 1) && t->need[t->a[i]]) t->assign[t->a[i]] |= 4;
            if ((t->assign[i] & 2) && t->need[t->b[i]]) t->assign[t->b[i]] |= 4;
        }
    if (t->need) fuse_plan(t, uses);      /* bit 32: fused, never zeroed */
    free(t->bcode);
    t->bcode = xmalloc((size_t)(t->nprog ? t->nprog : 1));
    for (int k = 0; k < t->nprog; k++) {
        int i = t->pslot[k], c = t->pcode[k];
        if (!t->need || !t->need[i] || i > t->root || t->op[i] == OP_LEAF) c = PC_SKIP;
        else if (c != PC_FALL) {
            /* the one non-literal input of an immediate or a neg is marked,
             * since slot i is; two slots: the marks say */
            int a = (long)t->prog[k].x == t->off[t->a[i]] ? t->a[i] : t->b[i];
            int two = c == PC_ADD || c == PC_SUB || c == PC_MUL;
            if (!two || t->need[a]) c |= PC_NA;
            if (two && t->need[t->b[i]]) c |= PC_NB;
            if ((c & PC_NA) && uses[a] == 1) { c |= PC_ASA; t->assign[a] |= 8; }
            if ((c & PC_NB) && uses[t->b[i]] == 1) { c |= PC_ASB; t->assign[t->b[i]] |= 8; }
        }
        t->bcode[k] = (unsigned char)c;
    }
    free(uses);
    /* the runs of marked gradients to zero: all but the written ones */
    free(t->zruns);
    t->zruns = NULL;
    t->nzruns = 0;
    int cap = 0;
    for (int i = 0; t->need && i <= t->root && i < n; ) {
        if (!t->need[i] || (t->assign[i] & 44)) { i++; continue; }
        int j = i;
        while (j <= t->root && t->need[j] && !(t->assign[j] & 44)) j++;
        xgrow((void **)&t->zruns, &cap, 2 * t->nzruns + 2, sizeof *t->zruns);
        t->zruns[2 * t->nzruns] = t->off[i];
        t->zruns[2 * t->nzruns + 1] = t->off[j - 1] + tape_size(t, j - 1) - t->off[i];
        t->nzruns++;
        i = j;
    }
    t->nassign_of = n;
}

/* Add (or, with the ASA bit `as`, write 0 +) share s into gradient *g:
 * 0 + s is what the full pass's zeroed gradient gets, to the bit (a -0
 * share gives +0). */
static inline __attribute__((always_inline)) void put(double *g, int as, double s)
{
    *g = (as ? 0.0 : *g) + s;
}

void backprop_params(Tape *t)
{
    if (!t->need) { backprop(t); return; }
    if (!t->grad)   /* zeroed once, so a slot never written holds no garbage */
        t->grad = xcalloc((size_t)(t->valcap ? t->valcap : 1), sizeof *t->grad);
    if (eval_program(t) || t->nassign_of != t->n) build_assign(t);
    double *g = t->grad;
    /* zero the marked slots' gradients but those written whole by their
     * only user (a lone scalar by a store, not a memset call) */
    for (int r = 0; r < t->nzruns; r++) {
        long o = t->zruns[2 * r], len = t->zruns[2 * r + 1];
        if (len == 1) g[o] = 0;
        else memset(g + o, 0, (size_t)len * sizeof *g);
    }
    if (!t->need[t->root]) return;              /* f reaches no parameter */
    g[t->off[t->root]] = 1.0;
    t->pruned = 1;
    const TapeIns *prog = t->prog;
    const unsigned char *bc = t->bcode;
    const int *ps = t->pslot;
    const double *v = t->val, *pool = t->pool;
    for (int k = prog_end(t, t->root) - 1; k >= 0; k--) {
        int c = bc[k];
        switch (c & 15) {
        case PC_SKIP: continue;
        case PC_FALL: rule(t, ps[k], 1); continue;
        }
        const TapeIns *in = &prog[k];
        double gi = g[in->y];
        double *gx = g + in->x;
        int asa = c & PC_ASA, asb = c & PC_ASB;
        if (gi == 0) {                          /* nothing to send: what is written is 0 */
            if (asa) *gx = 0;
            if (asb) g[in->u] = 0;
            continue;
        }
        switch (c & 15) {
        case PC_ADDI: case PC_SUBI: put(gx, asa, gi); break;
        case PC_ISUB: case PC_NEG: put(gx, asa, -gi); break;
        case PC_MULI: put(gx, asa, gi * pool[in->u]); break;
        case PC_ADD:
            if (c & PC_NA) put(gx, asa, gi);
            if (c & PC_NB) put(g + in->u, asb, gi);
            break;
        case PC_SUB:
            if (c & PC_NA) put(gx, asa, gi);
            if (c & PC_NB) put(g + in->u, asb, -gi);
            break;
        case PC_MUL:
            if (c & PC_NA) put(gx, asa, gi * v[in->u]);
            if (c & PC_NB) put(g + in->u, asb, gi * v[in->x]);
            break;
        }
    }
    t->pruned = 0;
}

void backprop(Tape *t)
{
    tape_zero_grad(t);
    t->grad[t->off[t->root]] = 1.0;             /* seed: ∂f/∂f = 1 */
    full_pass(t);
}
