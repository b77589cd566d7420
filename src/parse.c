/* parse.c: owns a parse from start to end: scanner, parser, clean-up. */
#include <string.h>
#include "parse.h"
#include "parser.h"
#include "lexer.h"


static int parse_run(Source *src, Stmt **out, int (*each)(void *, Stmt *), void *arg, Diag *d)
{
    ParseCtx ctx = { .src = src, .diag = d, .line = src->first_line, .col = 1,
                     .each = each, .each_arg = arg };
    ctx.tail = &ctx.head;
    yyscan_t scanner;
    if (yylex_init_extra(&ctx, &scanner) != 0)
        return diag_set(d, E_LIMIT, NULL, "cannot start the scanner");
    ctx.scanner = scanner;
    /* the text itself, not a copy (it ends in two NULs: src_take) */
    YY_BUFFER_STATE buf = yy_scan_buffer(src->text, src->len + 2, scanner);
    if (!buf) {
        yylex_destroy(scanner);
        return diag_set(d, E_LIMIT, NULL, "cannot start the scanner");
    }
    int rc = yyparse(scanner, &ctx);
    lex_text_whole(&ctx);
    yy_delete_buffer(buf, scanner);
    yylex_destroy(scanner);
    if (rc != 0) {
        /* only statements followed by a separator run */
        Stmt **p = &ctx.head;
        while (*p && (*p)->terminated) p = &(*p)->next;
        *p = NULL;
    }
    if (out) *out = ctx.head;
    if (ctx.stopped) return 0;
    if (rc != 0 && !ctx.failed)
        diag_set(d, E_LIMIT, NULL, "the parser ran out of memory");
    return rc != 0 || ctx.failed;
}

int parse_source(Source *src, Stmt **out, Diag *d)
{
    return parse_run(src, out, NULL, NULL, d);
}

int parse_each(Source *src, int (*each)(void *arg, Stmt *st), void *arg, Diag *d)
{
    return parse_run(src, NULL, each, arg, d);
}
