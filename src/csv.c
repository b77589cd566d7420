/* csv.c: a small reader for numeric CSV (comma separated, optional header,
 * no quoting needed for numbers).  Lines end at LF, CRLF or a lone CR; a
 * UTF-8 byte-order mark at the start is skipped.  Only a regular file is
 * read (a FIFO would block, /dev/zero would never end), whole, up to
 * CSV_MAX_BYTES. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "csv.h"
#include "xalloc.h"

#define CSV_MAX_BYTES (1L << 28)

enum { CELL_TEXT, CELL_NUMBER, CELL_NONFINITE };

/* Classify one cell [p, end) and parse it into *v.  A number that
 * underflows to a subnormal or zero (5e-324, 1e-400) is a number: save
 * writes subnormals and must read them back. */
static int cell(const char *p, const char *end, double *v)
{
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) end--;
    if (p == end || end - p > 60) return CELL_TEXT;
    char buf[64];
    memcpy(buf, p, (size_t)(end - p));
    buf[end - p] = '\0';
    char *q;
    *v = strtod(buf, &q);
    if (*q != '\0') return CELL_TEXT;
    return isfinite(*v) ? CELL_NUMBER : CELL_NONFINITE;
}

/* The end of the cell that starts at c (a comma or the end of the line). */
static const char *cell_end(const char *c, const char *end)
{
    const char *comma = memchr(c, ',', (size_t)(end - c));
    return comma ? comma : end;
}

/* Is every cell of the line [p, end) text?  (Then it is a header.) */
static int all_text(const char *p, const char *end)
{
    for (const char *c = p;;) {
        const char *ce = cell_end(c, end);
        double v;
        if (cell(c, ce, &v) != CELL_TEXT) return 0;
        if (ce == end) return 1;
        c = ce + 1;
    }
}

/* The whole of a regular file, NUL-terminated, or NULL with msg. */
static char *slurp(const char *path, size_t *len, char *msg, size_t n)
{
    if (!*path) {   /* not "cannot open : No such file or directory" */
        snprintf(msg, n, "the file name is empty");
        return NULL;
    }
    /* O_NONBLOCK: opening a FIFO with no writer must not wait */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(msg, n, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    char *buf = NULL;
    if (fstat(fd, &sb) != 0)
        snprintf(msg, n, "cannot read %s: %s", path, strerror(errno));
    else if (S_ISDIR(sb.st_mode))
        snprintf(msg, n, "cannot read %s: it is a directory", path);
    else if (!S_ISREG(sb.st_mode))
        snprintf(msg, n, "cannot read %s: not a regular file (%s); load_csv reads only regular files",
                 path, S_ISFIFO(sb.st_mode) ? "a FIFO" : S_ISCHR(sb.st_mode) ? "a character device"
                 : S_ISBLK(sb.st_mode) ? "a block device" : "a special file");
    else if (sb.st_size > CSV_MAX_BYTES)
        snprintf(msg, n, "cannot read %s: too large (more than %ld MiB)", path, CSV_MAX_BYTES >> 20);
    else {
        /* at most the size seen: a file that grows meanwhile is cut there */
        size_t want = (size_t)sb.st_size, got = 0;
        buf = try_realloc(NULL, want + 1);
        if (!buf) snprintf(msg, n, "cannot read %s: out of memory (%zu bytes)", path, want + 1);
        while (buf && got < want) {
            ssize_t r = read(fd, buf + got, want - got);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) {
                snprintf(msg, n, "cannot read %s: %s", path, strerror(errno));
                free(buf);
                buf = NULL;
                break;
            }
            if (r == 0) break;
            got += (size_t)r;
        }
        if (buf) {
            buf[got] = '\0';
            *len = got;
        }
    }
    close(fd);
    return buf;
}

int csv_load(const char *path, Value *out, char *msg, size_t n)
{
    size_t len;
    char *text = slurp(path, &len, msg, n);
    if (!text) return -1;
    const char *p = text, *end = text + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;   /* a byte-order mark */
    double *data = NULL;
    long rows = 0, cols = -1, count = 0, dcap = 0;
    int lineno = 0, rc = 0, first = 1;
    while (p < end && !rc) {
        /* one line: [p, le), then its end: LF, CRLF or CR */
        const char *le = p;
        while (le < end && *le != '\n' && *le != '\r') le++;
        const char *next = le;
        if (next < end && *next == '\r') next++;
        if (next < end && *next == '\n') next++;
        lineno++;
        if (memchr(p, '\0', (size_t)(le - p))) {
            snprintf(msg, n, "%s:%d: not a text file (a NUL byte)", path, lineno);
            rc = -1;
            break;
        }
        if (le == p) { p = next; continue; }
        /* a header: a first row with no number in it; a first row with a
         * number and a word is a mistake, reported like any bad cell */
        int was_first = first, header = first && all_text(p, le);
        first = 0;
        long k = 0;
        for (const char *c = p; !header; k++) {
            const char *ce = cell_end(c, le);
            double v;
            int kind = cell(c, ce, &v);
            if (kind != CELL_NUMBER) {
                snprintf(msg, n, "%s:%d:%d: %s: '%.*s'%s", path, lineno, (int)(c - p) + 1,
                         kind == CELL_TEXT ? "not a number" : "not a finite number",
                         (int)(ce - c > 40 ? 40 : ce - c), c,
                         was_first && kind == CELL_TEXT
                             ? " (a first row is a header only when none of its cells is a number)" : "");
                rc = -1;
                break;
            }
            if (count + 1 > TENSOR_MAX_ENTRIES) {
                snprintf(msg, n, "%s: too many entries", path);
                rc = -1;
                break;
            }
            if (count + 1 > dcap) {
                long nc = dcap ? 2 * dcap : 1024;
                double *nd = try_realloc(data, (size_t)nc * sizeof *data);
                if (!nd) {
                    snprintf(msg, n, "%s: out of memory (%ld entries)", path, nc);
                    rc = -1;
                    break;
                }
                data = nd;
                dcap = nc;
            }
            data[count++] = v;
            if (ce == le) { k++; break; }
            c = ce + 1;
        }
        p = next;
        if (rc || header) continue;
        if (cols < 0) cols = k;
        else if (k != cols) {
            snprintf(msg, n, "%s:%d: %ld cells, but the first row has %ld", path, lineno, k, cols);
            rc = -1;
            break;
        }
        rows++;
    }
    free(text);
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
