/* train.c: gradient descent and its relatives.  `step f` is one update of
 * every parameter f uses (or those in wrt), all at once, by the session's
 * optimizer (set optimizer: gd, momentum or adam, with PyTorch's rules and
 * defaults; its state lives in the session, SPEC section 8); `train f`
 * repeats it, showing the loss as it goes and plotting it at the end, and
 * with `batch B of X, y` each step sees B rows of the data (minibatch
 * SGD).  Each step is atomic: an error or Ctrl-C keeps the completed
 * steps. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cmdutil.h"
#include "commands.h"
#include "plot.h"
#include "report.h"
#include "xalloc.h"

/* `batch B of X, y`: the consts whose rows are drawn, and the tapes that
 * see B rows (and the N mod B rows an epoch ends with). */
typedef struct Batch {
    int n;                /* consts */
    Entry **e;
    Loc *locs;
    Value *full;          /* each const's own value, put back at the end */
    Value *part, *rest;   /* B rows of each; the epoch's last N mod B rows */
    long rows, size;      /* N, B */
    long *perm, pos;      /* this epoch's order of the rows; the next one in it */
    long epoch;           /* epochs begun */
    unsigned long long rng;   /* splitmix64: the shuffles */
    Tape *tb, *tr;        /* the loss on B rows, on the remainder */
    int *slots_b, *slots_r;
} Batch;

typedef struct Plan {
    Session *s;
    Tape *t;
    int owned;
    int *slots;           /* the leaf slots updated */
    int n;
    double lr;
    long steps;
    int nargs;            /* st->args before `batch` */
    Batch *batch;         /* NULL: full-batch */
    const Loc *loc;       /* the command, for an error of a step */
} Plan;

/* The slots of the parameters e[0..n) in tape t (they are all there: t
 * computes the same loss on other rows). */
static int *slots_in(const Tape *t, Entry *const *e, int n)
{
    int *slots = xmalloc((size_t)(n ? n : 1) * sizeof *slots);
    for (int i = 0; i < n; i++) slots[i] = tape_slot_of(t, e[i]);
    return slots;
}

/* Give the consts of b the values `which` (0: their own, 1: B rows, 2:
 * the remainder): the tapes read them at each forward pass. */
static void batch_use(Batch *b, int which)
{
    for (int k = 0; k < b->n; k++)
        b->e[k]->val = which == 0 ? b->full[k] : which == 1 ? b->part[k] : b->rest[k];
}

static void batch_free(Batch *b)
{
    if (!b) return;
    if (b->full) batch_use(b, 0);
    for (int k = 0; k < b->n; k++) {
        if (b->part) value_free(&b->part[k]);
        if (b->rest) value_free(&b->rest[k]);
    }
    tape_free(b->tb);
    tape_free(b->tr);
    free(b->slots_b); free(b->slots_r);
    free(b->e); free(b->locs); free(b->full); free(b->part); free(b->rest); free(b->perm);
    free(b);
}

