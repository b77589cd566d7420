/* xalloc.h: allocation that cannot fail silently.  Out of memory is not an
 * error bp can report usefully in the middle of a graph walk, so these
 * print a message and exit (status 3).  Sizes come from limits checked
 * beforehand (tensor shapes, tape size), never straight from input. */
#ifndef BP_XALLOC_H
#define BP_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow *p (an array of `size`-byte items with *cap slots) to hold need. */
void xgrow(void **p, int *cap, int need, size_t size);
char *xstrdup(const char *s);

#endif
