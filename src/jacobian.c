/* jacobian.c: `jacobian F [wrt p, ...]` (SPEC section 7): the matrix of
 * ∂F_i/∂p_j for a vector F, three ways, shown agreeing:
 *   reverse mode  one backward pass per output, seeded with a one-hot
 *                 vector (backprop_seed): row i is e_iᵀ J;
 *   forward mode  one dual-number pass per input entry (dual.c): column j
 *                 is J e_j;
 *   central       (F(p + h) − F(p − h)) / (p₊ − p₋), two forward passes per
 *                 input entry, judged by the mark of section 4.
 * The cost line counts the passes and says which mode is cheaper for this
 * shape: m outputs against n inputs, the cost lesson of grad one level up. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmdutil.h"
#include "commands.h"
#include "dual.h"
#include "numdiff.h"
#include "report.h"
#include "xalloc.h"

/* One column of the Jacobian: entry k of a parameter (slot -1: F does
 * not use it, the column is 0). */
typedef struct Col { Entry *e; int slot; long k; char name[64]; } Col;

/* The most entries one jacobian shows: a limit, not a crash. */
enum { JAC_MAX = 100000 };

/* Central differences of the whole vector F along column c: J[.][c] into
 * out (stride n), F(p±h) into fp, fm.  Returns 0, or -1 when a side leaves
 * the domain (out is NaN then).  The value arena is restored from saved. */
static int central_col(Tape *t, const Col *c, const double *saved, double tol_h,
                       double *out, long n, double *fp, double *fm, double *h)
{
    long off = t->off[c->slot], m = tape_size(t, t->root);
    double p = saved[off + c->k];
    volatile double hh = tol_h * fmax(1.0, fabs(p)), pp = p + hh, pm = p - hh;
    int bad, rc = 0;
    const char *msg;
    for (int side = 0; side < 2 && !rc; side++) {
        t->val[off + c->k] = side ? pm : pp;
        rc = eval_forward(t, c->slot + 1, &bad, &msg);
        memcpy(side ? fm : fp, tape_val(t, t->root), (size_t)m * sizeof *fp);
        memcpy(t->val + off, saved + off, (size_t)(t->nval - off) * sizeof *t->val);
    }
    *h = (pp - pm) / 2;
    for (long i = 0; i < m; i++)
        out[i * n] = rc ? NAN : (fp[i] - fm[i]) / (pp - pm);
    return rc ? -1 : 0;
}

