/* plotcmd.c: the `plot` command (SPEC section 9).  It computes what to
 * draw, plot.c draws it (in the terminal, or a file through gnuplot):
 *
 *   plot f wrt x [from a to b] ["f.svg"]    f and df/dx, backprop at each x
 *   plot L wrt p, q [from a to b] [...]     the loss over two parameters,
 *                                           with the last descent's path
 *   plot S over X, y [...]                  a 2-D classifier's regions
 *
 * A plot leaves the session as it found it: the names it moves (x; p and
 * q; the const X, replaced by a grid of points) get their values back, and
 * a name plot bound because it was not defined is undefined again. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cmdutil.h"
#include "commands.h"
#include "plot.h"
#include "report.h"
#include "xalloc.h"

enum { NFN = 2 * PIC_W };   /* points of a function plot: one per braille column */

/* A scalar name plot moves: a parameter or const it restores, or a name it
 * binds for the plot and undefines afterwards. */
typedef struct Moved { Entry *e; double saved; int bound; } Moved;

static int move_begin(Session *s, const char *name, const Loc *loc, int may_bind, Moved *m, Diag *d)
{
    memset(m, 0, sizeof *m);
    Entry *e = session_find(s, name);
    if (!e || e->kind == ENT_UNDEF) {
        if (!may_bind) return diag_set(d, E_NAME, loc, "%s is not defined", name);
        e = session_intern(s, name);
        e->kind = ENT_PARAM;
        value_init_scalar(&e->val, 0);
        s->value_bytes += sizeof(double);
        session_touch(s, e);
        m->e = e;
        m->bound = 1;
        return E_OK;
    }
    if (e->kind == ENT_FORMULA || e->kind == ENT_FUNC)
        return diag_set(d, E_USAGE, loc, "%s is a %s: plot moves a parameter (or a name not yet defined)",
                        name, e->kind == ENT_FORMULA ? "formula" : "function");
    if (e->val.shape.rank != 0)
        return diag_set(d, E_SHAPE, loc, "plot moves a scalar, and %s is a tensor", name);
    m->e = e;
    m->saved = e->val.data[0];
    return E_OK;
}

static void move_to(Session *s, Moved *m, double v)
{
    m->e->val.data[0] = v;
    session_changed(s, m->e);
}

static void move_end(Session *s, Moved *m)
{
    if (!m->e) return;
    if (m->bound) session_undefine(s, m->e);
    else move_to(s, m, m->saved);
    m->e = NULL;
}

/* The range from e[1] to e[2] when written (a < b, both finite), else
 * around v: v ± 3·max(1, |v|). */
static int range(Session *s, const Stmt *st, double v, double *a, double *b, Diag *d)
{
    if (st->ne < 3) {
        double h = 3 * fmax(1, fabs(v));
        *a = v - h;
        *b = v + h;
        return E_OK;
    }
    if (eval_scalar(s, st->e[1], a, d) || eval_scalar(s, st->e[2], b, d)) return d->kind;
    if (!isfinite(*a) || !isfinite(*b) || *a >= *b) {
        char as[32], bs[32];
        report_fmt_value(as, sizeof as, *a, 6);
        report_fmt_value(bs, sizeof bs, *b, 6);
        Loc loc = st->e[1]->loc;
        return diag_set(d, E_USAGE, &loc, "a plot's range needs finite from < to (here from %s to %s)", as, bs);
    }
    return E_OK;
}

/* f at the current values, and df/d(slot) when slot >= 0; NAN where f is
 * not defined. */
static void at(Tape *t, int slot, double *f, double *df)
{
    int bad;
    const char *msg;
    if (eval_forward(t, 0, &bad, &msg)) {
        *f = NAN;
        if (df) *df = NAN;
        return;
    }
    *f = tape_val(t, t->root)[0];
    if (df) {
        backprop(t);
        *df = slot >= 0 ? tape_grad(t, slot)[0] : 0;
    }
}

