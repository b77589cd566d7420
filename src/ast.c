/* ast.c: sources and their arenas. */
#include <stdlib.h>
#include <string.h>
#include "ast.h"
#include "xalloc.h"

/* A chain of blocks; each allocation is zeroed and 16-byte aligned. */
typedef struct Block {
    struct Block *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
} Block;

struct Arena { Block *head; };

Source *src_new(const char *name, const char *text, size_t len, int first_line)
{
    Source *s = xcalloc(1, sizeof *s);
    s->name = xstrdup(name);
    s->text = xmalloc(len + 1);
    memcpy(s->text, text, len);
    s->text[len] = '\0';
    s->len = len;
    s->first_line = first_line;
    s->arena = xcalloc(1, sizeof *s->arena);
    return s;
}

void src_free(Source *s)
{
    if (!s)
        return;
    for (Block *b = s->arena->head, *nx; b; b = nx) {
        nx = b->next;
        free(b);
    }
    free(s->arena);
    free(s->name);
    free(s->text);
    free(s);
}

void *src_alloc(Source *s, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    Block *b = s->arena->head;
    if (!b || b->size - b->used < size) {
        size_t bs = size > 16384 ? size : 16384;
        b = xmalloc(sizeof *b + bs);
        b->size = bs;
        b->used = 0;
        b->next = s->arena->head;
        s->arena->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *src_strdup(Source *s, const char *p, size_t n)
{
    char *q = src_alloc(s, n + 1);
    memcpy(q, p, n);
    q[n] = '\0';
    return q;
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
