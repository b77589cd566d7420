/* files.c: `save`: the session as a script that `load` (run.c) reads
 * back, or one value as CSV.  A file name in a script is looked up beside
 * the script first (session_resolve), by load and save alike. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cmdutil.h"
#include "commands.h"
#include "report.h"
#include "xalloc.h"

/* ---- save ------------------------------------------------------------
 *
 * save never leaves half a file: it writes a temporary file beside the
 * target (same directory, so rename is atomic), syncs it and renames it
 * over the target.  The old file's mode and owner are copied first; a
 * symlink is followed (its target is replaced, the link stays); a path
 * that is not a regular file (directory, FIFO, device) is refused before
 * anything is created.  A hard-linked target is replaced by a new file
 * (the other names keep the old content: rename cannot write through a
 * link, writing in place could leave half a file), with a note.  SIGINT,
 * SIGTERM and SIGHUP during the write remove the temporary file. */

/* The temporary file, for the signal handler (a fixed buffer: no malloc
 * in a handler). */
static char save_tmp[4352];
static volatile sig_atomic_t save_caught;
static const int save_sigs[3] = { SIGINT, SIGTERM, SIGHUP };
static struct sigaction save_old[3];
static int save_installed[3];
static pthread_t save_thread;       /* the thread that saves */

/* A signal during the write: a fatal one (default action) removes the
 * temporary file and dies of it, as it would have; one the program
 * handles (Ctrl-C at the prompt) is noted, and the write stops at its
 * next check. */
static void save_on_signal(int sig)
{
    /* Another thread (OpenBLAS's workers do not block these signals) sends
     * it on to the one saving, where it waits while the file is being made
     * and then removes it: dying here could leave the file behind. */
#ifndef __EMSCRIPTEN__             /* (the browser has one thread and no signals) */
    if (!pthread_equal(pthread_self(), save_thread)) {
        pthread_kill(save_thread, sig);
        return;
    }
#endif
    for (int i = 0; i < 3; i++)
        if (save_sigs[i] == sig && save_old[i].sa_handler == SIG_DFL) {
            unlink(save_tmp);
            sigaction(sig, &save_old[i], NULL);
            raise(sig);   /* blocked until this handler returns, then fatal */
            return;
        }
    save_caught = sig;
}

/* Install the handlers (leaving ignored signals ignored). */
static void save_catch(void)
{
    struct sigaction sa = { 0 };
    sa.sa_handler = save_on_signal;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 3; i++) sigaddset(&sa.sa_mask, save_sigs[i]);
    save_caught = 0;
    save_thread = pthread_self();
    for (int i = 0; i < 3; i++) {
        save_installed[i] = 0;
        if (sigaction(save_sigs[i], NULL, &save_old[i]) == 0 && save_old[i].sa_handler != SIG_IGN)
            save_installed[i] = sigaction(save_sigs[i], &sa, NULL) == 0;
    }
}

/* Put the old handlers back; then a signal noted meanwhile goes to them. */
static void save_release(void)
{
    for (int i = 0; i < 3; i++)
        if (save_installed[i]) sigaction(save_sigs[i], &save_old[i], NULL);
    if (save_caught) raise(save_caught);
    save_caught = 0;
}

/* A number in the shortest form that reads back exactly (finite only:
 * save refuses the others first). */
static void save_number(FILE *f, double x)
{
    char b[40];
    report_fmt_json(b, sizeof b, x);
    fputs(b, f);
}

/* A value as a literal; -1 when interrupted. */
static int save_value(FILE *f, const Value *v)
{
    long n = shape_size(v->shape), C = v->shape.rank == 2 ? v->shape.d[1] : n;
    if (v->shape.rank == 0) { save_number(f, v->data[0]); return 0; }
    if (v->shape.rank == 2) fputc('[', f);
    for (long k = 0; k < n; k++) {
        if (k % C == 0) fputs(k ? "], [" : "[", f);
        else fputs(", ", f);
        save_number(f, v->data[k]);
        if ((k & 4095) == 4095 && save_caught) return -1;
    }
    fputc(']', f);
    if (v->shape.rank == 2) fputc(']', f);
    return 0;
}

