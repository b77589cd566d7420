/* plot.c: ASCII plots in the terminal (the loss of `train`, the error
 * curves of `sweep`).
 *
 * A plot is a grid of PLOT_HEIGHT rows by PLOT_WIDTH columns, filled from
 * the data, then printed row by row behind a column of axis labels:
 *
 *     title
 *       label |  grid row 0 (the top of the y range)
 *             |  ...
 *       label |  grid row PLOT_HEIGHT-1 (the bottom)
 *             +------------------------------------
 *              x labels
 *     notes */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "plot.h"
#include "report.h"

typedef struct Grid {
    char cell[PLOT_HEIGHT][PLOT_WIDTH + 1];
    char label[PLOT_HEIGHT][32];   /* the y axis */
} Grid;

static void grid_clear(Grid *g)
{
    for (int r = 0; r < PLOT_HEIGHT; r++) {
        memset(g->cell[r], ' ', PLOT_WIDTH);
        g->cell[r][PLOT_WIDTH] = '\0';
        g->label[r][0] = '\0';
    }
}

/* The row of value v on an axis from lo (bottom row) to hi (top row). */
static int row_of(double v, double lo, double hi)
{
    double f = (v - lo) / (hi - lo);
    int r = PLOT_HEIGHT - 1 - (int)lround(f * (PLOT_HEIGHT - 1));
    return r < 0 ? 0 : r >= PLOT_HEIGHT ? PLOT_HEIGHT - 1 : r;
}

/* The column of x on an axis from lo (left) to hi (right). */
static int col_of(double x, double lo, double hi)
{
    if (hi <= lo) return PLOT_WIDTH / 2;
    int c = (int)lround((x - lo) / (hi - lo) * (PLOT_WIDTH - 1));
    return c < 0 ? 0 : c >= PLOT_WIDTH ? PLOT_WIDTH - 1 : c;
}

/* The rows, the x axis, and a line with left, middle and right labels
 * under the first, middle and last columns. */
static void grid_print(Session *s, const Grid *g, const char *left, const char *mid,
                       const char *right)
{
    char axis[PLOT_WIDTH + 1], xl[PLOT_WIDTH + 64];
    for (int r = 0; r < PLOT_HEIGHT; r++)
        report_text(s, "%*s |%s", PLOT_LABEL, g->label[r], g->cell[r]);
    memset(axis, '-', PLOT_WIDTH);
    axis[PLOT_WIDTH] = '\0';
    report_text(s, "%*s +%s", PLOT_LABEL, "", axis);

    int ll = (int)strlen(left), ml = (int)strlen(mid), rl = (int)strlen(right);
    memset(xl, ' ', sizeof xl);
    memcpy(xl, left, (size_t)ll);
    int mpos = (PLOT_WIDTH - ml) / 2;
    if (mpos > ll + 1) memcpy(xl + mpos, mid, (size_t)ml);
    int rpos = PLOT_WIDTH - rl;
    if (rpos < mpos + ml + 1) rpos = mpos + ml + 1;
    if (rpos < ll + 1) rpos = ll + 1;
    memcpy(xl + rpos, right, (size_t)rl);
    xl[rpos + rl] = '\0';
    report_text(s, "%*s  %s", PLOT_LABEL, "", xl);
}

/* ---- a series: the loss over the steps --------------------------------- */

void plot_series(Session *s, const char *title, const double *y, int n)
{
    PlotLine l = { NULL, y, n, 1, '*' };
    plot_lines(s, title, &l, 1);
}

