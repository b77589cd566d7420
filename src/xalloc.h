/* xalloc.h: allocation that cannot fail silently.  Two kinds:
 *  - x*: small or fixed-size bookkeeping (names, stacks, slot arrays);
 *    out of memory there prints a message and exits (status 3);
 *  - try_*: allocations whose size comes from user data (tensor entries,
 *    a tape's values and gradients, a CSV file's bytes): they return NULL,
 *    and the caller fails its statement with an error of kind "memory"
 *    (SPEC 5), the session going on. */
#ifndef BP_XALLOC_H
#define BP_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow *p (an array of `size`-byte items with *cap slots) to hold need.
 * Inline: most calls find room (a push per name of a long script), and
 * then cost a compare. */
void xgrow_to(void **p, int *cap, int need, size_t size);
static inline void xgrow(void **p, int *cap, int need, size_t size)
{
    if (need > *cap) xgrow_to(p, cap, need, size);
}
char *xstrdup(const char *s);
/* realloc(p, n), or NULL when the memory is not there (p is then kept);
 * n == 0 asks for one byte.  n > BP_TRY_MAX fails without asking. */
void *try_realloc(void *p, size_t n);

#endif
