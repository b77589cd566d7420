/* parsectx.h: the state one parse shares between grammar/lexer.l,
 * grammar/parser.y and src/parse.c.  Nothing else includes it. */
#ifndef BP_PARSECTX_H
#define BP_PARSECTX_H

#include "ast.h"
#include "diag.h"

typedef struct ParseCtx {
    Source *src;
    Stmt *head, **tail;   /* statements parsed so far, in order */
    Diag *diag;
    int failed;
    /* lexer state */
    int depth;            /* open ( and [ : a newline inside them continues */
    int last;             /* last token returned: the continuation rule */
    int line, col, off;   /* position of the next character */
    char lexmsg[160];     /* why the lexer returned INVALID */
} ParseCtx;

#endif
