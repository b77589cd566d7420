/* commands.h: running statements against a session.
 *
 * Each statement is a transaction: it is resolved and checked completely
 * (reserved words, cycles, evaluation of what must be evaluated now) before
 * the session changes, so a failed statement leaves the session as it was. */
#ifndef BP_COMMANDS_H
#define BP_COMMANDS_H

#include "session.h"
#include "diag.h"

/* Run one statement.  Returns E_OK, or an error kind with d filled (the
 * caller reports it unless d->reported: a `load` whose file failed has
 * reported its error already).  A failed `check` returns E_OK but counts
 * in s->failed_checks. */
int cmd_exec(Session *s, const Stmt *st, Diag *d);

/* Parse and run text (a script, a -e argument, a REPL input) named `name`
 * whose first line is numbered first_line.  Stops at the first error,
 * which is reported.  Returns E_OK or the error's kind (S_INCOMPLETE when
 * the text ends inside a statement and allow_incomplete is set: then
 * nothing was run or reported).  A write error on s->out is an E_IO error
 * that ends the session (s->write_failed, s->quit). */
int cmd_run_text(Session *s, const char *name, const char *text, size_t len,
                 int first_line, int allow_incomplete);

/* Run the file at path (load, or a script on the command line).  Reports
 * its errors itself (one that stops the file, or a file that cannot be
 * read); returns E_OK or that error's kind. */
int cmd_run_file(Session *s, const char *path, const Loc *from);

#endif
