/* commands.c: the statements about names and values (define, update,
 * expressions, grad, print, show, vars, delete, clear, graph, dot),
 * applied to the session one transaction each.  run.c dispatches to them. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "cmdutil.h"
#include "draw.h"
#include "help.h"
#include "numdiff.h"
#include "ops.h"
#include "report.h"
#include "suggest.h"
#include "tape.h"
#include "xalloc.h"

/* ---- names ---------------------------------------------------------- */

static int check_name(Session *s, const char *name, const Loc *loc, Diag *d)
{
    (void)s;
    if (session_reserved(name) && !help_is_command(name))
        return diag_set(d, E_NAME, loc,
                        "%s is a built-in function and cannot be redefined; choose another name", name);
    if (session_reserved(name))
        return diag_set(d, E_NAME, loc,
                        "%s is a command word and cannot be a name; choose another name", name);
    return E_OK;
}

static void note_shadow(Session *s, Entry *e, const Loc *loc)
{
    if (e->kind != ENT_UNDEF)
        return;
    if (strcmp(e->name, "pi") == 0)
        report_note(s, loc, "pi now means your definition, not 3.14159...");
    else if (strcmp(e->name, "e") == 0)
        report_note(s, loc, "e now means your definition, not 2.71828...");
}

/* Does e mention a session name, a user function or grad()?  Then a
 * definition of it is a formula; otherwise a parameter.  A random
 * function (randn) makes it a parameter, drawn once. */
static int is_live(Session *s, const Ast *root, int *random)
{
    int n = 0, cap = 0, live = 0;
    const Ast **stack = NULL;
    *random = 0;
    xgrow((void **)&stack, &cap, 1, sizeof *stack);
    stack[n++] = root;
    while (n > 0) {
        const Ast *a = stack[--n];
        if (a->kind == AST_GRAD) live = 1;
        else if (a->kind == AST_CALL) {
            int ar, op = op_lookup_function(a->name, &ar);
            if (op < 0) live = 1;
            else if (op_info[op].flags & OPF_RANDOM) {
                /* randn(n, 2): the names in its shape do not make it
                 * live; they are read when it is drawn */
                *random = 1;
                continue;
            }
        } else if (a->kind == AST_NAME) {
            /* any name but pi and e is live, defined or not (the table
             * is only asked about those two) */
            if (strcmp(a->name, "pi") != 0 && strcmp(a->name, "e") != 0) {
                live = 1;
            } else {
                Entry *e = session_find(s, a->name);
                live |= e && e->kind != ENT_UNDEF;
            }
        }
        xgrow((void **)&stack, &cap, n + a->nkids, sizeof *stack);
        for (int i = 0; i < a->nkids; i++)
            stack[n++] = a->kid[i];
    }
    free(stack);
    return live;
}

/* Would giving `target` a body that uses `uses` make it depend on itself?
 * A depth-first walk over the uses of formulas and functions (explicit
 * stack); on a cycle, writes "f -> g -> f" into path. */
static int find_cycle(Session *s, Entry *target, Entry **uses, int nuses,
                      char *path, size_t pn)
{
    for (int i = 0; i < nuses; i++)
        if (uses[i] == target) {
            snprintf(path, pn, "%s -> %s", target->name, target->name);
            return 1;
        }
    if (target->refs == 0)
        return 0;   /* nothing mentions target: no path can come back to it */
    unsigned ep = session_new_epoch(s);
    int n = 0, cap = 0, found = 0;
    Entry **stack = NULL, *hit = NULL;
    xgrow((void **)&stack, &cap, nuses, sizeof *stack);
    for (int i = 0; i < nuses; i++) {
        if (uses[i]->mark_epoch == ep) continue;
        uses[i]->mark_epoch = ep;
        uses[i]->parent = NULL;
        stack[n++] = uses[i];
    }
    while (n > 0 && !found) {
        Entry *x = stack[--n];
        if (x->kind != ENT_FORMULA && x->kind != ENT_FUNC) continue;
        for (int i = 0; i < x->nuses; i++) {
            Entry *y = x->uses[i];
            if (y == target) { found = 1; hit = x; break; }
            if (y->mark_epoch == ep) continue;
            y->mark_epoch = ep;
            y->parent = x;
            xgrow((void **)&stack, &cap, n + 1, sizeof *stack);
            stack[n++] = y;
        }
    }
    free(stack);
    if (!found) return 0;
    /* target -> (chain from the root of the walk to hit) -> target */
    int len = 0;
    for (Entry *x = hit; x; x = x->parent) len++;
    Entry **chain = xmalloc(len * sizeof *chain);
    int k = len;
    for (Entry *x = hit; x; x = x->parent) chain[--k] = x;
    size_t off = (size_t)snprintf(path, pn, "%s", target->name);
    for (int i = 0; i < len && off < pn; i++)
        off += (size_t)snprintf(path + off, pn - off, " -> %s", chain[i]->name);
    if (off < pn) snprintf(path + off, pn - off, " -> %s", target->name);
    free(chain);
    return 1;
}

