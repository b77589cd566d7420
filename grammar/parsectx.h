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
    void *scanner;        /* the scanner reading src->text (lex_each) */
    char *held;           /* lex_each: where it put Flex's hold character back */
    char lexmsg[160];     /* why the lexer returned INVALID */
} ParseCtx;

/* Run c->each on st (the statement is complete).  The scanner reads
 * c->src->text in place and keeps a NUL after its last token there:
 * during the run the text is whole again (an error message quotes its
 * line).  Returns what each returned. */
int lex_each(ParseCtx *c, Stmt *st);
/* The parse is over: give the text back whole (the NUL after the last
 * token goes). */
void lex_text_whole(ParseCtx *c);

#endif