int cmd_jacobian(Session *s, const Stmt *st, Diag *d)
{
    const Ast *target = st->e[0];
    char text[128], sh[48];
    int owned, rc = E_OK;
    Col *cols = NULL;
    int ncols = 0, ccap = 0;
    double *rev = NULL, *fwd = NULL, *cen = NULL, *seed = NULL, *saved = NULL, *fp = NULL, *fm = NULL;
    span_text(target, text, sizeof text);
    Tape *t = tape_for(s, target, &owned, d);
    if (!t) return d->kind;
    Shape out = tape_shape(t, t->root);
    shape_str(out, sh, sizeof sh);
    if (out.rank == 0) {
        rc = diag_set(d, E_SHAPE, &target->loc, "jacobian needs a vector, and %s is a scalar: use grad %s", text, text);
        goto done;
    }
    if (out.rank != 1) {
        rc = diag_set(d, E_SHAPE, &target->loc,
                      "jacobian needs a vector, and %s is a matrix %s: take a row or a column of it "
                      "(M[0, :], M[:, 0])", text, sh);
        goto done;
    }
    if ((rc = cmd_forward(t, d))) goto done;

    /* the columns: every entry of the parameters named, or of every parameter */
    CmdWrt *by = NULL;
    int nw = 0;
    if ((rc = cmd_wrt(s, st, t, &by, &nw, d))) goto done;
    for (int w = 0; w < nw; w++) {
        Entry *e = by[w].e;
        int slot = by[w].slot;
        Shape ps = slot >= 0 ? tape_shape(t, slot) : e->val.shape;
        for (long k = 0; k < shape_size(ps); k++) {
            if (ncols >= JAC_MAX) break;
            xgrow((void **)&cols, &ccap, ncols + 1, sizeof *cols);
            cols[ncols] = (Col){ e, slot, k, "" };
            entry_name(cols[ncols].name, sizeof cols[ncols].name, e->name, ps, k);
            ncols++;
        }
    }
    free(by);
    long m = out.d[0], n = ncols;
    if (n == 0) {
        rc = diag_set(d, E_USAGE, &target->loc, "%s depends on no parameters: its Jacobian is empty", text);
        goto done;
    }
    if (m * n > JAC_MAX) {
        /* say what fits: that many of F's entries, against every column */
        long fit = JAC_MAX / n > 0 ? JAC_MAX / n : 1;
        rc = diag_set(d, E_LIMIT, &target->loc, "the Jacobian of %s has %ld x %ld entries, past "
                      "jacobian's limit of %d: take some of its entries (%s[0:%ld]) or wrt fewer "
                      "parameters", text, m, n, (int)JAC_MAX,
                      target->kind == AST_NAME ? text : "F", fit);
        goto done;
    }
    rev = xcalloc((size_t)(m * n), sizeof *rev);
    fwd = xcalloc((size_t)(m * n), sizeof *fwd);
    cen = xcalloc((size_t)(m * n), sizeof *cen);
    seed = xcalloc((size_t)m, sizeof *seed);
    fp = xcalloc((size_t)m, sizeof *fp);
    fm = xcalloc((size_t)m, sizeof *fm);
    double *hs = xcalloc((size_t)n, sizeof *hs);
    if (!(saved = cmd_tape_copy(t, &st->loc, d))) { rc = d->kind; free(hs); goto done; }
    memcpy(saved, t->val, (size_t)t->nval * sizeof *saved);

    /* reverse mode: row i from the seed e_i */
    for (long i = 0; i < m; i++) {
        if (bp_interrupted) { rc = diag_set(d, E_INTERRUPT, &st->loc, "interrupted"); free(hs); goto done; }
        seed[i] = 1;
        backprop_seed(t, seed);
        seed[i] = 0;
        for (long j = 0; j < n; j++)
            rev[i * n + j] = cols[j].slot >= 0 ? tape_grad(t, cols[j].slot)[cols[j].k] : 0;
    }
    /* forward mode: column j from the seed p_j' = 1; central beside it */
    long dual_passes = 0, central_passes = 0, bad_rows = 0, mismatch = 0;
    double max_fr = 0, max_cr = 0;
    for (long j = 0; j < n; j++) {
        if (bp_interrupted) { rc = diag_set(d, E_INTERRUPT, &st->loc, "interrupted"); free(hs); goto done; }
        if (cols[j].slot < 0) continue;                /* unused: 0 by every method */
        int bad;
        const char *msg;
        dual_passes++;
        if (dual_pass(t, cols[j].slot, cols[j].k, &bad, &msg)) {
            tape_diag(t, bad, msg, d);
            rc = d->kind;
            free(hs);
            goto done;
        }
        for (long i = 0; i < m; i++)
            fwd[i * n + j] = t->im[t->off[t->root] + i];
        central_passes += 2;
        double h = 1;
        if (central_col(t, &cols[j], saved, s->set.eps > 0 ? s->set.eps : cbrt(DBL_EPSILON),
                        cen + j, n, fp, fm, &h))
            bad_rows++;
        for (long i = 0; i < m; i++) {
            double r = rev[i * n + j], fw = fwd[i * n + j], c = cen[i * n + j];
            if (fabs(r - fw) > max_fr || !isfinite(r - fw)) max_fr = isfinite(r - fw) ? fabs(r - fw) : INFINITY;
            if (isfinite(c) && fabs(r - c) > max_cr) max_cr = fabs(r - c);
            mismatch += numdiff_disagree(r, c, fp[i], fm[i], h, s->set.tol);
        }
        (void)hs;
    }
    free(hs);
    /* reverse against forward: the same numbers to rounding, relative to
     * the entry or (for an entry that cancels to about 0) to the largest */
    double jmax = 0;
    for (long q = 0; q < m * n; q++) if (fabs(rev[q]) > jmax) jmax = fabs(rev[q]);
    for (long q = 0; q < m * n; q++) {
        double r = rev[q], fw = fwd[q];
        if (!(fabs(r - fw) <= 1e-12 * fmax(fabs(r), fabs(fw)) + 1e-15 * jmax)) mismatch++;
    }

    const char *cheaper = m < n ? "reverse" : n < m ? "forward" : "neither";
    if (s->json) {
        FILE *f = s->out;
        fputs("{\"jacobian\": ", f);
        report_json_string(f, text);
        fputs(", \"outputs\": [", f);
        for (long i = 0; i < m; i++) {
            char nm[160];
            snprintf(nm, sizeof nm, "%s[%ld]", text, i);
            if (i) fputs(", ", f);
            report_json_string(f, nm);
        }
        fputs("], \"wrt\": [", f);
        for (long j = 0; j < n; j++) {
            if (j) fputs(", ", f);
            report_json_string(f, cols[j].name);
        }
        fputs("]", f);
        report_json_matrix(f, "reverse", rev, m, n);
        report_json_matrix(f, "forward", fwd, m, n);
        report_json_matrix(f, "central", cen, m, n);
        fprintf(f, ", \"ok\": %s, \"cost\": {\"reverse\": {\"forward\": 1, \"backward\": %ld}, "
                   "\"forward\": {\"forward\": 1, \"dual\": %ld}, \"central\": {\"forward\": %ld}, "
                   "\"cheaper\": \"%s\"}}\n",
                mismatch ? "false" : "true", m, dual_passes, central_passes, cheaper);
        goto done;
    }
    {
        char head[512], short_text[160];
        snprintf(short_text, sizeof short_text, "%s", text);
        report_shorten(short_text, 16);    /* a long expression: its start */
        snprintf(head, sizeof head, "jacobian %s: %ld outputs (rows) x %ld inputs (columns), d%s[i]/dp",
                 text, m, n, text);
        if (report_cols(head) > report_width(s))
            snprintf(head, sizeof head, "jacobian %s: %ld outputs (rows) x %ld inputs (columns)",
                     short_text, m, n);
        report_text(s, "%s", head);
    }
    /* the matrix by reverse mode, when it fits 80 columns; else entry rows */
    int show_matrix = n <= 5 && m <= 20, show_t = !show_matrix && m <= 5 && n <= 20;
    if (show_t) {   /* wide: one line per input, the outputs across */
        char line[200];
        report_text(s, "  (transposed to fit: a line per input, the outputs across)");
        int o = snprintf(line, sizeof line, "  %-8s", "");
        for (long i = 0; i < m; i++) {
            char on[48];
            snprintf(on, sizeof on, "%.8s[%ld]", text, i);
            o += snprintf(line + o, sizeof line - o, " %13.13s", on);
        }
        report_text(s, "%s", line);
        for (long j = 0; j < n; j++) {
            o = snprintf(line, sizeof line, "  %-8.8s", cols[j].name);
            for (long i = 0; i < m; i++) o += snprintf(line + o, sizeof line - o, " %13.6e", rev[i * n + j]);
            report_text(s, "%s", line);
        }
    } else if (show_matrix) {
        char line[200];
        int o = snprintf(line, sizeof line, "  %-8s", "");
        for (long j = 0; j < n; j++) o += snprintf(line + o, sizeof line - o, " %13.12s", cols[j].name);
        report_text(s, "%s", line);
        for (long i = 0; i < m; i++) {
            char rn[16];
            snprintf(rn, sizeof rn, "[%ld]", i);
            o = snprintf(line, sizeof line, "  %-8s", rn);
            for (long j = 0; j < n; j++) o += snprintf(line + o, sizeof line - o, " %13.6e", rev[i * n + j]);
            report_text(s, "%s", line);
        }
    } else {
        long shown = 0;
        report_text(s, "  %-14s %-10s %14s", "output", "wrt", "reverse");
        for (long i = 0; i < m && shown < 24; i++)
            for (long j = 0; j < n && shown < 24; j++, shown++) {
                char on[48];
                snprintf(on, sizeof on, "%.20s[%ld]", text, i);
                report_text(s, "  %-14s %-10.10s %14.6e", on, cols[j].name, rev[i * n + j]);
            }
        if (m * n > shown) report_text(s, "  ... (%ld entries in all: --json prints every one)", m * n);
    }
    report_text(s, "  forward mode (dual):  max |reverse - forward| = %.1e%s", max_fr,
                max_fr <= 1e-12 * fmax(1, jmax) ? " (the same numbers)" : "");
    report_text(s, "  central differences: max |reverse - central| = %.1e", max_cr);
    if (mismatch || bad_rows)
        report_text(s, "  <-- MISMATCH: %ld of %ld entries disagree%s", mismatch, m * n,
                    bad_rows ? " (a step left the domain)" : "");
    else if (m * n < 100)
        report_text(s, "  all %ld entries agree (reverse = forward to rounding; central within the mark)", m * n);
    else    /* a longer count: the reason on a line of its own */
        report_text(s, "  all %ld entries agree\n  (reverse = forward to rounding; central within the mark)",
                    m * n);
    report_text(s, "cost: reverse mode 1 forward + %ld backward (one per output); forward mode", m);
    report_text(s, "  %ld dual pass%s (one per input); central diff %ld forward", dual_passes,
                dual_passes == 1 ? "" : "es", central_passes);
    if (m < n)
        report_text(s, "  m = %ld outputs < n = %ld inputs: reverse mode is cheaper here (%ld pass%s", m, n, m,
                    m == 1 ? "" : "es");
    else if (n < m)
        report_text(s, "  n = %ld inputs < m = %ld outputs: forward mode is cheaper here (%ld pass%s", n, m, n,
                    n == 1 ? "" : "es");
    else
        report_text(s, "  m = n = %ld: both modes take the same number of passes (%ld", m, m);
    if (m != n)
        report_text(s, "  against %ld): a %s, and there are fewer of those", m < n ? n : m,
                    m < n ? "backward pass gives a row" : "dual pass gives a column");
    else
        report_text(s, "  each): a backward pass gives a row, a dual pass a column");
done:
    free(cols); free(rev); free(fwd); free(cen); free(seed); free(saved); free(fp); free(fm);
    if (owned) tape_free(t);
    return rc;
}
