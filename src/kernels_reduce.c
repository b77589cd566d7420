/* kernels_reduce.c: reductions along an axis and their friends (sum, mean,
 * max, min along an axis; logsumexp, argmax, log_softmax, one_hot, reshape,
 * cross_entropy with class indices), each op's forward, backward and
 * complex-step kernels side by side, with its shape rule.
 *
 * Conventions as in kernels.c: backward only accumulates (+=); shapes were
 * checked when the tape was compiled (the axis is in range, the sizes of a
 * reshape agree), so the kernels trust them.  What only the values can
 * tell (a class index out of range) is a forward error.
 *
 * A reduction works on groups: the entries that make one output entry.
 * Along axis 0 of an R x C matrix there are C groups (the columns) of R
 * entries, along axis 1 R groups (the rows) of C; over all entries (axis
 * -1, or a vector) one group of them all.  Entry j of group g sits at
 * g*gstep + j*estep. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "kernels.h"
#include "tape.h"

#define X(t, s) tape_val(t, s)
#define G(t, s) tape_grad(t, s)
#define IM(t, s) ((t)->im + (t)->off[s])

typedef struct Groups { long n, len, gstep, estep; } Groups;

#define AT(q, g, j) ((g) * (q).gstep + (j) * (q).estep)

static Groups groups(Shape s, int axis)
{
    if (axis < 0 || s.rank < 2) return (Groups){ 1, shape_size(s), 0, 1 };
    if (axis == 0) return (Groups){ s.d[1], s.d[0], 1, s.d[1] };
    return (Groups){ s.d[0], s.d[1], s.d[1], 1 };
}

/* The groups slot i reduces: its input's, along the axis in b. */
static Groups groups_of(const Tape *t, int i)
{
    return groups(tape_shape(t, t->a[i]), t->b[i]);
}

/* The last axis: each row of a matrix, or all of a vector. */
static Groups rows_of(Shape s)
{
    return groups(s, s.rank == 2 ? 1 : -1);
}

/* A reduction's shape: a scalar over all entries (or of a vector), else
 * the axis that stays. */
const char *k_axis_shape(Tape *t, int i, const char *name)
{
    Shape s = tape_shape(t, t->a[i]);
    int axis = t->b[i];
    if (axis < 0 || s.rank < 2) t->newshape = (Shape){ 0, { 0, 0 } };
    else t->newshape = (Shape){ 1, { s.d[axis == 0 ? 1 : 0], 0 } };
    return NULL;
}

/* max(z) + log Σ exp(z - max) over group g of x: no exp overflows, and the
 * largest term is exp(0) = 1, so the log never sees 0. */
static double group_lse(const double *x, Groups q, long g)
{
    double mx = x[AT(q, g, 0)], s = 0;
    for (long j = 1; j < q.len; j++) if (x[AT(q, g, j)] > mx) mx = x[AT(q, g, j)];
    for (long j = 0; j < q.len; j++) s += exp(x[AT(q, g, j)] - mx);
    return mx + log(s);
}

/* ---- sum and mean along an axis -------------------------------------- */

static void group_sums(const double *x, Groups q, double *y, double scale)
{
    for (long g = 0; g < q.n; g++) {
        double s = 0;
        for (long j = 0; j < q.len; j++) s += x[AT(q, g, j)];
        y[g] = s * scale;
    }
}

static void group_spread(double *gx, Groups q, const double *gy, double scale)
{
    for (long g = 0; g < q.n; g++)
        for (long j = 0; j < q.len; j++) gx[AT(q, g, j)] += gy[g] * scale;
}

const char *k_sum_axis_fwd(Tape *t, int i)
{
    group_sums(X(t, t->a[i]), groups_of(t, i), X(t, i), 1);
    return NULL;
}
void k_sum_axis_bwd(Tape *t, int i) { group_spread(G(t, t->a[i]), groups_of(t, i), G(t, i), 1); }
void k_sum_axis_im(Tape *t, int i) { group_sums(IM(t, t->a[i]), groups_of(t, i), IM(t, i), 1); }

const char *k_mean_axis_fwd(Tape *t, int i)
{
    Groups q = groups_of(t, i);
    group_sums(X(t, t->a[i]), q, X(t, i), 1.0 / (double)q.len);
    return NULL;
}
void k_mean_axis_bwd(Tape *t, int i)
{
    Groups q = groups_of(t, i);
    group_spread(G(t, t->a[i]), q, G(t, i), 1.0 / (double)q.len);
}
void k_mean_axis_im(Tape *t, int i)
{
    Groups q = groups_of(t, i);
    group_sums(IM(t, t->a[i]), q, IM(t, i), 1.0 / (double)q.len);
}

