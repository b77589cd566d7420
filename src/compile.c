/* compile.c: from an expression and the session's definitions to a tape.
 *
 * A post-order walk with an explicit stack of frames (no recursion over the
 * depth of the graph: a chain of a million definitions compiles).  A
 * formula's body is compiled once per tape and its slot remembered, so a
 * name used twice is one slot; a user function call is expanded in place
 * with its parameters bound to the argument slots.  Every slot's shape is
 * decided here, so shape errors are found before anything runs and the
 * kernels can trust their inputs. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tape.h"
#include "ops.h"
#include "kernels.h"
#include "derive.h"
#include "csv.h"
#include "report.h"
#include "suggest.h"
#include "xalloc.h"

/* ---- a small map Entry* -> int, private to one compile ------------- */

typedef struct PtrMap { const void **k; int *v; size_t cap, n; } PtrMap;

static size_t ptrhash(const void *p)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 17; x *= 0xed5ad4bbu; x ^= x >> 11;
    return (size_t)x;
}

static int *map_slot(PtrMap *m, const void *key, int create)
{
    if (create && 2 * (m->n + 1) > m->cap) {
        PtrMap nm = { 0 };
        nm.cap = m->cap ? 2 * m->cap : 64;
        nm.k = xcalloc(nm.cap, sizeof *nm.k);
        nm.v = xcalloc(nm.cap, sizeof *nm.v);
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->k[i]) continue;
            size_t j = ptrhash(m->k[i]) & (nm.cap - 1);
            while (nm.k[j]) j = (j + 1) & (nm.cap - 1);
            nm.k[j] = m->k[i];
            nm.v[j] = m->v[i];
        }
        nm.n = m->n;
        free(m->k); free(m->v);
        *m = nm;
    }
    if (!m->cap) return NULL;
    for (size_t i = ptrhash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->k[i] == key) return &m->v[i];
        if (!m->k[i]) {
            if (!create) return NULL;
            m->k[i] = key;
            m->n++;
            return &m->v[i];
        }
    }
}

static void map_free(PtrMap *m) { free(m->k); free(m->v); }

typedef struct Env {
    const char **names;
    int *slots;
    int n;
    int depth;           /* nesting of user function calls */
} Env;

typedef struct Frame {
    const Ast *node;
    const Env *env;
    Entry *owner;        /* the definition whose text holds node */
    Entry *formula;      /* this frame computes formula's body */
    Entry *keep;         /* the formula whose body (through any user function
                            calls) holds node: it keeps node's randn draws */
    int state;           /* kids compiled so far */
    int base;            /* value stack height when the frame started */
    int fn;              /* AST_CALL: OpCode, or -1 for a user function */
    int nin;             /* AST_CALL: how many arguments are inputs (slots) */
    Entry *func;
    struct Env *callenv; /* the parameters of the call being expanded here */
    int slot0;           /* the tape's size when the call's body began */
} Frame;

typedef struct Compiler {
    Session *s;
    Tape *t;
    Diag *d;
    /* Which entries this compile has met, and their slots.  The outermost
     * compile keeps them in the entries' own scratch (memo_slot, valid when
     * memo_epoch is its epoch; dep_epoch: added to t->deps): no hash table
     * the size of the graph (a 10^5-name script: 6 MB less at its peak),
     * no hashing.  A compile inside it (const_eval's) must not disturb
     * them, and uses the maps. */
    unsigned epoch;      /* the outermost compile's, else 0 (the maps) */
    PtrMap memo;         /* Entry* -> slot + 1 (IN_PROGRESS while its body is compiled) */
    PtrMap deps;         /* Entry* -> 1 */
    int ndeps_cap, named_cap, leaves_cap;
    PtrMap shapes;       /* shape key -> index in t->shapes + 1 */
    CompileOpts opt;
    int restart;         /* grad(...) met with use_values: compile again without */
    /* How many times this compile reached each randn node of a kept
     * formula's body (Frame.keep): the nth visit takes the nth draw. */
    struct Seen { const Entry *keep; const Ast *a; int n; } *seen;
    int nseen, seencap;
} Compiler;

enum { MAX_CALL_DEPTH = 10000, IN_PROGRESS = -2 };

/* Fill the compiler's Diag: kind k, the caret at a, the note naming the
 * definition it lies in.  Returns -1 (no slot), for `return fail_at(...)`
 * in the functions that return a slot. */
static int fail_at(Compiler *c, const Ast *a, Entry *owner, ErrKind k, const char *msg)
{
    diag_set(c->d, k, a ? &a->loc : NULL, "%s", msg);
    if (owner && owner->loc.src)
        diag_note(c->d, "while evaluating %s (line %d)", owner->name, owner->loc.line);
    return -1;
}

/* The index of shape sh in t->shapes, added if new.  Most tapes have a
 * handful of distinct shapes; the map keeps a big one linear. */
static unsigned intern_shape(Compiler *c, Shape sh)
{
    Tape *t = c->t;
    if (sh.rank == 0) return 0;   /* shapes[0] is the scalar: the loops test sid == 0 */
    /* a key that is never NULL and unique per shape: a pointer-sized hash
     * would collide, so look the candidates up by value */
    uintptr_t key = (uintptr_t)(sh.rank + 1) * 0x9e3779b97f4a7c15u ^ (uintptr_t)sh.d[0] * 0x100000001b3u
                    ^ (uintptr_t)sh.d[1] * 0xc2b2ae3d27d4eb4fu;
    if (!key) key = 1;
    for (;; key++) {
        int *p = map_slot(&c->shapes, (const void *)key, 0);
        if (!p) break;
        if (shape_eq(t->shapes[*p - 1], sh)) return (unsigned)(*p - 1);
    }
    xgrow((void **)&t->shapes, &t->shapescap, t->nshapes + 1, sizeof *t->shapes);
    t->shapes[t->nshapes] = sh;
    *map_slot(&c->shapes, (const void *)key, 1) = ++t->nshapes;
    return (unsigned)(t->nshapes - 1);
}

