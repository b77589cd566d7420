/* settings.c: `set`: the settings of SPEC section 2, checked before any
 * changes (a refused value leaves every setting as it was). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cmdutil.h"
#include "commands.h"
#include "help.h"
#include "report.h"
#include "suggest.h"

static void show_settings(Session *s)
{
    const Settings *t = &s->set;
    char fd[80] = "";
    const char *names[] = { "central", "forward", "ridders", "complex", "dual" };
    for (int i = 0; i < 5; i++)
        if (t->fd & (1u << i))
            snprintf(fd + strlen(fd), sizeof fd - strlen(fd), "%s%s", fd[0] ? ", " : "", names[i]);
    char eps[40];
    if (t->eps > 0) snprintf(eps, sizeof eps, "%g", t->eps);
    else snprintf(eps, sizeof eps, "auto");
    report_text(s, "eps       %s", eps);
    report_text(s, "fd        %s", fd[0] ? fd : "off");
    report_text(s, "digits    %d", t->digits);
    report_text(s, "tol       %g", t->tol);
    report_text(s, "atol      %g", t->atol);
    report_text(s, "lr        %g", t->lr);
    report_text(s, "seed      %lu", t->seed);
    report_text(s, "maxcheck  %d", t->maxcheck);
    report_text(s, "maxnodes  %ld", t->maxnodes);
    report_text(s, "maxmem    %ld    (MiB)", t->maxmem);
    report_text(s, "format    %s", t->format ? "latex" : "text");
    report_text(s, "optimizer %s", session_opt_names[t->optimizer]);
    report_text(s, "momentum  %g", t->momentum);
    report_text(s, "betas     %g, %g", t->beta1, t->beta2);
    report_text(s, "adam_eps  %g", t->adam_eps);
}

/* set optimizer gd | momentum | adam [reset]: another optimizer, or
 * reset, starts with no state (as a new torch.optim object would). */
static int set_optimizer(Session *s, const Stmt *st, Diag *d)
{
    int k = -1;
    const Arg *a = st->nargs ? &st->args[0] : NULL;
    for (int i = 0; a && a->is_word && i < 3; i++)
        if (strcmp(a->word, session_opt_names[i]) == 0) k = i;
    if (k < 0)
        return diag_set(d, E_USAGE, a ? &a->loc : &st->loc, "set optimizer takes gd, momentum or adam");
    if (st->nargs > 2 || (st->nargs == 2 && !(st->args[1].is_word && strcmp(st->args[1].word, "reset") == 0)))
        return diag_set(d, E_USAGE, &st->args[st->nargs > 2 ? 2 : 1].loc,
                        "set optimizer %s takes only the word reset after it", session_opt_names[k]);
    if (k != s->set.optimizer || st->nargs == 2) session_opt_clear(s, NULL);
    s->set.optimizer = k;
    return E_OK;
}

/* One entry list of `set state`: a number or a [...] literal of shape sh. */
static int state_value(Session *s, const Arg *a, Shape sh, Value *out, Diag *d)
{
    if (a->is_word) return diag_set(d, E_USAGE, &a->loc, "set state needs numbers or [...] here");
    if (!a->list) {
        if (sh.rank != 0) return diag_set(d, E_SHAPE, &a->loc, "the state must have the parameter's shape");
        value_init_scalar(out, a->num);
        return E_OK;
    }
    if (eval_now(s, a->list, out, d)) return d->kind;
    if (!shape_eq(out->shape, sh))
        return diag_set(d, E_SHAPE, &a->loc, "the state must have the parameter's shape");
    return E_OK;
}

/* set state W t m [v]: what save writes to restore the optimizer's state
 * of W exactly (t: its step count; m: momentum's velocity or Adam's first
 * moment; v: Adam's second moment). */
