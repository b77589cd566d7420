/* cmdutil.c: what the command modules share (cmdutil.h): evaluating
 * now, the target of a command that differentiates, a command's numeric
 * argument, naming things as the user wrote them, the interrupt flag.
 * Below every command module; calls only the core (compile, eval,
 * backprop, tape, session) and report. */
#include <math.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include "cmdutil.h"
#include "xalloc.h"
#include "report.h"

volatile sig_atomic_t bp_interrupted;

/* The tape of expression e: the session's cached one when e is a bare
 * name, else a new one (*owned = 1: free it). */
Tape *tape_for(Session *s, const Ast *e, int *owned, Diag *d)
{
    if (e->kind == AST_NAME) {
        Entry *en = session_find(s, e->name);
        if (en && en->kind == ENT_FORMULA) {
            *owned = 0;
            return compile_entry(s, en, d);
        }
    }
    *owned = 1;
    return compile_expr(s, e, NULL, NULL, d);
}

int cmd_forward(Tape *t, Diag *d)
{
    const char *msg = NULL;
    int bad;
    if (eval_forward(t, 0, &bad, &msg)) {
        tape_diag(t, bad, msg, d);
        return E_DOMAIN;
    }
    return E_OK;
}

int cmd_wrt(Session *s, const Stmt *st, const Tape *t, CmdWrt **out, int *n, Diag *d)
{
    int cap = 0, rc = E_OK;
    *out = NULL;
    *n = 0;
    for (int i = 0; i < (st->has_wrt ? st->nnames : t->nleaves) && !rc; i++) {
        Entry *e = st->has_wrt ? session_find(s, st->names[i]) : t->leafent[i];
        if (!st->has_wrt) {
            if (e->kind != ENT_PARAM) continue;
        } else if (!e || e->kind == ENT_UNDEF) {
            rc = diag_set(d, E_NAME, &st->name_locs[i], "%s is not defined", st->names[i]);
            break;
        } else if (e->kind == ENT_FUNC) {
            rc = diag_set(d, E_NAME, &st->name_locs[i], "%s is a function, not a value", e->name);
            break;
        }
        xgrow((void **)out, &cap, *n + 1, sizeof **out);
        (*out)[(*n)++] = (CmdWrt){ e, st->has_wrt ? tape_slot_of(t, e) : t->leaves[i],
                                   st->has_wrt ? i : -1 };
    }
    if (rc) { free(*out); *out = NULL; *n = 0; }
    return rc;
}

double *cmd_tape_copy(const Tape *t, const Loc *loc, Diag *d)
{
    double *buf = try_realloc(NULL, (size_t)t->nval * sizeof *buf);
    if (!buf)
        diag_set(d, E_MEMORY, loc, "out of memory: no room to save the tape's %ld values", t->nval);
    return buf;
}

/* Evaluate expression e now into *out (which it owns).
 *
 * Only the value is wanted, so formulas whose last value is still current
 * (no change since: s->world) are constants here, and every formula
 * computed on the way keeps its value for next time.  That is what makes a
 * spreadsheet-like session linear: x1 = x0 + 1, x1, x2 = x1 + 1, x2, ...
 * never recomputes the whole chain. */
int eval_now(Session *s, const Ast *e, Value *out, Diag *d)
{
    /* a number (w = 0.5, w = -3): no graph needed */
    const Ast *num = e->kind == AST_NEG ? e->kid[0] : e;
    if (num->kind == AST_NUM) {
        double x = e->kind == AST_NEG ? -num->num : num->num;
        value_set(out, (Shape){ 0, { 0, 0 } }, &x);
        return E_OK;
    }
    if (e->kind == AST_NAME) {
        Entry *en = session_find(s, e->name);
        if (en && en->kind == ENT_FORMULA && entry_value_current(en, s->world)) {
            value_set(out, en->cache->vcache.shape, en->cache->vcache.data);
            return E_OK;
        }
    }
    Tape *t = compile_expr(s, e, NULL, &(CompileOpts){ .use_values = 1 }, d);
    if (!t) return d->kind;
    int rc = cmd_forward(t, d);
    if (!rc) {
        if (value_set(out, tape_shape(t, t->root), tape_val(t, t->root)))
            rc = diag_set(d, E_MEMORY, &e->loc, "out of memory: no room for the value (%ld entries)",
                          tape_size(t, t->root));
        for (int k = 0; k < t->nnamed && !rc; k++) {
            Entry *f = t->named[k];
            int slot = t->named_slot[k];
            if (f->kind == ENT_FORMULA && !entry_value_current(f, s->world) &&
                !value_set(&session_cache(f)->vcache, tape_shape(t, slot), tape_val(t, slot)))
                f->cache->vcache_world = s->world;
        }
    }
    tape_free(t);
    return rc;
}

