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
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>
#include "plot.h"
#include "report.h"
#include "xalloc.h"

extern char **environ;

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

/* The y scale of a chart of losses against steps: log when the values are
 * positive and span more than 100x; a flat series gets the middle row.
 * Returns logy; *tlo, *thi: the scale's ends. */
static int step_scale(double lo, double hi, double *tlo, double *thi)
{
    int logy = lo > 0 && hi / lo > 100;
    *tlo = logy ? log10(lo) : lo;
    *thi = logy ? log10(hi) : hi;
    if (*thi <= *tlo) {            /* flat: the line in the middle row */
        double pad = *tlo == 0 ? 1 : fabs(*tlo) / 2;
        *tlo -= pad;
        *thi += pad;
    }
    return logy;
}

/* y labels: top, middle, bottom, with the fewest digits (3 or more) that
 * tell them apart. */
static void step_labels(Grid *g, double tlo, double thi, int logy)
{
    int rows[3] = { 0, PLOT_HEIGHT / 2, PLOT_HEIGHT - 1 };
    for (int digits = 3; digits <= 10; digits++) {
        for (int k = 0; k < 3; k++) {
            double t = thi - (thi - tlo) * rows[k] / (PLOT_HEIGHT - 1);
            report_fmt_value(g->label[rows[k]], sizeof g->label[0], logy ? pow(10, t) : t, digits);
        }
        if (strcmp(g->label[rows[0]], g->label[rows[1]]) && strcmp(g->label[rows[1]], g->label[rows[2]]))
            break;
    }
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
    double tlo, thi;
    int logy = step_scale(lo, hi, &tlo, &thi);

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

    step_labels(&g, tlo, thi, logy);

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


/* ---- the plot command's pictures ----------------------------------------- */

int plot_utf8(void)
{
    const char *env = getenv("BP_ASCII");
    if (env && *env) return strcmp(env, "0") == 0;
    const char *cur = setlocale(LC_CTYPE, NULL);
    char *saved = xstrdup(cur ? cur : "C");
    int utf8 = 0;
    if (setlocale(LC_CTYPE, "")) {
        const char *cs = nl_langinfo(CODESET);
        utf8 = cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
    }
    setlocale(LC_CTYPE, saved);
    free(saved);
    return utf8;
}

/* A picture of PIC_H rows by PIC_W cells, each cell a glyph (one ASCII
 * character or one UTF-8 sequence), behind a column of y labels. */
typedef struct Pic {
    char cell[PIC_H][PIC_W][8];
    unsigned char colour[PIC_H][PIC_W];   /* an ANSI colour (31 red ...), 0: none */
    char label[PIC_H][32];
} Pic;

/* The colours, used only when the session's output is a colour terminal
 * (Session.color: main.c's decision, NO_COLOR honoured). */
enum { C_NONE = 0, C_RED = 31, C_BLUE = 34, C_MAGENTA = 35 };

static void pic_clear(Pic *p)
{
    memset(p, 0, sizeof *p);
    for (int r = 0; r < PIC_H; r++)
        for (int c = 0; c < PIC_W; c++) strcpy(p->cell[r][c], " ");
}

static void put_c(Pic *p, int r, int c, const char *glyph, int colour)
{
    if (r >= 0 && r < PIC_H && c >= 0 && c < PIC_W) {
        snprintf(p->cell[r][c], 8, "%s", glyph);
        p->colour[r][c] = (unsigned char)colour;
    }
}

static void put(Pic *p, int r, int c, const char *glyph)
{
    put_c(p, r, c, glyph, C_NONE);
}

/* The cell of v on an axis of `cells` cells from lo to hi (-1: outside). */
static int cell_of(double v, double lo, double hi, int cells)
{
    if (!isfinite(v) || v < lo || v > hi) return -1;
    int k = (int)floor((v - lo) / (hi - lo) * cells);
    return k >= cells ? cells - 1 : k;
}

static void label_rows(Pic *p, double lo, double hi)
{
    int rows[3] = { 0, PIC_H / 2, PIC_H - 1 };
    for (int digits = 3; digits <= 10; digits++) {
        for (int k = 0; k < 3; k++) {
            /* a row's label is the value at its middle */
            double t = hi - (hi - lo) * (rows[k] + 0.5) / PIC_H;
            report_fmt_value(p->label[rows[k]], sizeof p->label[0], t, digits);
        }
        if (strcmp(p->label[rows[0]], p->label[rows[1]]) && strcmp(p->label[rows[1]], p->label[rows[2]]))
            break;
    }
}

static void pic_print(Session *s, const Pic *p, int utf8, double x0, double x1, const char *xname)
{
    char line[PIC_W * 20 + 64];
    for (int r = 0; r < PIC_H; r++) {
        size_t o = (size_t)snprintf(line, sizeof line, "%*s %s", PLOT_LABEL, p->label[r],
                                    utf8 ? "\u2502" : "|");
        for (int c = 0; c < PIC_W; c++) {
            int k = s->color && !s->json ? p->colour[r][c] : 0;
            if (k) o += (size_t)snprintf(line + o, sizeof line - o, "\033[%dm%s\033[0m", k, p->cell[r][c]);
            else o += (size_t)snprintf(line + o, sizeof line - o, "%s", p->cell[r][c]);
        }
        report_text(s, "%s", line);
    }
    size_t o = (size_t)snprintf(line, sizeof line, "%*s %s", PLOT_LABEL, "", utf8 ? "\u2514" : "+");
    for (int c = 0; c < PIC_W; c++) o += (size_t)snprintf(line + o, sizeof line - o, "%s", utf8 ? "\u2500" : "-");
    report_text(s, "%s", line);
    char left[32], right[32], xl[PIC_W + 64];
    report_fmt_value(left, sizeof left, x0, 3);
    report_fmt_value(right, sizeof right, x1, 3);
    int ll = (int)strlen(left), rl = (int)strlen(right), nl = (int)strlen(xname);
    memset(xl, ' ', sizeof xl);
    memcpy(xl, left, (size_t)ll);
    int mpos = (PIC_W - nl) / 2, rpos = PIC_W - rl;
    if (mpos > ll + 1 && mpos + nl + 1 < rpos) memcpy(xl + mpos, xname, (size_t)nl);
    if (rpos < ll + 1) rpos = ll + 1;
    memcpy(xl + rpos, right, (size_t)rl);
    xl[rpos + rl] = '\0';
    report_text(s, "%*s  %s", PLOT_LABEL, "", xl);
}

/* The braille character with dot bits `bits` (U+2800 + bits), in UTF-8. */
static void braille(char *out, unsigned bits)
{
    unsigned cp = 0x2800 + bits;
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    out[3] = '\0';
}

/* gnuplot: the script (which reads the data file as '$DATA') to path's
 * format; the data file is written by write_data(ctx, FILE*). */
static int gnuplot_run(const char *path, const char *script,
                       void (*write_data)(const void *, FILE *), const void *ctx, Diag *d)
{
    const char *ext = strrchr(path, '.');
    const char *term = NULL;
    if (ext && !strcasecmp(ext, ".svg")) term = "svg size 800,600 dynamic font 'sans,14'";
    else if (ext && !strcasecmp(ext, ".png")) term = "pngcairo size 1000,750 font 'sans,14'";
    if (!term)
        return diag_set(d, E_USAGE, NULL, "plot writes .svg or .png files (not %s)", path);
    const char *dir = getenv("TMPDIR");
    char data[4096], gp[4096];
    snprintf(data, sizeof data, "%s/bp-plot-XXXXXX.dat", dir && *dir ? dir : "/tmp");
    snprintf(gp, sizeof gp, "%s/bp-plot-XXXXXX.gp", dir && *dir ? dir : "/tmp");
    int fd = mkstemps(data, 4);
    if (fd < 0) return diag_set(d, E_IO, NULL, "cannot make a temporary file for gnuplot: %s", strerror(errno));
    FILE *f = fdopen(fd, "w");
    if (!f) { close(fd); unlink(data); return diag_set(d, E_IO, NULL, "cannot write %s", data); }
    write_data(ctx, f);
    int bad = fclose(f) != 0;
    int gfd = bad ? -1 : mkstemps(gp, 3);
    FILE *g = gfd < 0 ? NULL : fdopen(gfd, "w");
    if (!g) {
        if (gfd >= 0) { close(gfd); unlink(gp); }
        unlink(data);
        return diag_set(d, E_IO, NULL, "cannot write gnuplot's input in %s", dir && *dir ? dir : "/tmp");
    }
    fprintf(g, "set terminal %s\nset output '%s'\nDATA = '%s'\n%s", term, path, data, script);
    bad = fclose(g) != 0;
    int rc = 0, status = 0;
    pid_t pid;
    char *argv[] = { "gnuplot", gp, NULL };
    if (!bad) {
        rc = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
        if (rc == 0)
            while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) { rc = errno; break; }
    }
    unlink(data);
    unlink(gp);
    if (bad) return diag_set(d, E_IO, NULL, "cannot write gnuplot's input");
    if (rc == ENOENT || (rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 127))
        return diag_set(d, E_IO, NULL,
                        "gnuplot is not installed (apt-get install gnuplot-nox); "
                        "without a file name plot draws in the terminal");
    if (rc) return diag_set(d, E_IO, NULL, "cannot run gnuplot: %s", strerror(rc));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return diag_set(d, E_IO, NULL, "gnuplot failed to make %s (exit status %d)", path,
                        WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return E_OK;
}

/* A title or name inside a gnuplot single-quoted string: quotes doubled. */
static void gp_quote(char *out, size_t n, const char *in)
{
    size_t o = 0;
    for (; *in && o + 3 < n; in++) {
        if (*in == '\'') out[o++] = '\'';
        out[o++] = *in;
    }
    out[o] = '\0';
}

/* The lines a two-axis picture's gnuplot script starts with: title, axis
 * names (quoted for gnuplot), the legend above, the ranges.  Returns the
 * length written. */
static int gp_axes(char *out, size_t n, const char *title, const char *xname, const char *yname,
                   double x0, double x1, double y0, double y1)
{
    char t[512], xn[128], yn[128];
    gp_quote(t, sizeof t, title);
    gp_quote(xn, sizeof xn, xname);
    gp_quote(yn, sizeof yn, yname);
    return snprintf(out, n, "set title '%s' noenhanced\nset xlabel '%s' noenhanced\n"
                    "set ylabel '%s' noenhanced\nset key outside top center horizontal\n"
                    "set xrange [%.17g:%.17g]\nset yrange [%.17g:%.17g]\n", t, xn, yn, x0, x1, y0, y1);
}

typedef struct FnData { const double *x, *f, *df, *zx, *zf; int n, nz; } FnData;

static void fn_data(const void *ctx, FILE *f)
{
    const FnData *fd = ctx;
    for (int i = 0; i < fd->n; i++)
        fprintf(f, "%.17g %.17g %.17g\n", fd->x[i], fd->f[i], fd->df[i]);
    fprintf(f, "\n\n");
    for (int i = 0; i < fd->nz; i++) fprintf(f, "%.17g %.17g\n", fd->zx[i], fd->zf[i]);
    if (fd->nz == 0) fprintf(f, "NaN NaN\n");
}

int plot_function(Session *s, const char *title, const char *xname, const char *fname,
                  const char *dname, const double *x, const double *f, const double *df,
                  int n, const double *zx, const double *zf, int nz, const char *path,
                  Diag *d)
{
    if (path) {
        char t[512], xn[128], fn[256], dn[256], script[2048];
        gp_quote(t, sizeof t, title);
        gp_quote(xn, sizeof xn, xname);
        gp_quote(fn, sizeof fn, fname);
        gp_quote(dn, sizeof dn, dname);
        snprintf(script, sizeof script,
                 "set title '%s' noenhanced\nset xlabel '%s' noenhanced\nset grid\n"
                 "set key outside top center horizontal noenhanced\nset xzeroaxis lt -1\n"
                 "plot DATA index 0 using 1:2 with lines lw 3 title '%s', "
                 "DATA index 0 using 1:3 with lines lw 2 dt 2 title '%s', "
                 "DATA index 1 using 1:2 with points pt 7 ps 2 title '%s = 0'\n",
                 t, xn, fn, dn, dn);
        FnData fd = { x, f, df, zx, zf, n, nz };
        return gnuplot_run(path, script, fn_data, &fd, d);
    }
    int utf8 = plot_utf8();
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (isfinite(f[i])) { lo = fmin(lo, f[i]); hi = fmax(hi, f[i]); }
        if (isfinite(df[i])) { lo = fmin(lo, df[i]); hi = fmax(hi, df[i]); }
    }
    if (!(lo <= hi)) {
        report_text(s, "%s: nothing to plot (no value is finite)", title);
        return E_OK;
    }
    if (hi - lo < 1e-12 * fmax(1, fabs(hi))) { lo -= 1; hi += 1; }
    double pad = (hi - lo) * 0.03;
    lo -= pad;
    hi += pad;
    double x0 = x[0], x1 = x[n - 1];
    Pic p;
    pic_clear(&p);
    /* the line y = 0, under everything */
    int zr = cell_of(0, lo, hi, PIC_H);
    if (zr >= 0)
        for (int c = 0; c < PIC_W; c++) put(&p, PIC_H - 1 - zr, c, utf8 ? "\u2500" : "-");
    /* the derivative, a cell at a time */
    for (int i = 0; i < n; i++) {
        int c = cell_of(x[i], x0, x1, PIC_W), r = cell_of(df[i], lo, hi, PIC_H);
        if (c >= 0 && r >= 0) put_c(&p, PIC_H - 1 - r, c, utf8 ? "\u00b7" : ".", C_MAGENTA);
    }
    /* f: braille dots (joined from one point to the next) or `*` */
    static unsigned bits[PIC_H][PIC_W];
    memset(bits, 0, sizeof bits);
    int W2 = PIC_W * 2, H4 = PIC_H * 4, prev_r = -1;
    for (int i = 0; i < n; i++) {
        int c = cell_of(x[i], x0, x1, W2), r = cell_of(f[i], lo, hi, H4);
        if (c < 0 || r < 0) { prev_r = -1; continue; }
        int from = prev_r < 0 ? r : prev_r;
        int a = from < r ? from : r, b = from < r ? r : from;
        if (b - a > 1) { if (from < r) a++; else b--; }   /* the join, not a bar */
        for (int rr = a; rr <= b; rr++) {
            int R = H4 - 1 - rr;
            static const unsigned dot[4][2] = { { 0x01, 0x08 }, { 0x02, 0x10 },
                                                { 0x04, 0x20 }, { 0x40, 0x80 } };
            bits[R / 4][c / 2] |= dot[R % 4][c % 2];
        }
        prev_r = r;
    }
    for (int r = 0; r < PIC_H; r++)
        for (int c = 0; c < PIC_W; c++)
            if (bits[r][c]) {
                char g[8];
                if (utf8) braille(g, bits[r][c]);
                else strcpy(g, "*");
                put_c(&p, r, c, g, C_BLUE);
            }
    for (int i = 0; i < nz; i++) {
        int c = cell_of(zx[i], x0, x1, PIC_W), r = cell_of(zf[i], lo, hi, PIC_H);
        if (c >= 0 && r >= 0) put_c(&p, PIC_H - 1 - r, c, utf8 ? "\u25cf" : "o", C_RED);
    }
    label_rows(&p, lo, hi);
    report_text(s, "%s", title);
    pic_print(s, &p, utf8, x0, x1, xname);
    report_text(s, "%*s  %s %s   %s %s   %s %s = 0", PLOT_LABEL, "", utf8 ? "\u28ff" : "*", fname,
                utf8 ? "\u00b7" : ".", dname, utf8 ? "\u25cf" : "o", dname);
    return E_OK;
}

