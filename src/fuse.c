/* fuse.c: element-wise chains run fused, block by block, so that each
 * intermediate is read back from L1 rather than from memory.
 *
 * Forward (fuse_forward): a run of element-wise slots of one size, next
 * to each other in the program, goes a block at a time through every slot
 * of the run; every slot's values are still stored whole (the backward,
 * trace, graph and show read them), but each block an op reads from the
 * op before it is still in L1.
 *
 * Backward (fuse_plan, fuse_bwd): trees of element-wise slots under a sum
 * or mean, in the pruned pass; see below.
 *
 * Above kernels.c (its kernels and vector helpers through kernels.h and
 * kvec.h); eval.c's forward loop asks fuse_forward, the backward pass
 * (backprop.c) fuse_bwd before a sum's or mean's own rule. */
#include <string.h>
#include "fuse.h"
#include "kernels.h"
#include "kvec.h"
#include "tape.h"

#define X(t, s) tape_val(t, s)
#define G(t, s) tape_grad(t, s)

#define FBLK 256            /* entries per block: FMAX scratch blocks are 32 KiB;
                               a multiple of 8, as k_elem_block needs */

static int fuse_on = 1;

int fuse_use(int on)
{
    int was = fuse_on;
    fuse_on = on != 0;
    return was;
}

/* ---- element-wise runs: their forward, fused -------------------------- */

#define FRUN 16             /* slots in a run at most */
#define FLEAF 32            /* leaves a run's scan passes at most: eval.c asks at
                               every tensor slot, so a scan over all the leaves
                               up to the next slot made a pass over many leaves
                               in a row ([w0, ..., wN]) quadratic */

int fuse_forward(Tape *t, int k, void (*leaf)(Tape *, int))
{
    int s[FRUN], scan[FRUN], r = 0, end = k, nleaf = 0;
    const OpInfo *o[FRUN];
    if (!fuse_on || t->pcode[k] != PC_FALL) return 0;
    long n = tape_size(t, t->pslot[k]);
    /* the run: instructions from k on, each an element-wise tensor slot
     * of n entries whose operands are of its size or scalars, or a leaf
     * (read from its entry, nothing in the tape before it: done first);
     * an operand of its size is in the run (done up to the block) or
     * before it */
    for (int j = k; j < t->nprog && r < FRUN && t->pcode[j] == PC_FALL; j++) {
        int i = t->pslot[j];
        if (t->op[i] == OP_LEAF) {
            if (++nleaf > FLEAF) break;
            continue;
        }
        if (t->sid[i] == 0 || tape_size(t, i) != n || !k_elem_blocks(t, i)) break;
        s[r] = i;
        o[r] = &op_info[t->op[i]];
        /* an OPF_FINITE op needs no check (as eval.c's unfused path) */
        scan[r] = !(o[r]->flags & OPF_FINITE);
        r++;
        end = j + 1;
    }
    if (r < 2) return 0;
    for (int j = k; j < end; j++)
        if (t->op[t->pslot[j]] == OP_LEAF) leaf(t, t->pslot[j]);
    for (long k0 = 0; k0 < n; k0 += FBLK) {
        long m = n - k0 < FBLK ? n - k0 : FBLK;
        for (int q = 0; q < r; q++) {
            /* a failure, or a value not finite: the caller redoes the run
             * unfused, which names the slot and entry as it always has */
            if (k_elem_block(t, s[q], o[q], k0, m)) return k - end;
            if (scan[q] && !k_finite(X(t, s[q]) + k0, m)) return k - end;
        }
    }
    return end - k;
}