/* Append a slot.  Its shape is `shape` when given, else the op's shape
 * rule decides it from the inputs (a mismatch fails at src).  Returns the
 * slot, or -1. */
static int emit(Compiler *c, int op, int a, int b, const Ast *src, Entry *owner,
                const Shape *shape)
{
    Tape *t = c->t;
    tape_reserve_slot(t);
    int i = t->n;
    t->op[i] = (unsigned char)op;
    t->a[i] = a;
    t->b[i] = b;
    t->src[i] = src;
    if (t->n >= c->s->set.maxnodes) {
        char msg[200];
        snprintf(msg, sizeof msg, "the graph would have more than %ld nodes "
                 "(the limit: set maxnodes)", c->s->set.maxnodes);
        return fail_at(c, src, owner, E_LIMIT, msg);
    }
    if (shape) {
        t->newshape = *shape;
    } else {
        const OpInfo *o = &op_info[op];
        const char *err = o->kshape ? o->kshape(t, i, o->name) : k_elem_shape(t, i, o);
        if (err) return fail_at(c, src, owner, E_SHAPE, err);
    }
    long size = shape_size(t->newshape);
    /* values and gradients: 16 bytes an entry */
    if (((double)t->nval + (double)size) * 16 > (double)c->s->set.maxmem * 1048576) {
        char msg[200];
        snprintf(msg, sizeof msg, "the graph's values and gradients would need more than "
                 "%ld MiB of memory (the limit: set maxmem)", c->s->set.maxmem);
        return fail_at(c, src, owner, E_LIMIT, msg);
    }
    if (tape_reserve_values(t, size)) {
        char msg[200];
        snprintf(msg, sizeof msg, "out of memory: the graph's values and gradients would need "
                 "%.0f MiB, which the system would not give", ((double)t->nval + (double)size) * 16 / 1048576);
        return fail_at(c, src, owner, E_MEMORY, msg);
    }
    t->off[i] = t->nval;
    memset(t->val + t->nval, 0, (size_t)size * sizeof *t->val);
    t->nval += size;
    t->sid[i] = intern_shape(c, t->newshape);
    if (!t->nruns || t->run_owner[t->nruns - 1] != owner) {
        int cap = t->runscap;   /* the two arrays grow together */
        xgrow((void **)&t->run_start, &t->runscap, t->nruns + 1, sizeof *t->run_start);
        if (t->runscap != cap)
            t->run_owner = xrealloc(t->run_owner, (size_t)t->runscap * sizeof *t->run_owner);
        t->run_start[t->nruns] = i;
        t->run_owner[t->nruns++] = owner;
    }
    t->n++;
    return i;
}

/* Drop the last k slots (constant folding replaces them). */
static void unemit(Compiler *c, int k)
{
    Tape *t = c->t;
    t->n -= k;
    t->nval = t->off[t->n];
    while (t->nruns && t->run_start[t->nruns - 1] >= t->n) t->nruns--;
}

/* A scalar constant slot holding y.  Returns the slot, or -1 (a limit). */
static int emit_num(Compiler *c, double y, const Ast *src, Entry *owner)
{
    int slot = emit(c, OP_NUM, -1, -1, src, owner, &(Shape){ 0, { 0, 0 } });
    if (slot >= 0) tape_val(c->t, slot)[0] = y;
    return slot;
}

/* Fold: an element-wise operation on literal scalars is computed now,
 * like Lua's constant folding (a 10 MB line of 1+1+...+1 is one slot).
 * A domain error is not folded: it stays, to fail with its caret when run.
 * Returns 1 with the value in *y when op(a, b) can be folded (its inputs
 * are then the last slots, for the caller to drop), else 0. */
static int foldable(Compiler *c, int op, int a, int b, double *y)
{
    Tape *t = c->t;
    const OpInfo *o = &op_info[op];
    int k = o->arity;
    if (!o->fwd || o->kfwd || k < 1 || t->n < k) return 0;
    int ins[2] = { a, b };
    for (int j = 0; j < k; j++)
        if (ins[j] != t->n - k + j || t->op[ins[j]] != OP_NUM ||
            tape_shape(t, ins[j]).rank != 0 ||
            (t->src[ins[j]] && t->src[ins[j]]->kind == AST_NAME))   /* a named value */
            return 0;
    return !o->fwd(tape_val(t, a)[0], k == 2 ? tape_val(t, b)[0] : 0, y) && isfinite(*y);
}

/* Slot op(a, b) (b = -1 for a unary op), folded to a constant when it can
 * be.  Returns the slot, or -1 with the error in c->d. */
static int emit_op(Compiler *c, int op, int a, int b, const Ast *src, Entry *owner)
{
    double y;
    if (!foldable(c, op, a, b, &y))
        return emit(c, op, a, b, src, owner, NULL);
    unemit(c, op_info[op].arity);
    return emit_num(c, y, src, owner);
}

/* e's memo: slot + 1, IN_PROGRESS, or 0 (not met yet) to be set. */
static int *memo_of(Compiler *c, Entry *e)
{
    if (!c->epoch) return map_slot(&c->memo, e, 1);
    if (e->memo_epoch != c->epoch) {
        e->memo_epoch = c->epoch;
        e->memo_slot = 0;
    }
    return &e->memo_slot;
}

/* The tape depends on e's definition: e goes into t->deps, unless it
 * has a slot (the caller knows; named holds those). */