/* "note: bb is not defined yet", once per name, at its first mention: one
 * walk over the body (pre-order, explicit stack). */
static void note_undefined(Session *s, const Ast *body, Entry **uses, int n)
{
    int any = 0;
    for (int i = 0; i < n && !any; i++) any = uses[i]->kind == ENT_UNDEF;
    if (!any) return;
    /* marked `todo`: an undefined name of this body (function parameters
     * are not among the uses); re-marked `done` once noted */
    unsigned todo = session_new_epoch(s), done = session_new_epoch(s);
    for (int i = 0; i < n; i++)
        if (uses[i]->kind == ENT_UNDEF && strcmp(uses[i]->name, "pi") && strcmp(uses[i]->name, "e"))
            uses[i]->mark_epoch = todo;
    int sn = 0, cap = 0;
    const Ast **stack = NULL;
    xgrow((void **)&stack, &cap, 1, sizeof *stack);
    stack[sn++] = body;
    while (sn > 0) {
        const Ast *a = stack[--sn];
        if (a->kind == AST_NAME || a->kind == AST_CALL) {
            Entry *u = session_find(s, a->name);
            if (u && u->mark_epoch == todo) {
                u->mark_epoch = done;
                const char *near = suggest_name(s, u->name);
                if (near) report_note(s, &a->loc, "%s is not defined yet (did you mean %s?)", u->name, near);
                else report_note(s, &a->loc, "%s is not defined yet", u->name);
            }
        }
        xgrow((void **)&stack, &cap, sn + a->nkids, sizeof *stack);
        for (int j = a->nkids - 1; j >= 0; j--) stack[sn++] = a->kid[j];
    }
    free(stack);
}

/* Calls with the wrong number of arguments, found when a body is defined
 * (not first when it is evaluated): built-in functions, and user functions
 * already defined.  Walks the body with an explicit stack. */
static int check_calls(Session *s, const Ast *body, Diag *d)
{
    int n = 0, cap = 0, rc = E_OK;
    const Ast **stack = NULL;
    xgrow((void **)&stack, &cap, 1, sizeof *stack);
    stack[n++] = body;
    while (n > 0 && !rc) {
        const Ast *a = stack[--n];
        if (a->kind == AST_CALL) {
            int arity = -1, op = op_lookup_function(a->name, &arity), nkw = 0, nin;
            char msg[300];
            if (op < 0) {
                Entry *e = session_find(s, a->name);
                arity = e && e->kind == ENT_FUNC ? e->nparams : -1;
            } else if (arity >= 0) {   /* optional and keyword arguments: ops.c */
                for (int k = 0; k < a->nkids; k++) nkw += a->kid[k]->kind == AST_KWARG;
                if (op_call_form(op, a->nkids - nkw, nkw, &nin, msg, sizeof msg) < 0)
                    rc = diag_set(d, E_ARITY, &a->loc, "%s", msg);
                arity = -1;
            }
            if (arity >= 0 && arity != a->nkids)
                rc = diag_set(d, E_ARITY, &a->loc, "%s takes %d argument%s, not %d", a->name,
                              arity, arity == 1 ? "" : "s", a->nkids);
        }
        xgrow((void **)&stack, &cap, n + a->nkids, sizeof *stack);
        for (int i = 0; i < a->nkids; i++) stack[n++] = a->kid[i];
    }
    free(stack);
    return rc;
}