/* Evaluate e now; it must be a scalar. */
int eval_scalar(Session *s, const Ast *e, double *out, Diag *d)
{
    Value v = { 0 };
    int rc = eval_now(s, e, &v, d);
    if (!rc && v.shape.rank != 0) {
        char sh[48];
        shape_str(v.shape, sh, sizeof sh);
        rc = diag_set(d, E_SHAPE, &e->loc, "a number is needed here, not a tensor of shape %s", sh);
    }
    if (!rc) *out = v.data[0];
    value_free(&v);
    return rc;
}

int diff_target(Session *s, const Ast *e, const char *text, const char *not_scalar,
                int passes, Tape **tp, int *owned, Diag *d)
{
    Tape *t = *tp = tape_for(s, e, owned, d);
    if (!t) return d->kind;
    int rc = E_OK;
    if (tape_shape(t, t->root).rank != 0) {
        char sh[48];
        shape_str(tape_shape(t, t->root), sh, sizeof sh);
        rc = diag_set(d, E_SHAPE, &e->loc, not_scalar, text, sh, text);
    } else if (passes >= DIFF_FORWARD) {
        rc = cmd_forward(t, d);
        if (!rc && passes >= DIFF_BACKWARD) backprop(t);
    }
    if (rc) {
        if (*owned) tape_free(t);
        *tp = NULL;
        *owned = 0;
    }
    return rc;
}

/* For display: the text of e on one line (report_flat_text). */
int span_text(const Ast *e, char *buf, size_t n)
{
    return report_flat_text(&e->loc, buf, n, n > 4 ? n - 4 : 0);
}

/* "w", "b[2]", "W[0,1]" */
void entry_name(char *buf, size_t n, const char *name, Shape sh, long k)
{
    if (sh.rank == 0) snprintf(buf, n, "%s", name);
    else if (sh.rank == 1) snprintf(buf, n, "%s[%ld]", name, k);
    else snprintf(buf, n, "%s[%ld,%ld]", name, k / sh.d[1], k % sh.d[1]);
}

int arg_number(Session *s, const Arg *a, double *v, Diag *d)
{
    if (!a->is_word) { *v = a->num; return E_OK; }
    Entry *e = session_find(s, a->word);
    if (!e || e->kind == ENT_UNDEF)
        return diag_set(d, E_NAME, &a->loc, "%s is not defined", a->word);
    Ast name = { .kind = AST_NAME, .name = a->word, .loc = a->loc };
    return eval_scalar(s, &name, v, d);
}

int entry_index(Session *s, const Ast *idx, Shape sh, long *first, long *count, Diag *d)
{
    int n = idx->nkids - 1;
    const char *name = idx->kid[0]->name;
    if (n > sh.rank || n < 1) {
        char shs[48];
        shape_str(sh, shs, sizeof shs);
        return diag_set(d, E_SHAPE, &idx->loc, "%s has shape %s: it takes %d ind%s, not %d", name, shs,
                        sh.rank, sh.rank == 1 ? "ex" : "ices", n);
    }
    long at[2] = { 0, 0 };
    for (int k = 0; k < n; k++) {
        const Ast *e = idx->kid[k + 1];
        if (e->kind == AST_SLICE)
            return diag_set(d, E_USAGE, &e->loc, "one entry or one row: a slice cannot be used here");
        double v;
        if (eval_scalar(s, e, &v, d)) return d->kind;
        long len = sh.d[k];
        if (v != floor(v) || v < -len || v >= len)
            return diag_set(d, E_SHAPE, &e->loc, "index %g is out of range for %s's %ld %s", v, name,
                            len, sh.rank == 2 && k == 0 ? "rows" : sh.rank == 2 ? "columns" : "entries");
        at[k] = v < 0 ? (long)v + len : (long)v;
    }
    *first = sh.rank == 2 ? at[0] * sh.d[1] + at[1] : at[0];
    *count = n < sh.rank ? sh.d[1] : 1;
    return E_OK;
}

int cmd_out_file(const char *path, const Loc *loc, const char *cmd, Diag *d)
{
    struct stat sb;
    if (path && !*path) return diag_set(d, E_USAGE, loc, "%s: the file name is empty", cmd);
    if (!path || stat(path, &sb) != 0 || S_ISREG(sb.st_mode)) return E_OK;  /* new, or a file */
    return diag_set(d, E_IO, loc, "cannot write %s: %s; %s writes only regular files", path,
                    S_ISDIR(sb.st_mode) ? "it is a directory" : S_ISFIFO(sb.st_mode) ? "a FIFO"
                    : S_ISCHR(sb.st_mode) ? "a character device" : S_ISBLK(sb.st_mode) ? "a block device"
                    : S_ISSOCK(sb.st_mode) ? "a socket" : "a special file", cmd);
}