static void add_dep(Compiler *c, Entry *e)
{
    if (c->epoch) {
        if (e->dep_epoch == c->epoch) return;
        e->dep_epoch = c->epoch;
    } else {
        int *p = map_slot(&c->deps, e, 1);
        if (*p) return;
        *p = 1;
    }
    Tape *t = c->t;
    xgrow((void **)&t->deps, &c->ndeps_cap, t->ndeps + 1, sizeof *t->deps);
    t->deps[t->ndeps++] = e;
}

static void add_named(Compiler *c, Entry *e, int slot)
{
    Tape *t = c->t;
    int cap = c->named_cap;
    xgrow((void **)&t->named, &cap, t->nnamed + 1, sizeof *t->named);
    cap = c->named_cap;
    xgrow((void **)&t->named_slot, &cap, t->nnamed + 1, sizeof *t->named_slot);
    c->named_cap = cap;
    t->named[t->nnamed] = e;
    t->named_slot[t->nnamed] = slot;
    t->nnamed++;
}

static int env_find(const Env *env, const char *name)
{
    if (!env) return -1;
    for (int i = 0; i < env->n; i++)
        if (strcmp(env->names[i], name) == 0)
            return env->slots[i];
    return -1;
}

/* A number the compiler needs now (a dimension, an index).  The values of
 * the names it read are recorded: the tape is stale when they change. */
static int const_eval(Compiler *c, const Frame *f, const Ast *e, double *out)
{
    if (e->kind == AST_NUM) { *out = e->num; return 0; }
    if (e->kind == AST_NEG && e->kid[0]->kind == AST_NUM) { *out = -e->kid[0]->num; return 0; }
    if (f->env) {
        /* a function's parameter has no value while the body is compiled */
        Entry **u;
        int n = session_collect_uses(c->s, e, NULL, 0, &u), hit = 0;
        for (int j = 0; j < n; j++)
            hit |= env_find(f->env, u[j]->name) >= 0;
        free(u);
        if (hit)
            return fail_at(c, e, f->owner, E_USAGE,
                           "a dimension or index must not depend on a function's parameter");
    }
    Tape *sub = compile_expr(c->s, e, f->owner, &c->opt, c->d);
    if (!sub) return -1;
    const char *msg = NULL;
    int bad;
    int rc = 0;
    if (eval_forward(sub, 0, &bad, &msg)) {
        tape_diag(sub, bad, msg, c->d);
        rc = -1;
    } else if (tape_shape(sub, sub->root).rank != 0) {
        rc = fail_at(c, e, f->owner, E_SHAPE, "a dimension or index must be a scalar");
    } else {
        *out = tape_val(sub, sub->root)[0];
        Tape *t = c->t;
        /* every name the value came from: the sub-tape's named ones
         * (its leaves too) have no slot here, or another one */
        for (int i = 0; i < sub->ndeps; i++) add_dep(c, sub->deps[i]);
        for (int i = 0; i < sub->nnamed; i++) add_dep(c, sub->named[i]);
        for (int i = 0; i < sub->nleaves; i++) {
            Entry *le = sub->leafent[i];
            xgrow((void **)&t->valdeps, &t->valdepscap, t->nvaldeps + 1, sizeof *t->valdeps);
            t->valdeps[t->nvaldeps++] = (ValDep){ le, le->val.data[0] };
        }
    }
    tape_free(sub);
    return rc;
}

/* grad(f, w), step 0: w must name a value.  Returns 0, or -1 (failed). */
static int gradof_check(Compiler *c, const Frame *f)
{
    const Ast *w = f->node->kid[1];
    if (w->kind != AST_NAME || env_find(f->env, w->name) >= 0)
        return fail_at(c, w, f->owner, E_USAGE,
                       "grad(f, w): w must be the name of a parameter, const or formula");
    Entry *we = session_find(c->s, w->name);
    if (!we || we->kind == ENT_UNDEF || we->kind == ENT_FUNC) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s is not %s", w->name,
                 we && we->kind == ENT_FUNC ? "a value (it is a function)" : "defined");
        return fail_at(c, w, f->owner, E_NAME, msg);
    }
    return 0;
}

/* derive.c appends its slots through this: the compiler's emit, located
 * at the grad(...) being built. */
typedef struct GradCtx { Compiler *c; const Ast *src; Entry *owner; } GradCtx;

static int grad_emit(void *ctx, int op, int a, int b, const Shape *shape)
{
    GradCtx *g = ctx;
    if (shape) return emit(g->c, op, a, b, g->src, g->owner, shape);
    return emit(g->c, op, a, b, g->src, g->owner, NULL);
}

/* grad(f, w), the last step: f and w are slots of this tape; df/dw is
 * emitted after them as ordinary slots (derive.c).  Returns its slot. */
static int compile_gradof(Compiler *c, const Frame *f, int fs, int ws)
{
    const Ast *a = f->node;
    if (tape_shape(c->t, fs).rank != 0) {
        char sh[48], msg[200];
        shape_str(tape_shape(c->t, fs), sh, sizeof sh);
        snprintf(msg, sizeof msg, "grad(f, w) needs a scalar f, not %s: try grad(sum(f), w)", sh);
        return fail_at(c, a->kid[0], f->owner, E_SHAPE, msg);
    }
    GradCtx g = { c, a, f->owner };
    DeriveEmit em = { &g, grad_emit };
    int z = derive_zero_at(c->t, fs, ws);
    if (z >= 0 && c->s->zero_noted != c->t->src[z]) {
        /* said once (a check re-evaluates the same grad(...) many times,
         * grad(grad(...)) meets the node at each order), where the
         * gradient stops */
        int op = c->t->op[z];
        const Ast *at = c->t->src[z];
        c->s->zero_noted = at;
        report_note(c->s, &at->loc, "%s has derivative 0 (%s): grad(...) sends nothing back "
                    "through it", op_info[op].fname ? op_info[op].fname : op_info[op].name,
                    op == OP_ARGMAX ? "an index" : op == OP_ONE_HOT ? "labels are indices"
                                    : "a comparison is a step");
    }
    return derive_grad(c->t, fs, ws, &em);
}