void plot_lines(Session *s, const char *title, const PlotLine *lines, int nlines)
{
    double lo = INFINITY, hi = -INFINITY;
    long total = 0, skipped = 0, last = 0;
    for (int k = 0; k < nlines; k++) {
        const PlotLine *l = &lines[k];
        for (int i = 0; i < l->n; i++) {
            total++;
            if (!isfinite(l->y[i])) { skipped++; continue; }
            if (l->y[i] < lo) lo = l->y[i];
            if (l->y[i] > hi) hi = l->y[i];
        }
        if (l->n > 0 && (long)(l->n - 1) * l->stride > last) last = (long)(l->n - 1) * l->stride;
    }
    if (total - skipped == 0) {
        report_text(s, "%s: nothing to plot (%s)", title,
                    total ? "no value is finite" : "no values");
        return;
    }
    int logy = lo > 0 && hi / lo > 100;
    double tlo = logy ? log10(lo) : lo, thi = logy ? log10(hi) : hi;
    if (thi <= tlo) {              /* flat: the line in the middle row */
        double pad = tlo == 0 ? 1 : fabs(tlo) / 2;
        tlo -= pad;
        thi += pad;
    }

    Grid g;
    grid_clear(&g);
    for (int k = 0; k < nlines; k++) {
        const PlotLine *l = &lines[k];
        /* each column: the range of rows of this series' points */
        int rmin[PLOT_WIDTH], rmax[PLOT_WIDTH];
        for (int c = 0; c < PLOT_WIDTH; c++) { rmin[c] = PLOT_HEIGHT; rmax[c] = -1; }
        for (int i = 0; i < l->n; i++) {
            if (!isfinite(l->y[i])) continue;
            long x = (long)i * l->stride;
            int c = last < PLOT_WIDTH ? col_of((double)x, 0, (double)last)
                                      : (int)((double)x * PLOT_WIDTH / ((double)last + 1));
            int r = row_of(logy ? log10(l->y[i]) : l->y[i], tlo, thi);
            if (r < rmin[c]) rmin[c] = r;
            if (r > rmax[c]) rmax[c] = r;
        }
        for (int c = 0; c < PLOT_WIDTH; c++)
            for (int r = rmin[c]; r <= rmax[c]; r++)
                g.cell[r][c] = g.cell[r][c] == ' ' || g.cell[r][c] == l->mark ? l->mark : '#';
    }

    /* y labels: top, middle, bottom, with the fewest digits (3 or more)
     * that tell them apart */
    int rows[3] = { 0, PLOT_HEIGHT / 2, PLOT_HEIGHT - 1 };
    for (int digits = 3; digits <= 10; digits++) {
        for (int k = 0; k < 3; k++) {
            double t = thi - (thi - tlo) * rows[k] / (PLOT_HEIGHT - 1);
            report_fmt_value(g.label[rows[k]], sizeof g.label[0], logy ? pow(10, t) : t, digits);
        }
        if (strcmp(g.label[rows[0]], g.label[rows[1]]) && strcmp(g.label[rows[1]], g.label[rows[2]]))
            break;
    }

    report_text(s, "%s%s", title, logy ? " (log scale)" : "");
    char left[32], right[32];
    snprintf(left, sizeof left, "0");
    snprintf(right, sizeof right, "%ld", last);
    grid_print(s, &g, left, "step", right);
    if (nlines > 1) {
        char leg[256];
        size_t o = 0;
        leg[0] = '\0';
        for (int k = 0; k < nlines && o < sizeof leg; k++)
            o += (size_t)snprintf(leg + o, sizeof leg - o, "%s%c %s", k ? ", " : "",
                                  lines[k].mark, lines[k].name ? lines[k].name : "");
        if (o < sizeof leg)
            snprintf(leg + o, sizeof leg - o, ", # both");
        report_text(s, "%*s  %s", PLOT_LABEL, "", leg);
    }
    if (skipped)
        report_text(s, "(%ld value%s not finite, not drawn)", skipped, skipped == 1 ? "" : "s");
}

/* ---- a sweep: error against the step, log-log -------------------------- */

enum { MARK_F = 1, MARK_C = 2, BEST_F = 4, BEST_C = 8 };

static int drawable(double v) { return isfinite(v) && v > 0; }