/* ---- element-wise chains under a sum: their backward, fused -------------
 * In the pruned pass a sum's (or mean's) input, when no name reads it, it
 * is a tensor and the sum its only user, and the element-wise slots below
 * it that are so too (unnamed, used once, by such a slot, of the same
 * size), form a tree (fuse_plan marks it once, bit 32 of t->assign).
 * The sum's rule then runs the tree's rules itself, FBLK entries at a
 * time: for each block every rule in the pass's order (slots downwards),
 * each intermediate gradient's block in a scratch array that stays in L1,
 * so those gradients are never zeroed, stored whole or read again (the
 * memory traffic of a chain is its values and its parameters' gradients).
 * Each entry gets the same operations in the same order as the unfused
 * rules give it, so the bits are the same: the rules inside the tree are
 * entry by entry (same-size operands, or a scalar whose gradient no
 * parameter needs, so the pruned pass skips it); a gradient outside the
 * tree gets each entry's shares in the order of the slots that send them
 * (slots downwards, a before b), as unfused; no other rule of the pass
 * runs between the tree's slots (fuse_plan refuses the tree otherwise),
 * so nothing else adds in between.  A tree slot's own rule then does
 * nothing: bit 16 says so for this pass, cleared as the rule runs.  Only
 * unnamed slots are fused, so every gradient the pruned pass promises
 * (tape.h) is still written. */
#define FMAX 16             /* slots in a tree at most (the rest stay unfused) */

/* Slot j is a tensor slot of the pruned pass that no name reads (a
 * look through the names, not tape_name's table, built once). */
static int fuse_free(const Tape *t, int j)
{
    if (t->sid[j] == 0 || !t->need[j]) return 0;
    for (int k = 0; k < t->nnamed; k++)
        if (t->named_slot[k] == j) return 0;
    return 1;
}

/* May slot j (uses[j] users) join a tree of n entries? */
static int fuse_joins(const Tape *t, int j, long n, const int *uses)
{
    if (j < 0 || uses[j] != 1 || !fuse_free(t, j) || tape_size(t, j) != n) return 0;
    const OpInfo *o = &op_info[t->op[j]];
    if (!(o->flags & OPF_ELEM) || (o->flags & OPF_CMP) || o->kbwd || !o->bwd) return 0;
    if (o->arity == 1) return 1;
    if (o->arity != 2) return 0;
    long na = tape_size(t, t->a[j]), nb = tape_size(t, t->b[j]);
    if (na == n && nb == n) return 1;
    /* a scalar operand whose gradient (a sum over the entries) the pass skips */
    return (na == n && nb == 1 && !t->need[t->b[j]]) || (nb == n && na == 1 && !t->need[t->a[j]]);
}


void fuse_plan(Tape *t, const int *uses)
{
    int node[FMAX];
    if (!fuse_on) return;
    for (int i = 0; i <= t->root && i < t->n; i++) {
        if ((t->op[i] != OP_SUM && t->op[i] != OP_MEAN) || !t->need[i]) continue;
        int u = t->a[i], nn = 0, lo = u;
        long n = tape_size(t, u);
        if (!fuse_joins(t, u, n, uses)) continue;
        node[nn++] = u;
        for (int q = 0; q < nn; q++) {          /* breadth first, FMAX slots at most */
            int j = node[q];
            for (int s = 0; s < op_info[t->op[j]].arity; s++) {
                int p = s ? t->b[j] : t->a[j];
                if (nn < FMAX && fuse_joins(t, p, n, uses)) {
                    node[nn++] = p;
                    if (p < lo) lo = p;
                }
            }
        }
        /* between the tree's slots, none that the pruned pass runs but its own */
        int ok = 1;
        for (int s = lo + 1; s < i && ok; s++) {
            if (!t->need[s] || t->op[s] == OP_LEAF || t->op[s] == OP_NUM) continue;
            ok = 0;
            for (int q = 0; q < nn; q++) ok |= node[q] == s;
        }
        if (ok)
            for (int q = 0; q < nn; q++) t->assign[node[q]] |= 32;
    }
}

/* A tree slot's rule over a block, by kind: its shares written out (the
 * same expressions as elem_fast_bwd's and ops.c's rules), or the op's
 * scalar rule entry by entry (FK_GEN*). */
enum {
    FK_NEG, FK_TANH, FK_EXP, FK_SIGMOID, FK_RELU,
    FK_ADD, FK_SUB, FK_MUL, FK_DIV,             /* same-size operands */
    FK_G, FK_NG, FK_GC, FK_GDC, FK_G2X, FK_NONE,  /* one tensor operand x, scalar c:
                                 share g, -g, g c, g / c, g 2 x (x^2), none (x^0) */
    FK_GEN1, FK_GEN2, FK_GENC,                  /* the scalar rule: unary, same size,
                                 a scalar operand (c) */
};

