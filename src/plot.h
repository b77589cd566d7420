/* plot.h: small plots in the terminal, for `train` (the loss over the
 * steps) and `sweep` (finite-difference error against the step).
 *
 * Plain ASCII only, so that they survive any terminal, a pipe and a golden
 * test; one report_text line per line (--json wraps each as {"text": ...}).
 * The plot area is PLOT_WIDTH columns by PLOT_HEIGHT rows, after a
 * PLOT_LABEL-wide column of axis labels. */
#ifndef BP_PLOT_H
#define BP_PLOT_H

#include "session.h"
#include "diag.h"
#include "tape.h"

enum { PLOT_WIDTH = 60, PLOT_HEIGHT = 15, PLOT_LABEL = 9 };

/* y[0..n) against the step 0..n-1: a title line (with "(log scale)" when
 * the y axis is logarithmic: all values > 0 and max/min > 100), the plot
 * with the top and bottom of the y axis labelled, the x axis and its
 * labels.  More than PLOT_WIDTH points share columns; a column shows the
 * range of its points.  Non-finite values are skipped, and a last line
 * says how many.  PLOT_HEIGHT + 3 lines (+ 1 when values were skipped);
 * one line when there is nothing to plot. */
void plot_series(Session *s, const char *title, const double *y, int n);

/* One series of plot_lines: y[0..n), point i at step i·stride (a history
 * thinned to every stride-th step keeps its x axis in steps); drawn with
 * the character mark; name is its legend entry (NULL: none). */
typedef struct PlotLine {
    const char *name;
    const double *y;
    int n;
    long stride;
    char mark;
} PlotLine;

/* Several series against the step on one chart, as plot_series does one
 * (which is plot_lines with one line of stride 1, mark '*'): the x axis
 * runs from step 0 to the last step of the longest series and is labelled
 * in steps; the y range and log scale cover every finite value; a cell two
 * series share shows '#'; a legend line follows when nlines > 1. */
void plot_lines(Session *s, const char *title, const PlotLine *lines, int nlines);
/* A series y[0..n) with a second one y2 drawn as `o` where it is finite
 * (train's batch loss and its loss on all rows at each epoch's end), point
 * i at step i*stride; legend (or NULL) under the chart. */
void plot_series2(Session *s, const char *title, const double *y, const double *y2, int n,
                  long stride, const char *legend);

/* A log-log plot of finite-difference error against the relative step:
 * x is log10 eps (the smallest eps on the left), y is log10 error.  `f`
 * marks forward differences, `c` central ones, `*` a cell both fall in;
 * the best eps of each (index best_fwd, best_cen; -1 for none) is drawn
 * `F` / `C` (over the other curve's mark; `*` when both bests share a
 * cell) and written below.  Errors that are 0 or not finite cannot be
 * drawn on a log scale: they are skipped and a last line names them.
 * PLOT_HEIGHT + 4 lines (+ 1 when points were skipped); one line when
 * there is nothing to plot. */
void plot_sweep(Session *s, const double *eps, const double *err_fwd,
                const double *err_cen, int n, int best_fwd, int best_cen);

/* The descent path (Session.trail), recorded by train and step: begin
 * with the scalar parameters among slots[0..n) of t (a tensor parameter
 * is not recorded) and their current values as the first point; with
 * cont set, a path of the same parameters that ends at their current
 * values goes on instead (a run of `step`s is one path).  add records
 * their current values; past TRAIL_MAX points every other one is dropped. */
enum { TRAIL_MAX = 4096 };
void plot_trail_begin(Session *s, const Tape *t, const int *slots, int n, int cont);
void plot_trail_add(Session *s);

/* ---- the `plot` command's pictures (plotcmd.c computes them) ---- */

/* Unicode (braille, blocks) or ASCII?  BP_ASCII=1 forces ASCII, BP_ASCII=0
 * UTF-8; else the character set of the user's locale decides (asked
 * without changing the program's locale for good). */
int plot_utf8(void);

/* The size of the pictures below, in character cells. */
enum { PIC_W = 60, PIC_H = 16 };

/* A function and its derivative on one chart, one y axis: f[i], df[i] at
 * x[i] for i in [0, n) (NAN where not defined: a gap), the points where
 * the derivative is 0 at zx[0..nz) with f there zf[].  fname, dname name
 * the curves in the legend.  UTF-8: f in braille (2×4 dots a cell), the
 * derivative `·`, the zeros `●`, the line y = 0 `─`; ASCII: `*`, `.`,
 * `o`, `-`.  path NULL: the terminal, else through gnuplot (plot_gnuplot). */
int plot_function(Session *s, const char *title, const char *xname, const char *fname,
                  const char *dname, const double *x, const double *f, const double *df,
                  int n, const double *zx, const double *zf, int nz, const char *path,
                  Diag *d);

/* A map z[r·nx + c] over a grid (x from x0 to x1 over nx columns, y from
 * y0 to y1 over ny rows, r = 0 the bottom row), shaded light (low) to dark
 * (high); a path (px[i], py[i]), i in [0, np), drawn over it from S to E.
 * NAN entries are left blank. */
int plot_map(Session *s, const char *title, const char *xname, const char *yname,
             double x0, double x1, double y0, double y1, const double *z, int nx, int ny,
             const double *px, const double *py, int np, const char *path, Diag *d);

/* Decision regions cls[r·nx + c] (a class 0..3, r = 0 the bottom row, over
 * the same kind of grid as plot_map) with points (px[i], py[i]) of class
 * pc[i] drawn over them; names[k] says what class k is (the legend). */
int plot_regions(Session *s, const char *title, const char *xname, const char *yname,
                 double x0, double x1, double y0, double y1, const int *cls, int nx, int ny,
                 const double *px, const double *py, const int *pc, int np,
                 const char *const *names, int ncls, const char *path, Diag *d);

#endif