/* One value as CSV: a matrix row by row, a vector one entry a line (as
 * numpy.savetxt), a scalar one cell; no header.  -1 when interrupted. */
static int save_csv(FILE *f, const Value *v)
{
    long n = shape_size(v->shape), C = v->shape.rank == 2 ? v->shape.d[1] : 1;
    for (long k = 0; k < n; k++) {
        save_number(f, v->data[k]);
        fputc((k + 1) % C ? ',' : '\n', f);
        if ((k & 4095) == 4095 && save_caught) return -1;
    }
    return 0;
}

/* The other settings that are not the default, as `set` lines: written
 * first, so that a loaded session has them (SPEC 2: save writes the
 * settings). */
static void save_settings(FILE *f, const Session *s)
{
    static const char *const fdn[5] = { "central", "forward", "ridders", "complex", "dual" };
    Settings def;
    settings_default(&def);
    const Settings *t = &s->set;
    if (t->eps != def.eps) { fputs("set eps ", f); save_number(f, t->eps); fputc('\n', f); }
    if (t->fd != def.fd) {
        fputs("set fd", f);
        if (!t->fd) fputs(" off", f);
        for (int i = 0, n = 0; i < 5; i++)
            if (t->fd & (1u << i)) fprintf(f, "%s %s", n++ ? "," : "", fdn[i]);
        fputc('\n', f);
    }
    if (t->digits != def.digits) fprintf(f, "set digits %d\n", t->digits);
    if (t->tol != def.tol) { fputs("set tol ", f); save_number(f, t->tol); fputc('\n', f); }
    if (t->atol != def.atol) { fputs("set atol ", f); save_number(f, t->atol); fputc('\n', f); }
    if (t->lr != def.lr) { fputs("set lr ", f); save_number(f, t->lr); fputc('\n', f); }
    if (t->seed != def.seed) fprintf(f, "set seed %lu\n", t->seed);
    if (t->maxcheck != def.maxcheck) fprintf(f, "set maxcheck %d\n", t->maxcheck);
    if (t->maxnodes != def.maxnodes) fprintf(f, "set maxnodes %ld\n", t->maxnodes);
    if (t->maxmem != def.maxmem) fprintf(f, "set maxmem %ld\n", t->maxmem);
    if (t->format != def.format) fputs("set format latex\n", f);
}

/* The optimizer's settings (when any is not the default, or it has a
 * state): written before the definitions. */
static void save_optimizer(FILE *f, const Session *s)
{
    Settings def;
    settings_default(&def);
    const Settings *t = &s->set;
    if (!s->nopt && t->optimizer == def.optimizer && t->momentum == def.momentum &&
        t->beta1 == def.beta1 && t->beta2 == def.beta2 && t->adam_eps == def.adam_eps)
        return;
    fprintf(f, "set optimizer %s\nset momentum ", session_opt_names[t->optimizer]);
    save_number(f, t->momentum);
    fputs("\nset betas ", f);
    save_number(f, t->beta1);
    fputs(", ", f);
    save_number(f, t->beta2);
    fputs("\nset adam_eps ", f);
    save_number(f, t->adam_eps);
    fputc('\n', f);
}

/* The optimizer's state, after the definitions: `set state W t m [v]`
 * (src/settings.c reads it back).  -1 when interrupted. */
static int save_opt_state(FILE *f, const Session *s)
{
    for (int i = 0; i < s->nopt; i++) {
        const OptState *o = &s->opt[i];
        if (o->e->kind != ENT_PARAM || !shape_eq(o->m.shape, o->e->val.shape)) continue;
        fprintf(f, "set state %s %ld ", o->e->name, o->t);
        if (save_value(f, &o->m)) return -1;
        if (o->v.data) {
            fputc(' ', f);
            if (save_value(f, &o->v)) return -1;
        }
        fputc('\n', f);
    }
    return 0;
}

