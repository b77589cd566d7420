/* numdiff.h: finite-difference estimates of ∂f/∂(an entry of a slot) on a
 * tape (SPEC section 4): the independent check shown beside backprop, and
 * the mark that judges backprop against it.
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
    double hstep;         /* the step asked for in the last attempt (before rounding) */
    double fplus, fminus; /* f at the two points used */
    int one_sided;        /* 0, or +1/-1: only the p+h / p-h side was valid */
    double edge_h;        /* > 0: a step this big left the domain on one side, so
                             the step was shrunk until both sides fit (and
                             1000 times more, to stay far from the edge) */
    int failed;           /* no estimate: why says why */
    int flipped;          /* a branch still flipped after the retries */
    int kink;             /* ... and the two one-sided slopes differ */
    int jump;             /* ... and f itself steps: f(p₊) - f(p₋) does not shrink with h */
    double left, right;   /* flipped: the one-sided slopes */
    double err;           /* ridders: its error estimate */
    const char *why;      /* failed: why, in words */
} FdEstimate;

typedef struct FdResult {
    FdEstimate central, forward, ridders, cstep, dual;   /* dual: forward-mode AD */
    int disagree;         /* marked: disagrees by SPEC's criterion against the
                             first method run, or is not finite (never ok) */
    double trunc;         /* T of the mark (0 unless it was needed) */
    const char *why;      /* not ok because a number is not finite: why */
    const struct Ast *why_node;   /* the node where backprop's non-finite value
                                     starts, or NULL */
    char cause[64];       /* at that node: "sqrt at 0", "x^y with x < 0" */
} FdResult;

/* Forward passes each method ran. */
typedef struct FdCost { long central, forward, ridders, cstep, dual; } FdCost;

/* Estimate ∂f/∂(entry k of slot) with the methods in set->fd, given
 * backprop's bp, and judge bp (r->disagree, r->why).  t must hold a forward
 * and a backward pass at the current values (f a scalar); scratch has room
 * for t->nval doubles.  Adds the forward passes run (including the mark's
 * recomputation at 2h) to *cost. */
void numdiff_entry(Tape *t, int slot, long k, double bp, const Settings *set,
                   double *scratch, FdResult *r, FdCost *cost);

/* SPEC section 4's mark without the truncation term: does estimate c
 * disagree with backprop bp?  |bp − c| > tol·max(|bp|, |c|) + 10·u·F/h,
 * F = max(|f₊|, |f₋|).  A non-finite bp or c always disagrees. */
int numdiff_disagree(double bp, double c, double fplus, double fminus,
                     double h, double tol);

/* The same with the truncation estimate T added to the bound. */
int numdiff_disagree_t(double bp, double c, double fplus, double fminus,
                       double h, double tol, double trunc);

/* m of the indices 0 .. n-1, chosen at random (reproducibly from seed) and
 * written in increasing order to pick[0 .. m-1]; m <= n.  The sample
 * maxcheck takes over all the entries of one grad or check. */
void numdiff_sample(long n, long m, unsigned long long seed, long *pick);

/* The maxcheck sample over the np parameters of one grad or check, of
 * sizes[0 .. np-1] entries, laid end to end: m indices of the whole (m <
 * the total), every parameter getting min(size, 4, m / np) of them, the
 * rest of m spread uniformly; with more parameters than m, m drawn
 * uniformly over the whole (some parameters get none: maxcheck is a cap).  Writes the indices in increasing order to *pick
 * (allocated; the caller frees it) and returns how many. */
long numdiff_sample_parts(int np, const long *sizes, long m, unsigned long long seed, long **pick);

/* One central and one forward difference with relative step eps
 * (h = eps·max(1, |p|), made exactly representable), for `sweep`.  Returns
 * 0, or -1 when w + h == w (the step is lost). */
int numdiff_sweep_point(Tape *t, int slot, long k, double eps, double *scratch,
                        double *central, double *forward);

#endif
