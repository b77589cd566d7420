/* run.c: the driver.  Text to statements (the parser), each statement to
 * its command, and files to text: run_text, run_file, and `load`, which is
 * run_file inside a session.  Above every command module: they never call
 * it (a command that needs a statement run is a sign it belongs here). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "run.h"
#include "arena.h"
#include "commands.h"
#include "help.h"
#include "parse.h"
#include "report.h"
#include "xalloc.h"

static int run_load(Session *s, const Stmt *st);

/* Run one statement: its command.  Returns E_OK, or an error kind with d
 * filled (the caller reports it).  A failed `check` returns E_OK but
 * counts in s->failed_checks. */
static int run_exec(Session *s, const Stmt *st, Diag *d)
{
    switch (st->kind) {
    case ST_EXPR:   return cmd_expr(s, st, d);
    case ST_DEFINE:
    case ST_CONST:
    case ST_FUNC:   return cmd_define(s, st, d);
    case ST_UPDATE: return cmd_update(s, st, d);
    case ST_GRAD:   return cmd_grad(s, st, d);
    case ST_PRINT:  return cmd_print(s, st, d);
    case ST_SHOW:   return cmd_show(s, st, d);
    case ST_VARS:   return cmd_vars(s);
    case ST_DELETE: return cmd_delete(s, st, d);
    case ST_CLEAR:  return cmd_clear(s);
    case ST_SET:    return cmd_set(s, st, d);
    case ST_HELP:   return help_show(s, st->name, &st->name_loc, d);
    case ST_QUIT:   s->quit = 1; return E_OK;
    case ST_LOAD: {
        int rc = run_load(s, st);
        if (rc) {   /* the file's own run reported it: keep its kind */
            d->kind = rc;
            d->reported = 1;
        }
        return rc;
    }
    case ST_SAVE:   return cmd_save(s, st, d);
    case ST_TRACE:  return cmd_trace(s, st, d);
    case ST_GRAPH:
    case ST_DOT:    return cmd_draw(s, st, d);
    case ST_SWEEP:  return cmd_sweep(s, st, d);
    case ST_PLOT:   return cmd_plot(s, st, d);
    case ST_STEP:   return cmd_step(s, st, d);
    case ST_TRAIN:  return cmd_train(s, st, d);
    case ST_CHECK:  return cmd_check(s, st, d);
    case ST_DIFF:   return cmd_diff(s, st, d);
    case ST_HESSIAN: return cmd_hessian(s, st, d);
    case ST_JACOBIAN: return cmd_jacobian(s, st, d);
    }
    return E_OK;
}

/* The end of a run (rc: how it ended): flush the output.  A write error on
 * it ends bp (SPEC 5: exit 1 and a message), reported once. */
static int run_end(Session *s, int rc)
{
    Diag d = { 0 };
    if (!s->write_failed && diag_check_output(s->out, "standard output", &d)) {
        report_error(s, &d);
        s->write_failed = 1;
        s->quit = 1;
        if (!rc) rc = d.kind;
    }
    return rc;
}

/* One run of a text: what run_one needs between statements. */
typedef struct Run {
    Session *s;
    Source *src;
    int release;      /* give back the memory of statements that keep nothing */
    ArenaMark mark;   /* the arena before the statement now running */
    int stopped, rc;  /* a statement failed (rc its kind, or 0: output failed) */
} Run;

/* Does nothing that outlives st point into its memory?  A definition that
 * made a value (a parameter, a const, ans) keeps copies only: its name is
 * the entry's own, its Loc a copy that points at the source text.  A
 * formula or function keeps its body; anything else is kept to be safe. */
static int keeps_nothing(Session *s, const Stmt *st)
{
    switch (st->kind) {
    case ST_DEFINE:
    case ST_CONST: {
        const Entry *e = session_find(s, st->name);
        return e && (e->kind == ENT_PARAM || e->kind == ENT_CONST) && !e->expr;
    }
    case ST_EXPR:
    case ST_UPDATE:
    case ST_PRINT:
        return 1;
    default:
        return 0;
    }
}

/* Run one complete statement (parse_each's callback, or the list of a
 * text run whole).  After `quit` the rest is parsed but not run (a syntax
 * error further on is still reported).  Returns 1 to stop. */