/* f = expr, f(x, y) = expr: a formula or function body (live). */
static int define_body(Session *s, Entry *e, const Stmt *st, EntKind kind, Diag *d)
{
    const Ast *body = st->e[0];
    const char **params = kind == ENT_FUNC ? st->names : NULL;
    int np = kind == ENT_FUNC ? st->nnames : 0;
    for (int i = 0; i < np; i++) {
        if (check_name(s, params[i], &st->name_locs[i], d)) return d->kind;
        for (int j = 0; j < i; j++)
            if (strcmp(params[i], params[j]) == 0)
                return diag_set(d, E_NAME, &st->name_locs[i],
                                "parameter %s appears twice", params[i]);
    }
    if (check_calls(s, body, d)) return d->kind;
    Entry **uses;
    int n = session_collect_uses(s, body, params, np, &uses);
    char path[512];
    if (find_cycle(s, e, uses, n, path, sizeof path)) {
        free(uses);
        if (kind == ENT_FUNC)
            return diag_set(d, E_CYCLE, &st->loc,
                            "%s would call itself (%s): recursion is not supported", e->name, path);
        int self = strncmp(path, e->name, strlen(e->name)) == 0 &&
                   strcmp(path + strlen(e->name), " -> ") > 0 &&
                   strcmp(path + strlen(e->name) + 4, e->name) == 0;
        diag_set(d, E_CYCLE, &st->loc, "cycle: %s", path);
        if (self)
            diag_note(d, "to update %s from its own value, write %s := ...", e->name, e->name);
        else
            diag_note(d, "a formula cannot depend on itself; nothing was changed");
        return E_CYCLE;
    }
    note_shadow(s, e, &st->name_loc);
    note_undefined(s, body, uses, n);
    session_replace_uses(e, uses, n);
    e->kind = kind;
    e->expr = body;
    e->params = params;
    e->nparams = np;
    value_free(&e->val);
    e->loc = st->loc;
    session_touch(s, e);
    session_changed(s, e);
    return E_OK;
}

/* Would giving the names in es the values vs keep the session's values
 * within set maxmem?  (Checked before anything changes.) */
static int check_memory(Session *s, Entry **es, const Value *vs, int n, const Loc *loc, Diag *d)
{
    double total = s->value_bytes;
    for (int i = 0; i < n; i++) {
        if (es[i] && es[i]->val.data)
            total -= (double)shape_size(es[i]->val.shape) * sizeof(double);
        total += (double)shape_size(vs[i].shape) * sizeof(double);
    }
    if (total > (double)s->set.maxmem * 1048576)
        return diag_set(d, E_LIMIT, loc, "the session's values would need %.0f MiB, more than "
                        "the limit (set maxmem %ld)", total / 1048576, s->set.maxmem);
    return E_OK;
}

/* name = value (or const name = value): a leaf.  Takes *v's data. */
static void define_value(Session *s, Entry *e, EntKind kind, Value *v, const Loc *loc)
{
    note_shadow(s, e, loc);
    int changed = e->kind != kind;
    session_replace_uses(e, NULL, 0);
    e->kind = kind;
    e->expr = NULL;
    e->params = NULL;
    e->nparams = 0;
    s->value_bytes -= (double)shape_size(e->val.shape) * sizeof(double) * (e->val.data != NULL);
    value_free(&e->val);
    e->val = *v;
    s->value_bytes += (double)shape_size(e->val.shape) * sizeof(double);
    v->data = NULL;
    e->loc = *loc;
    if (changed) session_touch(s, e);
    session_changed(s, e);
}

int cmd_define(Session *s, const Stmt *st, Diag *d)
{
    if (check_name(s, st->name, &st->name_loc, d)) return d->kind;
    Entry *e = session_intern(s, st->name);
    if (st->kind == ST_FUNC)
        return define_body(s, e, st, ENT_FUNC, d);
    int random;
    if (st->kind == ST_DEFINE && is_live(s, st->e[0], &random)) {
        if (e->kind == ENT_CONST)
            return diag_set(d, E_NAME, &st->name_loc,
                            "%s is a const (data): give it a value, or delete it first", e->name);
        if (define_body(s, e, st, ENT_FORMULA, d)) return d->kind;
        if (random) {
            /* draw now (SPEC 2); a body that cannot compile yet (a name
             * not defined) draws when it first can */
            Diag scratch = { 0 };
            compile_entry(s, e, &scratch);
            report_note(s, &st->loc, "the randn in %s is drawn once, now, and kept as its data; "
                        "%s stays live in its other names (redefine it to draw again)",
                        e->name, e->name);
        }
        return E_OK;
    }
    Value v = { 0 };
    if (eval_now(s, st->e[0], &v, d) || check_memory(s, &e, &v, 1, &st->loc, d)) {
        value_free(&v);
        return d->kind;
    }
    EntKind k = st->kind == ST_CONST || e->kind == ENT_CONST ? ENT_CONST : ENT_PARAM;
    define_value(s, e, k, &v, &st->loc);
    return E_OK;
}

