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

/* f with slot set to x; restores the slots it changed from saved.
 * Returns 1 when the forward pass succeeded. */
static int f_at(Tape *t, int slot, double x, const double *saved, double *y, long *passes)
{
    const char *msg;
    t->val[slot] = x;
    int bad = eval_forward(t, slot + 1, &msg);
    *y = t->val[t->root];
    (*passes)++;
    memcpy(t->val + slot, saved + slot, (size_t)(t->n - slot) * sizeof *t->val);
    return bad < 0 && isfinite(*y);
}

static double step(const Settings *set, double p, double scale)
{
    return set->eps > 0 ? set->eps : scale * fmax(1.0, fabs(p));
}

static void central(Tape *t, int slot, const Settings *set, const double *saved,
                    FdEstimate *e, long *passes)
{
    double p = saved[slot], f0 = saved[t->root];
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

static void forward(Tape *t, int slot, const Settings *set, const double *saved,
                    FdEstimate *e, long *passes)
{
    double p = saved[slot], f0 = saved[t->root];
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

void numdiff_slot(Tape *t, int slot, double bp, const Settings *set,
                  double *scratch, FdResult *r, FdCost *cost)
{
    memset(r, 0, sizeof *r);
    memcpy(scratch, t->val, (size_t)t->n * sizeof *t->val);
    if (set->fd & FD_CENTRAL)
        central(t, slot, set, scratch, &r->central, &cost->central);
    if (set->fd & FD_FORWARD)
        forward(t, slot, set, scratch, &r->forward, &cost->forward);
    const FdEstimate *ref = r->central.done ? &r->central : r->forward.done ? &r->forward : NULL;
    if (ref && !ref->failed)
        r->disagree = numdiff_disagree(bp, ref->value, ref->fplus, ref->fminus,
                                       ref->h, set->tol);
}
