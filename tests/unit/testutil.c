/* testutil.c: helpers for the Check suites (see testutil.h). */
#define _GNU_SOURCE
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "run.h"

static void open_streams(Tu *t)
{
    t->obuf = t->ebuf = NULL;
    t->olen = t->elen = 0;
    t->out = open_memstream(&t->obuf, &t->olen);
    t->err = open_memstream(&t->ebuf, &t->elen);
    ck_assert_ptr_nonnull(t->out);
    ck_assert_ptr_nonnull(t->err);
    t->s->out = t->out;
    t->s->err = t->err;
}

static void close_streams(Tu *t)
{
    fclose(t->out);
    fclose(t->err);
    free(t->obuf);
    free(t->ebuf);
}

Tu *tu_new(void)
{
    Tu *t = calloc(1, sizeof *t);
    ck_assert_ptr_nonnull(t);
    t->s = session_new();
    t->s->color = 0;
    open_streams(t);
    return t;
}

void tu_free(Tu *t)
{
    if (!t) return;
    close_streams(t);
    session_free(t->s);
    free(t);
}

int tu_run(Tu *t, const char *text)
{
    return run_text(t->s, "t", text, strlen(text), 1, 0);
}

static char *vfmt(const char *fmt, va_list ap)
{
    char *p = NULL;
    ck_assert_int_ge(vasprintf(&p, fmt, ap), 0);
    return p;
}

int tu_runf(Tu *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = vfmt(fmt, ap);
    va_end(ap);
    int rc = tu_run(t, p);
    free(p);
    return rc;
}

void tu_ok(Tu *t, const char *text)
{
    int rc = tu_run(t, text);
    ck_assert_msg(rc == E_OK, "`%s` failed (%d): %s", text, rc, tu_err(t));
}

void tu_okf(Tu *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = vfmt(fmt, ap);
    va_end(ap);
    tu_ok(t, p);
    free(p);
}

const char *tu_out(Tu *t)
{
    fflush(t->out);
    return t->obuf ? t->obuf : "";
}

const char *tu_err(Tu *t)
{
    fflush(t->err);
    return t->ebuf ? t->ebuf : "";
}

void tu_clear(Tu *t)
{
    close_streams(t);
    open_streams(t);
}

Entry *tu_entry(Tu *t, const char *name)
{
    Entry *e = session_find(t->s, name);
    ck_assert_msg(e != NULL && e->kind != ENT_UNDEF, "%s is not defined", name);
    return e;
}

Value tu_value(Tu *t, const char *expr)
{
    tu_ok(t, expr);
    Entry *ans = tu_entry(t, "ans");
    ck_assert_int_eq(ans->kind, ENT_CONST);
    Value v = { 0 };
    value_set(&v, ans->val.shape, ans->val.data);
    return v;
}

double tu_num(Tu *t, const char *expr)
{
    tu_ok(t, expr);
    Entry *ans = tu_entry(t, "ans");
    ck_assert_msg(ans->val.shape.rank == 0, "`%s` is not a scalar", expr);
    return ans->val.data[0];
}

double tu_numf(Tu *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = vfmt(fmt, ap);
    va_end(ap);
    double v = tu_num(t, p);
    free(p);
    return v;
}

double tu_grad(Tu *t, const char *f, const char *w)
{
    return tu_numf(t, "grad(%s, %s)", f, w);
}

void tu_set(Tu *t, const char *name, double x)
{
    tu_okf(t, "%s := %.17g", name, x);
    ck_assert(tu_entry(t, name)->val.data[0] == x);
}

double tu_step(double p)
{
    return cbrt(DBL_EPSILON) * fmax(1.0, fabs(p));
}

double tu_central(Tu *t, const char *f, const char *w, long k, double h)
{
    Entry *e = tu_entry(t, w);
    ck_assert(e->kind == ENT_PARAM || e->kind == ENT_CONST);
    ck_assert(k < shape_size(e->val.shape));
    double p = e->val.data[k];
    volatile double pp = p + h, pm = p - h;
    /* The leaves read the session's value at every forward pass; a value
     * written directly must be announced (session_changed), or formulas'
     * cached values would still be taken as current. */
    e->val.data[k] = pp;
    session_changed(t->s, e);
    double fp = tu_num(t, f);
    e = tu_entry(t, w);
    e->val.data[k] = pm;
    session_changed(t->s, e);
    double fm = tu_num(t, f);
    e = tu_entry(t, w);
    e->val.data[k] = p;
    session_changed(t->s, e);
    return (fp - fm) / (pp - pm);
}

int tu_close(double got, double want, double rtol, double atol)
{
    if (isnan(got) || isnan(want)) return 0;
    if (got == want) return 1;
    return fabs(got - want) <= rtol * fmax(fabs(got), fabs(want)) + atol;
}

char *tu_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0, k;
    do {
        if (n == cap) {
            cap = cap ? 2 * cap : 4096;
            buf = realloc(buf, cap + 1);
            ck_assert_ptr_nonnull(buf);
        }
        k = fread(buf + n, 1, cap - n, f);
        n += k;
    } while (k > 0);
    fclose(f);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

int tu_main(Suite *suite)
{
    SRunner *sr = srunner_create(suite);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