static int plot_fn(Session *s, const Stmt *st, Diag *d)
{
    char text[128], xname[80], title[512], dname[200];
    span_text(st->e[0], text, sizeof text);
    snprintf(xname, sizeof xname, "%s", st->names[0]);
    Entry *old = session_find(s, xname);
    double v = old && (old->kind == ENT_PARAM || old->kind == ENT_CONST) && old->val.shape.rank == 0
                   ? old->val.data[0] : 0;
    double a, b;
    int rc = range(s, st, v, &a, &b, d);
    if (rc) return rc;
    Moved m;
    if ((rc = move_begin(s, xname, &st->name_locs[0], 1, &m, d))) return rc;
    Tape *t = NULL;
    int owned = 0;
    rc = diff_target(s, st->e[0], text, "plot needs a scalar %s: it has shape %s (try sum(%s))",
                     DIFF_NONE, &t, &owned, d);
    if (rc) { move_end(s, &m); return rc; }
    int slot = tape_slot_of(t, m.e);
    double x[NFN], f[NFN], df[NFN], zx[8], zf[8], zend[8];
    int nz = 0, more = 0;
    for (int i = 0; i < NFN; i++) {
        if (bp_interrupted) {
            rc = diag_set(d, E_INTERRUPT, &st->loc, "interrupted: nothing plotted");
            break;
        }
        x[i] = a + (b - a) * i / (NFN - 1);
        move_to(s, &m, x[i]);
        at(t, slot, &f[i], &df[i]);
    }
    /* where the derivative is 0: a sign change between two points, or a
     * point where it is exactly 0 (a flat stretch counts once) */
    for (int i = 0; !rc && i < NFN; i++) {
        double z, end = NAN;
        if (df[i] == 0 && (i == 0 || df[i - 1] != 0)) {
            z = x[i];
            int j = i;
            while (j + 1 < NFN && df[j + 1] == 0) j++;
            if (j > i) end = x[j];     /* a flat stretch: say where it ends */
        } else if (i > 0 && isfinite(df[i - 1]) && isfinite(df[i]) && df[i - 1] * df[i] < 0) {
            /* bisection on the sign of the derivative (backprop each time) */
            double lo = x[i - 1], hi = x[i], dlo = df[i - 1], fz, dz;
            for (int it = 0; it < 60 && lo < hi; it++) {
                double mid = lo + (hi - lo) / 2;
                if (mid <= lo || mid >= hi) break;
                move_to(s, &m, mid);
                at(t, slot, &fz, &dz);
                if (!isfinite(dz) || dz == 0) { lo = hi = mid; break; }
                if ((dz < 0) == (dlo < 0)) { lo = mid; dlo = dz; } else hi = mid;
            }
            z = lo + (hi - lo) / 2;
        } else continue;
        if (nz == 8) { more = 1; break; }
        move_to(s, &m, z);
        at(t, -1, &zf[nz], NULL);
        zend[nz] = end;
        zx[nz++] = z;
    }
    move_end(s, &m);
    if (owned) tape_free(t);
    if (rc) return rc;
    int simple = st->e[0]->kind == AST_NAME;
    if (simple) snprintf(dname, sizeof dname, "d%s/d%s", text, xname);
    else snprintf(dname, sizeof dname, "d/d%s", xname);
    char as[32], bs[32];
    report_fmt_value(as, sizeof as, a, 4);
    report_fmt_value(bs, sizeof bs, b, 4);
    snprintf(title, sizeof title, "%s and %s (backprop), %s from %s to %s", text, dname, xname, as, bs);
    rc = plot_function(s, title, xname, text, dname, x, f, df, NFN, zx, zf, nz, st->file, d);
    if (rc) { if (!d->loc.src) d->loc = st->loc; return rc; }
    for (int i = 0; i < nz; i++) {
        char zs[32], fs[32];
        report_fmt_value(zs, sizeof zs, zx[i], 4);
        report_fmt_value(fs, sizeof fs, zf[i], 4);
        if (isnan(zend[i])) {
            report_text(s, "  %s = 0 near %s = %s (%s = %s)", dname, xname, zs, text, fs);
        } else {   /* exactly 0 over a stretch (tanh's tails in doubles, relu's left) */
            char es[32];
            report_fmt_value(es, sizeof es, zend[i], 4);
            report_text(s, "  %s = 0 (exactly) for %s from %s to %s (%s = %s at %s = %s)", dname, xname,
                        zs, es, text, fs, xname, zs);
        }
    }
    if (more) report_text(s, "  (more zeros of %s not listed)", dname);
    if (st->file) report_text(s, "wrote %s", st->file);
    return E_OK;
}