/* Formula e's text (p, n bytes): each randn(...) call in it that has
 * drawn written as the values it drew, so that load gives back the values
 * the user saw instead of drawing again (SPEC 2: a formula's randn is its
 * data, kept).  Returns how many it wrote so, or -1 when interrupted. */
static int save_formula_text(FILE *f, const Entry *e, const char *p, int n)
{
    const EntryCache *c = e->kind == ENT_FORMULA ? e->cache : NULL;
    int at = e->expr->loc.beg, end = at + n, kept = 0;
    for (;;) {
        /* the next draw inside the text (a randn in a user function's
         * body is not: that function's text is saved as written) */
        const Ast *next = NULL;
        const Value *v = NULL;
        for (int k = 0; c && k < c->ndrawn; k++) {
            const Ast *a = c->drawn_at[k];
            if (a->loc.src != e->expr->loc.src || a->loc.beg < at || a->loc.end > end ||
                !c->drawn[k].data || (next && a->loc.beg >= next->loc.beg))
                continue;
            next = a;
            v = &c->drawn[k];
        }
        int stop = next ? next->loc.beg : end;
        fwrite(p + (at - e->expr->loc.beg), 1, (size_t)(stop - at), f);
        if (!next) return kept;
        kept++;
        /* a negative scalar in parentheses, as x^(-0.5) must be */
        int paren = v->shape.rank == 0 && v->data[0] < 0;
        fputs(paren ? "(" : "", f);
        if (save_value(f, v)) return -1;
        fputs(paren ? ")" : "", f);
        at = next->loc.end;
    }
}

/* Every definition as a script; -1 when interrupted. */
static int save_session(FILE *f, Session *s)
{
    fprintf(f, "# bp session\n");
    save_settings(f, s);
    save_optimizer(f, s);
    /* values first, then formulas and functions in definition order, so
     * that loading never meets a name before its definition */
    for (int pass = 0; pass < 2; pass++)
        for (Entry *e = s->first; e; e = e->next) {
            if (pass == 0 && (e->kind == ENT_PARAM || e->kind == ENT_CONST)) {
                fprintf(f, "%s%s = ", e->kind == ENT_CONST ? "const " : "", e->name);
                if (save_value(f, &e->val)) return -1;
                fputc('\n', f);
            } else if (pass == 1 && (e->kind == ENT_FORMULA || e->kind == ENT_FUNC)) {
                const char *p;
                int n = report_span(&e->expr->loc, &p);
                /* A definition written over several lines (maybe with
                 * comments) needs its brackets to continue when read back. */
                int wrap = memchr(p, '\n', (size_t)n) || memchr(p, '\r', (size_t)n);
                if (e->kind == ENT_FUNC) {
                    fprintf(f, "%s(", e->name);
                    for (int i = 0; i < e->nparams; i++)
                        fprintf(f, "%s%s", i ? ", " : "", e->params[i]);
                    fprintf(f, ") = ");
                } else {
                    fprintf(f, "%s = ", e->name);
                }
                fputs(wrap ? "(" : "", f);
                int kept = save_formula_text(f, e, p, n);
                if (kept < 0) return -1;
                fprintf(f, "%s%s\n", wrap ? ")" : "", kept ? "   # randn: the values it drew" : "");
                /* a draw in a user function's body: that text is shared
                 * with every caller, so it stays randn, and says so */
                if (e->kind == ENT_FORMULA && e->cache && kept < e->cache->ndrawn)
                    fprintf(f, "# note: the randn of a function %s calls draws again when loaded\n",
                            e->name);
            }
        }
    return save_opt_state(f, s);
}

/* The first entry of v that is not finite (its index), or -1. */
static long save_nonfinite(const Value *v)
{
    long n = shape_size(v->shape);
    for (long k = 0; k < n; k++)
        if (!isfinite(v->data[k])) return k;
    return -1;
}

