/* diag.h: errors, their kinds, and how they are shown.
 *
 * Every failure in bp is a Diag filled by the module that found it and
 * returned up as a nonzero status; only main/repl decide what happens next
 * (a script stops, the prompt comes back).  The kind decides the exit code. */
#ifndef BP_DIAG_H
#define BP_DIAG_H

#include <stdio.h>
#include "ast.h"

typedef enum {
    E_OK = 0,
    E_SYNTAX,     /* the text does not parse */
    E_INCOMPLETE, /* the text ends inside a statement (the REPL reads on) */
    E_NAME,       /* undefined or reserved name, wrong use of a name */
    E_ARITY,      /* wrong number of arguments */
    E_CYCLE,      /* a definition that would depend on itself */
    E_DOMAIN,     /* log(-1), 1/0, overflow */
    E_SHAPE,      /* shapes that do not fit (tensors) */
    E_USAGE,      /* a command used wrongly */
    E_IO,         /* files */
    E_LIMIT,      /* a configured limit (depth, size) was reached */
    E_INTERRUPT,  /* Ctrl-C */
    E_CHECK,      /* a check failed (not an error: the script goes on) */
    E_INCLUDED    /* an error already reported (inside a loaded file) */
} ErrKind;

typedef struct Diag {
    ErrKind kind;
    Loc loc;              /* loc.src == NULL: no location */
    char msg[512];
    char note[256];       /* e.g. "while evaluating f (line 9)" */
} Diag;

/* Fill d (kind, location, printf-style message); returns kind, so that
 * `return diag_set(d, ...)` reads as "fail with". */
int diag_set(Diag *d, ErrKind kind, const Loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void diag_note(Diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print `SOURCE:LINE:COL: error: MSG`, the source line and a caret line
 * underlining the span, then the note.  color: use ANSI colours. */
void diag_print(FILE *f, const Diag *d, int color);

/* A "note: ..." line that is not an error (e.g. a name not defined yet). */
void diag_print_note(FILE *f, const Loc *loc, const char *msg, int color);

#endif
