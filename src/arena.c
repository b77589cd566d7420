/* arena.c: a chain of blocks, newest first; allocation bumps a pointer in
 * the newest.  Blocks grow (16 KiB doubling to 1 MiB) so a long script
 * needs few of them, and one released block is kept as a spare, so a
 * statement that crosses a block's end and is then released does not
 * malloc and free a block every time. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "arena.h"
#include "xalloc.h"

typedef struct Block {
    struct Block *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
} Block;

struct Arena {
    Block *head;
    Block *spare;      /* a released block, reused by the next new block */
    size_t next_size;  /* the size of the next block */
    size_t bytes;      /* in the chain (not counting the spare) */
};

enum { FIRST_BLOCK = 16384, MAX_BLOCK = 2 << 20, ALIGN = 8, HUGE = 2 << 20 };

/* A block of bs bytes (plus its header).  A block of the largest size
 * is 2 MiB-aligned and asks for transparent huge pages where the kernel
 * offers them (madvise): a 10^5-line script's entries and nodes are read
 * in no order the caches like (a formula names parameters defined 10^4
 * lines apart), and a huge page is one TLB entry and one page fault where
 * 4 KiB pages are 512 (that script: 24 700 page faults -> 15 400, system
 * time 0.07-0.10 s -> 0.03-0.07 s, 1.3 MB more resident). */
static Block *block_alloc(size_t bs)
{
#ifdef MADV_HUGEPAGE
    if (sizeof(Block) + bs == HUGE) {
        void *p = NULL;
        if (posix_memalign(&p, HUGE, HUGE) == 0) {
            madvise(p, HUGE, MADV_HUGEPAGE);
            return p;
        }
    }
#endif
    return xmalloc(sizeof(Block) + bs);
}

Arena *arena_new(void)
{
    Arena *a = xcalloc(1, sizeof *a);
    a->next_size = FIRST_BLOCK;
    return a;
}

void arena_free(Arena *a)
{
    if (!a)
        return;
    for (Block *b = a->head, *nx; b; b = nx) {
        nx = b->next;
        free(b);
    }
    free(a->spare);
    free(a);
}

static Block *new_block(Arena *a, size_t size)
{
    Block *b;
    if (a->spare && a->spare->size >= size) {
        b = a->spare;
        a->spare = NULL;
    } else {
        size_t bs = a->next_size;
        if (bs < size) bs = size;
        b = block_alloc(bs);
        b->size = bs;
        /* the largest blocks fill a huge page with their header */
        if (a->next_size < MAX_BLOCK - sizeof(Block)) {
            a->next_size *= 2;
            if (a->next_size >= MAX_BLOCK) a->next_size = MAX_BLOCK - sizeof(Block);
        }
    }
    b->used = 0;
    b->next = a->head;
    a->head = b;
    a->bytes += b->size;
    return b;
}

void *arena_alloc(Arena *a, size_t size)
{
    size = arena_rounded(size);
    Block *b = a->head;
    if (!b || b->size - b->used < size)
        b = new_block(a, size);
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *arena_strdup(Arena *a, const char *p, size_t n)
{
    char *q = arena_alloc(a, n + 1);
    memcpy(q, p, n);
    q[n] = '\0';
    return q;
}

ArenaMark arena_mark(const Arena *a)
{
    return (ArenaMark){ a->head, a->head ? a->head->used : 0 };
}

void arena_release(Arena *a, ArenaMark m)
{
    while (a->head && a->head != m.block) {
        Block *b = a->head;
        a->head = b->next;
        a->bytes -= b->size;
        if (!a->spare || a->spare->size < b->size) {
            free(a->spare);
            a->spare = b;
        } else {
            free(b);
        }
    }
    if (a->head) a->head->used = m.used;
}

void arena_each_block(const Arena *a, void (*fn)(unsigned char *data, size_t used, void *arg),
                      void *arg)
{
    for (const Block *b = a->head; b; b = b->next)
        fn((unsigned char *)b->data, b->used, arg);
}

size_t arena_rounded(size_t size)
{
    return (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

size_t arena_bytes(const Arena *a)
{
    return a->bytes;
}
