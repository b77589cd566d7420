/* numdiff.c: central and forward differences (SPEC section 4).
 *
 * The steps: central h = cbrt(u)·max(1, |p|), forward h = sqrt(u)·max(1,
 * |p|) (u = DBL_EPSILON), the sizes that balance truncation error (h² or h)
 * against round-off (u/h).  The quotient divides by p₊ − p₋ as actually
 * stored, not by 2h: p + h is rounded, and dividing by the rounded step
 * removes that error from the estimate. */
#include <float.h>
#include <math.h>
#include <string.h>
#include "numdiff.h"

/* Which entry is perturbed: slot and entry k of it. */
typedef struct Point { int slot; long k; } Point;

/* f with entry k of slot set to x; restores the entries it changed (every
 * slot from this one on: they come after it in the arena) from saved.
 * Returns 1 when the forward pass succeeded. */
static int f_at(Tape *t, Point pt, double x, const double *saved, double *y, long *passes)
{
    const char *msg;
    long off = t->off[pt.slot];
    t->val[off + pt.k] = x;
    int bad = eval_forward(t, pt.slot + 1, &msg);
    *y = tape_val(t, t->root)[0];
    (*passes)++;
    memcpy(t->val + off, saved + off, (size_t)(t->nval - off) * sizeof *t->val);
    return bad < 0 && isfinite(*y);
}

static double step(const Settings *set, double p, double scale)
{
    return set->eps > 0 ? set->eps : scale * fmax(1.0, fabs(p));
}

static void central(Tape *t, Point slot, const Settings *set, const double *saved,
                    FdEstimate *e, long *passes)
{
    double p = saved[t->off[slot.slot] + slot.k], f0 = saved[t->off[t->root]];
    double h = step(set, p, cbrt(DBL_EPSILON));
    volatile double pp = p + h, pm = p - h;   /* the points as stored */
    double fp, fm;
    int okp = f_at(t, slot, pp, saved, &fp, passes);
    int okm = f_at(t, slot, pm, saved, &fm, passes);
    e->done = 1;
    e->fplus = fp;
    e->fminus = fm;
    if (okp && okm) {
        e->h = (pp - pm) / 2;
        e->value = (fp - fm) / (pp - pm);
    } else if (okp) {                          /* p - h is outside the domain */
        e->one_sided = +1;
        e->h = pp - p;
        e->fminus = f0;
        e->value = (fp - f0) / (pp - p);
    } else if (okm) {                          /* p + h is outside the domain */
        e->one_sided = -1;
        e->h = p - pm;
        e->fplus = f0;
        e->value = (f0 - fm) / (p - pm);
    } else {
        e->failed = 1;
        e->value = NAN;
    }
}

static void forward(Tape *t, Point slot, const Settings *set, const double *saved,
                    FdEstimate *e, long *passes)
{
    double p = saved[t->off[slot.slot] + slot.k], f0 = saved[t->off[t->root]];
    double h = step(set, p, sqrt(DBL_EPSILON));
    volatile double pp = p + h;
    double fp;
    e->done = 1;
    if (f_at(t, slot, pp, saved, &fp, passes)) {
        e->h = pp - p;
        e->fplus = fp;
        e->fminus = f0;
        e->value = (fp - f0) / (pp - p);
        return;
    }
    volatile double pm = p - h;                /* the backward difference */
    double fm;
    if (f_at(t, slot, pm, saved, &fm, passes)) {
        e->one_sided = -1;
        e->h = p - pm;
        e->fplus = f0;
        e->fminus = fm;
        e->value = (f0 - fm) / (p - pm);
        return;
    }
    e->failed = 1;
    e->value = NAN;
}

int numdiff_disagree(double bp, double c, double fplus, double fminus,
                     double h, double tol)
{
    if (isnan(bp) || isnan(c))
        return !(isnan(bp) && isnan(c));
    if (bp == c)
        return 0;
    double floor = 10 * DBL_EPSILON * fmax(fabs(fplus), fabs(fminus)) / h;
    return fabs(bp - c) > tol * fmax(fabs(bp), fabs(c)) + floor;
}

void numdiff_entry(Tape *t, int slot, long k, double bp, const Settings *set,
                   double *scratch, FdResult *r, FdCost *cost)
{
    Point pt = { slot, k };
    memset(r, 0, sizeof *r);
    memcpy(scratch, t->val, (size_t)t->nval * sizeof *t->val);
    if (set->fd & FD_CENTRAL)
        central(t, pt, set, scratch, &r->central, &cost->central);
    if (set->fd & FD_FORWARD)
        forward(t, pt, set, scratch, &r->forward, &cost->forward);
    const FdEstimate *ref = r->central.done ? &r->central : r->forward.done ? &r->forward : NULL;
    if (ref && !ref->failed)
        r->disagree = numdiff_disagree(bp, ref->value, ref->fplus, ref->fminus,
                                       ref->h, set->tol);
}