/* ---- max and min of a group ------------------------------------------
 * A tie of k entries sends 1/k of the gradient to each (as max(a, b)
 * sends half to each, and as PyTorch's amax): the output's value is then
 * their mean, which is what the complex step sees too. */

static void extreme_fwd(Tape *t, int i, int sign)
{
    Groups q = groups_of(t, i);
    const double *x = X(t, t->a[i]);
    double *y = X(t, i);
    for (long g = 0; g < q.n; g++) {
        double m = x[AT(q, g, 0)];
        for (long j = 1; j < q.len; j++) {
            double v = x[AT(q, g, j)];
            if (sign > 0 ? v > m : v < m) m = v;
        }
        y[g] = m;
    }
}

/* The entries equal to the group's extreme y[g]: how many, and (im) the
 * mean of their imaginary parts. */
static long ties(const double *x, Groups q, long g, double yg)
{
    long k = 0;
    for (long j = 0; j < q.len; j++) k += x[AT(q, g, j)] == yg;
    return k;
}

static void extreme_bwd(Tape *t, int i)
{
    Groups q = groups_of(t, i);
    const double *x = X(t, t->a[i]), *y = X(t, i), *gy = G(t, i);
    double *gx = G(t, t->a[i]);
    for (long g = 0; g < q.n; g++) {
        long k = ties(x, q, g, y[g]);
        if (k == 0) continue;   /* a NaN entry: nothing equals it */
        for (long j = 0; j < q.len; j++)
            if (x[AT(q, g, j)] == y[g]) gx[AT(q, g, j)] += gy[g] / (double)k;
    }
}

static void extreme_im(Tape *t, int i)
{
    Groups q = groups_of(t, i);
    const double *x = X(t, t->a[i]), *y = X(t, i), *xi = IM(t, t->a[i]);
    double *yi = IM(t, i);
    for (long g = 0; g < q.n; g++) {
        long k = ties(x, q, g, y[g]);
        double s = 0;
        for (long j = 0; j < q.len; j++)
            if (x[AT(q, g, j)] == y[g]) s += xi[AT(q, g, j)];
        yi[g] = k ? s / (double)k : 0;
    }
}

const char *k_amax_fwd(Tape *t, int i) { extreme_fwd(t, i, 1); return NULL; }
void k_amax_bwd(Tape *t, int i) { extreme_bwd(t, i); }
void k_amax_im(Tape *t, int i) { extreme_im(t, i); }

const char *k_amin_fwd(Tape *t, int i) { extreme_fwd(t, i, -1); return NULL; }
void k_amin_bwd(Tape *t, int i) { extreme_bwd(t, i); }
void k_amin_im(Tape *t, int i) { extreme_im(t, i); }

/* ---- logsumexp: y = log Σ exp(x); dy/dx = exp(x - y), a softmax ------ */

const char *k_logsumexp_fwd(Tape *t, int i)
{
    Groups q = groups_of(t, i);
    const double *x = X(t, t->a[i]);
    double *y = X(t, i);
    for (long g = 0; g < q.n; g++) y[g] = group_lse(x, q, g);
    return NULL;
}

void k_logsumexp_bwd(Tape *t, int i)
{
    Groups q = groups_of(t, i);
    const double *x = X(t, t->a[i]), *y = X(t, i), *gy = G(t, i);
    double *gx = G(t, t->a[i]);
    for (long g = 0; g < q.n; g++)
        for (long j = 0; j < q.len; j++)
            gx[AT(q, g, j)] += gy[g] * exp(x[AT(q, g, j)] - y[g]);
}

void k_logsumexp_im(Tape *t, int i)
{
    Groups q = groups_of(t, i);
    const double *x = X(t, t->a[i]), *y = X(t, i), *xi = IM(t, t->a[i]);
    double *yi = IM(t, i);
    for (long g = 0; g < q.n; g++) {
        double s = 0;
        for (long j = 0; j < q.len; j++) s += exp(x[AT(q, g, j)] - y[g]) * xi[AT(q, g, j)];
        yi[g] = s;
    }
}

/* ---- argmax: an index, NumPy's (the first of a tie); no gradient ------ */

const char *k_argmax_fwd(Tape *t, int i)
{
    Groups q = groups_of(t, i);
    const double *x = X(t, t->a[i]);
    double *y = X(t, i);
    for (long g = 0; g < q.n; g++) {
        long best = 0;
        for (long j = 1; j < q.len; j++)
            if (x[AT(q, g, j)] > x[AT(q, g, best)]) best = j;
        y[g] = (double)best;
    }
    return NULL;
}