void plot_sweep(Session *s, const double *eps, const double *err_fwd,
                const double *err_cen, int n, int best_fwd, int best_cen)
{
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    const double *err[2] = { err_fwd, err_cen };
    for (int i = 0; i < n; i++) {
        if (!drawable(eps[i])) continue;
        int any = 0;
        for (int m = 0; m < 2; m++) {
            if (!err[m] || !drawable(err[m][i])) continue;
            double ly = log10(err[m][i]);
            if (ly < ylo) ylo = ly;
            if (ly > yhi) yhi = ly;
            any = 1;
        }
        if (!any) continue;
        double lx = log10(eps[i]);
        if (lx < xlo) xlo = lx;
        if (lx > xhi) xhi = lx;
    }
    if (!(ylo <= yhi)) {
        report_text(s, "nothing to plot: every error is 0 or not finite");
        return;
    }
    ylo = floor(ylo);
    yhi = ceil(yhi);
    if (yhi <= ylo) yhi = ylo + 1;

    unsigned char mark[PLOT_HEIGHT][PLOT_WIDTH];
    memset(mark, 0, sizeof mark);
    char skipped[512];
    size_t sk = 0;
    int nskipped = 0;
    skipped[0] = '\0';
    for (int i = 0; i < n; i++) {
        for (int m = 0; m < 2; m++) {
            if (!err[m]) continue;
            if (!drawable(eps[i]) || !drawable(err[m][i])) {
                char e[32];
                report_fmt_value(e, sizeof e, eps[i], 2);
                if (nskipped < 8 && sk < sizeof skipped)
                    sk += snprintf(skipped + sk, sizeof skipped - sk, "%s%c at eps %s",
                                   nskipped ? ", " : "", m ? 'c' : 'f', e);
                else if (nskipped == 8 && sk < sizeof skipped)
                    sk += snprintf(skipped + sk, sizeof skipped - sk, ", ...");
                nskipped++;
                continue;
            }
            int r = row_of(log10(err[m][i]), ylo, yhi);
            int c = col_of(log10(eps[i]), xlo, xhi);
            mark[r][c] |= m ? MARK_C : MARK_F;
            if (m == 0 && i == best_fwd) mark[r][c] |= BEST_F;
            if (m == 1 && i == best_cen) mark[r][c] |= BEST_C;
        }
    }

    Grid g;
    grid_clear(&g);
    for (int r = 0; r < PLOT_HEIGHT; r++)
        for (int c = 0; c < PLOT_WIDTH; c++) {
            /* a best eps shows even where the other curve passes too
             * (below 1e-8 forward and central often round alike) */
            int k = mark[r][c], best = k & (BEST_F | BEST_C);
            if (best == BEST_F) g.cell[r][c] = 'F';
            else if (best == BEST_C) g.cell[r][c] = 'C';
            else if ((k & (MARK_F | MARK_C)) == (MARK_F | MARK_C)) g.cell[r][c] = '*';
            else if (k & MARK_F) g.cell[r][c] = 'f';
            else if (k & MARK_C) g.cell[r][c] = 'c';
        }
    /* y labels: the decades at top and bottom, the value at the middle */
    snprintf(g.label[0], sizeof g.label[0], "1e%+03d", (int)yhi);
    snprintf(g.label[PLOT_HEIGHT - 1], sizeof g.label[0], "1e%+03d", (int)ylo);
    double ymid = yhi - (yhi - ylo) * (PLOT_HEIGHT / 2) / (PLOT_HEIGHT - 1);
    if (ymid == floor(ymid))
        snprintf(g.label[PLOT_HEIGHT / 2], sizeof g.label[0], "1e%+03d", (int)ymid);
    else
        report_fmt_value(g.label[PLOT_HEIGHT / 2], sizeof g.label[0], pow(10, ymid), 2);

    report_text(s, "error against eps, log-log (f forward, c central, * both; F, C: best eps)");
    char left[32], right[32];
    report_fmt_value(left, sizeof left, pow(10, xlo), 2);
    report_fmt_value(right, sizeof right, pow(10, xhi), 2);
    grid_print(s, &g, left, "eps", right);

    char line[256], e[32], v[32];
    size_t o = (size_t)snprintf(line, sizeof line, "best eps:");
    int best[2] = { best_fwd, best_cen };
    for (int m = 0; m < 2; m++) {
        if (!err[m]) continue;
        int b = best[m];
        const char *sep = o > 9 ? ", " : " ";
        if (b < 0 || b >= n || !isfinite(err[m][b])) {
            o += snprintf(line + o, sizeof line - o, "%s%s none", sep, m ? "central" : "forward");
        } else {
            report_fmt_value(e, sizeof e, eps[b], 2);
            report_fmt_value(v, sizeof v, err[m][b], 2);
            o += snprintf(line + o, sizeof line - o, "%s%s %s (error %s)", sep,
                          m ? "central" : "forward", e, v);
        }
        if (o >= sizeof line) o = sizeof line - 1;
    }
    report_text(s, "%s", line);
    if (nskipped)
        report_text(s, "not drawn (error 0 or not finite): %s", skipped);
}