static int save_refuse_nonfinite(const Loc *at, const char *name, const Value *v, Diag *d)
{
    long k = save_nonfinite(v);
    if (k < 0) return E_OK;
    char en[160];
    entry_name(en, sizeof en, name, v->shape, k);
    return diag_set(d, E_DOMAIN, at, "cannot save: %s is %s, which would not load back; "
                    "nothing written", en, isnan(v->data[k]) ? "nan" : v->data[k] > 0 ? "inf" : "-inf");
}

/* The file save replaces: path itself, or a symlink's target (malloc'd
 * into *target).  *old is its status when it exists (*exists). */
static int save_target(const Loc *at, const char *path, char **target, struct stat *old,
                       int *exists, Diag *d)
{
    struct stat lsb;
    *target = NULL;
    *exists = 0;
    if (lstat(path, &lsb) != 0) {
        if (errno != ENOENT)
            return diag_set(d, E_IO, at, "cannot write %s: %s", path, strerror(errno));
        *target = xstrdup(path);
        return E_OK;
    }
    if (S_ISLNK(lsb.st_mode)) {
        if (stat(path, old) != 0)
            return diag_set(d, E_IO, at, "cannot write %s: a symbolic link to a file that is "
                            "not there (%s)", path, strerror(errno));
        if (!(*target = realpath(path, NULL)))
            return diag_set(d, E_IO, at, "cannot write %s: %s", path, strerror(errno));
    } else {
        *old = lsb;
        *target = xstrdup(path);
    }
    *exists = 1;
    if (S_ISDIR(old->st_mode))
        return diag_set(d, E_IO, at, "cannot write %s: it is a directory", path);
    if (!S_ISREG(old->st_mode))
        return diag_set(d, E_IO, at, "cannot write %s: not a regular file (%s); "
                        "save replaces only regular files", path,
                        S_ISFIFO(old->st_mode) ? "a FIFO" : S_ISCHR(old->st_mode) ? "a character device"
                        : S_ISBLK(old->st_mode) ? "a block device" : S_ISSOCK(old->st_mode) ? "a socket"
                        : "a special file");
    /* rename would replace a read-only file all the same: respect the mark */
    if (access(*target, W_OK) != 0)
        return diag_set(d, E_IO, at, "cannot write %s: %s", path, strerror(errno));
    return E_OK;
}

/* Does name end in .csv (any case)? */
static int save_is_csv(const char *name)
{
    size_t n = strlen(name);
    return n >= 4 && strcasecmp(name + n - 4, ".csv") == 0;
}