/* The grid of a map or regions written to a file: finer than a terminal's. */
enum { FILE_W = 150, FILE_H = 100 };

static int plot_loss(Session *s, const Stmt *st, Diag *d)
{
    char text[128], title[300];
    span_text(st->e[0], text, sizeof text);
    if (!strcmp(st->names[0], st->names[1]))
        return diag_set(d, E_USAGE, &st->name_locs[1], "a loss map needs two different parameters");
    Entry *pe[2];
    for (int k = 0; k < 2; k++) {
        pe[k] = session_find(s, st->names[k]);
        if (!pe[k] || pe[k]->kind == ENT_UNDEF)
            return diag_set(d, E_NAME, &st->name_locs[k], "%s is not defined", st->names[k]);
        if (pe[k]->kind != ENT_PARAM)
            return diag_set(d, E_USAGE, &st->name_locs[k], "%s is not a parameter: a loss map moves two parameters",
                            st->names[k]);
        if (pe[k]->val.shape.rank != 0)
            return diag_set(d, E_SHAPE, &st->name_locs[k], "a loss map moves scalars, and %s is a tensor",
                            st->names[k]);
    }
    /* the path: the trail's columns for p and q */
    const Trail *tr = &s->trail;
    int col[2] = { -1, -1 };
    for (int j = 0; j < tr->nents; j++)
        for (int k = 0; k < 2; k++)
            if (tr->ents[j] == pe[k]) col[k] = j;
    long np = col[0] >= 0 && col[1] >= 0 ? tr->n : 0;
    double lo[2], hi[2];
    for (int k = 0; k < 2; k++) {
        double v = pe[k]->val.data[0];
        int rc = range(s, st, v, &lo[k], &hi[k], d);
        if (rc) return rc;
        if (st->ne < 3 && np > 0) {   /* around the path and the value, with a margin */
            double mn = v, mx = v;
            for (long i = 0; i < np; i++) {
                double w = tr->xy[i * tr->nents + col[k]];
                if (isfinite(w)) { mn = fmin(mn, w); mx = fmax(mx, w); }
            }
            double pad = fmax(0.25 * (mx - mn), 0.5 * fmax(1e-3, fabs(v) * 1e-3));
            if (mx - mn < 1) pad = fmax(pad, 0.5);
            lo[k] = mn - pad;
            hi[k] = mx + pad;
        }
    }
    Tape *t = NULL;
    int owned = 0;
    int rc = diff_target(s, st->e[0], text, "a loss map needs a scalar %s: it has shape %s (try sum(%s))",
                         DIFF_NONE, &t, &owned, d);
    if (rc) return rc;
    for (int k = 0; k < 2; k++)
        if (tape_slot_of(t, pe[k]) < 0) {
            if (owned) tape_free(t);
            return diag_set(d, E_USAGE, &st->name_locs[k], "%s does not use %s", text, st->names[k]);
        }
    int MAPW = st->file ? FILE_W : PIC_W, MAPH = st->file ? FILE_H : PIC_H;
    Moved m[2];
    for (int k = 0; k < 2; k++) move_begin(s, st->names[k], &st->name_locs[k], 0, &m[k], d);
    double *z = xmalloc(sizeof(double) * MAPW * MAPH);
    for (int r = 0; r < MAPH && !rc; r++) {
        if (bp_interrupted) rc = diag_set(d, E_INTERRUPT, &st->loc, "interrupted: nothing plotted");
        for (int c = 0; c < MAPW && !rc; c++) {
            move_to(s, &m[0], lo[0] + (hi[0] - lo[0]) * (c + 0.5) / MAPW);
            move_to(s, &m[1], lo[1] + (hi[1] - lo[1]) * (r + 0.5) / MAPH);
            at(t, -1, &z[r * MAPW + c], NULL);
        }
    }
    move_end(s, &m[1]);
    move_end(s, &m[0]);
    if (owned) tape_free(t);
    double *px = xmalloc(sizeof(double) * (size_t)(np + 1)), *py = xmalloc(sizeof(double) * (size_t)(np + 1));
    for (long i = 0; i < np; i++) {
        px[i] = tr->xy[i * tr->nents + col[0]];
        py[i] = tr->xy[i * tr->nents + col[1]];
    }
    if (!rc) {
        char a0[32], a1[32], b0[32], b1[32];
        report_fmt_value(a0, sizeof a0, lo[0], 3);
        report_fmt_value(a1, sizeof a1, hi[0], 3);
        report_fmt_value(b0, sizeof b0, lo[1], 3);
        report_fmt_value(b1, sizeof b1, hi[1], 3);
        snprintf(title, sizeof title, "%s over %s from %s to %s (across), %s from %s to %s (up)", text,
                 st->names[0], a0, a1, st->names[1], b0, b1);
        rc = plot_map(s, title, st->names[0], st->names[1], lo[0], hi[0], lo[1], hi[1], z, MAPW, MAPH,
                      px, py, (int)np, st->file, d);
        if (rc && !d->loc.src) d->loc = st->loc;
        if (!rc && st->file) report_text(s, "wrote %s", st->file);
    }
    free(z);
    free(px);
    free(py);
    return rc;
}