static int update_entries(Session *s, const Ast *idx, Entry *e, const Ast *rhs, int op,
                          Value *out, Diag *d);

/* names := values, name op= value: evaluate everything, then assign. */
int cmd_update(Session *s, const Stmt *st, Diag *d)
{
    int n = st->nnames;
    Value *v = xcalloc(n ? n : 1, sizeof *v);
    int rc = E_OK;
    for (int i = 0; i < n && !rc; i++) {
        if ((rc = check_name(s, st->names[i], &st->name_locs[i], d))) break;
        for (int j = 0; j < i; j++)
            if (strcmp(st->names[i], st->names[j]) == 0) {
                rc = diag_set(d, E_NAME, &st->name_locs[i], "%s is updated twice", st->names[i]);
                break;
            }
        if (rc) break;
        Entry *e = session_find(s, st->names[i]);
        if (e && e->kind == ENT_FUNC) {
            rc = diag_set(d, E_NAME, &st->name_locs[i], "%s is a function, not a value", e->name);
            break;
        }
        if (st->op && (!e || e->kind == ENT_UNDEF)) {
            rc = diag_set(d, E_NAME, &st->name_locs[i], "%s is not defined", st->names[i]);
            break;
        }
        if (st->name_index && st->name_index[i]) {
            rc = update_entries(s, st->name_index[i], e, st->e[i], st->op, &v[i], d);
        } else if (st->op) {
            /* name op= expr is name := name op (expr) */
            Ast name = { .kind = AST_NAME, .name = e->name, .loc = st->name_locs[i] };
            Ast *kids[2] = { &name, st->e[i] };
            Ast bin = { .kind = AST_BIN, .op = st->op, .nkids = 2, .kid = kids, .loc = st->loc };
            rc = eval_now(s, &bin, &v[i], d);
        } else {
            rc = eval_now(s, st->e[i], &v[i], d);
        }
        if (rc) break;
    }
    if (!rc) {
        Entry **es = xcalloc(n ? n : 1, sizeof *es);
        for (int i = 0; i < n; i++) es[i] = session_find(s, st->names[i]);
        rc = check_memory(s, es, v, n, &st->loc, d);
        free(es);
    }
    if (!rc) {
        for (int i = 0; i < n; i++) {
            Entry *e = session_intern(s, st->names[i]);
            if (e->kind == ENT_FORMULA) {
                char def[200];
                span_text(e->expr, def, sizeof def);
                report_note(s, &st->name_locs[i], "%s was a formula (%s); now a parameter",
                            e->name, def);
            }
            define_value(s, e, e->kind == ENT_CONST ? ENT_CONST : ENT_PARAM, &v[i], &st->loc);
        }
    }
    for (int i = 0; i < n; i++) value_free(&v[i]);
    free(v);
    return rc;
}

int cmd_expr(Session *s, const Stmt *st, Diag *d)
{
    Value v = { 0 };
    if (eval_now(s, st->e[0], &v, d)) { value_free(&v); return d->kind; }
    report_value(s, &v);
    Entry *ans = session_intern(s, "ans");
    define_value(s, ans, ENT_CONST, &v, &st->loc);
    return E_OK;
}

/* ---- grad ------------------------------------------------------------ */

/* W[i, j] := v, W[i] := row: W's value with those entries replaced, into
 * *out (the rest of the update goes as for a whole name). */