int cmd_save(Session *s, const Stmt *st, Diag *d)
{
    char path[4096];
    if (!st->file[0]) return diag_set(d, E_USAGE, &st->loc, "save: the file name is empty");
    /* the same lookup as load's, so that a script's save and load meet */
    session_resolve(&st->loc, st->file, path, sizeof path);
    int csv = st->ne == 1;
    if (csv && !save_is_csv(path))
        return diag_set(d, E_USAGE, &st->loc, "save \"file\" VALUE writes CSV: the file name "
                        "must end in .csv (save \"%s\" alone writes the session)", st->file);
    if (!csv && save_is_csv(path))
        return diag_set(d, E_USAGE, &st->loc, "a .csv file holds one value: save \"%s\" W "
                        "(a session is saved as a .bp script)", st->file);

    /* refuse before touching the disk */
    Value v = { 0 };
    int rc = E_OK;
    if (csv) {
        if ((rc = eval_now(s, st->e[0], &v, d))) return rc;
        char name[160];
        span_text(st->e[0], name, sizeof name);
        rc = save_refuse_nonfinite(&st->e[0]->loc, name, &v, d);
    } else {
        for (Entry *e = s->first; e && !rc; e = e->next)
            if (e->kind == ENT_PARAM || e->kind == ENT_CONST)
                rc = save_refuse_nonfinite(&st->loc, e->name, &e->val, d);
        for (int i = 0; i < s->nopt && !rc; i++) {   /* the optimizer's state too */
            rc = save_refuse_nonfinite(&st->loc, s->opt[i].e->name, &s->opt[i].m, d);
            if (!rc && s->opt[i].v.data)
                rc = save_refuse_nonfinite(&st->loc, s->opt[i].e->name, &s->opt[i].v, d);
        }
    }
    char *target = NULL;
    struct stat old;
    int exists;
    if (!rc) rc = save_target(&st->loc, path, &target, &old, &exists, d);
    const char *slash = target ? strrchr(target, '/') : NULL;
    if (!rc && (size_t)snprintf(save_tmp, sizeof save_tmp, "%.*s.%s.XXXXXX",
                                slash ? (int)(slash - target + 1) : 0, target,
                                slash ? slash + 1 : target) >= sizeof save_tmp)
        rc = diag_set(d, E_IO, &st->loc, "cannot write %s: the name is too long", path);
    if (rc) {
        free(target);
        value_free(&v);
        return rc;
    }

    /* the handlers that remove the temporary file, then the file, with
     * the signals blocked in this thread meanwhile: one that comes before
     * the file has its name waits here (sent on from another thread, whose
     * mask is not this one's), and then removes it */
    sigset_t block, was;
    sigemptyset(&block);
    for (int i = 0; i < 3; i++) sigaddset(&block, save_sigs[i]);
    pthread_sigmask(SIG_BLOCK, &block, &was);
    save_catch();
    int fd = mkstemp(save_tmp);
    int err = errno;
    if (fd < 0) save_tmp[0] = '\0';     /* nothing for a handler to remove */
    pthread_sigmask(SIG_SETMASK, &was, NULL);
    if (fd < 0) {
        save_release();
        /* no such directory, or one where no file can be made (the file
         * itself may be writable: say why save cannot use it) */
        rc = diag_set(d, E_IO, &st->loc, "cannot write %s: %s%s", path,
                      err == ENOENT || err == ENOTDIR ? "" : "cannot make a temporary file in its directory: ",
                      strerror(err));
        free(target);
        value_free(&v);
        return rc;
    }

    const char *why = NULL;
    err = 0;
    if (exists) {
        /* the owner first: chown may clear the set-id bits of the mode */
        struct stat now;
        if (fstat(fd, &now) == 0 && (now.st_uid != old.st_uid || now.st_gid != old.st_gid)
            && fchown(fd, old.st_uid, old.st_gid) != 0) {
            why = "cannot keep its owner and group";
            err = errno;
        } else if (fchmod(fd, old.st_mode & 07777) != 0) {
            why = "cannot keep its permissions";
            err = errno;
        }
    } else {
        mode_t mask = umask(0);
        umask(mask);
        fchmod(fd, 0666 & ~mask);   /* mkstemp's 0600, as a new file would be */
    }
    FILE *f = why ? NULL : fdopen(fd, "w");
    int stopped = 0;
    if (f) {
        stopped = csv ? save_csv(f, &v) : save_session(f, s);
        if (!stopped && (fflush(f) != 0 || ferror(f) || fsync(fd) != 0)) err = errno;
        if (fclose(f) != 0 && !err) err = errno;
        if (!stopped && err) why = "";
    } else {
        if (!why) { why = ""; err = errno; }
        close(fd);
    }
    if (!stopped && !why && rename(save_tmp, target) != 0) {
        why = "";
        err = errno;
    }
    if (stopped || why) unlink(save_tmp);
    save_release();   /* may deliver a Ctrl-C noted meanwhile */

    if (stopped)
        rc = diag_set(d, E_INTERRUPT, &st->loc, "interrupted: %s not written (%s)", path,
                      exists ? "the old file is unchanged" : "no file made");
    else if (why)
        rc = diag_set(d, E_IO, &st->loc, "cannot write %s: %s%s%s%s", path, why, *why ? " (" : "",
                      strerror(err ? err : EIO), *why ? ")" : "");
    else if (exists && old.st_nlink > 1)
        report_note(s, &st->loc, "%s had %ld other hard link%s; they keep the old content "
                    "(save writes a new file)", path, (long)old.st_nlink - 1,
                    old.st_nlink > 2 ? "s" : "");
    free(target);
    value_free(&v);
    return rc;
}
