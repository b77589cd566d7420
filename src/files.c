/* files.c: `save`: the session as a script that `load` (run.c) reads
 * back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmdutil.h"
#include "commands.h"
#include "report.h"
#include "xalloc.h"

/* A value as a literal that reads back exactly (%.17g). */
static void save_value(FILE *f, const Value *v)
{
    long n = shape_size(v->shape), C = v->shape.rank == 2 ? v->shape.d[1] : n;
    if (v->shape.rank == 0) { fprintf(f, "%.17g", v->data[0]); return; }
    if (v->shape.rank == 2) fputc('[', f);
    for (long k = 0; k < n; k++) {
        if (k % C == 0) fputs(k ? "], [" : "[", f);
        else fputs(", ", f);
        fprintf(f, "%.17g", v->data[k]);
    }
    fputc(']', f);
    if (v->shape.rank == 2) fputc(']', f);
}

int cmd_save(Session *s, const Stmt *st, Diag *d)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", st->file, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return diag_set(d, E_IO, &st->loc, "cannot write %s: %s", st->file, strerror(errno));
    fprintf(f, "# bp session\n");
    /* values first, then formulas and functions in definition order, so
     * that loading never meets a name before its definition */
    for (int pass = 0; pass < 2; pass++)
        for (Entry *e = s->first; e; e = e->next) {
            if (pass == 0 && (e->kind == ENT_PARAM || e->kind == ENT_CONST)) {
                fprintf(f, "%s%s = ", e->kind == ENT_CONST ? "const " : "", e->name);
                save_value(f, &e->val);
                fputc('\n', f);
            } else if (pass == 1 && (e->kind == ENT_FORMULA || e->kind == ENT_FUNC)) {
                const char *p;
                int n = report_span(&e->expr->loc, &p);
                char *def = xmalloc((size_t)n + 1);
                memcpy(def, p, (size_t)n);
                def[n] = '\0';
                /* A definition written over several lines (maybe with
                 * comments) needs its brackets to continue when read back. */
                int wrap = strchr(def, '\n') != NULL;
                if (e->kind == ENT_FUNC) {
                    fprintf(f, "%s(", e->name);
                    for (int i = 0; i < e->nparams; i++)
                        fprintf(f, "%s%s", i ? ", " : "", e->params[i]);
                    fprintf(f, ") = %s%s%s\n", wrap ? "(" : "", def, wrap ? ")" : "");
                } else {
                    fprintf(f, "%s = %s%s%s\n", e->name, wrap ? "(" : "", def, wrap ? ")" : "");
                }
                free(def);
            }
        }
    if (ferror(f) | fclose(f) || rename(tmp, st->file) != 0) {
        int err = errno;
        remove(tmp);
        return diag_set(d, E_IO, &st->loc, "cannot write %s: %s", st->file, strerror(err));
    }
    return E_OK;
}
