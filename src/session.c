/* session.c: the name table (open addressing on the name) and settings. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "arena.h"
#include "session.h"
#include "tape.h"
#include "ops.h"
#include "xalloc.h"

void settings_default(Settings *set)
{
    set->eps = 0;
    set->fd = FD_CENTRAL | FD_FORWARD;
    set->digits = 10;
    set->tol = 1e-6;
    set->atol = 1e-12;
    set->lr = 0.1;
    set->seed = 42;
    set->maxcheck = 200;
    set->maxnodes = 10000000;
    set->maxmem = 2048;
    set->format = 0;
    set->optimizer = OPT_GD;     /* torch.optim defaults: */
    set->momentum = 0.9;         /* (SGD's own default is 0; 0.9 is the usual choice) */
    set->beta1 = 0.9;
    set->beta2 = 0.999;
    set->adam_eps = 1e-8;
}

const char *const session_opt_names[3] = { "gd", "momentum", "adam" };

OptState *session_opt(Session *s, Entry *e, int create)
{
    for (int i = 0; i < s->nopt; i++)
        if (s->opt[i].e == e) return &s->opt[i];
    if (!create) return NULL;
    xgrow((void **)&s->opt, &s->optcap, s->nopt + 1, sizeof *s->opt);
    OptState *o = &s->opt[s->nopt++];
    memset(o, 0, sizeof *o);
    o->e = e;
    return o;
}

void session_opt_clear(Session *s, Entry *e)
{
    for (int i = 0; i < s->nopt; i++)
        if (!e || s->opt[i].e == e) {
            value_free(&s->opt[i].m);
            value_free(&s->opt[i].v);
            if (e) {
                s->opt[i] = s->opt[--s->nopt];
                return;
            }
        }
    if (!e) s->nopt = 0;
}

Session *session_new(void)
{
    Session *s = xcalloc(1, sizeof *s);
    s->cap = 64;
    s->tab = xcalloc(s->cap, sizeof *s->tab);
    s->tabh = xcalloc(s->cap, sizeof *s->tabh);
    s->entries = arena_new();
    settings_default(&s->set);
    rng_seed(&s->rng, s->set.seed);
    s->out = stdout;
    s->err = stderr;
    s->line = 1;
    s->world = 1;
    return s;
}

EntryCache *session_cache(Entry *e)
{
    if (!e->cache) e->cache = xcalloc(1, sizeof *e->cache);
    return e->cache;
}

void session_forget_drawn(Entry *e)
{
    EntryCache *c = e->cache;
    if (!c) return;
    for (int i = 0; i < c->ndrawn; i++)
        value_free(&c->drawn[i]);
    free(c->drawn);
    free(c->drawn_at);
    free(c->drawn_nth);
    c->drawn = NULL;
    c->drawn_at = NULL;
    c->drawn_nth = NULL;
    c->ndrawn = 0;
}

static void entry_free(Entry *e)
{
    session_forget_drawn(e);
    tape_free(e->tape);
    value_free(&e->val);
    if (e->cache) value_free(&e->cache->vcache);
    free(e->cache);
    free(e->uses);
}

/* The entries of one block of s->entries (nothing else lives there),
 * each its name beside it: freed in the order they were made, not the
 * hash table's (with 10^5 names, a cache miss for each). */
static void free_entries(unsigned char *data, size_t used, void *arg)
{
    (void)arg;
    for (size_t off = 0; off < used;) {
        Entry *e = (Entry *)(data + off);
        off += arena_rounded(sizeof *e + strlen(e->name) + 1);
        entry_free(e);
    }
}

void session_free(Session *s)
{
    if (!s)
        return;
    arena_each_block(s->entries, free_entries, NULL);
    free(s->tab);
    free(s->tabh);
    arena_free(s->entries);
    free(s->loading);
    session_opt_clear(s, NULL);
    free(s->opt);
    free(s->trail.ents);
    free(s->trail.xy);
    for (Source *src = s->sources, *nx; src; src = nx) {
        nx = src->next;
        src_free(src);
    }
    free(s);
}

static size_t hash(const char *p)
{
    size_t h = 1469598103934665603ull;   /* FNV-1a */
    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

/* The probe compares the stored hash first: a 10^5-name table is bigger
 * than the caches, and each entry a probe reads to strcmp a name that
 * does not match was a cache miss (a third of a long script's time). */
Entry *session_find(Session *s, const char *name)
{
    unsigned h = (unsigned)hash(name);
    for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        Entry *e = s->tab[i];
        if (!e) return NULL;
        if (s->tabh[i] == h && strcmp(e->name, name) == 0) return e;
    }
}