/* Its derivative is zero everywhere it is defined: nothing to send. */
void k_argmax_bwd(Tape *t, int i) { }
void k_argmax_im(Tape *t, int i) { memset(IM(t, i), 0, (size_t)tape_size(t, i) * sizeof(double)); }

/* ---- log_softmax along the last axis: y = x - lse(x) ------------------
 * Stable where softmax then log is not: at x = [700, -700] the log of
 * softmax's exp(-1400) underflows to log(0); x - lse(x) is -1400. */

const char *k_log_softmax_fwd(Tape *t, int i)
{
    Groups q = rows_of(tape_shape(t, i));
    const double *x = X(t, t->a[i]);
    double *y = X(t, i);
    for (long g = 0; g < q.n; g++) {
        double l = group_lse(x, q, g);
        for (long j = 0; j < q.len; j++) y[AT(q, g, j)] = x[AT(q, g, j)] - l;
    }
    return NULL;
}

/* dx = g - softmax(x) Σ g, row by row (exp(y) is the softmax). */
void k_log_softmax_bwd(Tape *t, int i)
{
    Groups q = rows_of(tape_shape(t, i));
    const double *y = X(t, i), *gy = G(t, i);
    double *gx = G(t, t->a[i]);
    for (long g = 0; g < q.n; g++) {
        double s = 0;
        for (long j = 0; j < q.len; j++) s += gy[AT(q, g, j)];
        for (long j = 0; j < q.len; j++)
            gx[AT(q, g, j)] += gy[AT(q, g, j)] - exp(y[AT(q, g, j)]) * s;
    }
}

/* Im y = Im x - Σ softmax(x) Im x, row by row */
void k_log_softmax_im(Tape *t, int i)
{
    Groups q = rows_of(tape_shape(t, i));
    const double *y = X(t, i), *xi = IM(t, t->a[i]);
    double *yi = IM(t, i);
    for (long g = 0; g < q.n; g++) {
        double s = 0;
        for (long j = 0; j < q.len; j++) s += exp(y[AT(q, g, j)]) * xi[AT(q, g, j)];
        for (long j = 0; j < q.len; j++) yi[AT(q, g, j)] = xi[AT(q, g, j)] - s;
    }
}

/* ---- class indices: one_hot and cross_entropy's y --------------------- */

/* Is v (a `kind` of function `what`) a class index below k?  NULL, or
 * why not in t->errbuf, naming where it is (`unit` at, "row 2") when there
 * are n > 1 of them. */
static const char *class_err(Tape *t, const char *what, const char *kind, double v, long k,
                             const char *unit, long at, long n)
{
    char where[48] = "";
    if (n > 1) snprintf(where, sizeof where, " (%s %ld)", unit, at);
    if (v != floor(v))
        snprintf(t->errbuf, sizeof t->errbuf, "%s: %s %g%s is not a whole number", what, kind, v, where);
    else if (v < 0 || v >= (double)k)
        snprintf(t->errbuf, sizeof t->errbuf, "%s: %s %g%s is out of range: the classes are 0 to %ld",
                 what, kind, v, where, k - 1);
    else
        return NULL;
    return t->errbuf;
}

/* labels (n) -> (n, k); a scalar label -> a vector (k).  b holds k. */
const char *k_one_hot_shape(Tape *t, int i, const char *name)
{
    Shape s = tape_shape(t, t->a[i]);
    long k = t->b[i];
    t->newshape = s.rank == 0 ? (Shape){ 1, { k, 0 } } : (Shape){ 2, { s.d[0], k } };
    return NULL;
}

const char *k_one_hot_fwd(Tape *t, int i)
{
    const double *lab = X(t, t->a[i]);
    long n = tape_size(t, t->a[i]), k = t->b[i];
    double *y = X(t, i);
    memset(y, 0, (size_t)(n * k) * sizeof *y);
    for (long r = 0; r < n; r++) {
        const char *err = class_err(t, "one_hot", "label", lab[r], k, "entry", r, n);
        if (err) return err;
        y[r * k + (long)lab[r]] = 1;
    }
    return NULL;
}

void k_one_hot_bwd(Tape *t, int i) { }
void k_one_hot_im(Tape *t, int i) { memset(IM(t, i), 0, (size_t)tape_size(t, i) * sizeof(double)); }

/* cross_entropy(z, y), z (R, C) and y (R) class indices, or z (C) and a
 * scalar y: the mean over rows of lse(z_r) - z_r[y_r]. */