typedef struct FNode {
    int slot, kind, xa;       /* xa (FK_GENC): the tensor operand is input a */
    const OpInfo *o;
    const double *y, *x, *z;  /* its values, its inputs' (FK_G..FK_NONE, FK_GENC: x
                                 the tensor operand's) */
    double c;                 /* the scalar operand */
    double *g;                /* its gradient's block (scratch) */
    double *ga, *gb;          /* where input a's (b's) share goes: a scratch block,
                                 a gradient (entry 0), NULL: skipped; the one
                                 tensor operand's: ga */
    int sa, sb;               /* ga (gb) is a scratch block (no block offset) */
    int wa, wb;               /* written (0 + share), else added to */
} FNode;

#define L1(p) ((p)[k])
/* Share expression S (a macro of the lane accessor) into d, W lanes a
 * step, then the tail one by one. */
#define FL(LV, W, d, w, S)                                                     \
    do {                                                                       \
        long k = 0;                                                            \
        if (w) {                                                               \
            for (; k + W <= m; k += W) LV(d) = 0.0 + S(LV);                    \
            for (; k < m; k++) L1(d) = 0.0 + S(L1);                            \
        } else {                                                               \
            for (; k + W <= m; k += W) LV(d) += S(LV);                         \
            for (; k < m; k++) L1(d) += S(L1);                                 \
        }                                                                      \
    } while (0)
#define S_G(L) L(g)
#define S_NG(L) (-L(g))
#define S_TANH(L) (L(g) * (1 - L(y) * L(y)))
#define S_EXP(L) (L(g) * L(y))
#define S_SIG(L) (L(g) * L(y) * (1 - L(y)))
#define S_GZ(L) (L(g) * L(z))
#define S_GX(L) (L(g) * L(x))
#define S_GDZ(L) (L(g) / L(z))
#define S_DIVB(L) (-L(g) * L(y) / L(z))
#define S_GC(L) (L(g) * c)
#define S_GDC(L) (L(g) / c)
#define S_G2X(L) (L(g) * 2 * L(x))

/* The explicit kinds over entries [k0, k0 + m), W lanes a step. */
#define FNODE_RUN(LV, W)                                                       \
    {                                                                          \
        const double *g = f->g, *y = f->y + k0, *x = f->x + k0;                \
        const double *z = f->z ? f->z + k0 : NULL;                             \
        double *ga = f->ga ? f->ga + (f->sa ? 0 : k0) : NULL;                  \
        double *gb = f->gb ? f->gb + (f->sb ? 0 : k0) : NULL;                  \
        double c = f->c;                                                       \
        int wa = f->wa, wb = f->wb;                                            \
        (void)z; (void)c; (void)y;                                             \
        switch (f->kind) {                                                     \
        case FK_NEG: if (ga) FL(LV, W, ga, wa, S_NG); break;                   \
        case FK_TANH: if (ga) FL(LV, W, ga, wa, S_TANH); break;                \
        case FK_EXP: if (ga) FL(LV, W, ga, wa, S_EXP); break;                  \
        case FK_SIGMOID: if (ga) FL(LV, W, ga, wa, S_SIG); break;              \
        case FK_ADD:                                                           \
            if (ga) FL(LV, W, ga, wa, S_G);                                    \
            if (gb) FL(LV, W, gb, wb, S_G);                                    \
            break;                                                             \
        case FK_SUB:                                                           \
            if (ga) FL(LV, W, ga, wa, S_G);                                    \
            if (gb) FL(LV, W, gb, wb, S_NG);                                   \
            break;                                                             \
        case FK_MUL:                                                           \
            if (ga) FL(LV, W, ga, wa, S_GZ);                                   \
            if (gb) FL(LV, W, gb, wb, S_GX);                                   \
            break;                                                             \
        case FK_DIV:                                                           \
            if (ga) FL(LV, W, ga, wa, S_GDZ);                                  \
            if (gb) FL(LV, W, gb, wb, S_DIVB);                                 \
            break;                                                             \
        case FK_G: if (ga) FL(LV, W, ga, wa, S_G); break;                      \
        case FK_NG: if (ga) FL(LV, W, ga, wa, S_NG); break;                    \
        case FK_GC: if (ga) FL(LV, W, ga, wa, S_GC); break;                    \
        case FK_GDC: if (ga) FL(LV, W, ga, wa, S_GDC); break;                  \
        case FK_G2X: if (ga) FL(LV, W, ga, wa, S_G2X); break;                  \
        }                                                                      \
    }

