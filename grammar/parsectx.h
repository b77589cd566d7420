/* parsectx.h: the state one parse shares between grammar/lexer.l,
 * grammar/parser.y and src/parse.c.  Nothing else includes it. */
#ifndef BP_PARSECTX_H
#define BP_PARSECTX_H

#include "ast.h"
#include "diag.h"

typedef struct ParseCtx {
    Source *src;
    Stmt *head, **tail;   /* statements parsed so far, in order */
    /* parse_each: complete statements go to each instead of the list */
    int (*each)(void *arg, Stmt *st);
    void *each_arg;
    int stopped;          /* each asked to stop */
    Stmt *pending;        /* reduced before its separator was read (lexer.l) */
    Diag *diag;
    int failed;
    /* lexer state */
    int depth;            /* open ( and [ : a newline inside them continues */
    int last;             /* last token returned: the continuation rule */
    int line, col, off;   /* position of the next character */
    char lexmsg[160];     /* why the lexer returned INVALID */
} ParseCtx;

#endif