static int run_one(void *arg, Stmt *st)
{
    Run *r = arg;
    Session *s = r->s;
    if (!s->quit) {
        Diag d = { 0 };
        int rc = run_exec(s, st, &d);
        /* ferror: output that could not be written is seen as soon as a
         * buffer's worth of it fails, not only at the end */
        if (rc || ferror(s->out)) {
            if (rc && !d.reported)   /* a load's errors are reported inside it */
                report_error(s, &d);
            r->stopped = 1;
            r->rc = rc;
            return 1;
        }
    }
    if (r->release && (s->quit || keeps_nothing(s, st)))
        arena_release(r->src->arena, r->mark);
    r->mark = arena_mark(r->src->arena);
    return 0;
}

/* Run the statements of src (run_text, run_file); the session adopts src
 * unless it is incomplete at the prompt. */
static int run_source(Session *s, Source *src, int allow_incomplete)
{
    Run r = { .s = s, .src = src, .release = !allow_incomplete };
    Diag pd = { 0 };
    int prc;
    if (allow_incomplete) {
        /* the prompt: an incomplete text runs nothing (more lines come), so
         * parse all of it first */
        Stmt *list;
        prc = parse_source(src, &list, &pd);
        if (prc && pd.incomplete) {
            src_free(src);
            return S_INCOMPLETE;
        }
        session_adopt(s, src);
        for (Stmt *st = list; st && !s->quit && !run_one(&r, st);)
            st = st->next;
    } else {
        /* a script: each statement runs as soon as it is parsed */
        session_adopt(s, src);
        r.mark = arena_mark(src->arena);
        prc = parse_each(src, run_one, &r, &pd);
    }
    if (r.stopped)
        return run_end(s, r.rc);
    if (prc) {
        report_error(s, &pd);
        return run_end(s, pd.kind);
    }
    return run_end(s, E_OK);
}

int run_text(Session *s, const char *name, const char *text, size_t len,
             int first_line, int allow_incomplete)
{
    return run_source(s, src_new(name, text, len, first_line), allow_incomplete);
}

int run_file(Session *s, const char *given, const Loc *from)
{
    enum { MAX_LOAD_DEPTH = 64 };
    Diag d = { 0 };
    char path[4096];
    session_resolve(from, given, path, sizeof path);
    struct stat sb;
    FILE *f = NULL;
    if (!*given)
        diag_set(&d, E_USAGE, from, "load: the file name is empty");
    else if (stat(path, &sb) != 0)
        diag_set(&d, E_IO, from, "cannot open %s: %s", path, strerror(errno));
    else if (S_ISDIR(sb.st_mode))
        diag_set(&d, E_IO, from, "cannot load %s: it is a directory", path);
    else if (!S_ISREG(sb.st_mode))
        diag_set(&d, E_IO, from, "cannot load %s: not a regular file", path);
    else if (sb.st_size > 1L << 28)
        diag_set(&d, E_IO, from, "cannot load %s: too large (more than 256 MiB)", path);
    else if (s->nloading >= MAX_LOAD_DEPTH)
        diag_set(&d, E_LIMIT, from, "load nested more than %d deep", MAX_LOAD_DEPTH);
    else if (!(f = fopen(path, "rb")))
        diag_set(&d, E_IO, from, "cannot open %s: %s", path, strerror(errno));
    char *real = f ? realpath(path, NULL) : NULL;
    for (int i = 0; f && real && i < s->nloading; i++)
        if (strcmp(s->loading[i], real) == 0) {
            diag_set(&d, E_USAGE, from, "%s loads itself (a load cycle): stopped", path);
            fclose(f);
            f = NULL;
        }
    if (!f) {
        free(real);
        report_error(s, &d);
        return d.kind;
    }
    char *buf = xmalloc((size_t)sb.st_size + 2);   /* src_take's two NULs */
    size_t len = fread(buf, 1, (size_t)sb.st_size, f);
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        free(real);
        diag_set(&d, E_IO, from, "cannot read %s: %s", path, strerror(errno));
        report_error(s, &d);
        return d.kind;
    }
    s->loading = xrealloc(s->loading, (size_t)(s->nloading + 1) * sizeof *s->loading);
    s->loading[s->nloading++] = real ? real : xstrdup(path);
    int rc = run_source(s, src_take(path, buf, len, 1), 0);   /* buf is the source's now */
    free(s->loading[--s->nloading]);
    return rc;
}

/* load "file": the file's statements in this session.  A `quit` in it
 * ends that script, not the session (SPEC section 2), nor the script
 * that loaded it. */
static int run_load(Session *s, const Stmt *st)
{
    int rc = run_file(s, st->file, &st->loc);
    s->quit = 0;
    return rc;
}