/* The class of row i of a value of n rows and k columns (k == 1: above
 * the threshold or not; else the largest column). */
static int class_of(const double *v, long i, long k, double threshold)
{
    if (k == 1) return v[i] > threshold;
    int best = 0;
    for (long j = 1; j < k; j++)
        if (v[i * k + j] > v[i * k + best]) best = (int)j;
    return best;
}

static int rows_cols(const Value *v, long *n, long *k)
{
    if (v->shape.rank == 1) { *n = v->shape.d[0]; *k = 1; return 1; }
    if (v->shape.rank == 2) { *n = v->shape.d[0]; *k = v->shape.d[1]; return 1; }
    return 0;
}

static int plot_classes(Session *s, const Stmt *st, Diag *d)
{
    const Ast *xa = st->e[1];
    char text[128], title[300], sh[48];
    span_text(st->e[0], text, sizeof text);
    if (xa->kind != AST_NAME)
        return diag_set(d, E_USAGE, &xa->loc, "plot ... over X, y needs X to be the name of a const");
    Entry *X = session_find(s, xa->name);
    if (!X || X->kind == ENT_UNDEF) return diag_set(d, E_NAME, &xa->loc, "%s is not defined", xa->name);
    if (X->kind != ENT_CONST && X->kind != ENT_PARAM)
        return diag_set(d, E_USAGE, &xa->loc, "%s is not data: plot ... over X needs a const", xa->name);
    if (X->val.shape.rank != 2 || X->val.shape.d[1] != 2) {
        shape_str(X->val.shape, sh, sizeof sh);
        return diag_set(d, E_SHAPE, &xa->loc, "a decision picture needs %s with 2 columns (one point a row), not %s",
                        xa->name, sh);
    }
    long n = X->val.shape.d[0];
    Value yv = { 0 }, sv = { 0 }, gv = { 0 };
    long yn = 0, yk = 1, sn = 0, sk = 1;
    int rc = eval_now(s, st->e[2], &yv, d);
    if (!rc && (!rows_cols(&yv, &yn, &yk) || yn != n)) {
        shape_str(yv.shape, sh, sizeof sh);
        rc = diag_set(d, E_SHAPE, &st->e[2]->loc, "the labels need one row per point of %s (%ld), not %s",
                      xa->name, n, sh);
    }
    if (!rc) rc = eval_now(s, st->e[0], &sv, d);
    if (!rc && (!rows_cols(&sv, &sn, &sk) || sn != n)) {
        shape_str(sv.shape, sh, sizeof sh);
        rc = diag_set(d, E_SHAPE, &st->e[0]->loc, "%s needs one row per point of %s (%ld), not %s", text,
                      xa->name, n, sh);
    }
    if (rc) { value_free(&yv); value_free(&sv); return rc; }
    /* labels -1/1 (an SVM's, micrograd's) split at 0, 0/1 at 0.5 */
    double ymin = INFINITY;
    for (long i = 0; i < yn * yk; i++) ymin = fmin(ymin, yv.data[i]);
    double threshold = ymin < 0 ? 0 : 0.5;
    double *px = xmalloc(sizeof(double) * (size_t)n), *py = xmalloc(sizeof(double) * (size_t)n);
    int *pc = xmalloc(sizeof(int) * (size_t)n);
    long right = 0;
    double lo[2] = { INFINITY, INFINITY }, hi[2] = { -INFINITY, -INFINITY };
    for (long i = 0; i < n; i++) {
        px[i] = X->val.data[2 * i];
        py[i] = X->val.data[2 * i + 1];
        pc[i] = class_of(yv.data, i, yk, threshold);
        right += class_of(sv.data, i, sk, threshold) == pc[i];
        lo[0] = fmin(lo[0], px[i]); hi[0] = fmax(hi[0], px[i]);
        lo[1] = fmin(lo[1], py[i]); hi[1] = fmax(hi[1], py[i]);
    }
    for (int k = 0; k < 2; k++) {
        double pad = fmax(0.1 * (hi[k] - lo[k]), 0.5);
        lo[k] -= pad;
        hi[k] += pad;
    }
    /* S at the grid's points: X holds the grid while S is evaluated (its
     * stamp changes, so a formula's cached tape is compiled anew for the
     * new shape), then gets its data back */
    int gw = st->file ? FILE_W : PIC_W, gh = st->file ? FILE_H : PIC_H;   /* a file: finer */
    long G = (long)gw * gh;
    Value grid = { 0 }, saved = X->val;
    double *gd = xmalloc(sizeof(double) * (size_t)G * 2);
    for (int r = 0; r < gh; r++)
        for (int c = 0; c < gw; c++) {
            gd[2 * (r * gw + c)] = lo[0] + (hi[0] - lo[0]) * (c + 0.5) / gw;
            gd[2 * (r * gw + c) + 1] = lo[1] + (hi[1] - lo[1]) * (r + 0.5) / gh;
        }
    value_set(&grid, (Shape){ 2, { G, 2 } }, gd);
    free(gd);
    X->val = grid;
    X->stamp = ++s->clock;
    session_changed(s, X);
    rc = eval_now(s, st->e[0], &gv, d);
    X->val = saved;
    X->stamp = ++s->clock;
    session_changed(s, X);
    value_free(&grid);
    long gn = 0, gk = 1;
    if (!rc && (!rows_cols(&gv, &gn, &gk) || gn != G || gk != sk)) {
        rc = diag_set(d, E_SHAPE, &st->e[0]->loc,
                      "%s does not give one row per point of %s when %s changes (does it use other data?)",
                      text, xa->name, xa->name);
    } else if (rc) {
        diag_note(d, "while evaluating %s at a grid of points in place of %s", text, xa->name);
    }
    if (!rc) {
        int *cls = xmalloc(sizeof(int) * (size_t)G);
        for (long i = 0; i < G; i++) cls[i] = class_of(gv.data, i, gk, threshold);
        int ncls = sk == 1 ? 2 : (int)(sk < 4 ? sk : 4);
        char nm[4][160];
        const char *names[4];
        char th[32];
        report_fmt_value(th, sizeof th, threshold, 3);
        for (int k = 0; k < ncls; k++) {
            if (sk == 1) snprintf(nm[k], sizeof nm[k], "%s %s %s", text, k ? ">" : "<=", th);
            else snprintf(nm[k], sizeof nm[k], "class %d", k);
            names[k] = nm[k];
        }
        snprintf(title, sizeof title, "%s over %s: decision regions and the %ld points", text, xa->name, n);
        rc = plot_regions(s, title, "column 0", "column 1", lo[0], hi[0], lo[1], hi[1], cls, gw,
                          gh, px, py, pc, (int)n, names, ncls, st->file, d);
        if (rc && !d->loc.src) d->loc = st->loc;
        if (!rc) {
            report_text(s, "%*s  %ld of %ld points on their side (%.1f%%)", PLOT_LABEL, "", right, n,
                        100.0 * (double)right / (double)n);
            if (st->file) report_text(s, "wrote %s", st->file);
        }
        free(cls);
    }
    value_free(&yv);
    value_free(&sv);
    value_free(&gv);
    free(px);
    free(py);
    free(pc);
    return rc;
}

int cmd_plot(Session *s, const Stmt *st, Diag *d)
{
    if (cmd_out_file(st->file, &st->loc, "plot", d)) return d->kind;
    if (!st->has_wrt) return plot_classes(s, st, d);
    return st->nnames == 1 ? plot_fn(s, st, d) : plot_loss(s, st, d);
}
