/* numdiff.c: finite differences, Ridders' extrapolation and the complex
 * step (SPEC section 4).
 *
 * The steps: central h = cbrt(u)·max(1, |p|), forward h = sqrt(u)·max(1,
 * |p|) (u = DBL_EPSILON), the sizes that balance truncation error (h² or h)
 * against round-off (u/h).  Quotients divide by p₊ − p₋ as actually
 * stored, not by 2h: p + h is rounded, and dividing by the rounded step
 * removes that error from the estimate. */
#include <float.h>
#include <math.h>
#include <string.h>
#include "numdiff.h"
#include "kernels.h"
#include "ops.h"
#include "xalloc.h"

/* Which entry is perturbed: slot and entry k of it. */
typedef struct Point { int slot; long k; } Point;

/* f with entry k of slot set to x; restores the entries it changed (every
 * slot from this one on: they come after it in the arena) from saved.
 * Returns 1 when the forward pass succeeded; *kink is set when a
 * branching node took another branch than in the unperturbed pass. */
static int f_at(Tape *t, Point pt, double x, const double *saved, double *y,
                long *passes, int *kink)
{
    const char *msg;
    long off = t->off[pt.slot];
    t->val[off + pt.k] = x;
    int bad, rc = eval_forward(t, pt.slot + 1, &bad, &msg);
    *y = tape_val(t, t->root)[0];
    (*passes)++;
    if (kink) {
        *kink = 0;
        for (int j = pt.slot + 1; !rc && j < t->n && !*kink; j++)
            if (op_info[t->op[j]].branch)
                *kink = k_branch_flipped(t, j, &op_info[t->op[j]], saved);
    }
    memcpy(t->val + off, saved + off, (size_t)(t->nval - off) * sizeof *t->val);
    return !rc && isfinite(*y);
}

static double step(const Settings *set, double p, double scale)
{
    return set->eps > 0 ? set->eps : scale * fmax(1.0, fabs(p));
}

/* Central difference; at a kink, retry with h/10 up to 3 times, then give
 * the one-sided slopes. */