static unsigned long long splitmix(unsigned long long *x)
{
    unsigned long long z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A new epoch: the rows in a fresh random order (Fisher-Yates). */
static void batch_shuffle(Batch *b)
{
    for (long i = 0; i < b->rows; i++) b->perm[i] = i;
    for (long i = b->rows - 1; i > 0; i--) {
        long j = (long)(splitmix(&b->rng) % (unsigned long long)(i + 1));
        long tmp = b->perm[i]; b->perm[i] = b->perm[j]; b->perm[j] = tmp;
    }
    b->pos = 0;
    b->epoch++;
}

/* A const's value cut to its first `rows` rows (the shape the batch tapes
 * are compiled for; the rows themselves are written at each step). */
static void rows_value(Value *out, const Value *v, long rows)
{
    Shape sh = v->shape;
    sh.d[0] = rows;
    value_set(out, sh, v->data);
}

/* `batch B of X, y` from st->args[from..): check it all, then set up b's
 * values and tapes.  Nothing in the session changes on an error. */
static int batch_plan(Plan *p, const Stmt *st, int from, Diag *d)
{
    Session *s = p->s;
    const Arg *a = st->args;
    int n = st->nargs;
    const Arg *kw = &a[from];
    if (from + 1 >= n)
        return diag_set(d, E_USAGE, &kw->loc, "batch needs a size and the data: batch 32 of X, y");
    double B;
    if (arg_number(s, &a[from + 1], &B, d)) return d->kind;
    if (B != floor(B) || B < 1 || B > 1e15)
        return diag_set(d, E_USAGE, &a[from + 1].loc, "the batch size must be a whole number from 1");
    if (from + 2 >= n || !a[from + 2].is_word || strcmp(a[from + 2].word, "of") != 0)
        return diag_set(d, E_USAGE, from + 2 < n ? &a[from + 2].loc : &a[from + 1].loc,
                        "batch B needs the data it draws rows from: batch %g of X, y", B);
    if (from + 3 >= n)
        return diag_set(d, E_USAGE, &a[from + 2].loc, "of needs the consts to draw rows from: of X, y");
    Batch *b = xcalloc(1, sizeof *b);
    p->batch = b;
    b->size = (long)B;
    for (int i = from + 3; i < n; i++) {
        if (!a[i].is_word)
            return diag_set(d, E_USAGE, &a[i].loc, "of takes the names of consts: of X, y");
        Entry *e = session_find(s, a[i].word);
        if (!e || e->kind == ENT_UNDEF)
            return diag_set(d, E_NAME, &a[i].loc, "%s is not defined", a[i].word);
        if (e->kind != ENT_CONST)
            return diag_set(d, E_USAGE, &a[i].loc, "%s is not a const: batch draws rows of data "
                            "(const %s = ...)", e->name, e->name);
        for (int k = 0; k < b->n; k++)
            if (b->e[k] == e)
                return diag_set(d, E_USAGE, &a[i].loc, "%s is listed twice", e->name);
        if (e->val.shape.rank == 0)
            return diag_set(d, E_SHAPE, &a[i].loc, "%s is a number: it has no rows to draw", e->name);
        if (tape_slot_of(p->t, e) < 0) {
            char text[128];
            span_text(st->e[0], text, sizeof text);
            return diag_set(d, E_USAGE, &a[i].loc, "%s does not use %s", text, e->name);
        }
        long rows = e->val.shape.d[0];
        if (b->n && rows != b->rows)
            return diag_set(d, E_SHAPE, &a[i].loc, "%s has %ld rows, but %s has %ld: batch draws "
                            "the same rows of each", e->name, rows, b->e[0]->name, b->rows);
        b->e = xrealloc(b->e, (size_t)(b->n + 1) * sizeof *b->e);
        b->locs = xrealloc(b->locs, (size_t)(b->n + 1) * sizeof *b->locs);
        b->e[b->n] = e;
        b->locs[b->n] = a[i].loc;
        b->n++;
        b->rows = rows;
    }
    if (b->size > b->rows)
        return diag_set(d, E_USAGE, &a[from + 1].loc, "a batch of %ld rows is more than the %ld "
                        "rows of %s", b->size, b->rows, b->e[0]->name);
    b->full = xcalloc((size_t)b->n, sizeof *b->full);
    b->part = xcalloc((size_t)b->n, sizeof *b->part);
    b->rest = xcalloc((size_t)b->n, sizeof *b->rest);
    for (int k = 0; k < b->n; k++) {
        b->full[k] = b->e[k]->val;
        rows_value(&b->part[k], &b->full[k], b->size);
        if (b->rows % b->size) rows_value(&b->rest[k], &b->full[k], b->rows % b->size);
    }
    Entry **params = xmalloc((size_t)p->n * sizeof *params);
    for (int i = 0; i < p->n; i++) params[i] = tape_name(p->t, p->slots[i]);
    batch_use(b, 1);
    b->tb = compile_expr(s, st->e[0], NULL, NULL, d);
    if (b->tb && b->rows % b->size) {
        batch_use(b, 2);
        b->tr = compile_expr(s, st->e[0], NULL, NULL, d);
    }
    batch_use(b, 0);
    int rc = b->tb && (b->tr || b->rows % b->size == 0) ? E_OK : d->kind;
    if (!rc && tape_shape(b->tb, b->tb->root).rank != 0) {
        char text[128];
        span_text(st->e[0], text, sizeof text);
        rc = diag_set(d, E_SHAPE, &st->e[0]->loc, "%s on a batch of rows is not a number: "
                      "it must reduce over the rows (mean, sum)", text);
    }
    if (!rc) {
        b->slots_b = slots_in(b->tb, params, p->n);
        if (b->tr) b->slots_r = slots_in(b->tr, params, p->n);
        b->perm = xmalloc((size_t)b->rows * sizeof *b->perm);
        /* the shuffles, from the session's random stream (set seed) */
        double u = rng_normal(&s->rng);
        memcpy(&b->rng, &u, sizeof u);
        b->rng ^= s->set.seed;
        b->pos = b->rows;   /* the first step begins an epoch */
    }
    free(params);
    return rc;
}

/* Resolve target, wrt and the numeric arguments (lr, then steps), and
 * for train the batch clause.  The word `batch` followed by more words
 * begins it (a name `batch` alone is still a learning rate). */
static int plan(Session *s, const Stmt *st, int want_steps, Plan *p, Diag *d)
{
    memset(p, 0, sizeof *p);
    p->s = s;
    p->lr = s->set.lr;
    p->steps = 100;
    p->nargs = st->nargs;
    for (int i = 0; want_steps && i + 1 < st->nargs; i++)
        if (st->args[i].is_word && strcmp(st->args[i].word, "batch") == 0) { p->nargs = i; break; }
    p->loc = &st->loc;
    int max_args = want_steps ? 2 : 1;
    if (p->nargs > max_args)
        return diag_set(d, E_USAGE, &st->args[max_args].loc, "%s takes %s",
                        want_steps ? "train" : "step",
                        want_steps ? "at most a learning rate and a number of steps"
                                   : "at most a learning rate");
    if (p->nargs >= 1 && arg_number(s, &st->args[0], &p->lr, d)) return d->kind;
    if (!isfinite(p->lr))
        return diag_set(d, E_USAGE, &st->args[0].loc, "the learning rate must be a finite number");
    if (p->nargs == 2) {
        double n;
        if (arg_number(s, &st->args[1], &n, d)) return d->kind;
        if (n != floor(n) || n < 1 || n > 1e15)
            return diag_set(d, E_USAGE, &st->args[1].loc, "the number of steps must be a whole number from 1");
        p->steps = (long)n;
    }
    if (p->lr < 0)   /* allowed (train L -0.1), but never silently */
        report_note(s, st->nargs ? &st->args[0].loc : &st->loc,
                    "the learning rate %g is negative: gradient ascent (the target goes up)", p->lr);
    const Ast *target = st->e[0];
    char text[128];
    span_text(target, text, sizeof text);
    for (int i = 0; st->name_index && i < st->nnames; i++)
        if (st->name_index[i])
            return diag_set(d, E_USAGE, &st->name_index[i]->loc, "%s updates whole parameters: "
                            "wrt %s, not one entry of it", want_steps ? "train" : "step", st->names[i]);
    if (diff_target(s, target, text, "gradient descent needs a scalar loss: try sum(%s)",
                    DIFF_NONE, &p->t, &p->owned, d))
        return d->kind;
    Tape *t = p->t;
    int cap = 0;
    if (st->has_wrt) {
        for (int i = 0; i < st->nnames; i++) {
            Entry *e = session_find(s, st->names[i]);
            if (!e || e->kind == ENT_UNDEF)
                return diag_set(d, E_NAME, &st->name_locs[i], "%s is not defined", st->names[i]);
            if (e->kind == ENT_CONST)
                return diag_set(d, E_USAGE, &st->name_locs[i], "%s is a const (data): it is never trained", e->name);
            if (e->kind != ENT_PARAM)
                return diag_set(d, E_USAGE, &st->name_locs[i],
                                "%s is a %s, not a parameter: only parameters are updated", e->name,
                                e->kind == ENT_FORMULA ? "formula" : "function");
            int slot = tape_slot_of(t, e);
            if (slot < 0)
                return diag_set(d, E_USAGE, &st->name_locs[i], "%s does not use %s", text, e->name);
            xgrow((void **)&p->slots, &cap, p->n + 1, sizeof *p->slots);
            p->slots[p->n++] = slot;
        }
    } else {
        for (int i = 0; i < t->nleaves; i++)
            if (t->leafent[i]->kind == ENT_PARAM) {
                xgrow((void **)&p->slots, &cap, p->n + 1, sizeof *p->slots);
                p->slots[p->n++] = t->leaves[i];
            }
    }
    if (p->n == 0)
        return diag_set(d, E_USAGE, &target->loc, "%s depends on no parameters: nothing to update", text);
    if (p->nargs < st->nargs) return batch_plan(p, st, p->nargs, d);
    return E_OK;
}

/* Alias mode (tape.h) on the plan's tapes, for the time of the command:
 * the passes read tensor parameters and data where they live, not a copy
 * per step.  Safe here: between a forward pass and its backward pass
 * nothing changes a leaf (the updates, and descend_batch's swap of the
 * consts' values, come after), and plan_free ends it while every value a
 * leaf read (the batch rows among them) is still alive. */
static void plan_alias(Plan *p, int on)
{
    Tape *ts[3] = { p->t, p->batch ? p->batch->tb : NULL, p->batch ? p->batch->tr : NULL };
    for (int k = 0; k < 3; k++)
        if (ts[k] && on) tape_alias_begin(ts[k]);
        else if (ts[k]) tape_alias_end(ts[k]);
}

static void plan_free(Plan *p)
{
    plan_alias(p, 0);
    batch_free(p->batch);
    if (p->owned) tape_free(p->t);
    free(p->slots);
}

/* One update as torch.optim does it: SGD (p -= lr·g), SGD with momentum
 * (v = g at the first step, then v = μ·v + g; p -= lr·v) or Adam (m, v
 * with bias correction; the operations in PyTorch's order, so the numbers
 * agree to the last bits).  Rule: the settings of one step; rule_next is
 * one entry's new value, its state *m, *v updated (locals when the step is
 * only looked at first). */
typedef struct Rule {
    int opt;
    long t;                  /* the step's number for this parameter, from 1 */
    double lr, mu, b1, b2, eps, step_size, bc2_sqrt;
} Rule;

static Rule rule_of(const Settings *set, double lr, long t)
{
    Rule r = { set->optimizer, t, lr, set->momentum, set->beta1, set->beta2, set->adam_eps, 0, 0 };
    if (r.opt == OPT_ADAM) {
        r.step_size = lr / (1 - pow(r.b1, (double)t));
        r.bc2_sqrt = sqrt(1 - pow(r.b2, (double)t));
    }
    return r;
}

static inline double rule_next(const Rule *r, double w, double g, double *m, double *v)
{
    switch (r->opt) {
    case OPT_GD:
        return w - r->lr * g;
    case OPT_MOMENTUM:
        *m = r->t == 1 ? g : r->mu * *m + g;
        return w - r->lr * *m;
    default:
        *m += (1 - r->b1) * (g - *m);             /* torch: exp_avg.lerp_(grad, 1 - beta1) */
        *v = *v * r->b2 + (1 - r->b2) * g * g;
        return w + -r->step_size * (*m / (sqrt(*v) / r->bc2_sqrt + r->eps));
    }
}

/* e's optimizer state, made (zeros of e's shape) when missing or of
 * another shape; NULL for gd, which keeps none.  *fail: no memory for it
 * (the user's size: an error of the step). */
static OptState *opt_state(Session *s, Entry *e, long n, int *fail)
{
    *fail = 0;
    if (s->set.optimizer == OPT_GD) return NULL;
    OptState *o = session_opt(s, e, 1);
    if (o->t > 0 && !shape_eq(o->m.shape, e->val.shape)) {   /* e was given another shape */
        session_opt_clear(s, e);
        o = session_opt(s, e, 1);
    }
    if (o->t == 0) {   /* zeros of e's shape */
        int adam = s->set.optimizer == OPT_ADAM;
        if (value_set(&o->m, e->val.shape, e->val.data) || (adam && value_set(&o->v, e->val.shape, e->val.data))) {
            *fail = 1;
            return NULL;
        }
        memset(o->m.data, 0, (size_t)n * sizeof *o->m.data);
        if (adam) memset(o->v.data, 0, (size_t)n * sizeof *o->v.data);
    }
    return o;
}

/* One step on tape t (slots: the parameters there): forward, backward,
 * then every update at once (the gradients are all computed before any
 * parameter changes). */
static int descend(Plan *p, Tape *t, const int *slots, double *loss, Diag *d)
{
    if (cmd_forward(t, d)) return d->kind;
    *loss = tape_val(t, t->root)[0];
    backprop_params(t);     /* only the parameters' gradients are read */
    /* First look: a step that would make any entry (or the optimizer's
     * state) non-finite is refused before anything changes (SPEC 2), so
     * the parameters keep their last finite values: each entry's update
     * is computed on copies of its state, then done for real. */
    for (int i = 0; i < p->n; i++) {
        int slot = slots[i], fail;
        Entry *e = tape_name(t, slot);
        const double *g = tape_grad(t, slot), *w = e->val.data;
        long n = tape_size(t, slot);
        OptState *o = opt_state(p->s, e, n, &fail);
        if (fail)
            return diag_set(d, E_MEMORY, p->loc, "out of memory: no room for the optimizer's state of %s",
                            e->name);
        Rule r = rule_of(&p->s->set, p->lr, o ? o->t + 1 : 1);
        for (long k = 0; k < n; k++) {
            double m = o ? o->m.data[k] : 0, v = o && o->v.data ? o->v.data[k] : 0;
            double nw = rule_next(&r, w[k], g[k], &m, &v);
            if (isfinite(nw) && isfinite(g[k]) && isfinite(m) && isfinite(v)) continue;
            char at[48] = "";
            if (e->val.shape.rank == 1) snprintf(at, sizeof at, "[%ld]", k);
            else if (e->val.shape.rank == 2)
                snprintf(at, sizeof at, "[%ld, %ld]", k / e->val.shape.d[1], k % e->val.shape.d[1]);
            if (r.opt == OPT_GD)
                return diag_set(d, E_DOMAIN, p->loc, "the step would make %s%s non-finite "
                                "(%.17g - %g*%.17g = %g): refused, nothing changed",
                                e->name, at, w[k], p->lr, g[k], nw);
            if (!isfinite(nw) || !isfinite(g[k]))
                return diag_set(d, E_DOMAIN, p->loc, "the step would make %s%s non-finite (%s from "
                                "%.17g with gradient %.17g gives %g): refused, nothing changed",
                                e->name, at, session_opt_names[r.opt], w[k], g[k], nw);
            return diag_set(d, E_DOMAIN, p->loc, "the step would make %s's state for %s%s non-finite "
                            "(gradient %.17g; %s would stay at %.17g from then on): refused, nothing changed",
                            session_opt_names[r.opt], e->name, at, g[k], e->name, w[k]);
        }
    }
    for (int i = 0; i < p->n; i++) {
        int slot = slots[i], fail;
        Entry *e = tape_name(t, slot);
        const double *g = tape_grad(t, slot);
        double *w = e->val.data;
        long n = tape_size(t, slot);
        OptState *o = opt_state(p->s, e, n, &fail);   /* made above */
        double none = 0, *m = o ? o->m.data : NULL, *v = o && o->v.data ? o->v.data : NULL;
        Rule r = rule_of(&p->s->set, p->lr, o ? ++o->t : 1);
        for (long k = 0; k < n; k++)
            w[k] = rule_next(&r, w[k], g[k], m ? &m[k] : &none, v ? &v[k] : &none);
        session_changed(p->s, e);
    }
    return E_OK;
}

/* One minibatch step: the next rows of the epoch's order (a new epoch
 * when they are used up), copied into the batch values.  *epoch_end: this
 * step used the epoch's last rows. */
static int descend_batch(Plan *p, double *loss, int *epoch_end, Diag *d)
{
    Batch *b = p->batch;
    if (b->pos == b->rows) batch_shuffle(b);
    long size = b->rows - b->pos < b->size ? b->rows - b->pos : b->size;
    int which = size == b->size ? 1 : 2;
    for (int k = 0; k < b->n; k++) {
        Value *dst = which == 1 ? &b->part[k] : &b->rest[k];
        long C = b->full[k].shape.rank == 2 ? b->full[k].shape.d[1] : 1;
        for (long r = 0; r < size; r++)
            memcpy(dst->data + r * C, b->full[k].data + b->perm[b->pos + r] * C, (size_t)C * sizeof *dst->data);
    }
    batch_use(b, which);
    int rc = descend(p, which == 1 ? b->tb : b->tr, which == 1 ? b->slots_b : b->slots_r, loss, d);
    batch_use(b, 0);
    if (!rc) b->pos += size;
    *epoch_end = !rc && b->pos == b->rows;
    return rc;
}

/* The loss on all the data (the consts' own values), or NAN when it cannot
 * be evaluated. */
static double full_loss(Plan *p)
{
    const char *msg;
    int bad;
    if (eval_forward(p->t, 0, &bad, &msg)) return NAN;
    return tape_val(p->t, p->t->root)[0];
}

static void names_list(const Plan *p, char *buf, size_t n)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < p->n && off < n; i++)
        off += (size_t)snprintf(buf + off, n - off, "%s%s", i ? ", " : "", tape_name(p->t, p->slots[i])->name);
}

