/* session.h: the names of a session and the settings.
 *
 * A name is a parameter (a value), a const (a value that is data, not a
 * weight), a formula (an AST, computed live from the names it uses) or a
 * user function.  Entries are never freed while the session lives: a
 * deleted name becomes ENT_UNDEF, so pointers held by cached tapes stay
 * valid and a tape only has to compare stamps to know it is stale.  So
 * they live in an arena (src/arena.c), each with its name beside it. */
#ifndef BP_SESSION_H
#define BP_SESSION_H

#include <stdio.h>
#include "ast.h"
#include "tensor.h"

typedef enum { ENT_UNDEF, ENT_PARAM, ENT_CONST, ENT_FORMULA, ENT_FUNC } EntKind;

typedef struct Tape Tape;

/* What a formula keeps between evaluations, made at its first need
 * (session_cache): a long script's 10^5 parameters never need it. */
typedef struct EntryCache {
    Value vcache;            /* ENT_FORMULA: its last value, valid while ... */
    unsigned long vcache_world;  /* ... the session's world is still this (0: none) */
    /* ENT_FORMULA: what each randn(...) call of its body drew, when the
     * formula was first compiled after its definition (SPEC 2: drawn once,
     * kept as data; redefining redraws).  drawn_at[k] is the call's node,
     * drawn_nth[k] which time one compile of the formula reached it (a
     * randn in a user function's body called twice, g(x) + g(y), is two
     * draws; kept with the formula that called it). */
    Value *drawn;
    const Ast **drawn_at;
    int *drawn_nth;
    int ndrawn;
} EntryCache;

typedef struct Entry {
    /* (the int-sized fields are paired so that no padding is left: a
     * script can hold 10^5 entries) */
    char *name;
    EntKind kind;
    int nparams;
    Value val;               /* ENT_PARAM, ENT_CONST */
    const Ast *expr;         /* ENT_FORMULA, ENT_FUNC: the body */
    const char **params;     /* ENT_FUNC */
    Loc loc;                 /* the defining statement (for notes, show) */
    unsigned long stamp;     /* the session's clock at its last (re)definition (++clock:
                                later ones are larger; tape_stale compares it with a
                                tape's clock), 0 if never defined */
    struct Entry **uses;     /* names the body mentions (formula, function) */
    int nuses;
    int refs;                /* how many definitions mention this name */
    Tape *tape;              /* cached compile of this formula, or NULL */
    EntryCache *cache;       /* its value and draws, or NULL (none yet) */
    /* scratch for graph walks (compile, cycle check): valid when the
     * matching epoch is the walk's own (session_new_epoch; the outermost
     * compile's memo stays valid while walks inside it take new ones) */
    int memo_slot;
    unsigned memo_epoch, mark_epoch;
    unsigned dep_epoch;      /* (compile.c: memo_slot is its memo, dep_epoch says
                                it is in the tape's deps; in the padding) */
    struct Entry *prev, *next;  /* definition order, for vars and save */
    struct Entry *parent;
} Entry;

/* e's cache, made (zeroed) if it has none. */
EntryCache *session_cache(Entry *e);
/* Is formula e's cached value current (made in the session's world w)? */
static inline int entry_value_current(const Entry *e, unsigned long w)
{
    return e->cache && e->cache->vcache_world == w;
}

/* SPEC section 2, `set`. */
enum { FD_CENTRAL = 1, FD_FORWARD = 2, FD_RIDDERS = 4, FD_COMPLEX = 8, FD_DUAL = 16 };

typedef struct Settings {
    double eps;              /* 0: auto (SPEC section 4), else an absolute step */
    unsigned fd;             /* FD_* bits; 0 = off */
    int digits;
    double tol;
    double atol;             /* check a, b: the absolute part of allclose's bound */
    double lr;
    unsigned long seed;
    int maxcheck;
    /* limits (issue: hostile input must get an error, not exhaust memory) */
    long maxnodes;           /* slots in one tape */
    long maxmem;             /* MiB: for the session's values, and for one tape's */
    int format;              /* diff's output: 0 bp syntax, 1 LaTeX (set format) */
    /* the optimizer of step and train (SPEC section 8), PyTorch's rules */
    int optimizer;           /* OPT_GD, OPT_MOMENTUM, OPT_ADAM */
    double momentum;         /* mu of SGD with momentum (torch.optim.SGD) */
    double beta1, beta2;     /* Adam's betas */
    double adam_eps;
} Settings;

enum { OPT_GD, OPT_MOMENTUM, OPT_ADAM };

/* The optimizer's memory of one parameter: momentum's velocity (m), or
 * Adam's moments m and v and its own step count t, as PyTorch keeps a
 * state per parameter.  Shapes are the parameter's when the state was
 * made; a parameter given another shape starts afresh. */