static int update_entries(Session *s, const Ast *idx, Entry *e, const Ast *rhs, int op,
                          Value *out, Diag *d)
{
    if (!e || e->kind == ENT_UNDEF)
        return diag_set(d, E_NAME, &idx->kid[0]->loc, "%s is not defined", idx->kid[0]->name);
    if (e->kind != ENT_PARAM && e->kind != ENT_CONST)
        return diag_set(d, E_USAGE, &idx->kid[0]->loc, "%s is a %s: only a value's entries can be "
                        "updated", e->name, e->kind == ENT_FORMULA ? "formula" : "function");
    long first, count;
    if (entry_index(s, idx, e->val.shape, &first, &count, d)) return d->kind;
    Value v = { 0 };
    Ast *kids[2] = { (Ast *)idx, (Ast *)rhs };
    Ast bin = { .kind = AST_BIN, .op = op, .nkids = 2, .kid = kids, .loc = idx->loc };
    if (eval_now(s, op ? &bin : rhs, &v, d)) { value_free(&v); return d->kind; }
    long n = shape_size(v.shape);
    if (n != 1 && !(v.shape.rank == 1 && n == count)) {
        char want[48], got[48];
        shape_str(count == 1 ? (Shape){ 0, { 0, 0 } } : (Shape){ 1, { count, 0 } }, want, sizeof want);
        shape_str(v.shape, got, sizeof got);
        value_free(&v);
        return diag_set(d, E_SHAPE, &rhs->loc, "%s needs a value of shape %s (or a number), not %s",
                        count == 1 ? "one entry" : "a row", want, got);
    }
    value_set(out, e->val.shape, e->val.data);
    for (long k = 0; k < count; k++) out->data[first + k] = v.data[n == 1 ? 0 : k];
    value_free(&v);
    return E_OK;
}

typedef struct Wrt { Entry *e; int slot; long only; } Wrt;

