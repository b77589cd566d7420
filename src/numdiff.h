/* numdiff.h: finite-difference estimates of ∂f/∂(an entry of a slot) on a
 * tape (SPEC section 4): the independent check shown beside backprop.
 *
 * Each estimate perturbs one entry and re-runs the forward pass from the
 * next slot on (the slot's own inputs stay fixed, so a formula's slot can
 * be perturbed as well as a leaf's).  The tape is left as it was found. */
#ifndef BP_NUMDIFF_H
#define BP_NUMDIFF_H

#include "tape.h"

typedef struct FdEstimate {
    int done;             /* this method ran */
    double value;         /* the estimate (NaN when no side was valid) */
    double h;             /* the step actually used: p₊ - p (or p₊ - p₋ over 2) */
    double fplus, fminus; /* f at the two points used */
    int one_sided;        /* 0, or +1/-1: only the p+h / p-h side was valid */
    int failed;           /* no valid side at all */
    int kink;             /* the points still straddle a kink after 3 retries */
    double left, right;   /* then: the one-sided slopes */
    double err;           /* ridders: its error estimate */
    const char *why;      /* failed: why (complex step) */
} FdEstimate;

typedef struct FdResult {
    FdEstimate central, forward, ridders, cstep;
    int disagree;         /* by SPEC's criterion, against the first method run */
} FdResult;

/* Forward passes each method ran. */
typedef struct FdCost { long central, forward, ridders, cstep; } FdCost;

/* Estimate ∂f/∂(entry k of slot) with the methods in set->fd, given
 * backprop's bp.  t must hold a forward pass at the current values (f a
 * scalar); scratch has room for t->nval doubles.  Adds the forward passes
 * run to *cost. */
void numdiff_entry(Tape *t, int slot, long k, double bp, const Settings *set,
                   double *scratch, FdResult *r, FdCost *cost);

/* SPEC section 4's mark: does estimate c disagree with backprop bp?
 * |bp − c| > tol·max(|bp|, |c|) + 10·u·max(|f₊|, |f₋|)/h */
int numdiff_disagree(double bp, double c, double fplus, double fminus,
                     double h, double tol);

/* One central and one forward difference with relative step eps
 * (h = eps·max(1, |p|), made exactly representable), for `sweep`.  Returns
 * 0, or -1 when w + h == w (the step is lost). */
int numdiff_sweep_point(Tape *t, int slot, long k, double eps, double *scratch,
                        double *central, double *forward);

#endif