static void grow(Session *s)
{
    size_t ncap = s->cap * 2;
    Entry **nt = xcalloc(ncap, sizeof *nt);
    unsigned *nh = xcalloc(ncap, sizeof *nh);
    for (size_t i = 0; i < s->cap; i++) {
        Entry *e = s->tab[i];
        if (!e) continue;
        size_t j = s->tabh[i] & (ncap - 1);
        while (nt[j]) j = (j + 1) & (ncap - 1);
        nt[j] = e;
        nh[j] = s->tabh[i];
    }
    free(s->tab);
    free(s->tabh);
    s->tab = nt;
    s->tabh = nh;
    s->cap = ncap;
}

Entry *session_intern(Session *s, const char *name)
{
    Entry *e = session_find(s, name);
    if (e)
        return e;
    if (2 * (s->count + 1) > s->cap)
        grow(s);
    size_t n = strlen(name);
    e = arena_alloc(s->entries, sizeof *e + n + 1);   /* (free_entries steps so) */
    e->name = memcpy((char *)(e + 1), name, n + 1);
    e->memo_slot = -1;
    unsigned h = (unsigned)hash(name);
    size_t i = h & (s->cap - 1);
    while (s->tab[i]) i = (i + 1) & (s->cap - 1);
    s->tab[i] = e;
    s->tabh[i] = h;
    s->count++;
    return e;
}

/* Remember e in node a, when a is an AST_NAME (a call's node has no room:
 * its kids) whose source resolves in s (a node is only ever resolved in
 * one session; a stack node without a source is not remembered). */
static Entry *remember(Session *s, const Ast *a, Entry *e)
{
    Source *src = (Source *)a->loc.src;
    if (e && src && a->kind == AST_NAME) {
        if (!src->resolved_in) src->resolved_in = s;
        if (src->resolved_in == s) ((Ast *)a)->ent = e;
    }
    return e;
}

Entry *session_find_node(Session *s, const Ast *a)
{
    Entry *e = session_remembered(s, a);
    return e ? e : remember(s, a, session_find(s, a->name));
}

Entry *session_intern_node(Session *s, const Ast *a)
{
    Entry *e = session_remembered(s, a);
    return e ? e : remember(s, a, session_intern(s, a->name));
}

static void unlink_order(Session *s, Entry *e)
{
    if (e->prev) e->prev->next = e->next;
    else if (s->first == e) s->first = e->next;
    if (e->next) e->next->prev = e->prev;
    else if (s->last == e) s->last = e->prev;
    e->prev = e->next = NULL;
}

void session_touch(Session *s, Entry *e)
{
    e->stamp = ++s->clock;
    tape_free(e->tape);
    e->tape = NULL;
    session_forget_drawn(e);
    unlink_order(s, e);
    e->prev = s->last;
    if (s->last) s->last->next = e;
    else s->first = e;
    s->last = e;
}

void session_changed(Session *s, Entry *e)
{
    if (e->cache) e->cache->vcache_world = 0;
    /* A name nothing uses cannot change any other formula's value: typing a
     * chain x1 = x0 + 1, x2 = x1 + 1, ... keeps every earlier value. */
    if (e->refs > 0) s->world++;
}

void session_undefine(Session *s, Entry *e)
{
    session_opt_clear(s, e);   /* delete and clear forget its optimizer state */
    session_changed(s, e);
    session_set_uses(s, e, NULL, NULL, 0);
    unlink_order(s, e);
    tape_free(e->tape);
    e->tape = NULL;
    session_forget_drawn(e);
    e->kind = ENT_UNDEF;
    e->expr = NULL;
    e->params = NULL;
    e->nparams = 0;
    s->value_bytes -= (double)shape_size(e->val.shape) * sizeof(double) * (e->val.data != NULL);
    value_free(&e->val);
    e->stamp = ++s->clock;
}

unsigned session_new_epoch(Session *s)
{
    return ++s->epoch;
}

static int is_param(const char **params, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(params[i], name) == 0)
            return 1;
    return 0;
}

void session_set_uses(Session *s, Entry *e, const Ast *body,
                      const char **params, int nparams)
{
    Entry **uses = NULL;
    int n = body ? session_collect_uses(s, body, params, nparams, &uses) : 0;
    session_replace_uses(e, uses, n);
}

void session_replace_uses(Entry *e, Entry **uses, int n)
{
    for (int i = 0; i < e->nuses; i++)
        e->uses[i]->refs--;
    free(e->uses);
    e->uses = uses;
    e->nuses = n;
    for (int i = 0; i < n; i++)
        uses[i]->refs++;
}