int cmd_grad(Session *s, const Stmt *st, Diag *d)
{
    const Ast *target = st->e[0];
    int owned;
    Tape *t;
    char text[256], def[256];
    span_text(target, text, sizeof text);
    int rc = diff_target(s, target, text, "grad needs a scalar, but %s has shape %s: try grad sum(%s)",
                         DIFF_BACKWARD, &t, &owned, d);
    if (rc) return rc;
    GradRow *rows = NULL;
    Wrt *wrt = NULL;
    double *scratch = NULL;
    GradReport g = { 0 };
    int nw = 0, n = 0, cap = 0;
    t->graded = 1;
    /* grad f all: every row, not a summary */
    for (int i = 0; i < st->nargs; i++) {
        if (!st->args[i].is_word || strcmp(st->args[i].word, "all") != 0 || i > 0) {
            rc = diag_set(d, E_USAGE, &st->args[i].loc, "grad takes one word after its target: all "
                          "(every row, not a summary)");
            goto out;
        }
        g.all = 1;
    }

    /* the names to differentiate by; wrt W[0,1]: that entry alone */
    CmdWrt *by = NULL;
    if ((rc = cmd_wrt(s, st, t, &by, &nw, d))) goto out;
    wrt = xmalloc((size_t)(nw ? nw : 1) * sizeof *wrt);
    for (int i = 0; i < nw && !rc; i++) {
        Wrt w = { by[i].e, by[i].slot, -1 };
        const Ast *idx = by[i].name >= 0 && st->name_index ? st->name_index[by[i].name] : NULL;
        if (idx) {
            long count;
            Shape sh = w.slot >= 0 ? tape_shape(t, w.slot) : w.e->val.shape;
            if (!(rc = entry_index(s, idx, sh, &w.only, &count, d)) && count != 1)
                rc = diag_set(d, E_USAGE, &idx->loc, "wrt takes a name or one entry of it (W[i, j])");
        }
        wrt[i] = w;
    }
    free(by);
    if (rc) goto out;

    if (!(scratch = cmd_tape_copy(t, &st->loc, d))) { rc = d->kind; goto out; }
    /* Past maxcheck entries over all the parameters together (scalars and
     * tensor entries alike): a reproducible random sample of them, with
     * some entries of every parameter. */
    long total = 0, pi = 0, gi = 0, *pick = NULL, *sizes = xmalloc((size_t)(nw ? nw : 1) * sizeof *sizes);
    int np = 0;
    for (int w = 0; w < nw; w++)
        if (wrt[w].slot >= 0) total += sizes[np++] = wrt[w].only >= 0 ? 1 : tape_size(t, wrt[w].slot);
    g.entries = g.checked = total;
    if (total > s->set.maxcheck)
        g.checked = numdiff_sample_parts(np, sizes, s->set.maxcheck, s->set.seed, &pick);
    free(sizes);
    for (int w = 0; w < nw; w++) {
        Entry *e = wrt[w].e;
        int slot = wrt[w].slot;
        Shape sh = slot >= 0 ? tape_shape(t, slot) : e->val.shape;
        long size = shape_size(sh);
        long k0 = 0, kn = size;                  /* wrt W[0,1]: that entry alone */
        if (wrt[w].only >= 0) { k0 = wrt[w].only; kn = k0 + 1; }
        long cnt = kn - k0, check = cnt;
        if (pick && slot >= 0) {
            check = 0;
            for (long q = pi; q < g.checked && pick[q] < gi + cnt; q++) check++;
        }
        struct GradSample *m = NULL;
        if (check < cnt && sh.rank > 0 && wrt[w].only < 0) {
            g.samples = xrealloc(g.samples, (g.nsamples + 1) * sizeof *g.samples);
            m = &g.samples[g.nsamples++];
            memset(m, 0, sizeof *m);
            snprintf(m->name, sizeof m->name, "%s", e->name);
            m->entries = size;
            m->checked = check;
        } else if (sh.rank > 0 && slot >= 0 && wrt[w].only < 0) {
            g.blocks = xrealloc(g.blocks, (size_t)(g.nblocks + 1) * sizeof *g.blocks);
            struct GradBlock *b = &g.blocks[g.nblocks++];
            snprintf(b->name, sizeof b->name, "%s", e->name);
            b->shape = sh;
            b->first = n;
        }
        for (long k = k0; k < kn; k++) {
            if (bp_interrupted) {
                free(pick);
                rc = diag_set(d, E_INTERRUPT, &st->loc, "interrupted");
                goto out;
            }
            int checked = 1;
            if (pick && slot >= 0) {
                checked = pi < g.checked && pick[pi] == gi;
                if (checked) pi++;
                gi++;
            }
            if (n == cap) {          /* one row per entry: its size is the user's */
                GradRow *more = try_realloc(rows, (size_t)(cap ? 2 * (size_t)cap : 16) * sizeof *rows);
                if (!more || cap > INT_MAX / 2) {
                    free(pick);
                    rc = diag_set(d, E_MEMORY, &st->loc, "out of memory: no room for grad's table "
                                  "(%ld rows of %zu bytes)", total, sizeof *rows);
                    goto out;
                }
                rows = more;
                cap = cap ? 2 * cap : 16;
            }
            GradRow *r = &rows[n++];
            memset(r, 0, sizeof *r);
            entry_name(r->wrt, sizeof r->wrt, e->name, sh, k);
            if (slot < 0) {
                /* f does not use the name: the derivative is exactly 0, and
                 * so is every difference quotient. */
                r->unused = 1;
                FdEstimate z = { .h = 1 };
                r->fd.central = r->fd.forward = r->fd.ridders = r->fd.cstep = r->fd.dual = z;
                r->fd.central.done = (s->set.fd & FD_CENTRAL) != 0;
                r->fd.forward.done = (s->set.fd & FD_FORWARD) != 0;
                r->fd.ridders.done = (s->set.fd & FD_RIDDERS) != 0;
                r->fd.cstep.done = (s->set.fd & FD_COMPLEX) != 0;
                r->fd.dual.done = (s->set.fd & FD_DUAL) != 0;
                continue;
            }
            r->bp = tape_grad(t, slot)[k];
            if (!checked) { r->unchecked = 1; continue; }
            numdiff_entry(t, slot, k, r->bp, &s->set, scratch, &r->fd, &g.cost);
            if (m) {
                const FdEstimate *ref = r->fd.central.done ? &r->fd.central : r->fd.forward.done
                                      ? &r->fd.forward : r->fd.ridders.done ? &r->fd.ridders
                                      : r->fd.cstep.done ? &r->fd.cstep : &r->fd.dual;
                if (ref->done && !ref->failed && fabs(r->bp - ref->value) > m->max_err)
                    m->max_err = fabs(r->bp - ref->value);
                m->mismatches += r->fd.disagree;
            }
        }
    }
    free(pick);
    /* forward differences also use f(p), the forward pass backprop ran */
    if ((s->set.fd & FD_FORWARD) && g.checked > 0) g.cost.forward++;

    g.target = text;
    if (target->kind == AST_NAME) {
        Entry *e = session_find(s, target->name);
        if (e && e->kind == ENT_FORMULA) {
            span_text(e->expr, def, sizeof def);
            g.def = def;
        }
    }
    g.value = tape_val(t, t->root)[0];
    g.rows = rows;
    g.nrows = n;
    g.fd = s->set.fd;
    report_grad(s, &g);
out:
    free(rows);
    free(wrt);
    free(g.samples);
    free(g.blocks);
    free(scratch);
    if (owned) tape_free(t);
    return rc;
}