typedef struct OptState {
    Entry *e;
    long t;
    Value m, v;
} OptState;
/* The path of the scalar parameters through the last `train` (or run of
 * `step`s), for `plot L wrt p, q`: n points of nents values each, in xy
 * (plot.c records it, session_free frees it). */
typedef struct Trail { Entry **ents; int nents; double *xy; long n, cap; } Trail;

typedef struct Session {
    Entry **tab;             /* open addressing hash on name */
    unsigned *tabh;          /* the (low 32 bits of the) hash of each tab[i] */
    struct Arena *entries;   /* the entries and their names (never freed alone) */
    size_t cap, count;
    Entry *first, *last;     /* defined names in definition order */
    unsigned long clock;     /* source of stamps */
    unsigned epoch;          /* source of walk epochs */
    Source *sources;         /* every text run in this session */
    Settings set;
    int json;                /* --json output */
    int color;               /* ANSI colours on stdout/stderr */
    FILE *out, *err;
    int failed_checks;       /* check FAILs so far (scripts exit 1) */
    int quit;                /* `quit` was run */
    int write_failed;        /* writing s->out failed (reported; bp ends, exit 1) */
    int line;                /* next REPL line number */
    Rng rng;                 /* randn's stream (set seed restarts it) */
    double value_bytes;      /* memory held by the values of all names */
    long cached_slots;       /* slots in the formulas' cached tapes (an upper bound) */
    unsigned long world;     /* bumped by every change that can change a formula's
                                value: formulas' cached values carry it */
    char **loading;          /* the files being loaded, outermost first */
    int nloading;
    OptState *opt;           /* the optimizer's state, one per parameter it moved */
    int nopt, optcap;
    Trail trail;             /* the last descent's path (plot.c) */
    int compiling;           /* compiles under way (compile.c: the outermost
                                keeps its memo in the entries) */
    const void *zero_noted;  /* the argmax or comparison node last noted as
                                derivative 0 by grad(...) (compile.c): said
                                once, not at every recompile or order */
} Session;

Session *session_new(void);
void session_free(Session *s);

/* The entry for name, or NULL if the name was never seen. */
Entry *session_find(Session *s, const char *name);
/* The entry for name, created (ENT_UNDEF) if needed. */
Entry *session_intern(Session *s, const char *name);
/* session_find and session_intern for the name of node a (an AST_NAME or
 * AST_CALL): an AST_NAME remembers its entry (a->ent), so the next
 * look-up of the same node reads no hash table. */
Entry *session_find_node(Session *s, const Ast *a);
Entry *session_intern_node(Session *s, const Ast *a);
/* The entry node a remembers for s, or NULL (a costs no look-up). */
static inline Entry *session_remembered(const Session *s, const Ast *a)
{
    return a->kind == AST_NAME && a->ent && a->loc.src && a->loc.src->resolved_in == s
           ? a->ent : NULL;
}

/* Give e a new definition stamp and move it to the end of the definition
 * order; drops its cached tape.  Call after changing kind/expr/params. */
void session_touch(Session *s, Entry *e);
/* e's value or definition changed: formulas' cached values that may
 * depend on it are no longer current. */
void session_changed(Session *s, Entry *e);

/* Forget what e's randn calls drew (a redefinition draws again). */
void session_forget_drawn(Entry *e);

/* Forget e's definition (delete): ENT_UNDEF, uses released. */
void session_undefine(Session *s, Entry *e);
/* Set e's `uses` to the names mentioned in body (minus function params),
 * adjusting every refs count. */
void session_set_uses(Session *s, Entry *e, const Ast *body,
                      const char **params, int nparams);

/* The distinct names body mentions (not function params, not built-in
 * functions), interned; *out is malloc'd.  Returns how many. */
int session_collect_uses(Session *s, const Ast *body, const char **params,
                         int nparams, Entry ***out);
/* Give e the uses list `uses` (taking ownership), adjusting refs. */
void session_replace_uses(Entry *e, Entry **uses, int n);

/* Keep src alive as long as the session (definitions point into it). */
void session_adopt(Session *s, Source *src);

unsigned session_new_epoch(Session *s);

/* A file name as a script means it: relative to the script's own
 * directory when the file is there (load "data.bp", load_csv("d.csv") in
 * examples/x.bp find examples/data.bp), else as given (the current
 * directory).  Writes into buf (size n) and returns it. */
const char *session_resolve(const Loc *from, const char *path, char *buf, size_t n);

/* Is `name` reserved (a command word or a built-in function)? */
int session_reserved(const char *name);

void settings_default(Settings *set);

/* The optimizer state of e, or NULL (create: a new zeroed one, t = 0). */
OptState *session_opt(Session *s, Entry *e, int create);
/* Forget the optimizer's state: all of it (e NULL) or e's. */
void session_opt_clear(Session *s, Entry *e);
/* The optimizers' names, indexed by OPT_*. */
extern const char *const session_opt_names[3];

#endif