static void central(Tape *t, Point pt, const Settings *set, const double *saved,
                    FdEstimate *e, long *passes)
{
    double p = saved[t->off[pt.slot] + pt.k], f0 = saved[t->off[t->root]];
    double h = step(set, p, cbrt(DBL_EPSILON));
    e->done = 1;
    for (int attempt = 0;; attempt++, h /= 10) {
        volatile double pp = p + h, pm = p - h;   /* the points as stored */
        double fp, fm;
        int kp, km;
        int okp = f_at(t, pt, pp, saved, &fp, passes, &kp);
        int okm = f_at(t, pt, pm, saved, &fm, passes, &km);
        e->fplus = fp;
        e->fminus = fm;
        e->one_sided = 0;
        if (okp && okm) {
            e->h = (pp - pm) / 2;
            e->value = (fp - fm) / (pp - pm);
            if ((kp || km) && attempt < 3 && pp - pm > 0)
                continue;
            if (kp || km) {
                e->kink = 1;
                e->left = (f0 - fm) / (p - pm);
                e->right = (fp - f0) / (pp - p);
            }
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
        return;
    }
}

static void forward(Tape *t, Point pt, const Settings *set, const double *saved,
                    FdEstimate *e, long *passes)
{
    double p = saved[t->off[pt.slot] + pt.k], f0 = saved[t->off[t->root]];
    double h = step(set, p, sqrt(DBL_EPSILON));
    e->done = 1;
    for (int attempt = 0;; attempt++, h /= 10) {
        volatile double pp = p + h;
        double fp;
        int kp;
        if (f_at(t, pt, pp, saved, &fp, passes, &kp)) {
            e->h = pp - p;
            e->fplus = fp;
            e->fminus = f0;
            e->value = (fp - f0) / (pp - p);
            if (kp && attempt < 3 && pp - p > 0) continue;
            e->kink = kp;
            return;
        }
        volatile double pm = p - h;                /* the backward difference */
        double fm;
        if (f_at(t, pt, pm, saved, &fm, passes, NULL)) {
            e->one_sided = -1;
            e->h = p - pm;
            e->fplus = f0;
            e->fminus = fm;
            e->value = (f0 - fm) / (p - pm);
            return;
        }
        e->failed = 1;
        e->value = NAN;
        return;
    }
}

/* Ridders: central differences from h₀ = 0.1·max(1, |p|) shrinking by 1.4,
 * extrapolated to h → 0 in a Neville tableau; stop after 10 rounds or when
 * the error estimate grows (Numerical Recipes' dfridr). */
static void ridders(Tape *t, Point pt, const double *saved, FdEstimate *e, long *passes)
{
    enum { NTAB = 10 };
    const double CON = 1.4, CON2 = CON * CON, SAFE = 2.0;
    double a[NTAB][NTAB];
    double p = saved[t->off[pt.slot] + pt.k], h = 0.1 * fmax(1.0, fabs(p));
    e->done = 1;
    e->err = INFINITY;
    e->value = NAN;
    for (int i = 0; i < NTAB; i++, h /= CON) {
        volatile double pp = p + h, pm = p - h;
        double fp, fm;
        if (!f_at(t, pt, pp, saved, &fp, passes, NULL) ||
            !f_at(t, pt, pm, saved, &fm, passes, NULL)) {
            if (i == 0) { e->failed = 1; e->why = "a step leaves the domain"; return; }
            continue;   /* keep shrinking: the smaller steps may fit */
        }
        a[0][i] = (fp - fm) / (pp - pm);
        if (i == 0) { e->value = a[0][0]; e->h = h; continue; }
        double fac = CON2;
        for (int j = 1; j <= i; j++) {
            a[j][i] = (a[j - 1][i] * fac - a[j - 1][i - 1]) / (fac - 1);
            fac *= CON2;
            double errt = fmax(fabs(a[j][i] - a[j - 1][i]), fabs(a[j][i] - a[j - 1][i - 1]));
            if (errt <= e->err) {
                e->err = errt;
                e->value = a[j][i];
                e->h = h;
            }
        }
        if (fabs(a[i][i] - a[i - 1][i - 1]) >= SAFE * e->err)
            break;
    }
}

/* The complex step: Im f(p + ih)/h with h = 1e-20.  Only imaginary parts
 * need computing (see kernels.c); one pass over the slots after p. */
static void complex_step(Tape *t, Point pt, FdEstimate *e, long *passes)
{
    const double h = 1e-20;
    e->done = 1;
    e->h = h;
    if (!t->im) t->im = xmalloc((size_t)(t->nval ? t->nval : 1) * sizeof *t->im);
    memset(t->im, 0, (size_t)t->nval * sizeof *t->im);   /* only this entry is perturbed */
    t->im[t->off[pt.slot] + pt.k] = h;
    (*passes)++;
    for (int j = pt.slot + 1; j < t->n; j++) {
        const OpInfo *o = &op_info[t->op[j]];
        if (t->op[j] == OP_GRADOF) {
            e->failed = 1;
            e->why = "grad(...) has no complex rule";
            break;
        }
        if (o->kim) o->kim(t, j);
        else if (o->cfwd) {
            const char *err = k_elem_im(t, j, o);
            if (err) { e->failed = 1; e->why = err; break; }
        }
        /* OP_NUM, OP_LEAF: real (their imaginary part stays 0) */
    }
    e->value = e->failed ? NAN : t->im[t->off[t->root]] / h;
}

int numdiff_disagree(double bp, double c, double fplus, double fminus,
                     double h, double tol)
{
    if (!isfinite(bp) || !isfinite(c))   /* inf against a number is a mismatch */
        return !(bp == c || (isnan(bp) && isnan(c)));
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
    if (set->fd & FD_RIDDERS)
        ridders(t, pt, scratch, &r->ridders, &cost->ridders);
    if (set->fd & FD_COMPLEX)
        complex_step(t, pt, &r->cstep, &cost->cstep);

    /* The mark is judged against the first method shown. */
    const FdEstimate *ref = r->central.done ? &r->central : r->forward.done ? &r->forward
                          : r->ridders.done ? &r->ridders : r->cstep.done ? &r->cstep : NULL;
    if (!ref || ref->failed)
        return;
    if (ref->kink) {
        /* backprop agrees when it lies between the one-sided slopes */
        double lo = fmin(ref->left, ref->right), hi = fmax(ref->left, ref->right);
        double slack = set->tol * fmax(fabs(lo), fabs(hi));
        r->disagree = !(bp >= lo - slack && bp <= hi + slack);
    } else if (ref == &r->ridders) {
        r->disagree = fabs(bp - ref->value) > set->tol * fmax(fabs(bp), fabs(ref->value)) + 10 * ref->err;
    } else if (ref == &r->cstep) {
        r->disagree = fabs(bp - ref->value) > set->tol * fmax(fabs(bp), fabs(ref->value));
    } else {
        r->disagree = numdiff_disagree(bp, ref->value, ref->fplus, ref->fminus, ref->h, set->tol);
    }
}

int numdiff_sweep_point(Tape *t, int slot, long k, double eps, double *scratch,
                        double *central, double *forward)
{
    Point pt = { slot, k };
    long passes = 0;
    memcpy(scratch, t->val, (size_t)t->nval * sizeof *t->val);
    double p = scratch[t->off[slot] + k], f0 = scratch[t->off[t->root]];
    volatile double hv = eps * fmax(1.0, fabs(p));
    volatile double pp = p + hv;
    double h = pp - p;                   /* exactly representable */
    if (h == 0) return -1;
    volatile double pm = p - h;
    double fp, fm;
    int okp = f_at(t, pt, p + h, scratch, &fp, &passes, NULL);
    int okm = f_at(t, pt, pm, scratch, &fm, &passes, NULL);
    *forward = okp ? (fp - f0) / h : NAN;
    *central = okp && okm ? (fp - fm) / (p + h - pm) : NAN;
    return 0;
}