/* "lr 0.1", or "adam, lr 0.001": the rule the steps follow. */
static void rule_text(const Plan *p, char *buf, size_t n)
{
    int k = p->s->set.optimizer;
    snprintf(buf, n, "%s%slr %g", k == OPT_GD ? "" : session_opt_names[k], k == OPT_GD ? "" : ", ", p->lr);
}

int cmd_step(Session *s, const Stmt *st, Diag *d)
{
    Plan p;
    int rc = plan(s, st, 0, &p, d);
    if (!rc) {
        plan_alias(&p, 1);
        double before, after;
        char names[300], a[64], b[64], text[128], rule[80];
        span_text(st->e[0], text, sizeof text);
        rule_text(&p, rule, sizeof rule);
        plot_trail_begin(s, p.t, p.slots, p.n, 1);
        rc = descend(&p, p.t, p.slots, &before, d);
        if (!rc) {
            plot_trail_add(s);
            names_list(&p, names, sizeof names);
            after = full_loss(&p);
            if (!isnan(after)) {
                report_fmt_value(a, sizeof a, before, s->set.digits);
                report_fmt_value(b, sizeof b, after, s->set.digits);
                char line[800];
                snprintf(line, sizeof line, "step %s: %s -> %s (%s; updated %s)", text, a, b, rule, names);
                if (report_cols(line) <= report_width(s)) {
                    report_text(s, "%s", line);
                } else {   /* the names on a line of their own */
                    report_shorten(names, report_width(s) - 10);
                    report_text(s, "step %s: %s -> %s (%s)\n  updated %s", text, a, b, rule, names);
                }
            } else {
                report_text(s, "step %s: updated %s (%s); %s cannot be evaluated at the new values",
                            text, names, rule, text);
            }
        }
    }
    plan_free(&p);
    return rc;
}

