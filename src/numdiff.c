/* numdiff.c: finite differences, Ridders' extrapolation, the complex
 * step, and the mark that judges backprop against them (SPEC section 4).
 *
 * The steps: central h = cbrt(u)·max(1, |p|), forward h = sqrt(u)·max(1,
 * |p|) (u = DBL_EPSILON), the sizes that balance truncation error (h² or h)
 * against round-off (u/h).  Quotients divide by p₊ − p₋ as actually
 * stored, not by 2h: p + h is rounded, and dividing by the rounded step
 * removes that error from the estimate. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "numdiff.h"
#include "dual.h"
#include "kernels.h"
#include "ops.h"
#include "xalloc.h"

/* Which entry is perturbed: slot and entry k of it. */
typedef struct Point { int slot; long k; } Point;

/* f with entry k of slot set to x; restores the entries it changed (every
 * slot from this one on: they come after it in the arena) from saved.
 * Returns 1 when the forward pass succeeded, 0 on a domain error, -1 when
 * a value overflowed; *kink is set when a branching node took another
 * branch than in the unperturbed pass. */
static int f_at(Tape *t, Point pt, double x, const double *saved, double *y,
                long *passes, int *kink)
{
    const char *msg = NULL;
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
    if (rc)
        return msg && strstr(msg, "overflow") ? -1 : 0;
    return isfinite(*y) ? 1 : -1;
}

static double step(const Settings *set, double p, double scale)
{
    return set->eps > 0 ? set->eps : scale * fmax(1.0, fabs(p));
}

static void fail(FdEstimate *e, const char *why)
{
    e->failed = 1;
    e->value = NAN;
    e->why = why;
}

static const char STEP_LOST[] = "step lost: p + h == p (the step is below p's precision: set eps larger)";
static const char OVERFLOW[] = "overflow: f(p + h) or f(p - h) is not finite";
static const char NO_SIDE[] = "no estimate: p + h and p - h are both outside the domain";

/* Central difference.  At a kink, retry with h/10 up to 3 times, then give
 * the one-sided slopes (and say whether they differ, or f jumps).  When
 * one side leaves the domain, shrink the step by 10 until both sides fit,
 * then 1000 times more: the distance to the edge is then at least 1000 h,
 * so the edge's curvature does not spoil the quotient (a one-sided step of
 * 6e-6 at sqrt(1e-9) gives 401 for 15811).  When no step fits (the edge is
 * at p), the one-sided difference on the valid side, with the first h. */
static void central(Tape *t, Point pt, const Settings *set, const double *saved,
                    FdEstimate *e, long *passes)
{
    double p = saved[t->off[pt.slot] + pt.k], f0 = saved[t->off[t->root]];
    double h = step(set, p, cbrt(DBL_EPSILON));
    double dl0 = 0, dr0 = 0;
    int kinks = 0, probes = 0, margin = 0;
    FdEstimate side = { 0 };      /* the first one-sided estimate, if any */
    e->done = 1;
    for (;;) {
        volatile double pp = p + h, pm = p - h;   /* the points as stored */
        if (pp == p || pm == p) {
            if (side.done) break;
            fail(e, STEP_LOST);
            return;
        }
        double fp, fm;
        int kp, km;
        int okp = f_at(t, pt, pp, saved, &fp, passes, &kp);
        int okm = f_at(t, pt, pm, saved, &fm, passes, &km);
        if (okp == 1 && okm == 1) {
            if (side.done && !margin) {            /* both fit: now stay far from the edge */
                margin = 1;
                h /= 1000;
                continue;
            }
            e->hstep = h;
            e->fplus = fp;
            e->fminus = fm;
            e->one_sided = 0;
            e->edge_h = side.edge_h;
            e->h = (pp - pm) / 2;
            e->value = (fp - fm) / (pp - pm);
            if (kp || km) {
                if (kinks == 0) { dl0 = f0 - fm; dr0 = fp - f0; }
                if (kinks < 3 && pp - pm > 0) { kinks++; h /= 10; continue; }
                double dl = f0 - fm, dr = fp - f0;
                e->flipped = 1;
                e->left = dl / (p - pm);
                e->right = dr / (pp - p);
                /* a kink's differences shrink with h (by 1000 over the
                 * retries); a jump's stay */
                if ((dl0 != 0 && fabs(dl) > 0.5 * fabs(dl0)) || (dr0 != 0 && fabs(dr) > 0.5 * fabs(dr0)))
                    e->jump = 1;
                else if (numdiff_disagree(e->left, e->right, fp, fm, e->h, set->tol))
                    e->kink = 1;
            }
            return;
        }
        if (okp < 0 || okm < 0) {
            fail(e, OVERFLOW);
            return;
        }
        if (okp == 0 && okm == 0) {
            if (side.done) break;
            fail(e, NO_SIDE);
            return;
        }
        if (!side.done) {                          /* one side is outside the domain */
            side.done = 1;
            side.hstep = h;
            side.edge_h = h;
            side.one_sided = okp ? +1 : -1;
            side.h = okp ? pp - p : p - pm;
            side.fplus = okp ? fp : f0;
            side.fminus = okp ? f0 : fm;
            side.value = okp ? (fp - f0) / (pp - p) : (f0 - fm) / (p - pm);
        }
        if (++probes > 8) break;
        h /= 10;
    }
    *e = side;                                     /* no two-sided step fits */
    e->edge_h = 0;
}

