/* ast.c: sources and their arenas (src/arena.c). */
#include <stdlib.h>
#include <string.h>
#include "arena.h"
#include "ast.h"
#include "xalloc.h"

Source *src_take(const char *name, char *text, size_t len, int first_line)
{
    Source *s = xcalloc(1, sizeof *s);
    s->name = xstrdup(name);
    s->text = text;
    s->text[len] = s->text[len + 1] = '\0';
    s->len = len;
    s->first_line = first_line;
    s->arena = arena_new();
    return s;
}

Source *src_new(const char *name, const char *text, size_t len, int first_line)
{
    char *copy = xmalloc(len + 2);
    memcpy(copy, text, len);
    return src_take(name, copy, len, first_line);
}

void src_free(Source *s)
{
    if (!s)
        return;
    arena_free(s->arena);
    free(s->name);
    free(s->text);
    free(s);
}

void *src_alloc(Source *s, size_t size)
{
    return arena_alloc(s->arena, size);
}

char *src_strdup(Source *s, const char *p, size_t n)
{
    return arena_strdup(s->arena, p, n);
}

/* The end of the line at p: its LF, CR or CRLF (as the lexer counts). */
static const char *line_end(const char *p, const char *end)
{
    while (p < end && *p != '\n' && *p != '\r') p++;
    return p;
}

const char *src_line(const Source *s, int line, int *len)
{
    const char *p = s->text, *end = s->text + s->len;
    for (int l = s->first_line; l < line && p < end; l++) {
        p = line_end(p, end);
        if (p < end && *p == '\r') p++;
        if (p < end && *p == '\n') p++;
    }
    *len = (int)(line_end(p, end) - p);
    return p;
}
