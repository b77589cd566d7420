/* run.h: the driver: text and files to statements, statements to their
 * commands.  main.c, repl.c and the tests call it; nothing in src/ below
 * it does. */
#ifndef BP_RUN_H
#define BP_RUN_H

#include "session.h"
#include "diag.h"

/* Parse and run text (a script, a -e argument, a REPL input) named `name`
 * whose first line is numbered first_line.  Stops at the first error,
 * which is reported, or at `quit`.  Returns E_OK or the error's kind
 * (S_INCOMPLETE when the text ends inside a statement and
 * allow_incomplete is set: then nothing was run or reported).  A write
 * error on s->out is an E_IO error that ends the session (s->write_failed,
 * s->quit). */
int run_text(Session *s, const char *name, const char *text, size_t len,
             int first_line, int allow_incomplete);

/* Run the file at path (a script on the command line; `load` inside a
 * script, from: the load statement, resolving path beside its script).
 * Reports its errors itself (one that stops the file, or a file that
 * cannot be read); returns E_OK or that error's kind.  A `quit` in
 * the file sets s->quit (`load` then clears it: see run.c). */
int run_file(Session *s, const char *path, const Loc *from);

#endif