/* ---- print, show, vars, delete, clear ------------------------------- */

int cmd_print(Session *s, const Stmt *st, Diag *d)
{
    char *line = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&line, &len);
    int rc = E_OK;
    for (int i = 0; i < st->ne && !rc; i++) {
        const Ast *a = st->e[i];
        if (i) fputc(' ', f);
        if (a->kind == AST_STR) {
            fputs(a->name, f);
        } else {
            Value v = { 0 };
            fflush(f);
            if (!(rc = eval_now(s, a, &v, d))) {
                /* the value's rows line up under its first, on the current line */
                const char *last = len ? strrchr(line, '\n') : NULL;
                int col = len ? report_cols(last ? last + 1 : line) : 0;
                char *str = report_value_str(&v, s->set.digits, 0, col);
                fputs(str, f);
                free(str);
            }
            value_free(&v);
        }
    }
    fclose(f);
    if (!rc) report_text(s, "%s", line);
    free(line);
    return rc;
}

/* e's definition and value, malloc'd: for vars (whole 0: a long
 * definition shortened with "…" to fit the line), for show (whole 1: the
 * definition as written, the value on a line of its own when the line is
 * full), whole and full for --json (a big tensor's every entry). */
static char *describe(Session *s, Entry *e, int whole, int full)
{
    char *out = NULL, *v = NULL, def[4096];
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    char sh[48];
    switch (e->kind) {
    case ENT_PARAM:
    case ENT_CONST:
        if (full)
            v = report_value_str(&e->val, s->set.digits, 1,
                                 (int)strlen(e->name) + 3 + (e->kind == ENT_CONST ? 6 : 0));
        else   /* room for the "# shape" note after the last row */
            v = report_value_fit(&e->val, s->set.digits,
                                 (int)strlen(e->name) + 3 + (e->kind == ENT_CONST ? 6 : 0), 60);
        shape_str(e->val.shape, sh, sizeof sh);
        fprintf(f, "%s%s = %s", e->kind == ENT_CONST ? "const " : "", e->name, v);
        if (e->val.shape.rank) fprintf(f, "    # shape %s", sh);
        break;
    case ENT_FORMULA: {
        span_text(e->expr, def, sizeof def);
        Diag d = { 0 };
        Value tv = { 0 };
        Ast name = { .kind = AST_NAME, .name = e->name, .loc = e->loc };
        int width = report_width(s), ok = eval_now(s, &name, &tv, &d) == E_OK;
        if (whole) {
            /* as written */
        } else if (ok && tv.shape.rank == 0) {
            /* a long definition shortened with "…" so the value shows */
            char num[64];
            report_fmt_value(num, sizeof num, tv.data[0], s->set.digits);
            report_shorten(def, width - report_cols(e->name) - 11 - report_cols(num));
        } else {
            report_shorten(def, width - report_cols(e->name) - 3);
        }
        int col = report_cols(e->name) + report_cols(def) + 10;
        if (ok) {
            v = report_value_str(&tv, s->set.digits, full, col);
            if (!full && (tv.shape.rank || whole) && (strchr(v, '\n') || col + 1 + report_cols(v) > width)
                && col > width / 2) {
                /* little room after the definition: the value on its own line */
                free(v);
                v = report_value_str(&tv, s->set.digits, full, 8);
                fprintf(f, "%s = %s\n    # = %s", e->name, def, v);
            } else {
                fprintf(f, "%s = %s    # = %s", e->name, def, v);
            }
        } else {
            fprintf(f, "%s = %s    # = (cannot be evaluated now)", e->name, def);
        }
        value_free(&tv);
        break;
    }
    case ENT_FUNC:
        span_text(e->expr, def, sizeof def);
        fprintf(f, "%s(", e->name);
        for (int i = 0; i < e->nparams; i++)
            fprintf(f, "%s%s", i ? ", " : "", e->params[i]);
        fprintf(f, ") = %s", def);
        break;
    default:
        fprintf(f, "%s is not defined", e->name);
    }
    fclose(f);
    free(v);
    return out;
}

