/* csv.c: a small reader for numeric CSV (comma separated, optional header,
 * no quoting needed for numbers). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "csv.h"
#include "xalloc.h"

/* Parse one cell [p, end); returns 1 when it is a finite number. */
static int cell(const char *p, const char *end, double *v)
{
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) end--;
    if (p == end || end - p > 60) return 0;
    char buf[64];
    memcpy(buf, p, (size_t)(end - p));
    buf[end - p] = '\0';
    char *q;
    errno = 0;
    *v = strtod(buf, &q);
    return *q == '\0' && errno == 0 && isfinite(*v);
}

int csv_load(const char *path, Value *out, char *msg, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(msg, n, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    double *data = NULL;
    long rows = 0, cols = -1, dcap = 0;
    int lineno = 0, rc = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (memchr(line, '\0', (size_t)len)) {
            snprintf(msg, n, "%s:%d: not a text file (a NUL byte)", path, lineno);
            rc = -1;
            break;
        }
        const char *p = line, *end = line + len;
        while (end > p && (end[-1] == '\n' || end[-1] == '\r')) end--;
        if (end == p) continue;
        long k = 0;
        int header = 0;
        for (const char *c = p;; k++) {
            const char *comma = memchr(c, ',', (size_t)(end - c));
            const char *ce = comma ? comma : end;
            double v;
            if (!cell(c, ce, &v)) {
                if (rows == 0 && lineno == 1 && cols < 0) { header = 1; break; }
                snprintf(msg, n, "%s:%d:%d: not a number: '%.*s'", path, lineno,
                         (int)(c - line) + 1, (int)(ce - c > 40 ? 40 : ce - c), c);
                rc = -1;
                break;
            }
            if (rows * (cols > 0 ? cols : 1) + k + 1 > TENSOR_MAX_ENTRIES) {
                snprintf(msg, n, "%s: too many entries", path);
                rc = -1;
                break;
            }
            if (rows * (cols > 0 ? cols : k + 1) + k + 1 > dcap) {
                dcap = dcap ? 2 * dcap : 1024;
                data = xrealloc(data, (size_t)dcap * sizeof *data);
            }
            data[rows * (cols > 0 ? cols : 0) + k] = v;
            if (!comma) break;
            c = comma + 1;
        }
        if (rc) break;
        if (header) continue;
        k++;
        if (cols < 0) cols = k;
        else if (k != cols) {
            snprintf(msg, n, "%s:%d: %ld cells, but the first row has %ld", path, lineno, k, cols);
            rc = -1;
            break;
        }
        rows++;
    }
    free(line);
    fclose(f);
    if (!rc && rows == 0) {
        snprintf(msg, n, "%s: no numbers", path);
        rc = -1;
    }
    if (!rc) {
        out->shape = (Shape){ 2, { rows, cols } };
        out->data = data;
    } else {
        free(data);
    }
    return rc;
}