const char *k_xent_idx_shape(Tape *t, int i, const char *name)
{
    Shape z = tape_shape(t, t->a[i]), y = tape_shape(t, t->b[i]);
    if (!(z.rank == 2 && y.rank == 1 && y.d[0] == z.d[0]) && !(z.rank == 1 && y.rank == 0)) {
        char sz[48], sy[48];
        shape_str(z, sz, sizeof sz);
        shape_str(y, sy, sizeof sy);
        snprintf(t->errbuf, sizeof t->errbuf, "%s: shapes %s and %s do not fit "
                 "(class indices: one per row of the logits)", name, sz, sy);
        return t->errbuf;
    }
    t->newshape = (Shape){ 0, { 0, 0 } };
    return NULL;
}

const char *k_xent_idx_fwd(Tape *t, int i)
{
    Groups q = rows_of(tape_shape(t, t->a[i]));
    const double *z = X(t, t->a[i]), *y = X(t, t->b[i]);
    double s = 0;
    for (long r = 0; r < q.n; r++) {
        const char *err = class_err(t, "cross_entropy", "class index", y[r], q.len, "row", r, q.n);
        if (err) return err;
        s += group_lse(z, q, r) - z[AT(q, r, (long)y[r])];
    }
    X(t, i)[0] = s / (double)q.n;
    return NULL;
}

/* ∂/∂z_c = (softmax(z)_c - [c = y]) / R; nothing for the indices */
void k_xent_idx_bwd(Tape *t, int i)
{
    Groups q = rows_of(tape_shape(t, t->a[i]));
    const double *z = X(t, t->a[i]), *y = X(t, t->b[i]);
    double *gz = G(t, t->a[i]), g = G(t, i)[0] / (double)q.n;
    for (long r = 0; r < q.n; r++) {
        double l = group_lse(z, q, r);
        for (long j = 0; j < q.len; j++)
            gz[AT(q, r, j)] += g * (exp(z[AT(q, r, j)] - l) - (j == (long)y[r]));
    }
}

void k_xent_idx_im(Tape *t, int i)
{
    Groups q = rows_of(tape_shape(t, t->a[i]));
    const double *z = X(t, t->a[i]), *y = X(t, t->b[i]), *zi = IM(t, t->a[i]);
    double s = 0;
    for (long r = 0; r < q.n; r++) {
        double l = group_lse(z, q, r);
        for (long j = 0; j < q.len; j++) s += exp(z[AT(q, r, j)] - l) * zi[AT(q, r, j)];
        s -= zi[AT(q, r, (long)y[r])];
    }
    IM(t, i)[0] = s / (double)q.n;
}

/* ---- reshape: the same entries, another shape ------------------------- */

/* b holds the columns (0: a vector); the compiler checked that they
 * divide the input's size. */
const char *k_reshape_shape(Tape *t, int i, const char *name)
{
    long n = tape_size(t, t->a[i]), c = t->b[i];
    t->newshape = c == 0 ? (Shape){ 1, { n, 0 } } : (Shape){ 2, { n / c, c } };
    return NULL;
}

const char *k_reshape_fwd(Tape *t, int i)
{
    memcpy(X(t, i), X(t, t->a[i]), (size_t)tape_size(t, i) * sizeof(double));
    return NULL;
}

void k_reshape_bwd(Tape *t, int i)
{
    const double *g = G(t, i);
    double *gx = G(t, t->a[i]);
    for (long k = 0, n = tape_size(t, i); k < n; k++) gx[k] += g[k];
}

void k_reshape_im(Tape *t, int i)
{
    memcpy(IM(t, i), IM(t, t->a[i]), (size_t)tape_size(t, i) * sizeof(double));
}

/* ---- kinks of max, min and argmax --------------------------------------
 * Where two entries tie for the extreme, the reduction is not
 * differentiable: a finite difference whose points have other winners
 * than the unperturbed pass straddles that kink (numdiff.c then shrinks
 * the step and reports one-sided slopes). */

static double group_extreme(const double *x, Groups q, long g, int sign)
{
    double m = x[AT(q, g, 0)];
    for (long j = 1; j < q.len; j++) {
        double v = x[AT(q, g, j)];
        if (sign > 0 ? v > m : v < m) m = v;
    }
    return m;
}

int k_ties_flipped(const Tape *t, int i, const double *saved)
{
    Groups q = groups_of(t, i);
    int sign = t->op[i] == OP_AMIN ? -1 : 1;
    const double *x = X(t, t->a[i]), *x0 = saved + t->off[t->a[i]];
    for (long g = 0; g < q.n; g++) {
        double m = group_extreme(x, q, g, sign), m0 = group_extreme(x0, q, g, sign);
        for (long j = 0; j < q.len; j++)
            if ((x[AT(q, g, j)] == m) != (x0[AT(q, g, j)] == m0)) return 1;
    }
    return 0;
}