static void fuse_node_c(const FNode *f, long k0, long m) FNODE_RUN(V, 2)

#ifdef TANH_AVX2
__attribute__((target("avx2")))      /* no FMA: see wide_avx2 */
static void fuse_node_avx2(const FNode *f, long k0, long m) FNODE_RUN(V4, 4)
#endif

/* Add into a share's destination: a written one (w) starts from 0, as
 * the zeroed gradient of the unfused pass (0 + s, the same bits). */
static double *fuse_dest(double *d, int w, long m)
{
    if (d && w) memset(d, 0, (size_t)m * sizeof *d);
    return d;
}

/* Tree slot f's rule over entries [k0, k0 + m). */
static void fuse_node_block(const FNode *f, long k0, long m)
{
    double sink;            /* a skipped share */
    const double *g = f->g, *y = f->y + k0, *x = f->x + k0;
    double *ga = f->ga ? f->ga + (f->sa ? 0 : k0) : NULL;
    double *gb = f->gb ? f->gb + (f->sb ? 0 : k0) : NULL;
    switch (f->kind) {
    case FK_NONE: fuse_dest(ga, f->wa, m); return;
    case FK_RELU:
        if (ga)
            for (long k = 0; k < m; k++) {
                if (x[k] > 0) ga[k] = (f->wa ? 0.0 : ga[k]) + g[k];
                else if (f->wa) ga[k] = 0.0;
            }
        return;
    case FK_GEN1:
        if (fuse_dest(ga, f->wa, m))
            for (long k = 0; k < m; k++) f->o->bwd(&ga[k], NULL, g[k], x[k], 0, y[k]);
        return;
    case FK_GEN2: {
        const double *z = f->z + k0;
        fuse_dest(ga, f->wa, m);
        fuse_dest(gb, f->wb, m);
        for (long k = 0; k < m; k++)
            f->o->bwd(ga ? &ga[k] : &sink, gb ? &gb[k] : &sink, g[k], x[k], z[k], y[k]);
        return;
    }
    case FK_GENC:
        if (fuse_dest(ga, f->wa, m))
            for (long k = 0; k < m; k++) {
                if (f->xa) f->o->bwd(&ga[k], &sink, g[k], x[k], f->c, y[k]);
                else f->o->bwd(&sink, &ga[k], g[k], f->c, x[k], y[k]);
            }
        return;
    }
#ifdef TANH_AVX2
    if (k_have_avx2()) { fuse_node_avx2(f, k0, m); return; }
#endif
    fuse_node_c(f, k0, m);
}

/* Tree slot j's kind and operands (fields but the destinations). */
static void fuse_node_kind(const Tape *t, FNode *f, int j, long n)
{
    f->slot = j;
    f->o = &op_info[t->op[j]];
    f->y = X(t, j);
    f->z = NULL;
    int a = t->a[j], b = f->o->arity == 2 ? t->b[j] : -1;
    if (b < 0) {
        f->x = X(t, a);
        switch (t->op[j]) {
        case OP_NEG: f->kind = FK_NEG; return;
        case OP_TANH: f->kind = FK_TANH; return;
        case OP_EXP: f->kind = FK_EXP; return;
        case OP_SIGMOID: f->kind = FK_SIGMOID; return;
        case OP_RELU: f->kind = FK_RELU; return;
        }
        f->kind = FK_GEN1;
        return;
    }
    if (tape_size(t, a) == n && tape_size(t, b) == n) {
        f->x = X(t, a);
        f->z = X(t, b);
        f->kind = t->op[j] == OP_ADD ? FK_ADD : t->op[j] == OP_SUB ? FK_SUB
                : t->op[j] == OP_MUL ? FK_MUL : t->op[j] == OP_DIV ? FK_DIV : FK_GEN2;
        return;
    }
    f->xa = tape_size(t, a) == n;           /* the other operand: a scalar */
    f->x = X(t, f->xa ? a : b);
    f->c = X(t, f->xa ? b : a)[0];
    switch (t->op[j]) {
    case OP_ADD: f->kind = FK_G; return;
    case OP_SUB: f->kind = f->xa ? FK_G : FK_NG; return;
    case OP_MUL: f->kind = FK_GC; return;
    case OP_DIV: f->kind = f->xa ? FK_GDC : FK_GENC; return;
    case OP_POW:     /* ops.c pow_b's cases, for the exponent c */
        f->kind = !f->xa ? FK_GENC : f->c == 0 ? FK_NONE : f->c == 1 ? FK_G
                : f->c == 2 ? FK_G2X : FK_GENC;
        return;
    }
    f->kind = FK_GENC;
}