/* zeros(n[, m]), ones(...), randn(...), load_csv("file") (op, an
 * OPF_CTOR op): values made now, as constant slots.  Returns the slot, or
 * -1 on error. */
static int compile_constructor(Compiler *c, const Frame *f, int op)
{
    const Ast *a = f->node;
    const char *name = a->name;
    char msg[300];
    if (op == OP_LOAD_CSV) {
        if (a->nkids != 1 || a->kid[0]->kind != AST_STR)
            return fail_at(c, a, f->owner, E_USAGE, "load_csv takes a file name: load_csv(\"data.csv\")");
        Value v = { 0 };
        char path[4096];
        session_resolve(&a->kid[0]->loc, a->kid[0]->name, path, sizeof path);
        if (csv_load(path, &v, msg, sizeof msg))
            return fail_at(c, a->kid[0], f->owner, E_IO, msg);
        int slot = emit(c, OP_NUM, -1, -1, a, f->owner, &v.shape);
        if (slot >= 0)
            memcpy(tape_val(c->t, slot), v.data, (size_t)shape_size(v.shape) * sizeof(double));
        value_free(&v);
        return slot;
    }
    if (a->nkids < 1 || a->nkids > 2) {
        snprintf(msg, sizeof msg, "%s takes one or two dimensions: %s(n) or %s(rows, cols)",
                 name, name, name);
        return fail_at(c, a, f->owner, E_ARITY, msg);
    }
    double d[2] = { 1, 1 };
    for (int k = 0; k < a->nkids; k++)
        if (const_eval(c, f, a->kid[k], &d[k])) return -1;
    Shape sh;
    const char *err = shape_check(d[0], d[1], a->nkids, (double)c->s->set.maxmem * 1048576, &sh);
    if (err) {
        snprintf(msg, sizeof msg, "%s: %s", name, err);
        return fail_at(c, a, f->owner, E_SHAPE, msg);
    }
    int slot = emit(c, OP_NUM, -1, -1, a, f->owner, &sh);
    if (slot < 0) return -1;
    double *v = tape_val(c->t, slot);
    long n = shape_size(sh);
    Entry *o = f->keep;
    if (op == OP_RANDN && o) {
        /* a formula's randn is its data: drawn at its first compile, the
         * same at every later one (SPEC 2); so is one in the body of a
         * user function it calls, per call (the nth time this compile
         * reaches the node: g(x) + g(y) draws twice) */
        int q = 0;
        while (q < c->nseen && (c->seen[q].keep != o || c->seen[q].a != a)) q++;
        if (q == c->nseen) {
            xgrow((void **)&c->seen, &c->seencap, q + 1, sizeof *c->seen);
            c->seen[c->nseen++] = (struct Seen){ o, a, 0 };
        }
        int nth = c->seen[q].n++;
        EntryCache *oc = session_cache(o);
        int k = 0;
        while (k < oc->ndrawn && (oc->drawn_at[k] != a || oc->drawn_nth[k] != nth)) k++;
        if (k == oc->ndrawn) {
            oc->drawn = xrealloc(oc->drawn, (size_t)(k + 1) * sizeof *oc->drawn);
            oc->drawn_at = xrealloc(oc->drawn_at, (size_t)(k + 1) * sizeof *oc->drawn_at);
            oc->drawn_nth = xrealloc(oc->drawn_nth, (size_t)(k + 1) * sizeof *oc->drawn_nth);
            oc->drawn[k] = (Value){ 0 };
            oc->drawn_at[k] = a;
            oc->drawn_nth[k] = nth;
            oc->ndrawn++;
        }
        Value *dv = &oc->drawn[k];
        if (!dv->data || !shape_eq(dv->shape, sh)) {   /* new, or its shape's names changed */
            value_free(dv);
            dv->shape = sh;
            dv->data = xmalloc((size_t)(n ? n : 1) * sizeof *dv->data);
            for (long j = 0; j < n; j++) dv->data[j] = rng_normal(&c->s->rng);
        }
        memcpy(v, dv->data, (size_t)n * sizeof *v);
        return slot;
    }
    for (long k = 0; k < n; k++)
        v[k] = op == OP_ZEROS ? 0 : op == OP_ONES ? 1 : rng_normal(&c->s->rng);
    return slot;
}

/* A built-in call's arguments (f->node): which op they choose (into
 * f->fn, sum(X, 0) choosing sum's axis form) and how many are inputs,
 * or -1.  A keyword must be axis=, and the last argument. */
static int call_form(Compiler *c, Frame *f)
{
    const Ast *a = f->node;
    int nkw = 0, nin;
    char msg[300];
    for (int k = 0; k < a->nkids; k++) {
        const Ast *kw = a->kid[k];
        if (kw->kind != AST_KWARG) continue;
        if (strcmp(kw->name, "axis") != 0) {
            snprintf(msg, sizeof msg, "unknown keyword %s: the one keyword is axis (sum(X, axis=0))",
                     kw->name);
            return fail_at(c, kw, f->owner, E_USAGE, msg);
        }
        if (k != a->nkids - 1)
            return fail_at(c, kw, f->owner, E_USAGE, "axis=K must be the last argument");
        nkw++;
    }
    int op = op_call_form(f->fn, a->nkids - nkw, nkw, &nin, msg, sizeof msg);
    if (op < 0) return fail_at(c, a, f->owner, E_ARITY, msg);
    f->fn = op;
    return nin;
}

