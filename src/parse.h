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

#endif