/* Walks the body with an explicit stack (bodies can be deep), gathering
 * the nodes that name something; then looks them up.  A long script's
 * formula names hundreds of parameters defined far apart, each look-up a
 * cache miss or three (the table, the entry, its name): the look-ups are
 * prefetched all together first, so that the misses overlap instead of
 * coming one after another. */
int session_collect_uses(Session *s, const Ast *body, const char **params,
                         int nparams, Entry ***out)
{
    int cap = 0, ncap = 0, n = 0, nn = 0;
    const Ast **stack = NULL, **named = NULL;
    xgrow((void **)&stack, &cap, 1, sizeof *stack);
    stack[n++] = body;
    while (n > 0) {
        const Ast *a = stack[--n];
        const char *name = NULL;
        if (a->kind == AST_NAME) name = a->name;
        else if (a->kind == AST_CALL && !session_reserved(a->name))
            name = a->name;   /* a user function */
        if (name && !is_param(params, nparams, name)) {
            xgrow((void **)&named, &ncap, nn + 1, sizeof *named);
            named[nn++] = a;
            if (!session_remembered(s, a)) {
                size_t i = (unsigned)hash(name) & (s->cap - 1);
                __builtin_prefetch(&s->tab[i]);
                __builtin_prefetch(&s->tabh[i]);
            }
        }
        xgrow((void **)&stack, &cap, n + a->nkids, sizeof *stack);
        for (int i = a->nkids - 1; i >= 0; i--)
            stack[n++] = a->kid[i];
    }
    free(stack);
    for (int k = 0; k < nn; k++) {
        Entry *e = session_remembered(s, named[k]);
        if (!e) e = s->tab[(unsigned)hash(named[k]->name) & (s->cap - 1)];   /* most likely */
        if (e) __builtin_prefetch(e), __builtin_prefetch(e + 1);   /* e->name: beside it */
    }
    unsigned ep = session_new_epoch(s);
    Entry **uses = NULL;
    int ucap = 0, nu = 0;
    for (int k = 0; k < nn; k++) {
        Entry *u = session_intern_node(s, named[k]);
        if (u->mark_epoch != ep) {
            u->mark_epoch = ep;
            xgrow((void **)&uses, &ucap, nu + 1, sizeof *uses);
            uses[nu++] = u;
        }
    }
    free(named);
    *out = uses;
    return nu;
}

const char *session_resolve(const Loc *from, const char *path, char *buf, size_t n)
{
    snprintf(buf, n, "%s", path);
    if (!from || !from->src || path[0] == '/') return buf;
    const char *name = from->src->name, *slash = strrchr(name, '/');
    if (!slash) return buf;                       /* a script in the current directory, -e, <stdin> */
    snprintf(buf, n, "%.*s/%s", (int)(slash - name), name, path);
    if (access(buf, F_OK) != 0) snprintf(buf, n, "%s", path);
    return buf;
}

void session_adopt(Session *s, Source *src)
{
    src->next = s->sources;
    s->sources = src;
}

/* The command words (the built-in functions come from the op list). */
static const char *const reserved_words[] = {
    "check", "clear", "const", "delete", "diff", "dot", "exit", "grad", "graph",
    "help", "hessian", "jacobian", "load", "plot", "print", "quit", "save", "set", "show", "step", "sweep",
    "trace", "train", "vars", "wrt",
};

/* Every reserved name (the command words and the built-in functions) in
 * an open-addressing set, built on first use: a script defines a name per
 * line, and each is checked. */
enum { RESERVED_CAP = 1024 };
static const char *reserved_set[RESERVED_CAP];

static void reserved_add(const char *w)
{
    size_t i = hash(w) & (RESERVED_CAP - 1);
    while (reserved_set[i] && strcmp(reserved_set[i], w) != 0) i = (i + 1) & (RESERVED_CAP - 1);
    reserved_set[i] = w;
}

int session_reserved(const char *name)
{
    static int ready;
    if (!ready) {
        for (size_t i = 0; i < sizeof reserved_words / sizeof *reserved_words; i++)
            reserved_add(reserved_words[i]);
        for (int i = 0; i < OP_COUNT; i++)
            if (op_info[i].fname) reserved_add(op_info[i].fname);
        ready = 1;
    }
    for (size_t i = hash(name) & (RESERVED_CAP - 1); reserved_set[i]; i = (i + 1) & (RESERVED_CAP - 1))
        if (strcmp(reserved_set[i], name) == 0) return 1;
    return 0;
}