static int set_state(Session *s, const Stmt *st, Diag *d)
{
    int need = s->set.optimizer == OPT_ADAM ? 4 : 3;
    if (s->set.optimizer == OPT_GD)
        return diag_set(d, E_USAGE, &st->name_loc, "gradient descent keeps no state: set optimizer first");
    if (st->nargs != need)
        return diag_set(d, E_USAGE, &st->loc, "set state takes a parameter, its step count and %s",
                        need == 4 ? "two moments" : "a velocity");
    const Arg *a = st->args;
    Entry *e = a[0].is_word ? session_find(s, a[0].word) : NULL;
    if (!e || e->kind != ENT_PARAM)
        return diag_set(d, E_USAGE, &a[0].loc, "set state needs a parameter's name");
    if (a[1].is_word || a[1].list || a[1].num != floor(a[1].num) || a[1].num < 1 || a[1].num > 1e15)
        return diag_set(d, E_USAGE, &a[1].loc, "the step count must be a whole number from 1");
    Value m = { 0 }, v = { 0 };
    int rc = state_value(s, &a[2], e->val.shape, &m, d);
    if (!rc && need == 4) rc = state_value(s, &a[3], e->val.shape, &v, d);
    if (rc) { value_free(&m); value_free(&v); return rc; }
    session_opt_clear(s, e);
    OptState *o = session_opt(s, e, 1);
    o->t = (long)a[1].num;
    o->m = m;
    o->v = v;
    return E_OK;
}

/* A value in [0, 1) (momentum, a beta), as torch.optim requires. */
static int unit_value(Session *s, const Arg *a, const char *what, double *out, Diag *d)
{
    double v;
    if (a->list) return diag_set(d, E_USAGE, &a->loc, "%s must be a number", what);
    if (arg_number(s, a, &v, d)) return d->kind;
    if (!(v >= 0 && v < 1))
        return diag_set(d, E_USAGE, &a->loc, "%s must be a number from 0 up to (not including) 1", what);
    *out = v;
    return E_OK;
}