/* A whole number argument (an axis, a count) now; -1 with the error at e. */
static int whole_arg(Compiler *c, const Frame *f, const Ast *e, const char *what, double *v)
{
    if (e->kind == AST_KWARG) e = e->kid[0];
    if (const_eval(c, f, e, v)) return -1;
    if (*v != floor(*v) || fabs(*v) > 1e15) {
        char msg[200];
        snprintf(msg, sizeof msg, "%s: %s must be a whole number, not %g", f->node->name, what, *v);
        return fail_at(c, e, f->owner, E_USAGE, msg);
    }
    return 0;
}

/* Emit a built-in call whose inputs are the slots in[] (f->fn from
 * call_form): the numbers after them (an axis, one_hot's k, reshape's
 * shape) are read now and checked against the input's shape. */
static int emit_call(Compiler *c, const Frame *f, const int *in)
{
    const Ast *a = f->node;
    int op = f->fn;
    const OpInfo *o = &op_info[op];
    Shape s = tape_shape(c->t, in[0]);
    char msg[300], sh[48], sh2[48];
    shape_str(s, sh, sizeof sh);
    if (op == OP_XENT) {
        /* a target of class indices, one per row, instead of rows */
        Shape y = tape_shape(c->t, in[1]);
        if ((s.rank == 2 && y.rank == 1) || (s.rank == 1 && y.rank == 0)) op = OP_XENT_IDX;
    }
    if (o->flags & OPF_AXIS) {
        double v = -1;
        if (a->nkids > 1) {
            if (whole_arg(c, f, a->kid[1], "the axis", &v)) return -1;
            if (v < -s.rank || v >= s.rank) {
                snprintf(msg, sizeof msg, "%s: axis %g is out of range for %s%s", a->name, v,
                         s.rank ? "shape " : "a ", sh);
                if (s.rank)
                    snprintf(msg + strlen(msg), sizeof msg - strlen(msg), " (axes 0%s, or -1 from the end)",
                             s.rank == 2 ? " and 1" : "");
                return fail_at(c, a->kid[1], f->owner, E_SHAPE, msg);
            }
            if (v < 0) v += s.rank;
            if (s.rank == 1) v = -1;   /* a vector's axis 0 is all of it */
        }
        return emit(c, op, in[0], (int)v, a, f->owner, NULL);
    }
    if (o->flags & OPF_COUNT) {
        double d[2] = { 0, 0 };
        int nd = a->nkids - 1;
        for (int k = 0; k < nd; k++) {
            if (whole_arg(c, f, a->kid[1 + k], op == OP_ONE_HOT ? "k" : "a dimension", &d[k]))
                return -1;
            if (d[k] < 1) {
                snprintf(msg, sizeof msg, "%s: %s must be at least 1, not %g", a->name,
                         op == OP_ONE_HOT ? "the number of classes k" : "a dimension", d[k]);
                return fail_at(c, a->kid[1 + k], f->owner, E_SHAPE, msg);
            }
        }
        Shape out;
        const char *err;
        if (op == OP_ONE_HOT) {
            if (s.rank == 2) {
                snprintf(msg, sizeof msg, "one_hot takes a vector of class indices, not shape %s", sh);
                return fail_at(c, a->kid[0], f->owner, E_SHAPE, msg);
            }
            err = shape_check(s.rank ? (double)s.d[0] : d[0], d[0], s.rank + 1,
                              (double)c->s->set.maxmem * 1048576, &out);
        } else {
            err = shape_check(d[0], d[1], nd, (double)c->s->set.maxmem * 1048576, &out);
            if (!err && shape_size(out) != shape_size(s)) {
                shape_str(out, sh2, sizeof sh2);
                snprintf(msg, sizeof msg, "reshape: shape %s has %ld entries, shape %s has %ld",
                         sh, shape_size(s), sh2, shape_size(out));
                return fail_at(c, a, f->owner, E_SHAPE, msg);
            }
        }
        if (err || d[0] > 2147483647 || d[1] > 2147483647) {
            snprintf(msg, sizeof msg, "%s: %s", a->name, err ? err : "too many entries");
            return fail_at(c, a, f->owner, E_SHAPE, msg);
        }
        return emit(c, op, in[0], op == OP_ONE_HOT ? (int)d[0] : (int)d[1], a, f->owner, NULL);
    }
    return emit(c, op, in[0], o->arity == 2 ? in[1] : -1, a, f->owner, NULL);
}

/* x[i, a:b]: resolve the indices (numbers now) against x's shape. */
static int compile_index(Compiler *c, const Frame *f, int base)
{
    const Ast *a = f->node;
    Tape *t = c->t;
    Shape in = tape_shape(t, base);
    int nidx = a->nkids - 1;
    char msg[300], sh[48];
    shape_str(in, sh, sizeof sh);
    if (nidx > in.rank) {
        snprintf(msg, sizeof msg, "%d ind%s for a value of shape %s", nidx,
                 nidx == 1 ? "ex" : "ices", sh);
        return fail_at(c, a, f->owner, E_SHAPE, msg);
    }
    IndexSpec spec = { { 0, 0 }, { 0, 0 }, { 1, 1 } };
    for (int ax = 0; ax < in.rank; ax++) {
        long len = in.d[ax];
        spec.start[ax] = 0;
        spec.len[ax] = len;
        spec.keep[ax] = 1;
        if (ax >= nidx) continue;
        const Ast *ix = a->kid[1 + ax];
        if (ix->kind == AST_SLICE) {
            double lo = 0, hi = (double)len;
            int k = 0;
            if ((ix->op & 1) && const_eval(c, f, ix->kid[k++], &lo)) return -1;
            if ((ix->op & 2) && const_eval(c, f, ix->kid[k++], &hi)) return -1;
            if (lo != floor(lo) || hi != floor(hi))
                return fail_at(c, ix, f->owner, E_USAGE, "slice bounds must be whole numbers");
            /* Python's rules: negative counts from the end, then clip */
            if (lo < 0) lo += (double)len;
            if (hi < 0) hi += (double)len;
            lo = lo < 0 ? 0 : lo > (double)len ? (double)len : lo;
            hi = hi < lo ? lo : hi > (double)len ? (double)len : hi;
            if (hi == lo) {
                snprintf(msg, sizeof msg, "the slice is empty (axis %d has length %ld)", ax, len);
                return fail_at(c, ix, f->owner, E_SHAPE, msg);
            }
            spec.start[ax] = (long)lo;
            spec.len[ax] = (long)(hi - lo);
        } else {
            double v;
            if (const_eval(c, f, ix, &v)) return -1;
            if (v != floor(v))
                return fail_at(c, ix, f->owner, E_USAGE, "an index must be a whole number");
            if (v < -(double)len || v >= (double)len) {
                snprintf(msg, sizeof msg, "index %g is out of range for axis %d of length %ld",
                         v, ax, len);
                return fail_at(c, ix, f->owner, E_SHAPE, msg);
            }
            spec.start[ax] = (long)(v < 0 ? v + (double)len : v);
            spec.len[ax] = 1;
            spec.keep[ax] = 0;
        }
    }
    xgrow((void **)&t->index, &t->indexcap, t->nindex + 1, sizeof *t->index);
    t->index[t->nindex] = spec;
    return emit(c, OP_INDEX, base, t->nindex++, a, f->owner, NULL);
}

