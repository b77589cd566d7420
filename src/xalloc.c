/* xalloc.c */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xalloc.h"

static void oom(size_t n)
{
    fprintf(stderr, "bp: out of memory (allocating %zu bytes)\n", n);
    exit(3);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) oom(n);
    return p;
}

void xgrow_to(void **p, int *cap, int need, size_t size)
{
    int nc = *cap ? *cap : 8;
    while (nc < need) {
        if (nc > (1 << 29)) oom((size_t)need * size);
        nc *= 2;
    }
    *p = xrealloc(*p, (size_t)nc * size);
    *cap = nc;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *q = xmalloc(n);
    memcpy(q, s, n);
    return q;
}

void *try_realloc(void *p, size_t n)
{
    /* beyond what any address space holds: do not even ask (and keep
     * sanitizers' allocators from treating it as a bug of their own) */
    if (n > ((size_t)1 << 44)) return NULL;
    return realloc(p, n ? n : 1);
}
