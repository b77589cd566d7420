/* arena.h: bump allocation for things that die together.
 *
 * An arena hands out zeroed memory from big blocks and frees it all at
 * once (arena_free), or everything allocated after a mark (arena_release):
 * a script's syntax trees (src/ast.c), whose statements that keep nothing
 * give their memory back as soon as they have run, and the session's
 * entries (src/session.c), which live as long as the session.  No object
 * is ever freed alone, so a tree of any depth is freed without a walk. */
#ifndef BP_ARENA_H
#define BP_ARENA_H

#include <stddef.h>

typedef struct Arena Arena;

/* A point in an arena's history (arena_mark), to go back to. */
typedef struct ArenaMark {
    void *block;
    size_t used;
} ArenaMark;

/* A new empty arena (out of memory exits, as xmalloc). */
Arena *arena_new(void);
/* Free a and everything allocated in it (a may be NULL). */
void arena_free(Arena *a);
/* size bytes, zeroed, aligned for any scalar or pointer; never NULL. */
void *arena_alloc(Arena *a, size_t size);
/* A NUL-terminated copy of the n bytes at p. */
char *arena_strdup(Arena *a, const char *p, size_t n);
/* Where a stands now. */
ArenaMark arena_mark(const Arena *a);
/* Free everything allocated since m was taken (m must be a mark of a,
 * taken after any earlier release's mark). */
void arena_release(Arena *a, ArenaMark m);
/* Call fn(data, used, arg) for each block's used bytes, newest block
 * first: a walk in the order things were allocated within each block
 * (the caller knows how to step from one object to the next). */
void arena_each_block(const Arena *a, void (*fn)(unsigned char *data, size_t used, void *arg),
                      void *arg);
/* The size arena_alloc really takes for size bytes (its alignment). */
size_t arena_rounded(size_t size);
/* Bytes held in blocks (for benchmarks and limits). */
size_t arena_bytes(const Arena *a);

#endif