/* The loss history for the plot: at most 2·KEEP points; when full, every
 * other point is dropped and the stride doubles, so a run of any length
 * keeps an evenly spaced record in bounded memory.  y2: the loss on all
 * the data where an epoch ended there (NAN elsewhere). */
enum { KEEP = 4096 };
typedef struct History { double y[2 * KEEP], y2[2 * KEEP]; int n; long stride, seen; } History;

static void history_add(History *h, double y)
{
    if (h->seen++ % h->stride) return;
    if (h->n == 2 * KEEP) {
        for (int i = 0; i < KEEP; i++) {
            h->y[i] = h->y[2 * i];
            h->y2[i] = isnan(h->y2[2 * i]) ? h->y2[2 * i + 1] : h->y2[2 * i];
        }
        h->n = KEEP;
        h->stride *= 2;
        if ((h->seen - 1) % h->stride) return;
    }
    h->y2[h->n] = NAN;
    h->y[h->n++] = y;
}

/* The full-data loss at the step just recorded (or the nearest kept). */
static void history_mark(History *h, double y)
{
    if (h->n) h->y2[h->n - 1] = y;
}

/* {"train": "L", "step": k, "loss": v} (--json), with "batch": B for a
 * minibatch's loss and "epoch": k for the loss on all rows at an epoch's
 * end. */
