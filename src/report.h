/* report.h: everything a person or a program reads.  The only module that
 * formats numbers.  In --json mode every result is one JSON object on its
 * own line; other output becomes {"text": "..."}. */
#ifndef BP_REPORT_H
#define BP_REPORT_H

#include <stdio.h>
#include "session.h"
#include "numdiff.h"

/* A value as the user sees it: `digits` significant digits (%g style). */
void report_fmt_value(char *buf, size_t n, double v, int digits);
/* The shortest decimal that reads back as exactly v; "null" if not finite. */
void report_fmt_json(char *buf, size_t n, double v);
/* Write s as a JSON string (with quotes). */
void report_json_string(FILE *f, const char *s);
/* `, "key": [[...], ...]`: the m x n row-major matrix A as JSON rows
 * (hessian, jacobian). */
void report_json_matrix(FILE *f, const char *key, const double *A, long m, long n);

/* The width budget every printer asks: 80 columns, or the terminal's
 * width when stdout is a terminal wider than that (ioctl, else COLUMNS);
 * never narrower than 80. */
int report_width(const Session *s);

/* The number of columns the UTF-8 text s takes (one per character). */
int report_cols(const char *s);

/* Shorten the UTF-8 text in buf, in place, to at most `cols` columns,
 * ending it with "…" when cut (never inside a character). */
void report_shorten(char *buf, int cols);

/* One line of text output (printf style, no newline needed). */
void report_text(Session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A value (scalar or tensor) as text, malloc'd.  full: every entry, else
 * a long tensor is cut in the middle with "...".  Lines after the first
 * are indented by `indent` (the width of what precedes the value). */
char *report_value_str(const Value *v, int digits, int full, int indent);

/* A value shortened as print shortens it, its rows cut to fit `cols`
 * columns after `indent` (malloc'd). */
char *report_value_fit(const Value *v, int digits, int indent, int cols);

/* The result of an expression statement. */
void report_value(Session *s, const Value *v);

/* A note on stderr (a name not defined yet; := on a formula).  In --json
 * mode it is also a {"text": "note: ..."} line. */
void report_note(Session *s, const Loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An error: stderr with caret, and in --json on stdout
 * {"error": MSG, "kind": KIND, "line": L, "col": C} (no line and col
 * when it has no location). */
void report_error(Session *s, const Diag *d);

/* The grad table (SPEC sections 1, 4 and 5). */
typedef struct GradRow {
    char wrt[96];            /* "w", "W[0,1]", "b[2]" */
    double bp;
    FdResult fd;
    int unused;              /* the target does not use this name */
    int unchecked;           /* past maxcheck: backprop only, no estimate (a
                              * tensor's such rows are in --json only, or
                              * with grad f all) */
} GradRow;

typedef struct GradReport {
    const char *target;      /* the name, or the expression's text */
    const char *def;         /* "tanh(w*x + b)" for a formula, else NULL */
    double value;
    GradRow *rows;
    int nrows;
    FdCost cost;
    unsigned fd;             /* the methods that ran */
    int all;                 /* grad f all: every row, never a summary */
    long entries, checked;   /* checked < entries: maxcheck took a sample */
    /* tensors with more entries than maxcheck: one line each */
    struct GradSample {
        char name[64];
        long entries, checked;
        double max_err;
        int mismatches;
    } *samples;
    int nsamples;
    /* tensors checked entry by entry: their gradient as a matrix too */
    struct GradBlock {
        char name[64];
        Shape shape;
        int first;           /* its first row in rows[] */
    } *blocks;
    int nblocks;
} GradReport;

void report_grad(Session *s, const GradReport *g);

/* Why a row is not ok, in words ("step lost: ...", "not differentiable
 * here: sqrt at 0 in sqrt(x^2)"); "" when nothing is non-finite. */
void report_fd_why(char *buf, size_t n, const FdResult *r);

/* The text of a node's span in its source. */
int report_span(const Loc *loc, const char **text);

/* The same text for display, on one line: comments dropped, each run of
 * white space one blank, cut to `max` bytes with "..." (n >= max + 4).
 * Returns its length.  (save writes the span as typed instead.) */
int report_flat_text(const Loc *loc, char *buf, size_t n, size_t max);

#endif
