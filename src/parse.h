/* parse.h: text to statements.  The only door into grammar/. */
#ifndef BP_PARSE_H
#define BP_PARSE_H

#include "ast.h"
#include "diag.h"

/* Parse all of src.  Returns 0 and the statements in *out, or nonzero with
 * d filled (E_SYNTAX; d->incomplete set when the text ends inside a
 * statement) and *out holding the statements complete before the error, so
 * that a script runs up to its first error.  Nodes live in src's arena. */
int parse_source(Source *src, Stmt **out, Diag *d);

/* Parse src and hand each complete statement (one followed by a separator
 * or the end) to each(arg, st) as soon as it is parsed, before the next
 * token is read: each may run it and then give back the arena memory the
 * statement used (arena_release to a mark taken after the previous one),
 * which is what keeps a long script's memory flat.  A nonzero return from
 * each stops the parse (parse_each then returns 0).  Returns 0, or nonzero
 * with d filled as parse_source does. */
int parse_each(Source *src, int (*each)(void *arg, Stmt *st), void *arg, Diag *d);

#endif