static void train_json(Session *s, const char *text, long step, double loss, long batch, long epoch)
{
    char v[40];
    report_fmt_json(v, sizeof v, loss);
    fputs("{\"train\": ", s->out);
    report_json_string(s->out, text);
    fprintf(s->out, ", \"step\": %ld, \"loss\": %s", step, v);
    if (batch) fprintf(s->out, ", \"batch\": %ld", batch);
    if (epoch) fprintf(s->out, ", \"epoch\": %ld", epoch);
    fputs("}\n", s->out);
}

/* A progress line: text, or a JSON object. */
static void progress(Session *s, const Plan *p, const char *text, long step, double loss,
                     long epoch, int batch, const char *what)
{
    char v[64];
    int w = (int)snprintf(NULL, 0, "%ld", p->steps);
    if (s->json) {
        train_json(s, text, step, loss, batch ? p->batch->size : 0, epoch);
        return;
    }
    report_fmt_value(v, sizeof v, loss, s->set.digits);
    report_text(s, "  step %*ld: %s = %s%s", w, step, text, v, what);
}

int cmd_train(Session *s, const Stmt *st, Diag *d)
{
    Plan p;
    int rc = plan(s, st, 1, &p, d);
    if (rc) { plan_free(&p); return rc; }
    Batch *b = p.batch;
    char names[300], text[128], rule[80];
    span_text(st->e[0], text, sizeof text);
    names_list(&p, names, sizeof names);
    rule_text(&p, rule, sizeof rule);
    {
        char line[800];
        snprintf(line, sizeof line, "train %s: %ld steps, %s, updating %s", text, p.steps, rule, names);
        if (report_cols(line) <= report_width(s)) {
            report_text(s, "%s", line);
        } else {   /* the names on a line of their own, as step writes them */
            report_shorten(names, report_width(s) - 11);
            report_text(s, "train %s: %ld steps, %s\n  updating %s", text, p.steps, rule, names);
        }
    }
    long epochs = 0, per_epoch = 0, epoch_every = 1;
    if (b) {
        char data[200];
        size_t off = 0;
        for (int k = 0; k < b->n && off < sizeof data; k++)
            off += (size_t)snprintf(data + off, sizeof data - off, "%s%s", k ? ", " : "", b->e[k]->name);
        per_epoch = (b->rows + b->size - 1) / b->size;
        epochs = (p.steps + per_epoch - 1) / per_epoch;
        epoch_every = epochs > 10 ? (epochs + 9) / 10 : 1;
        report_text(s, "  minibatches of %ld of the %ld rows of %s: %ld step%s an epoch", b->size,
                    b->rows, data, per_epoch, per_epoch == 1 ? "" : "s");
    }
    plot_trail_begin(s, p.t, p.slots, p.n, 1);
    plan_alias(&p, 1);
    History *hist = xcalloc(1, sizeof *hist);
    hist->stride = 1;
    double loss;
    long done = 0, every = p.steps >= 10 ? p.steps / 10 : 1;
    int final_said = 0;      /* the final loss was printed as an epoch's */
    for (; done < p.steps; done++) {
        if (bp_interrupted) {
            rc = diag_set(d, E_INTERRUPT, &st->loc,
                          "interrupted: %ld of %ld steps done, kept", done, p.steps);
            break;
        }
        int epoch_end = 0;
        if ((rc = b ? descend_batch(&p, &loss, &epoch_end, d) : descend(&p, p.t, p.slots, &loss, d))) {
            diag_note(d, "step %ld of %ld failed; the parameters keep the %ld completed steps",
                      done + 1, p.steps, done);
            break;
        }
        history_add(hist, loss);
        plot_trail_add(s);
        if (done % every == 0)
            progress(s, &p, text, done, loss, 0, b != NULL, b ? " (batch)" : "");
        if (epoch_end) {
            double all = full_loss(&p);
            history_mark(hist, all);
            if (b->epoch % epoch_every == 0 || done + 1 == p.steps) {
                char what[64];
                /* the last step ends an epoch: one line says both */
                final_said = done + 1 == p.steps && !s->json;
                snprintf(what, sizeof what, " on all rows, epoch %ld%s", b->epoch,
                         final_said ? " (final)" : "");
                progress(s, &p, text, done + 1, all, b->epoch, 0, what);
            }
        }
        if (s->json == 0 && s->out == stdout) fflush(s->out);
    }
    if (done == p.steps) {
        loss = full_loss(&p);
        if (!isnan(loss)) {
            if (!final_said)
                progress(s, &p, text, p.steps, loss, 0, 0, b ? " (final, all rows)" : " (final)");
            if (hist->stride == 1) {
                history_add(hist, loss);
                if (b) history_mark(hist, loss);
            }
        }
    }
    if (hist->n > 1) {
        char title[200];
        snprintf(title, sizeof title, "%s over %ld steps%s", text, done,
                 hist->stride > 1 ? " (every few steps shown)" : "");
        if (b) {
            plot_series2(s, title, hist->y, hist->y2, hist->n, hist->stride,
                         "* batch loss, o all rows (epoch ends)");
        } else {
            PlotLine line = { NULL, hist->y, hist->n, hist->stride, '*' };
            plot_lines(s, title, &line, 1);
        }
    }
    free(hist);
    plan_free(&p);
    return rc;
}

