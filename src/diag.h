/* diag.h: errors, their kinds, and how they are shown.
 *
 * Every failure in bp is a Diag filled by the module that found it and
 * returned up as its kind (an ErrKind, never 0); only main/repl decide what
 * happens next (a script stops, the prompt comes back).  The kind names the
 * error in --json ("kind") and decides the exit status (diag_exit_status).
 *
 * Statuses that are not errors (a statement not finished yet) are kept in
 * a range of their own (RunStatus), so `if (rc)` still means "stop here"
 * but no such status is ever printed, named or turned into an exit code. */
#ifndef BP_DIAG_H
#define BP_DIAG_H

#include <stdio.h>
#include "ast.h"

/* The error table (as bc's): enum name, kind name (SPEC 5's "kind"),
 * exit status of a script that stops on it, what it means.  ORDER KIND:
 * the enum follows this list. */
#define BP_ERRORS(X) \
    X(E_SYNTAX,    "syntax",    1, "the text does not parse") \
    X(E_NAME,      "name",      1, "undefined or reserved name, wrong use of a name") \
    X(E_ARITY,     "arity",     1, "wrong number of arguments") \
    X(E_CYCLE,     "cycle",     1, "a definition that would depend on itself") \
    X(E_DOMAIN,    "domain",    1, "log(-1), 1/0, overflow") \
    X(E_SHAPE,     "shape",     1, "shapes that do not fit (tensors)") \
    X(E_USAGE,     "usage",     1, "a command (or the command line) used wrongly") \
    X(E_IO,        "file",      1, "files, and writing standard output") \
    X(E_LIMIT,     "limit",     1, "a configured limit (depth, size) was reached") \
    X(E_MEMORY,    "memory",    3, "an allocation failed") \
    X(E_INTERRUPT, "interrupt", 1, "Ctrl-C")

typedef enum {
    E_OK = 0,
#define BP_ERR_ENUM(e, name, status, what) e,
    BP_ERRORS(BP_ERR_ENUM)
#undef BP_ERR_ENUM
    E_NKINDS
} ErrKind;

/* Not errors: returned where a kind may be, from a range of their own. */
typedef enum {
    S_INCOMPLETE = 100  /* the text ends inside a statement: nothing ran, the REPL reads on */
} RunStatus;

/* An error of the command line (a bad option, a script that cannot be
 * opened) exits with this, whatever its kind (GNU usage). */
enum { EXIT_CMDLINE = 2 };

typedef struct Diag {
    ErrKind kind;
    Loc loc;              /* loc.src == NULL: no location */
    char msg[512];
    char note[256];       /* e.g. "while evaluating f (line 9)" */
    unsigned char reported;   /* already printed (by a loaded file's own run):
                                 pass it up, do not print it again */
    unsigned char incomplete; /* E_SYNTAX at the end of the text: more input may finish it */
    unsigned char cmdline;    /* an error of the command line: "bp: MSG", exit 2 */
} Diag;

/* Fill d (kind, location, printf-style message; the note and the flags
 * cleared); returns kind, so that `return diag_set(d, ...)` reads as
 * "fail with". */
int diag_set(Diag *d, ErrKind kind, const Loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void diag_note(Diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The kind's name ("syntax", "file", ...), as --json shows it. */
const char *diag_kind_name(int kind);

/* The exit status of a run that stopped on an error of this kind: its row
 * of the table (1, or 3 when memory ran out); 0 for E_OK.  (An error of
 * the command line exits EXIT_CMDLINE instead.) */
int diag_exit_status(int kind);

/* Flush f and check it for a write error (a full disk, a closed pipe):
 * E_OK, or E_IO with d filled ("cannot write to WHAT: ..."). */
int diag_check_output(FILE *f, const char *what, Diag *d);

/* Print `SOURCE:LINE:COL: error: MSG`, the source line and a caret line
 * underlining the span, then the note.  Without a location `bp: error:
 * MSG`; an error of the command line as GNU programs do, `bp: MSG` and its
 * note as a plain line.  color: use ANSI colours. */
void diag_print(FILE *f, const Diag *d, int color);

/* A "note: ..." line that is not an error (e.g. a name not defined yet). */
void diag_print_note(FILE *f, const Loc *loc, const char *msg, int color);

/* `bp: warning: MSG`: something went wrong that does not fail anything
 * (history cannot be saved). */
void diag_warn(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