typedef struct GridData {
    double x0, x1, y0, y1;
    const double *z;
    const int *cls;
    int nx, ny;
    const double *px, *py;
    const int *pc;
    int np;
} GridData;

static void grid_data(const void *ctx, FILE *f)
{
    const GridData *g = ctx;
    for (int r = 0; r < g->ny; r++) {
        for (int c = 0; c < g->nx; c++) {
            double x = g->x0 + (g->x1 - g->x0) * (c + 0.5) / g->nx;
            double y = g->y0 + (g->y1 - g->y0) * (r + 0.5) / g->ny;
            double z = g->z ? g->z[r * g->nx + c] : g->cls[r * g->nx + c];
            fprintf(f, "%.17g %.17g %.17g\n", x, y, z);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\n\n");
    for (int i = 0; i < g->np; i++)
        fprintf(f, "%.17g %.17g %d\n", g->px[i], g->py[i], g->pc ? g->pc[i] : i);
    if (g->np == 0) fprintf(f, "NaN NaN 0\n");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const char *const shade_utf8[] = { " ", "\u2591", "\u2592", "\u2593", "\u2588" };
static const char shade_ascii[] = " .:-=+*#%@";

int plot_map(Session *s, const char *title, const char *xname, const char *yname,
             double x0, double x1, double y0, double y1, const double *z, int nx, int ny,
             const double *px, const double *py, int np, const char *path, Diag *d)
{
    GridData gd = { x0, x1, y0, y1, z, NULL, nx, ny, px, py, NULL, np };
    if (path) {
        char script[2048];
        int o = gp_axes(script, sizeof script, title, xname, yname, x0, x1, y0, y1);
        snprintf(script + o, sizeof script - (size_t)o,
                 "set view map\n"
                 "set palette rgbformulae 33,13,10\nset contour base\nset cntrparam levels 12\n"
                 "unset clabel\n"
                 "splot DATA index 0 using 1:2:3 with pm3d notitle, "
                 "DATA index 0 using 1:2:3 nosurface with lines lc rgb 'black' notitle, "
                 "DATA index 1 using 1:2:(0) nocontour with linespoints lw 2 pt 7 lc rgb 'white' title 'descent path'\n");
        return gnuplot_run(path, script, grid_data, &gd, d);
    }
    int utf8 = plot_utf8();
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < nx * ny; i++)
        if (isfinite(z[i])) { lo = fmin(lo, z[i]); hi = fmax(hi, z[i]); }
    if (!(lo <= hi)) {
        report_text(s, "%s: nothing to plot (no value is finite)", title);
        return E_OK;
    }
    /* shades by quantiles: each level holds about as many cells, so the
     * bowl shows whatever the scale of the loss (a linear scale paints a
     * steep bowl one colour but its rim) */
    int levels = utf8 ? 5 : 10, nf = 0;
    double *sorted = xmalloc(sizeof(double) * (size_t)(nx * ny));
    for (int i = 0; i < nx * ny; i++)
        if (isfinite(z[i])) sorted[nf++] = z[i];
    qsort(sorted, (size_t)nf, sizeof *sorted, cmp_double);
    double cut[10];
    for (int k = 1; k < levels; k++) cut[k] = sorted[(long)nf * k / levels];
    free(sorted);
    Pic p;
    pic_clear(&p);
    for (int r = 0; r < ny && r < PIC_H; r++)
        for (int c = 0; c < nx && c < PIC_W; c++) {
            double v = z[r * nx + c];
            if (!isfinite(v)) continue;
            int k = 0;
            while (k + 1 < levels && v >= cut[k + 1]) k++;
            char g[8] = { shade_ascii[k], 0 };
            put(&p, PIC_H - 1 - r, c, utf8 ? shade_utf8[k] : g);
        }
    for (int i = 0; i < np; i++) {
        int c = cell_of(px[i], x0, x1, nx), r = cell_of(py[i], y0, y1, ny);
        if (c < 0 || r < 0) continue;
        const char *g = i == 0 ? "S" : i == np - 1 ? "E" : utf8 ? "\u2022" : "o";
        /* the start stays S when the path comes back to its cell */
        if (i > 0 && !strcmp(p.cell[PIC_H - 1 - r][c], "S")) continue;
        put_c(&p, PIC_H - 1 - r, c, g, C_RED);
    }
    /* y labels: the parameter q at the top, middle and bottom rows */
    label_rows(&p, y0, y1);
    char lo_s[32], hi_s[32];
    report_fmt_value(lo_s, sizeof lo_s, lo, 3);
    report_fmt_value(hi_s, sizeof hi_s, hi, 3);
    report_text(s, "%s", title);
    report_text(s, "%*s  %s", PLOT_LABEL, yname, "");
    pic_print(s, &p, utf8, x0, x1, xname);
    char ramp[64] = "";
    for (int k = 0, o = 0; k < levels; k++)
        o += snprintf(ramp + o, sizeof ramp - (size_t)o, "%s", utf8 ? shade_utf8[k] : (char[2]){ shade_ascii[k], 0 });
    report_text(s, "%*s  shade: low %s [%s] %s high, each an equal share", PLOT_LABEL, "",
                lo_s, ramp, hi_s);
    if (np > 0)
        report_text(s, "%*s  path: S start, %s steps, E end (%d points)", PLOT_LABEL, "",
                    utf8 ? "\u2022" : "o", np);
    else
        report_text(s, "%*s  no path: run train or step first to draw one", PLOT_LABEL, "");
    return E_OK;
}

int plot_regions(Session *s, const char *title, const char *xname, const char *yname,
                 double x0, double x1, double y0, double y1, const int *cls, int nx, int ny,
                 const double *px, const double *py, const int *pc, int np,
                 const char *const *names, int ncls, const char *path, Diag *d)
{
    GridData gd = { x0, x1, y0, y1, NULL, cls, nx, ny, px, py, pc, np };
    if (path) {
        char script[2048];
        int o = gp_axes(script, sizeof script, title, xname, yname, x0, x1, y0, y1);
        snprintf(script + o, sizeof script - (size_t)o,
                 "set palette defined (0 '#c6dbef', 1 '#fdd0a2', 2 '#c7e9c0', 3 '#dadaeb')\n"
                 "set cbrange [-0.5:3.5]\nunset colorbox\n"
                 "plot DATA index 0 using 1:2:3 with image notitle, "
                 "DATA index 1 using 1:($3 == 0 ? $2 : NaN) with points pt 7 ps 1.5 lc rgb '#08519c' title 'class 0', "
                 "DATA index 1 using 1:($3 == 1 ? $2 : NaN) with points pt 5 ps 1.5 lc rgb '#a63603' title 'class 1'%s\n",
                 /* a third class in the legend only when there is one */
                 ncls > 2 ? ", DATA index 1 using 1:($3 >= 2 ? $2 : NaN) with points pt 9 ps 1.5 "
                            "lc rgb '#006d2c' title 'class 2+'" : "");
        return gnuplot_run(path, script, grid_data, &gd, d);
    }
    int utf8 = plot_utf8();
    static const char *const fill_utf8[] = { " ", "\u2591", "\u2592", "\u2593" };
    static const char *const fill_ascii[] = { " ", ".", ":", "=" };
    static const char *const mark[] = { "o", "x", "+", "#" };
    Pic p;
    pic_clear(&p);
    for (int r = 0; r < ny && r < PIC_H; r++)
        for (int c = 0; c < nx && c < PIC_W; c++) {
            int k = cls[r * nx + c];
            if (k >= 0 && k < 4) put(&p, PIC_H - 1 - r, c, utf8 ? fill_utf8[k] : fill_ascii[k]);
        }
    for (int i = 0; i < np; i++) {
        int c = cell_of(px[i], x0, x1, nx), r = cell_of(py[i], y0, y1, ny);
        if (c >= 0 && r >= 0 && pc[i] >= 0 && pc[i] < 4) put_c(&p, PIC_H - 1 - r, c, mark[pc[i]], pc[i] == 0 ? C_BLUE : C_RED);
    }
    label_rows(&p, y0, y1);
    report_text(s, "%s", title);
    report_text(s, "%*s  %s", PLOT_LABEL, yname, "");
    pic_print(s, &p, utf8, x0, x1, xname);
    char leg[256];
    size_t o = 0;
    leg[0] = '\0';
    for (int k = 0; k < ncls && k < 4 && o < sizeof leg; k++)
        o += (size_t)snprintf(leg + o, sizeof leg - o, "%s%s %s: region [%s]", k ? ";  " : "",
                              mark[k], names[k], utf8 ? fill_utf8[k] : fill_ascii[k]);
    report_text(s, "%*s  %s", PLOT_LABEL, "", leg);
    return E_OK;
}

/* ---- the descent path ---------------------------------------------------- */

void plot_trail_add(Session *s)
{
    Trail *tr = &s->trail;
    if (tr->nents == 0) return;
    if (tr->n == TRAIL_MAX) {          /* keep every other point, and the first */
        long k = 0;
        for (long i = 0; i < tr->n; i += 2, k++)
            memcpy(tr->xy + k * tr->nents, tr->xy + i * tr->nents, (size_t)tr->nents * sizeof *tr->xy);
        tr->n = k;
    }
    if (tr->n == tr->cap) {
        tr->cap = TRAIL_MAX;
        tr->xy = xrealloc(tr->xy, (size_t)tr->cap * (size_t)tr->nents * sizeof *tr->xy);
    }
    for (int j = 0; j < tr->nents; j++) {
        const Entry *e = tr->ents[j];
        tr->xy[tr->n * tr->nents + j] = e->kind == ENT_PARAM && e->val.data ? e->val.data[0] : NAN;
    }
    tr->n++;
}

void plot_trail_begin(Session *s, const Tape *t, const int *slots, int n, int cont)
{
    Trail *tr = &s->trail;
    Entry **ents = xmalloc((size_t)(n ? n : 1) * sizeof *ents);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (tape_size(t, slots[i]) == 1 && tape_shape(t, slots[i]).rank == 0) ents[m++] = tape_name(t, slots[i]);
    int same = cont && tr->n > 0 && tr->nents == m;
    for (int j = 0; same && j < m; j++)
        same = tr->ents[j] == ents[j] && tr->xy[(tr->n - 1) * m + j] == ents[j]->val.data[0];
    if (same) { free(ents); return; }
    free(tr->ents);
    free(tr->xy);
    tr->ents = ents;
    tr->nents = m;
    tr->xy = NULL;
    tr->n = tr->cap = 0;
    plot_trail_add(s);
}

/* Two series of one run (train's batch loss, and the loss on all rows at
 * epoch ends: y2 is NaN elsewhere), point i at step i*stride. */
void plot_series2(Session *s, const char *title, const double *y, const double *y2, int n,
                  long stride, const char *legend)
{
    double lo = INFINITY, hi = -INFINITY;
    int skipped = 0;
    for (int i = 0; i < n; i++) {
        if (y2 && isfinite(y2[i])) {
            if (y2[i] < lo) lo = y2[i];
            if (y2[i] > hi) hi = y2[i];
        }
        if (!isfinite(y[i])) { skipped++; continue; }
        if (y[i] < lo) lo = y[i];
        if (y[i] > hi) hi = y[i];
    }
    if (n - skipped == 0) {
        report_text(s, "%s: nothing to plot (%s)", title,
                    n ? "no value is finite" : "no values");
        return;
    }
    double tlo, thi;
    int logy = step_scale(lo, hi, &tlo, &thi);

    Grid g;
    grid_clear(&g);
    /* each column: the range of rows of its points */
    int rmin[PLOT_WIDTH], rmax[PLOT_WIDTH];
    for (int c = 0; c < PLOT_WIDTH; c++) { rmin[c] = PLOT_HEIGHT; rmax[c] = -1; }
    for (int i = 0; i < n; i++) {
        if (!isfinite(y[i])) continue;
        int c = n <= PLOT_WIDTH ? col_of(i, 0, n - 1)
                                : (int)((long long)i * PLOT_WIDTH / n);
        int r = row_of(logy ? log10(y[i]) : y[i], tlo, thi);
        if (r < rmin[c]) rmin[c] = r;
        if (r > rmax[c]) rmax[c] = r;
    }
    for (int c = 0; c < PLOT_WIDTH; c++)
        for (int r = rmin[c]; r <= rmax[c]; r++)
            g.cell[r][c] = '*';
    for (int i = 0; y2 && i < n; i++) {
        if (!isfinite(y2[i])) continue;
        int c = n <= PLOT_WIDTH ? col_of(i, 0, n - 1) : (int)((long long)i * PLOT_WIDTH / n);
        g.cell[row_of(logy ? log10(y2[i]) : y2[i], tlo, thi)][c] = 'o';
    }

    step_labels(&g, tlo, thi, logy);

    report_text(s, "%s%s", title, logy ? " (log scale)" : "");
    char left[32], right[32];
    snprintf(left, sizeof left, "0");
    snprintf(right, sizeof right, "%ld", (long)(n - 1) * stride);
    grid_print(s, &g, left, "step", right);
    if (legend) report_text(s, "%*s%s", PLOT_LABEL, "", legend);
    if (skipped)
        report_text(s, "(%d value%s not finite, not drawn)", skipped, skipped == 1 ? "" : "s");
}
