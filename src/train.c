/* train.c: gradient descent.  `step f` is one update of every parameter
 * f uses (or those in wrt), all at once: p := p - lr·∂f/∂p; `train f`
 * repeats it, showing the loss as it goes and plotting it at the end.
 * Each step is atomic: an error or Ctrl-C keeps the completed steps. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cmdutil.h"
#include "commands.h"
#include "plot.h"
#include "report.h"
#include "xalloc.h"

typedef struct Plan {
    Session *s;
    Tape *t;
    int owned;
    int *slots;           /* the leaf slots updated */
    int n;
    double lr;
    long steps;
} Plan;

/* Resolve target, wrt and the numeric arguments (lr, then steps). */
static int plan(Session *s, const Stmt *st, int want_steps, Plan *p, Diag *d)
{
    memset(p, 0, sizeof *p);
    p->s = s;
    p->lr = s->set.lr;
    p->steps = 100;
    int max_args = want_steps ? 2 : 1;
    if (st->nargs > max_args)
        return diag_set(d, E_USAGE, &st->args[max_args].loc, "%s takes %s",
                        want_steps ? "train" : "step",
                        want_steps ? "at most a learning rate and a number of steps"
                                   : "at most a learning rate");
    if (st->nargs >= 1 && arg_number(s, &st->args[0], &p->lr, d)) return d->kind;
    if (!isfinite(p->lr))
        return diag_set(d, E_USAGE, &st->args[0].loc, "the learning rate must be a finite number");
    if (st->nargs == 2) {
        double n;
        if (arg_number(s, &st->args[1], &n, d)) return d->kind;
        if (n != floor(n) || n < 1 || n > 1e15)
            return diag_set(d, E_USAGE, &st->args[1].loc, "the number of steps must be a whole number from 1");
        p->steps = (long)n;
    }
    const Ast *target = st->e[0];
    char text[128];
    span_text(target, text, sizeof text);
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
    return E_OK;
}

static void plan_free(Plan *p)
{
    if (p->owned) tape_free(p->t);
    free(p->slots);
}

/* One gradient step: forward, backward, then every update at once (the
 * gradients are all computed before any parameter changes). */
static int descend(Plan *p, double *loss, Diag *d)
{
    Tape *t = p->t;
    if (cmd_forward(t, d)) return d->kind;
    *loss = tape_val(t, t->root)[0];
    backprop_params(t);     /* only the parameters' gradients are read */
    for (int i = 0; i < p->n; i++) {
        int slot = p->slots[i];
        double *w = tape_name(t, slot)->val.data;
        const double *g = tape_grad(t, slot);
        for (long k = 0, n = tape_size(t, slot); k < n; k++)
            w[k] -= p->lr * g[k];
        session_changed(p->s, tape_name(t, slot));
    }
    return E_OK;
}

static void names_list(const Plan *p, char *buf, size_t n)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < p->n && off < n; i++)
        off += (size_t)snprintf(buf + off, n - off, "%s%s", i ? ", " : "", tape_name(p->t, p->slots[i])->name);
}

int cmd_step(Session *s, const Stmt *st, Diag *d)
{
    Plan p;
    int rc = plan(s, st, 0, &p, d);
    if (!rc) {
        double before, after;
        char names[300], a[64], b[64], text[128];
        span_text(st->e[0], text, sizeof text);
        rc = descend(&p, &before, d);
        if (!rc) {
            names_list(&p, names, sizeof names);
            const char *msg;
            int bad;
            if (!eval_forward(p.t, 0, &bad, &msg)) {
                after = tape_val(p.t, p.t->root)[0];
                report_fmt_value(a, sizeof a, before, s->set.digits);
                report_fmt_value(b, sizeof b, after, s->set.digits);
                report_text(s, "step %s: %s -> %s (lr %g; updated %s)", text, a, b, p.lr, names);
            } else {
                report_text(s, "step %s: updated %s (lr %g); %s cannot be evaluated at the new values",
                            text, names, p.lr, text);
            }
        }
    }
    plan_free(&p);
    return rc;
}

/* The loss history for the plot: at most 2·KEEP points; when full, every
 * other point is dropped and the stride doubles, so a run of any length
 * keeps an evenly spaced record in bounded memory. */
enum { KEEP = 4096 };
typedef struct History { double y[2 * KEEP]; int n; long stride, seen; } History;

static void history_add(History *h, double y)
{
    if (h->seen++ % h->stride) return;
    if (h->n == 2 * KEEP) {
        for (int i = 0; i < KEEP; i++) h->y[i] = h->y[2 * i];
        h->n = KEEP;
        h->stride *= 2;
        if ((h->seen - 1) % h->stride) return;
    }
    h->y[h->n++] = y;
}

int cmd_train(Session *s, const Stmt *st, Diag *d)
{
    Plan p;
    int rc = plan(s, st, 1, &p, d);
    if (rc) { plan_free(&p); return rc; }
    char names[300], text[128], v[64];
    span_text(st->e[0], text, sizeof text);
    names_list(&p, names, sizeof names);
    report_text(s, "train %s: %ld steps, lr %g, updating %s", text, p.steps, p.lr, names);
    History *hist = xcalloc(1, sizeof *hist);
    hist->stride = 1;
    double loss;
    long done = 0, every = p.steps >= 10 ? p.steps / 10 : 1;
    for (; done < p.steps; done++) {
        if (bp_interrupted) {
            rc = diag_set(d, E_INTERRUPT, &st->loc,
                          "interrupted: %ld of %ld steps done; the parameters keep them", done, p.steps);
            break;
        }
        if ((rc = descend(&p, &loss, d))) {
            diag_note(d, "step %ld of %ld failed; the parameters keep the %ld completed steps",
                      done + 1, p.steps, done);
            break;
        }
        history_add(hist, loss);
        if (done % every == 0) {
            report_fmt_value(v, sizeof v, loss, s->set.digits);
            report_text(s, "  step %*ld: %s = %s", (int)snprintf(NULL, 0, "%ld", p.steps), done,
                        text, v);
        }
        if (s->json == 0 && s->out == stdout) fflush(s->out);
    }
    if (done == p.steps) {
        const char *msg;
        int bad;
        if (!eval_forward(p.t, 0, &bad, &msg)) {
            loss = tape_val(p.t, p.t->root)[0];
            report_fmt_value(v, sizeof v, loss, s->set.digits);
            report_text(s, "  step %*ld: %s = %s (final)", (int)snprintf(NULL, 0, "%ld", p.steps),
                        p.steps, text, v);
            if (hist->stride == 1) history_add(hist, loss);
        }
    }
    if (hist->n > 1) {
        char title[200];
        snprintf(title, sizeof title, "%s over %ld steps%s", text, done,
                 hist->stride > 1 ? " (every few steps shown)" : "");
        plot_series(s, title, hist->y, hist->n);
    }
    free(hist);
    plan_free(&p);
    return rc;
}
