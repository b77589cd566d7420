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

#endif
