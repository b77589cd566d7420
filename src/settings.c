/* settings.c: `set`: the settings of SPEC section 2, checked before any
 * changes (a refused value leaves every setting as it was). */
#include <math.h>
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
    for (int i = 0; i < 4; i++)
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
    if (st->nargs != 1)
        return diag_set(d, E_USAGE, &st->loc, "set %s takes one value (see help set)", k);
    const Arg *a = &st->args[0];
    if (strcmp(k, "eps") == 0) {
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
                            "maxnodes, maxmem, format)", k);
        }
    }
    s->set = t;
    return E_OK;
}