int cmd_show(Session *s, const Stmt *st, Diag *d)
{
    Entry *e = session_find(s, st->name);
    if (!e || e->kind == ENT_UNDEF)
        return diag_set(d, E_NAME, &st->name_loc, "%s is not defined", st->name);
    /* a big tensor shortened as print does (SPEC section 10); --json whole */
    char *text = describe(s, e, 1, s->json);
    report_text(s, "%s", text);
    free(text);
    return E_OK;
}

int cmd_vars(Session *s)
{
    if (!s->first) report_text(s, "(no names defined)");
    for (Entry *e = s->first; e; e = e->next) {
        char *text = describe(s, e, 0, 0);
        report_text(s, "%s", text);
        free(text);
    }
    train_show_state(s);
    return E_OK;
}

int cmd_delete(Session *s, const Stmt *st, Diag *d)
{
    /* Check all, then delete: a refused delete changes nothing.  The names
     * deleted together are marked, so that users among them do not count;
     * only a name some definition uses (refs > 0) needs a search for its
     * users. */
    unsigned ep = session_new_epoch(s);
    for (int i = 0; i < st->nnames; i++) {
        Entry *e = session_find(s, st->names[i]);
        if (!e || e->kind == ENT_UNDEF)
            return diag_set(d, E_NAME, &st->name_locs[i], "%s is not defined", st->names[i]);
        e->mark_epoch = ep;
    }
    for (int i = 0; i < st->nnames; i++) {
        Entry *e = session_find(s, st->names[i]);
        if (e->refs == 0) continue;
        int users = 0;
        char list[300];
        size_t off = 0;
        list[0] = '\0';
        for (Entry *u = s->first; u; u = u->next) {
            if (u->mark_epoch == ep) continue;   /* deleted too */
            for (int j = 0; j < u->nuses; j++)
                if (u->uses[j] == e) {
                    if (off < sizeof list)
                        off += (size_t)snprintf(list + off, sizeof list - off, "%s%s",
                                                users ? ", " : "", u->name);
                    users++;
                    break;
                }
        }
        if (users)
            return diag_set(d, E_NAME, &st->name_locs[i],
                            "cannot delete %s: %s %s it", e->name, list,
                            users == 1 ? "uses" : "use");
    }
    for (int i = 0; i < st->nnames; i++) {
        Entry *e = session_find(s, st->names[i]);
        if (e->kind != ENT_UNDEF)   /* a name listed twice */
            session_undefine(s, e);
    }
    return E_OK;
}

int cmd_clear(Session *s)
{
    while (s->first)
        session_undefine(s, s->first);
    return E_OK;
}

/* ---- graph, dot ------------------------------------------------------ */

/* The graph with its values, and its gradients once `grad` has run on it. */
int cmd_draw(Session *s, const Stmt *st, Diag *d)
{
    int owned;
    if (st->kind == ST_DOT && cmd_out_file(st->file, &st->loc, "dot", d)) return d->kind;
    Tape *t = tape_for(s, st->e[0], &owned, d);
    if (!t) return d->kind;
    int rc = cmd_forward(t, d);
    int with_grad = !rc && t->graded && tape_shape(t, t->root).rank == 0;
    if (with_grad) backprop(t);
    if (!rc && st->kind == ST_GRAPH) draw_graph(s, t, with_grad);
    if (!rc && st->kind == ST_DOT) rc = draw_dot(s, t, with_grad, st->file, d);
    if (rc && !d->loc.src && st->kind == ST_DOT) d->loc = st->loc;
    if (owned) tape_free(t);
    return rc;
}