/* vars: the optimizer's state, one line per parameter. */
/* A state tensor's text, its rows after the first lined up under it at
 * column `col` and each begun with "#", so every line reads as a
 * comment; malloc'd. */
static char *state_str(Session *s, const Value *v, int col)
{
    char *str = report_value_str(v, s->set.digits, 0, col);
    for (char *p = strchr(str, '\n'); p; p = strchr(p + 1, '\n'))
        if (p[1] == ' ') p[1] = '#';
    return str;
}

/* The columns of the widest line of str printed from column col (its
 * lines after the first carry their own indentation). */
static int widest(const char *str, int col)
{
    int w = 0;
    for (const char *p = str; *p; col = 0) {
        size_t n = strcspn(p, "\n");
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)n, p);
        if (col + report_cols(line) > w) w = col + report_cols(line);
        p += n + (p[n] == '\n');
    }
    return w;
}

/* Whether str, a value's text, has more lines than the value has from
 * column col: it wraps in the room after a long head. */
static int wraps_more(Session *s, const Value *v, const char *str, int col)
{
    char *there = state_str(s, v, col);
    int more = 0;
    for (const char *p = str; *p; p++) more += *p == '\n';
    for (const char *p = there; *p; p++) more -= *p == '\n';
    free(there);
    return more > 0;
}