/* Where a share for input p goes: the block of a tree slot (written), p's
 * gradient (written when `written`, else added to), or nowhere (no
 * parameter needs it). */
static void fuse_dest_of(const Tape *t, const FNode *f, int nn, double (*buf)[FBLK], int p,
                     int written, double **d, int *scratch, int *w)
{
    int r = 0;
    while (r < nn && f[r].slot != p) r++;
    *d = NULL;
    *scratch = *w = 0;
    if (r < nn) { *d = buf[r]; *scratch = *w = 1; }
    else if (t->need[p]) { *d = G(t, p); *w = written != 0; }
}

/* Sum or mean slot i, whose input heads a tree (bit 32): its share c
 * (0 + g, the bits of adding g to a zeroed gradient) and the tree's rules,
 * block by block. */
static void fuse_tree(Tape *t, int i, double c)
{
    FNode f[FMAX];
    memset(f, 0, sizeof f);
    double buf[FMAX][FBLK];
    int nn = 0;
    long n = tape_size(t, t->a[i]);
    f[nn++].slot = t->a[i];
    for (int q = 0; q < nn; q++) {          /* the tree: its slots, from the head */
        int j = f[q].slot;
        for (int s = 0; s < op_info[t->op[j]].arity; s++) {
            int p = s ? t->b[j] : t->a[j];
            if ((t->assign[p] & 32) && nn < FMAX) f[nn++].slot = p;
        }
    }
    for (int q = 1; q < nn; q++)            /* slots downwards: the pass's order */
        for (int r = q; r > 0 && f[r].slot > f[r - 1].slot; r--) {
            int s = f[r].slot;
            f[r].slot = f[r - 1].slot;
            f[r - 1].slot = s;
        }
    for (int q = 0; q < nn; q++) {
        FNode *e = &f[q];
        int j = e->slot, a = t->a[j], b;
        fuse_node_kind(t, e, j, n);
        e->g = buf[q];
        b = e->o->arity == 2 ? t->b[j] : -1;
        if ((e->kind >= FK_G && e->kind <= FK_NONE) || e->kind == FK_GENC) {
            /* one tensor operand; the scalar's share is skipped */
            fuse_dest_of(t, f, nn, buf, e->xa ? a : b, t->assign[j] & (e->xa ? 1 : 2), &e->ga, &e->sa, &e->wa);
        } else {
            fuse_dest_of(t, f, nn, buf, a, t->assign[j] & 1, &e->ga, &e->sa, &e->wa);
            if (b >= 0) fuse_dest_of(t, f, nn, buf, b, t->assign[j] & 2, &e->gb, &e->sb, &e->wb);
        }
        t->assign[j] |= 16;
    }
    for (long k = 0; k < FBLK && k < n; k++) buf[0][k] = c;   /* the head's block, every block */
    for (long k0 = 0; k0 < n; k0 += FBLK) {
        long m = n - k0 < FBLK ? n - k0 : FBLK;
        for (int q = 0; q < nn; q++) fuse_node_block(&f[q], k0, m);
    }
}

int fuse_bwd(Tape *t, int i)
{
    if ((t->op[i] != OP_SUM && t->op[i] != OP_MEAN) || !t->pruned || !(t->assign[t->a[i]] & 32))
        return 0;
    double g = G(t, i)[0];
    if (t->op[i] == OP_MEAN) g /= (double)tape_size(t, t->a[i]);
    fuse_tree(t, i, 0.0 + g);
    return 1;
}