static void forward(Tape *t, Point pt, const Settings *set, const double *saved,
                    FdEstimate *e, long *passes)
{
    double p = saved[t->off[pt.slot] + pt.k], f0 = saved[t->off[t->root]];
    double h = step(set, p, sqrt(DBL_EPSILON));
    e->done = 1;
    for (int attempt = 0;; attempt++, h /= 10) {
        volatile double pp = p + h;
        if (pp == p) { fail(e, STEP_LOST); return; }
        double fp;
        int kp;
        int ok = f_at(t, pt, pp, saved, &fp, passes, &kp);
        if (ok == 1) {
            e->hstep = h;
            e->h = pp - p;
            e->fplus = fp;
            e->fminus = f0;
            e->value = (fp - f0) / (pp - p);
            if (kp && attempt < 3 && pp - p > 0) continue;
            e->flipped = kp;   /* one side only: no second slope to tell a kink by */
            e->left = e->right = e->value;
            return;
        }
        if (ok < 0) { fail(e, OVERFLOW); return; }
        volatile double pm = p - h;                /* the backward difference */
        double fm;
        ok = f_at(t, pt, pm, saved, &fm, passes, NULL);
        if (ok == 1) {
            e->hstep = h;
            e->one_sided = -1;
            e->h = p - pm;
            e->fplus = f0;
            e->fminus = fm;
            e->value = (f0 - fm) / (p - pm);
            return;
        }
        fail(e, ok < 0 ? OVERFLOW : NO_SIDE);
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
    if (!t->im && !(t->im = try_realloc(NULL, (size_t)(t->valcap ? t->valcap : 1) * sizeof *t->im))) {
        e->failed = 1;      /* the user's size: an estimate that failed, not an exit */
        e->why = "out of memory for the imaginary parts";
        return;
    }
    memset(t->im, 0, (size_t)t->nval * sizeof *t->im);   /* only this entry is perturbed */
    t->im[t->off[pt.slot] + pt.k] = h;
    (*passes)++;
    for (int j = pt.slot + 1; j < t->n; j++) {
        const OpInfo *o = &op_info[t->op[j]];
        if (o->kim) o->kim(t, j);
        else if (o->cfwd) {
            const char *err = k_elem_im(t, j, o);
            if (err) { e->failed = 1; e->why = err; break; }
        }
        /* OP_NUM, OP_LEAF: real (their imaginary part stays 0) */
    }
    e->value = e->failed ? NAN : t->im[t->off[t->root]] / h;
}

/* Forward-mode AD (dual.c): one dual-number pass seeded at the entry;
 * exact to rounding, no step. */
static void dual_step(Tape *t, Point pt, FdEstimate *e, long *passes)
{
    int bad;
    const char *msg;
    e->done = 1;
    e->h = 1;
    (*passes)++;
    if (dual_pass(t, pt.slot, pt.k, &bad, &msg)) {
        e->failed = 1;
        e->why = msg;
        e->value = NAN;
        return;
    }
    e->value = t->im[t->off[t->root]];
}

int numdiff_disagree_t(double bp, double c, double fplus, double fminus,
                       double h, double tol, double trunc)
{
    if (!isfinite(bp) || !isfinite(c))   /* never agreement: SPEC 4 */
        return 1;
    if (bp == c)
        return 0;
    double floor = 10 * DBL_EPSILON * fmax(fabs(fplus), fabs(fminus)) / h;
    return !(fabs(bp - c) <= tol * fmax(fabs(bp), fabs(c)) + floor + trunc);
}

int numdiff_disagree(double bp, double c, double fplus, double fminus,
                     double h, double tol)
{
    return numdiff_disagree_t(bp, c, fplus, fminus, h, tol, 0);
}

static double maxabs(const double *x, long n, double m)
{
    for (long i = 0; i < n; i++)
        if (fabs(x[i]) > m) m = fabs(x[i]);
    return m;
}

/* The size of the numbers f's rounding happens at, past the perturbed
 * slot: every value computed after it, and the inputs of the operations
 * that can cancel (a sum, a difference, a product of matrices, a loss).
 * |f| alone can be far smaller: cross_entropy = logsumexp(z) − z_y is 0
 * at z = [645, 0], computed from numbers near 645, so a gradient of 7e-281
 * cannot show in f(p ± h) at all. */
static double round_scale(const Tape *t, int slot, const double *saved)
{
    double m = 0;
    for (int j = slot + 1; j < t->n; j++) {
        int op = t->op[j];
        if (op == OP_NUM || op == OP_LEAF) continue;
        m = maxabs(saved + t->off[j], tape_size(t, j), m);
        if (op == OP_ADD || op == OP_SUB || op == OP_MATMUL || op == OP_MSE || op == OP_XENT ||
            op == OP_SUM || op == OP_MEAN || op == OP_SOFTMAX)
            for (int i = 0; i < 2; i++) {
                int in = i ? t->b[j] : t->a[j];
                if (in >= 0) m = maxabs(saved + t->off[in], tape_size(t, in), m);
            }
    }
    return m;
}

/* T of the mark: the estimate again at 2h, and Richardson's estimate of
 * the error at h, |c(2h) − c(h)|/3 for a central difference (error ∝ h²),
 * |c(2h) − c(h)| for a one-sided one or where a branch flipped (error ∝
 * h).  0 when the wider step leaves the domain. */
static int estimate_at(Tape *t, Point pt, const double *saved, double H, int side, long *passes,
                       double *c)
{
    double p = saved[t->off[pt.slot] + pt.k], f0 = saved[t->off[t->root]];
    volatile double pp = p + H, pm = p - H;
    double fp = f0, fm = f0;
    if (side >= 0 && f_at(t, pt, pp, saved, &fp, passes, NULL) != 1) return 0;
    if (side <= 0 && f_at(t, pt, pm, saved, &fm, passes, NULL) != 1) return 0;
    *c = (fp - fm) / ((side >= 0 ? pp : p) - (side <= 0 ? pm : p));
    return 1;
}

/* The truncation error of a one-sided difference converging slower than h
 * (w^1.5 or w*sqrt(w) at the domain's edge 0: error ~ sqrt(h)), from the
 * order the estimates at h, 2h, 4h show: c(h) = L + K·h^q gives
 * (c(4h) − c(2h))/(c(2h) − c(h)) = 2^q, and L = c(h) − (c(2h) − c(h))/(2^q − 1).
 * Returns that error when backprop lies at L (within a tenth of it), else
 * d: a wrong derivative is not hidden by a slow estimate. */
static double slow_order(Tape *t, Point pt, const double *saved, const FdEstimate *e, int side,
                         double c2, double d, double bp, long *passes)
{
    double c4, d1 = c2 - e->value;
    if (d1 == 0 || !estimate_at(t, pt, saved, 4 * e->hstep, side, passes, &c4)) return d;
    double r = (c4 - c2) / d1;
    if (!(r > 1.05 && r < 2)) return d;      /* order 1 or better (the rule above), or no order */
    double err = fabs(d1) / (r - 1), limit = e->value - d1 / (r - 1);
    return fabs(bp - limit) <= 0.1 * err ? 1.1 * err : d;
}

static double truncation(Tape *t, Point pt, const double *saved, const FdEstimate *e,
                         int is_central, double bp, long *passes)
{
    double c2;
    int side = is_central ? e->one_sided : e->one_sided ? -1 : +1;
    if (!estimate_at(t, pt, saved, 2 * e->hstep, side, passes, &c2)) return 0;
    double d = fabs(c2 - e->value);
    if (side == 0 && !e->flipped) return d / 3;
    return side != 0 && !e->flipped ? slow_order(t, pt, saved, e, side, c2, d, bp, passes) : d;
}

static int all_finite(const double *x, long n)
{
    for (long i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

/* Why backprop's value is not finite: the node it starts at and the
 * cause there (SPEC 4: "not differentiable here").  The nodes with a known
 * singular derivative are looked for first (sqrt at 0, a power at a base
 * <= 0); else the last node (backprop runs from the root down) whose
 * gradient is finite but passes a non-finite one to an input. */
static void bp_cause(const Tape *t, int slot, double bp, FdResult *r)
{
    int found = -1, inf_deriv = 0;
    for (int j = t->n - 1; j > slot && found < 0; j--) {
        int op = t->op[j], a = t->a[j], b = t->b[j];
        if (op == OP_SQRT) {
            const double *x = tape_val(t, a);
            for (long i = 0; i < tape_size(t, a); i++)
                if (x[i] == 0) { found = j; inf_deriv = 1; snprintf(r->cause, sizeof r->cause, "sqrt at 0"); break; }
        } else if (op == OP_POW && b >= 0) {
            const double *x = tape_val(t, a), *y = tape_val(t, b);
            long na = tape_size(t, a), nb = tape_size(t, b), n = na > nb ? na : nb;
            for (long i = 0; i < n; i++) {
                double xa = x[na == 1 ? 0 : i % na], yb = y[nb == 1 ? 0 : i % nb];
                if (xa < 0) { found = j; snprintf(r->cause, sizeof r->cause, "x^y with x < 0"); break; }
                if (xa == 0 && yb < 1 && yb != 0) {
                    found = j; inf_deriv = 1;
                    snprintf(r->cause, sizeof r->cause, "0^y with y < 1");
                    break;
                }
            }
        }
    }
    if (found >= 0 && !all_finite(tape_grad(t, found), tape_size(t, found)))
        found = -1;   /* the gradient was already lost above it */
    for (int j = t->n - 1; j > slot && found < 0; j--) {
        int op = t->op[j];
        if (op == OP_NUM || op == OP_LEAF || op == OP_STACK) continue;
        if (!all_finite(tape_grad(t, j), tape_size(t, j))) continue;
        int in[2] = { t->a[j], op == OP_INDEX ? -1 : t->b[j] };
        for (int i = 0; i < 2 && found < 0; i++)
            if (in[i] >= 0 && !all_finite(tape_grad(t, in[i]), tape_size(t, in[i])))
                found = j;
        if (found >= 0)
            snprintf(r->cause, sizeof r->cause, "%s", "the derivative is not finite");
    }
    if (found < 0 && isinf(bp)) {
        r->why = "overflow: backprop is infinite";
        return;
    }
    r->why = "not differentiable here";
    r->why_node = found >= 0 ? t->src[found] : NULL;
    if (found >= 0 && isinf(bp) && inf_deriv) {
        size_t l = strlen(r->cause);
        snprintf(r->cause + l, sizeof r->cause - l, "%s", " (an infinite derivative)");
    }
    if (found >= 0 && isnan(bp) && inf_deriv) {
        char c[sizeof r->cause];
        memcpy(c, r->cause, sizeof c);
        snprintf(r->cause, sizeof r->cause, "0·∞ from %.40s", c);
    }
}

void numdiff_entry(Tape *t, int slot, long k, double bp, const Settings *set,
                   double *scratch, FdResult *r, FdCost *cost)
{
    Point pt = { slot, k };
    tape_alias_end(t);     /* perturb the tape's copy, never a parameter (tape.h) */
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
    if (set->fd & FD_DUAL)
        dual_step(t, pt, &r->dual, &cost->dual);

    /* Never ok when a number is not finite: say why (SPEC 4). */
    if (!isfinite(bp)) {
        r->disagree = 1;
        bp_cause(t, slot, bp, r);
        return;
    }
    /* The mark is judged against the first method shown. */
    FdEstimate *ref = r->central.done ? &r->central : r->forward.done ? &r->forward
                    : r->ridders.done ? &r->ridders : r->cstep.done ? &r->cstep
                    : r->dual.done ? &r->dual : NULL;
    if (!ref)
        return;
    if (ref->failed || !isfinite(ref->value)) {
        r->disagree = 1;
        r->why = ref->why ? ref->why : "overflow: the estimate is not finite";
        return;
    }
    if (ref->kink || ref->jump) {
        /* backprop agrees when it lies between the one-sided slopes */
        double lo = fmin(ref->left, ref->right), hi = fmax(ref->left, ref->right);
        double slack = set->tol * fmax(fabs(lo), fabs(hi));
        r->disagree = !(bp >= lo - slack && bp <= hi + slack);
    } else if (ref == &r->ridders) {
        r->disagree = !(fabs(bp - ref->value) <= set->tol * fmax(fabs(bp), fabs(ref->value)) + 10 * ref->err);
    } else if (ref == &r->cstep || ref == &r->dual) {   /* exact to rounding: relative */
        r->disagree = !(fabs(bp - ref->value) <= set->tol * fmax(fabs(bp), fabs(ref->value)));
    } else {
        /* round-off: at the scale of f, or of the numbers f is computed from */
        double F = fmax(fmax(fabs(ref->fplus), fabs(ref->fminus)), round_scale(t, slot, scratch));
        if (!numdiff_disagree(bp, ref->value, F, 0, ref->h, set->tol))
            return;
        long *passes = ref == &r->central ? &cost->central : &cost->forward;
        r->trunc = truncation(t, pt, scratch, ref, ref == &r->central, bp, passes);
        r->disagree = numdiff_disagree_t(bp, ref->value, F, 0, ref->h, set->tol, r->trunc);
    }
}

/* splitmix64 (Steele, Lea and Flood): a small generator of its own, so
 * that the sample does not move randn's stream. */
static unsigned long long splitmix(unsigned long long *x)
{
    unsigned long long z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void numdiff_sample(long n, long m, unsigned long long seed, long *pick)
{
    /* selection sampling (Knuth's algorithm S): one pass, in order, each
     * m-subset equally likely */
    unsigned long long x = seed ^ 0x5eedULL;
    long chosen = 0;
    for (long i = 0; i < n && chosen < m; i++) {
        double u = (double)(splitmix(&x) >> 11) * 0x1p-53;   /* in [0, 1) */
        if ((double)(n - i) * u < (double)(m - chosen))
            pick[chosen++] = i;
    }
}

long numdiff_sample_parts(int np, const long *sizes, long m, unsigned long long seed, long **pick)
{
    /* The floor: min(size, 4) entries of every part while the budget
     * allows it, so a small vector beside a big matrix is never left with
     * none checked.  maxcheck stays a cap (SPEC 3): with more parts than
     * m, m entries drawn uniformly over the whole. */
    long total = 0, base = 0, floor = np > 0 ? m / np : 0;
    for (int i = 0; i < np; i++) total += sizes[i];
    if (floor < 1) {
        long want = m < total ? m : total;
        *pick = xmalloc((size_t)(want ? want : 1) * sizeof **pick);
        numdiff_sample(total, want, seed, *pick);
        return want;
    }
    if (floor > 4) floor = 4;
    for (int i = 0; i < np; i++) base += sizes[i] < floor ? sizes[i] : floor;
    long pool = total - base, extra = m - base;
    if (extra < 0) extra = 0;
    if (extra > pool) extra = pool;
    /* the rest of the budget, uniformly over the entries past the floors */
    long *more = xmalloc((size_t)(extra ? extra : 1) * sizeof *more);
    numdiff_sample(pool, extra, seed, more);
    *pick = xmalloc((size_t)(base + extra ? base + extra : 1) * sizeof **pick);
    long n = 0, off = 0, poff = 0, q = 0;
    for (int i = 0; i < np; i++) {
        long b = sizes[i] < floor ? sizes[i] : floor, rest = sizes[i] - b, want = b;
        while (q < extra && more[q] < poff + rest) { q++; want++; }
        /* which entries of this part: its own seeded draw, in order */
        numdiff_sample(sizes[i], want, seed ^ (0x9e3779b97f4a7c15ULL * (unsigned long long)i),
                       *pick + n);
        for (long k = 0; k < want; k++) (*pick)[n + k] += off;
        n += want;
        off += sizes[i];
        poff += rest;
    }
    free(more);
    return n;
}

int numdiff_sweep_point(Tape *t, int slot, long k, double eps, double *scratch,
                        double *central, double *forward)
{
    Point pt = { slot, k };
    tape_alias_end(t);     /* as numdiff_entry */
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