/* vars: the optimizer's state, one line per parameter when it fits, else
 * a line for its step and one for each of m and v. */
void train_show_state(Session *s)
{
    int width = report_width(s);
    for (int i = 0; i < s->nopt; i++) {
        const OptState *o = &s->opt[i];
        int adam = o->v.data != NULL;
        char head[160];
        int len = snprintf(head, sizeof head, "# %s state of %s: step %ld, %s = ",
                           adam ? "adam" : "momentum", o->e->name, o->t, adam ? "m" : "velocity");
        char *m = state_str(s, &o->m, len);
        if (adam) {
            char *v = state_str(s, &o->v, len);
            if (!strchr(m, '\n') && !strchr(v, '\n') && len + report_cols(m) + 6 + report_cols(v) <= width) {
                report_text(s, "%s%s, v = %s", head, m, v);
            } else {
                free(m);
                free(v);
                m = state_str(s, &o->m, 8);
                v = state_str(s, &o->v, 8);
                report_text(s, "# adam state of %s: step %ld\n#   m = %s\n#   v = %s", o->e->name, o->t, m, v);
            }
            free(v);
        } else if (widest(m, len) <= width && !wraps_more(s, &o->m, m, 15)) {
            report_text(s, "%s%s", head, m);
        } else {   /* the velocity on lines of its own */
            free(m);
            m = state_str(s, &o->m, 15);
            report_text(s, "# momentum state of %s: step %ld\n#   velocity = %s", o->e->name, o->t, m);
        }
        free(m);
    }
}