int cmd_set(Session *s, const Stmt *st, Diag *d)
{
    if (!st->name) { show_settings(s); return E_OK; }
    const char *k = st->name;
    Settings t = s->set;
    double v = 0;
    if (strcmp(k, "fd") == 0) {
        if (st->nargs == 0)
            return diag_set(d, E_USAGE, &st->loc, "set fd needs a list: central, forward (or off)");
        t.fd = 0;
        for (int i = 0; i < st->nargs; i++) {
            const Arg *a = &st->args[i];
            const char *w = a->is_word ? a->word : "";
            if (strcmp(w, "central") == 0) t.fd |= FD_CENTRAL;
            else if (strcmp(w, "forward") == 0) t.fd |= FD_FORWARD;
            else if (strcmp(w, "ridders") == 0) t.fd |= FD_RIDDERS;
            else if (strcmp(w, "complex") == 0) t.fd |= FD_COMPLEX;
            else if (strcmp(w, "dual") == 0) t.fd |= FD_DUAL;
            else if (strcmp(w, "off") == 0 && st->nargs == 1) t.fd = 0;
            else
                return diag_set(d, E_USAGE, &a->loc,
                                "set fd takes a list of central, forward, ridders, complex, dual, or off");
        }
        s->set = t;
        return E_OK;
    }
    if (strcmp(k, "optimizer") == 0) return set_optimizer(s, st, d);
    if (strcmp(k, "state") == 0) return set_state(s, st, d);
    if (strcmp(k, "betas") == 0) {
        if (st->nargs != 2)
            return diag_set(d, E_USAGE, st->nargs ? &st->args[st->nargs > 2 ? 2 : 0].loc : &st->loc,
                            "set betas takes two numbers: set betas 0.9, 0.999");
        if (unit_value(s, &st->args[0], "beta1", &t.beta1, d) ||
            unit_value(s, &st->args[1], "beta2", &t.beta2, d)) return d->kind;
        s->set = t;
        return E_OK;
    }
    if (st->nargs != 1)
        return diag_set(d, E_USAGE, &st->loc, "set %s takes one value (see help set)", k);
    const Arg *a = &st->args[0];
    if (a->list)
        return diag_set(d, E_USAGE, &a->loc, "set %s takes a number, not a list", k);
    if (strcmp(k, "momentum") == 0) {
        if (unit_value(s, a, "momentum", &t.momentum, d)) return d->kind;
    } else if (strcmp(k, "eps") == 0) {
        if (a->is_word && strcmp(a->word, "auto") == 0) t.eps = 0;
        else if (arg_number(s, a, &v, d)) return d->kind;
        else if (!(v > 0) || !isfinite(v))
            return diag_set(d, E_USAGE, &a->loc, "eps must be auto or a positive step");
        else t.eps = v;
    } else if (strcmp(k, "format") == 0) {
        if (a->is_word && strcmp(a->word, "latex") == 0) t.format = 1;
        else if (a->is_word && strcmp(a->word, "text") == 0) t.format = 0;
        else return diag_set(d, E_USAGE, &a->loc, "format is text (bp syntax) or latex (how diff writes)");
    } else {
        if (arg_number(s, a, &v, d)) return d->kind;
        if (strcmp(k, "digits") == 0) {
            if (v != floor(v) || v < 1 || v > 17)
                return diag_set(d, E_USAGE, &a->loc, "digits must be a whole number from 1 to 17");
            t.digits = (int)v;
        } else if (strcmp(k, "tol") == 0) {
            if (!(v > 0) || !isfinite(v))
                return diag_set(d, E_USAGE, &a->loc, "tol must be a positive number");
            t.tol = v;
        } else if (strcmp(k, "atol") == 0) {
            if (!(v >= 0) || !isfinite(v))
                return diag_set(d, E_USAGE, &a->loc, "atol must be zero or a positive number");
            t.atol = v;
        } else if (strcmp(k, "lr") == 0) {
            if (!isfinite(v))
                return diag_set(d, E_USAGE, &a->loc, "lr must be a finite number");
            t.lr = v;
        } else if (strcmp(k, "seed") == 0) {
            if (v != floor(v) || v < 0 || v > 4294967295.0)
                return diag_set(d, E_USAGE, &a->loc, "seed must be a whole number from 0 to 4294967295");
            t.seed = (unsigned long)v;
            rng_seed(&s->rng, t.seed);   /* the same numbers again */
        } else if (strcmp(k, "maxcheck") == 0) {
            if (v != floor(v) || v < 1 || v > 1e9)
                return diag_set(d, E_USAGE, &a->loc, "maxcheck must be a positive whole number");
            t.maxcheck = (int)v;
        } else if (strcmp(k, "maxnodes") == 0) {
            if (v != floor(v) || v < 1 || v > 2e9)
                return diag_set(d, E_USAGE, &a->loc, "maxnodes must be a whole number from 1 to 2000000000");
            t.maxnodes = (long)v;
        } else if (strcmp(k, "adam_eps") == 0) {
            if (!(v >= 0) || !isfinite(v))
                return diag_set(d, E_USAGE, &a->loc, "adam_eps must be a finite number from 0");
            t.adam_eps = v;
        } else if (strcmp(k, "maxmem") == 0) {
            if (v != floor(v) || v < 1 || v > 1e9)
                return diag_set(d, E_USAGE, &a->loc, "maxmem must be a whole number of MiB from 1 to 1000000000");
            t.maxmem = (long)v;
        } else {
            Suggest g = suggest_start(k);
            suggest_list(&g, help_settings);
            const char *near = g.best;
            if (near)
                return diag_set(d, E_USAGE, &st->name_loc, "unknown setting %s; did you mean %s?", k, near);
            return diag_set(d, E_USAGE, &st->name_loc,
                            "unknown setting %s (settings: eps, fd, digits, tol, atol, lr, seed, maxcheck, "
                            "maxnodes, maxmem, format, optimizer, momentum, betas, adam_eps)", k);
        }
    }
    s->set = t;
    return E_OK;
}

