/* testutil.h: small helpers shared by the Check suites in tests/unit.
 *
 * A Tu is a session whose standard output and error go to memory, so a
 * test can run bp statements (tu_run) and look at what they printed
 * (tu_out, tu_err).  Numbers come back through `ans`: tu_num("expr") runs
 * the expression statement and returns the scalar it left in ans. */
#ifndef BP_TESTUTIL_H
#define BP_TESTUTIL_H

#include <stddef.h>
#include <check.h>
#include "session.h"
#include "commands.h"
#include "run.h"

typedef struct Tu {
    Session *s;
    FILE *out, *err;
    char *obuf, *ebuf;
    size_t olen, elen;
} Tu;

/* A fresh session with output captured. */
Tu *tu_new(void);
void tu_free(Tu *t);

/* Run text (source name "t", first line 1) and return run_text's
 * status (E_OK or an ErrKind). */
int tu_run(Tu *t, const char *text);
/* The same, printf-style. */
int tu_runf(Tu *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Run text and fail the test (showing stderr) unless it succeeds. */
void tu_ok(Tu *t, const char *text);
void tu_okf(Tu *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What was printed so far (NUL-terminated), and forgetting it. */
const char *tu_out(Tu *t);
const char *tu_err(Tu *t);
void tu_clear(Tu *t);

/* Evaluate expression text now; it must succeed.  tu_num: a scalar;
 * tu_value: the value (a copy, free with value_free). */
double tu_num(Tu *t, const char *expr);
double tu_numf(Tu *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
Value tu_value(Tu *t, const char *expr);

/* ∂f/∂w by bp's backprop: the scalar grad(f, w). */
double tu_grad(Tu *t, const char *f, const char *w);

/* Set parameter `name` to x (name := x, written so it reads back exactly). */
void tu_set(Tu *t, const char *name, double x);

/* The entry `name`, which must exist and be defined. */
Entry *tu_entry(Tu *t, const char *name);

/* A central difference computed here, independently of src/numdiff.c:
 * (f(p+h) - f(p-h)) / ((p+h) - (p-h)) with the points as stored, where
 * p is entry k of parameter `w` and f is expression `f` (a scalar).  The
 * parameter is restored afterwards. */
double tu_central(Tu *t, const char *f, const char *w, long k, double h);
/* The step used by tu_central's callers: cbrt(DBL_EPSILON)·max(1, |p|). */
double tu_step(double p);

/* |got - want| <= rtol·max(|got|, |want|) + atol */
int tu_close(double got, double want, double rtol, double atol);

#define TU_CLOSE(got, want, rtol, atol)                                        \
    do {                                                                       \
        double g_ = (got), w_ = (want);                                        \
        ck_assert_msg(tu_close(g_, w_, (rtol), (atol)),                        \
                      "%s = %.17g, expected %s = %.17g (rel err %.3g)", #got,  \
                      g_, #want, w_,                                           \
                      fabs(g_ - w_) / fmax(fabs(w_), 1e-300));                 \
    } while (0)

/* Read a whole file into a malloc'd NUL-terminated buffer (NULL if absent). */
char *tu_slurp(const char *path, size_t *len);

/* Run the suite with CK_NORMAL output; returns the process exit status. */
int tu_main(Suite *suite);

#endif
