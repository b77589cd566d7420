/* tape.c: a tape's life (new, growth, free) and the questions asked of it
 * (stale? which name, which definition, which slot?).  Below everything
 * that builds or runs tapes (compile, eval, backprop, numdiff, session):
 * it calls nothing above it. */
#include <stdlib.h>
#include <string.h>
#include "tape.h"
#include "xalloc.h"

Tape *tape_new(void)
{
    Tape *t = xcalloc(1, sizeof *t);
    xgrow((void **)&t->shapes, &t->shapescap, 1, sizeof *t->shapes);
    t->shapes[t->nshapes++] = (Shape){ 0, { 0, 0 } };   /* id 0: scalar */
    return t;
}

void tape_reserve_slot(Tape *t)
{
    if (t->n < t->cap) return;
    int nc = t->cap ? 2 * t->cap : 64;
    t->op = xrealloc(t->op, nc * sizeof *t->op);
    t->a = xrealloc(t->a, nc * sizeof *t->a);
    t->b = xrealloc(t->b, nc * sizeof *t->b);
    t->sid = xrealloc(t->sid, nc * sizeof *t->sid);
    t->off = xrealloc(t->off, nc * sizeof *t->off);
    t->src = xrealloc(t->src, nc * sizeof *t->src);
    t->cap = nc;
}

int tape_reserve_values(Tape *t, long size)
{
    if (t->nval + size <= t->valcap) return 0;
    long nc = t->valcap ? 2 * t->valcap : 256;
    while (nc < t->nval + size) nc *= 2;
    /* values and gradients are reserved together, so that the first
     * backward pass (tape_zero_grad) never needs memory it cannot get */
    double *v = try_realloc(t->val, (size_t)nc * sizeof *t->val);
    if (!v) return -1;
    t->val = v;
    /* not realloc: until the first backward pass (tape_zero_grad) the
     * gradients mean nothing, and a copy would make every page of them
     * resident for a tape that is only ever evaluated */
    double *g = malloc((size_t)nc * sizeof *t->grad);
    if (!g) return -1;
    free(t->grad);
    t->grad = g;
    t->valcap = nc;
    free(t->im);            /* scratch of valcap entries, made again when next needed */
    t->im = NULL;
    return 0;
}

void tape_zero_grad(Tape *t)
{
    if (!t->grad)   /* a tape with no values yet */
        t->grad = xmalloc((size_t)(t->valcap ? t->valcap : 1) * sizeof *t->grad);
    memset(t->grad, 0, (size_t)t->nval * sizeof *t->grad);
}

void tape_free(Tape *t)
{
    if (!t) return;
    free(t->op); free(t->a); free(t->b); free(t->off);
    free(t->val); free(t->grad); free(t->im); free(t->args); free(t->index); free(t->valdeps);
    free(t->src); free(t->calls); free(t->sid); free(t->shapes); free(t->run_start); free(t->run_owner);
    free(t->slot_name); free(t->leaves); free(t->leafent);
    free(t->deps);
    free(t->named); free(t->named_slot); free(t->need); free(t->assign);
    free(t->prog); free(t->pcode); free(t->bcode); free(t->pslot); free(t->plit); free(t->zruns);
    free(t->pool);
    free(t);
}

int tape_stale(const Tape *t)
{
    for (int i = 0; i < t->ndeps; i++)
        if (t->deps[i]->stamp > t->clock)
            return 1;
    for (int i = 0; i < t->nnamed; i++)   /* the leaves among them */
        if (t->named[i]->stamp > t->clock)
            return 1;
    /* a parameter may have been given another shape (W := zeros(3, 3)) */
    for (int i = 0; i < t->nleaves; i++) {
        int s = t->leaves[i];
        if (!shape_eq(t->leafent[i]->val.shape, tape_shape(t, s)))
            return 1;
    }
    for (int i = 0; i < t->nvaldeps; i++) {
        const Entry *e = t->valdeps[i].e;
        if (!e->val.data || e->val.data[0] != t->valdeps[i].v)
            return 1;
    }
    return 0;
}

Entry *tape_name(const Tape *t, int slot)
{
    if (!t->slot_name) {
        /* built once, on the first question (only display asks); the
         * first name given to a slot wins: a leaf's own name, or the
         * innermost formula of an alias chain */
        Tape *m = (Tape *)t;
        m->slot_name = xcalloc((size_t)(t->n ? t->n : 1), sizeof *m->slot_name);
        for (int k = 0; k < t->nnamed; k++)
            if (!m->slot_name[t->named_slot[k]])
                m->slot_name[t->named_slot[k]] = t->named[k];
    }
    return t->slot_name[slot];
}

Entry *tape_owner(const Tape *t, int slot)
{
    int lo = 0, hi = t->nruns - 1;      /* the last run starting at or before slot */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (t->run_start[mid] <= slot) lo = mid;
        else hi = mid - 1;
    }
    return t->nruns && t->run_start[lo] <= slot ? t->run_owner[lo] : NULL;
}

int tape_slot_of(const Tape *t, const Entry *e)
{
    for (int i = 0; i < t->nnamed; i++)
        if (t->named[i] == e)
            return t->named_slot[i];
    return -1;
}

void tape_call_label(Tape *t, int slot, const Ast *call)
{
    if (t->ncalls && t->calls[t->ncalls - 1].slot >= slot) {
        if (t->calls[t->ncalls - 1].slot == slot) t->calls[t->ncalls - 1].call = call;
        return;                   /* out of order: keep the body's own text */
    }
    xgrow((void **)&t->calls, &t->callcap, t->ncalls + 1, sizeof *t->calls);
    t->calls[t->ncalls++] = (struct CallLabel){ slot, call };
}

const Ast *tape_label_src(const Tape *t, int slot)
{
    int lo = 0, hi = t->ncalls - 1;
    while (lo <= hi) {            /* binary search: the slots increase */
        int mid = (lo + hi) / 2;
        if (t->calls[mid].slot == slot) return t->calls[mid].call;
        if (t->calls[mid].slot < slot) lo = mid + 1;
        else hi = mid - 1;
    }
    return t->src[slot];
}

void tape_diag(const Tape *t, int slot, const char *msg, Diag *d)
{
    const Ast *src = t->src[slot];
    diag_set(d, E_DOMAIN, src ? &src->loc : NULL, "%s", msg);
    const Entry *o = tape_owner(t, slot);
    if (o && o->loc.src)
        diag_note(d, "while evaluating %s (line %d)", o->name, o->loc.line);
}