static Tape *compile_once(Session *s, const Ast *root, Entry *owner, const CompileOpts *opt,
                          Diag *d, int *restart)
{
    Compiler c = { .s = s, .d = d };
    if (s->compiling == 1) c.epoch = session_new_epoch(s);   /* the outermost */
    if (opt) c.opt = *opt;
    c.t = tape_new();
    c.t->clock = s->clock;
    Frame *fr = NULL;
    int nf = 0, fcap = 0, *vs = NULL, nv = 0, vcap = 0;
    int ok = 1;

    xgrow((void **)&fr, &fcap, 1, sizeof *fr);
    fr[nf++] = (Frame){ .node = root, .owner = owner,
                        .keep = owner && owner->kind == ENT_FORMULA ? owner : NULL };

    while (nf > 0 && ok) {
        Frame *f = &fr[nf - 1];
        const Ast *a = f->node;
        int result = -1;

        switch (a->kind) {
        case AST_NUM:
            result = emit_num(&c, a->num, a, f->owner);
            if (result < 0) { ok = 0; continue; }
            break;

        case AST_STR:
        case AST_SLICE:
        case AST_KWARG:
            fail_at(&c, a, f->owner, E_USAGE,
                    a->kind == AST_STR ? "a string is not a value"
                    : a->kind == AST_SLICE ? "a slice (a:b) only goes inside [ ]"
                    : "a keyword argument (axis=K) only goes in a call of a function that takes it");
            ok = 0;
            continue;

        case AST_NAME: {
            if (f->state == 1) { result = vs[--nv]; break; }
            result = env_find(f->env, a->name);
            if (result >= 0) break;
            Entry *e = session_find_node(s, a);
            if (!e && (strcmp(a->name, "pi") == 0 || strcmp(a->name, "e") == 0))
                e = session_intern_node(s, a);   /* so that shadowing it later is seen */
            /* a parameter, a const or a formula gets a slot here, and
             * is in named (or the compile fails) */
            if (e && e->kind != ENT_PARAM && e->kind != ENT_CONST && e->kind != ENT_FORMULA)
                add_dep(&c, e);
            if (e && (e->kind == ENT_PARAM || e->kind == ENT_CONST)) {
                int *m = memo_of(&c, e);
                if (!*m) {
                    int slot = emit(&c, OP_LEAF, c.t->nleaves, -1, a, f->owner, &e->val.shape);
                    if (slot < 0) { ok = 0; continue; }
                    *m = slot + 1;
                    add_named(&c, e, slot);
                    int lcap = c.leaves_cap;
                    xgrow((void **)&c.t->leaves, &lcap, c.t->nleaves + 1, sizeof(int));
                    if (lcap != c.leaves_cap)
                        c.t->leafent = xrealloc(c.t->leafent, (size_t)lcap * sizeof *c.t->leafent);
                    c.leaves_cap = lcap;
                    c.t->leafent[c.t->nleaves] = e;
                    c.t->leaves[c.t->nleaves++] = slot;
                }
                result = *m - 1;
                break;
            }
            if (e && e->kind == ENT_FORMULA && c.opt.use_values && entry_value_current(e, s->world) &&
                f->formula != e) {
                /* only the value is wanted, and it is current: a constant */
                int *m = memo_of(&c, e);
                if (!*m) {
                    const Value *cv = &e->cache->vcache;
                    int slot = emit(&c, OP_NUM, -1, -1, a, f->owner, &cv->shape);
                    if (slot < 0) { ok = 0; continue; }
                    memcpy(tape_val(c.t, slot), cv->data,
                           (size_t)shape_size(cv->shape) * sizeof(double));
                    *m = slot + 1;
                    add_named(&c, e, slot);
                }
                result = *m - 1;
                break;
            }
            if (e && e->kind == ENT_FORMULA) {
                int *m = memo_of(&c, e);
                if (*m == IN_PROGRESS) {
                    char msg[300];
                    snprintf(msg, sizeof msg, "%s depends on itself", e->name);
                    fail_at(&c, a, f->owner, E_CYCLE, msg);
                    ok = 0;
                    continue;
                }
                if (*m) { result = *m - 1; break; }
                *m = IN_PROGRESS;
                if (!f->formula) {
                    /* This frame now computes the formula's body. */
                    f->node = e->expr;
                    f->env = NULL;
                    f->owner = e;
                    f->formula = e;
                    f->keep = e;
                    f->state = 0;
                    f->base = nv;
                } else {
                    /* An alias of an alias (f = g, g = ...): this frame
                     * already names a formula; wait for g's body. */
                    f->state = 1;
                    xgrow((void **)&fr, &fcap, nf + 1, sizeof *fr);
                    fr[nf++] = (Frame){ .node = e->expr, .owner = e, .formula = e, .keep = e };
                }
                continue;
            }
            if (e && e->kind == ENT_FUNC) {
                char msg[300];
                snprintf(msg, sizeof msg, "%s is a function: call it as %s(...)", e->name, e->name);
                fail_at(&c, a, f->owner, E_NAME, msg);
                ok = 0;
                continue;
            }
            if (strcmp(a->name, "pi") == 0 || strcmp(a->name, "e") == 0) {
                result = emit_num(&c, a->name[0] == 'p' ? M_PI : M_E, a, f->owner);
                if (result < 0) { ok = 0; continue; }
                break;
            }
            char msg[300];
            const char *near = suggest_name(s, a->name);
            if (near) snprintf(msg, sizeof msg, "%s is not defined; did you mean %s?", a->name, near);
            else snprintf(msg, sizeof msg, "%s is not defined", a->name);
            fail_at(&c, a, f->owner, E_NAME, msg);
            ok = 0;
            continue;
        }

        case AST_GRAD:
            /* f, then w, into this tape; then df/dw after them */
            if (f->state == 0) {
                if (gradof_check(&c, f)) { ok = 0; continue; }
                if (c.opt.use_values) {
                    /* a gradient needs the whole graph: no formula's
                     * value may stand in anywhere, so start again */
                    c.restart = 1;
                    ok = 0;
                    continue;
                }
                f->base = nv;
            }
            if (f->state < 2) {
                const Ast *kid = a->kid[f->state++];
                xgrow((void **)&fr, &fcap, nf + 1, sizeof *fr);
                f = &fr[nf - 1];
                fr[nf++] = (Frame){ .node = kid, .env = f->env, .owner = f->owner, .keep = f->keep };
                continue;
            }
            result = compile_gradof(&c, f, vs[nv - 2], vs[nv - 1]);
            if (result < 0) { ok = 0; continue; }
            nv = f->base;
            break;

        case AST_CALL:
            if (f->state == 0 && !f->func && f->fn == 0) {
                int arity;
                f->fn = op_lookup_function(a->name, &arity);
                if (f->fn >= 0 && (op_info[f->fn].flags & OPF_CTOR)) {
                    result = compile_constructor(&c, f, f->fn);
                    if (result < 0) { ok = 0; continue; }
                    break;
                }
                if (f->fn < 0) {
                    Entry *e = session_find_node(s, a);
                    if (e) add_dep(&c, e);
                    if (!e || e->kind != ENT_FUNC) {
                        char msg[300];
                        if (e && e->kind != ENT_UNDEF)
                            snprintf(msg, sizeof msg, "%s is not a function", a->name);
                        else if (suggest_name(s, a->name))
                            snprintf(msg, sizeof msg, "unknown function %s; did you mean %s?",
                                     a->name, suggest_name(s, a->name));
                        else
                            snprintf(msg, sizeof msg, "unknown function %s", a->name);
                        fail_at(&c, a, f->owner, E_NAME, msg);
                        ok = 0;
                        continue;
                    }
                    f->func = e;
                    arity = e->nparams;
                }
                if (f->fn >= 0) {
                    f->nin = call_form(&c, f);
                    if (f->nin < 0) { ok = 0; continue; }
                } else if (arity != a->nkids) {
                    char msg[300];
                    snprintf(msg, sizeof msg, "%s takes %d argument%s, not %d", a->name,
                             arity, arity == 1 ? "" : "s", a->nkids);
                    fail_at(&c, a, f->owner, E_ARITY, msg);
                    ok = 0;
                    continue;
                }
                if (f->fn < 0) f->nin = a->nkids;
                f->base = nv;
            }
            /* then compile the arguments, like any operator */
            __attribute__((fallthrough));
        case AST_NEG:
        case AST_BIN:
        case AST_LIST:
        case AST_INDEX: {
            /* indices, an axis, one_hot's k: numbers, later */
            int nkids = a->kind == AST_INDEX ? 1 : a->kind == AST_CALL ? f->nin : a->nkids;
            if (f->state < nkids) {
                if (f->state == 0) f->base = nv;
                const Ast *kid = a->kid[f->state++];
                xgrow((void **)&fr, &fcap, nf + 1, sizeof *fr);
                f = &fr[nf - 1];
                fr[nf++] = (Frame){ .node = kid, .env = f->env, .owner = f->owner, .keep = f->keep };
                continue;
            }
            if (a->kind == AST_NEG) {
                result = emit_op(&c, OP_NEG, vs[nv - 1], -1, a, f->owner);
            } else if (a->kind == AST_BIN) {
                result = emit_op(&c, a->op, vs[nv - 2], vs[nv - 1], a, f->owner);
            } else if (a->kind == AST_INDEX) {
                result = compile_index(&c, f, vs[nv - 1]);
            } else if (a->kind == AST_LIST) {
                Tape *t = c.t;
                xgrow((void **)&t->args, &t->argscap, t->nargs + a->nkids, sizeof *t->args);
                memcpy(t->args + t->nargs, vs + f->base, a->nkids * sizeof *vs);
                result = emit(&c, OP_STACK, t->nargs, a->nkids, a, f->owner, NULL);
                t->nargs += a->nkids;
            } else if (!f->func) {
                result = emit_call(&c, f, vs + f->base);
            } else if (f->state == a->nkids) {
                /* Expand the user function: its body with params bound. */
                Entry *fn = f->func;
                const Env *penv = f->env;
                int depth = penv ? penv->depth + 1 : 1;
                if (depth > MAX_CALL_DEPTH) {
                    fail_at(&c, a, f->owner, E_LIMIT,
                            "user functions nested too deeply");
                    ok = 0;
                    continue;
                }
                Env *env = xcalloc(1, sizeof *env);
                env->names = fn->params;
                env->n = fn->nparams;
                env->slots = xmalloc((fn->nparams ? fn->nparams : 1) * sizeof(int));
                if (fn->nparams)
                    memcpy(env->slots, vs + f->base, fn->nparams * sizeof(int));
                env->depth = depth;
                f->callenv = env;    /* freed when the call is done: envs nest */
                f->slot0 = c.t->n;
                f->state++;
                xgrow((void **)&fr, &fcap, nf + 1, sizeof *fr);
                fr[nf++] = (Frame){ .node = fn->expr, .env = env, .owner = fn, .keep = f->keep };
                continue;
            } else {
                result = vs[nv - 1];   /* the body's value */
                if (result >= f->slot0)  /* computed by this call: its text names it */
                    tape_call_label(c.t, result, a);
                free(f->callenv->slots);
                free(f->callenv);
                f->callenv = NULL;
            }
            if (result < 0) { ok = 0; continue; }
            nv = f->base;
            break;
        }
        }

        /* The frame is done: its value is `result`. */
        if (f->formula && f->formula->expr && f->formula->expr->kind == AST_NAME &&
            !(c.t->op[result] == OP_LEAF && c.t->leafent[c.t->a[result]]->kind == ENT_PARAM)) {
            /* g = h with h a formula or a const: g is a node of its own
             * (SPEC 2), so that grad wrt g is the partial at g, not at h.
             * The copy is g = h*1, exact for every value (even -0, nan). */
            int one = emit_num(&c, 1.0, NULL, f->formula);
            result = one < 0 ? -1 : emit(&c, OP_MUL, result, one, f->formula->expr, f->formula, NULL);
            if (result < 0) { ok = 0; nf--; continue; }
        }
        if (f->formula) {
            *memo_of(&c, f->formula) = result + 1;
            add_named(&c, f->formula, result);
        }
        nf--;
        xgrow((void **)&vs, &vcap, nv + 1, sizeof *vs);
        vs[nv++] = result;
    }

    for (int i = 0; i < nf; i++)        /* calls left half-expanded by an error */
        if (fr[i].callenv) {
            free(fr[i].callenv->slots);
            free(fr[i].callenv);
        }
    free(fr);
    free(c.seen);
    map_free(&c.memo);
    map_free(&c.deps);
    map_free(&c.shapes);
    if (!ok) {
        free(vs);
        tape_free(c.t);
        *restart = c.restart;
        return NULL;
    }
    c.t->root = vs[0];
    free(vs);
    compile_need(c.t);
    return c.t;
}

Tape *compile_expr(Session *s, const Ast *root, Entry *owner, const CompileOpts *opt, Diag *d)
{
    int restart = 0;
    s->compiling++;
    Tape *t = compile_once(s, root, owner, opt, d, &restart);
    if (!t && restart) {
        CompileOpts whole = *opt;
        whole.use_values = 0;
        t = compile_once(s, root, owner, &whole, d, &restart);
    }
    s->compiling--;
    return t;
}

/* ---- needs-grad marks ------------------------------------------------ */

void compile_need(Tape *t)
{
    free(t->need);
    t->need = xcalloc((size_t)(t->n ? t->n : 1), 1);
    t->nrun_of = t->nassign_of = -1;   /* slots may have been replaced: eval and
                                          backprop rebuild their lists */
    /* inputs come before their users: one pass forward settles every mark */
    for (int i = 0; i < t->n; i++) {
        unsigned char *m = &t->need[i];
        switch (t->op[i]) {
        case OP_NUM:                     /* no inputs */
            break;
        case OP_LEAF:
            *m = t->leafent[t->a[i]]->kind == ENT_PARAM;
            break;
        case OP_STACK:
            for (int k = 0; k < t->b[i] && !*m; k++)
                *m = t->need[t->args[t->a[i] + k]];
            break;
        case OP_INDEX:
            *m = t->need[t->a[i]];
            break;
        default: {
            int ar = op_info[t->op[i]].arity;
            *m = (ar >= 1 && t->a[i] >= 0 && t->need[t->a[i]]) ||
                 (ar == 2 && t->b[i] >= 0 && t->need[t->b[i]]);
        }
        }
    }
}

Tape *compile_entry(Session *s, Entry *e, Diag *d)
{
    if (e->tape && !tape_stale(e->tape))
        return e->tape;
    tape_free(e->tape);
    e->tape = NULL;
    /* Compile the name itself, so that the formula's root is named. */
    Ast name = { .kind = AST_NAME, .name = e->name };
    name.loc = e->loc;
    e->tape = compile_expr(s, &name, NULL, NULL, d);
    if (!e->tape) return NULL;
    for (int i = 0; i < e->tape->n; i++)
        if (e->tape->src[i] == &name)
            e->tape->src[i] = NULL;   /* do not keep a pointer to the stack */
    /* Every formula caching the whole graph below it would take memory
     * quadratic in a chain's length: past a budget, the other formulas'
     * tapes go (they are compiled again when next needed). */
    enum { CACHE_SLOTS = 4000000 };
    s->cached_slots += e->tape->n;
    if (s->cached_slots > CACHE_SLOTS) {
        for (Entry *o = s->first; o; o = o->next)
            if (o != e && o->tape) {
                tape_free(o->tape);
                o->tape = NULL;
            }
        s->cached_slots = e->tape->n;
    }
    return e->tape;
}
