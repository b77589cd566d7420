/* report.c: tables, values and JSON. */
#define _GNU_SOURCE   /* vasprintf */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "report.h"

void report_fmt_value(char *buf, size_t n, double v, int digits)
{
    if (isnan(v)) { snprintf(buf, n, "nan"); return; }
    if (isinf(v)) { snprintf(buf, n, v > 0 ? "inf" : "-inf"); return; }
    if (v == 0) v = 0;    /* print -0 as 0 */
    snprintf(buf, n, "%.*g", digits, v);
}

/* The fewest significant digits that read back as v, written as Python's
 * repr writes them: plain notation for exponents from -4 to 15 (30, not
 * 3e+01), scientific beyond. */
void report_fmt_json(char *buf, size_t n, double v)
{
    if (!isfinite(v)) { snprintf(buf, n, "null"); return; }
    char e[40];
    /* the fewest significant digits p that read back: a binary search
     * (17 always do; more digits never read back worse), so a save of a
     * million entries costs 5 conversions each, not up to 17 */
    int lo = 1, p = 17;
    while (lo < p) {
        int mid = (lo + p) / 2;
        snprintf(e, sizeof e, "%.*e", mid - 1, v);
        if (strtod(e, NULL) == v) p = mid;
        else lo = mid + 1;
    }
    snprintf(e, sizeof e, "%.*e", p - 1, v);
    int exp = atoi(strchr(e, 'e') + 1);
    if (exp < -4 || exp >= 16) {
        snprintf(buf, n, "%s", e);
        return;
    }
    int decimals = p - 1 - exp;
    snprintf(buf, n, "%.*f", decimals > 0 ? decimals : 0, v);
}

/* The length of a valid UTF-8 sequence at p, or 0. */
static int utf8_len(const unsigned char *p)
{
    int n = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3
          : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 2 && p[0] < 0xc2) return 0;            /* overlong */
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80) return 0;
    return n;
}

void report_json_matrix(FILE *f, const char *key, const double *J, long m, long n)
{
    char b[64];
    fprintf(f, ", \"%s\": [", key);
    for (long i = 0; i < m; i++) {
        fputs(i ? ", [" : "[", f);
        for (long j = 0; j < n; j++) {
            report_fmt_json(b, sizeof b, J[i * n + j]);
            fprintf(f, "%s%s", j ? ", " : "", b);
        }
        fputs("]", f);
    }
    fputs("]", f);
}

void report_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x80) {
            int n = utf8_len(p);
            if (n == 0) { fputs("\\ufffd", f); continue; }   /* invalid: JSON must be UTF-8 */
            fwrite(p, 1, (size_t)n, f);
            p += n - 1;
            continue;
        }
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        case '\r': fputs("\\r", f); break;
        default:
            if (*p < 0x20) fprintf(f, "\\u%04x", *p);
            else fputc(*p, f);
        }
    }
    fputc('"', f);
}

int report_width(const Session *s)
{
    int w = 0;
    struct winsize ws;
    if (s->out == stdout && isatty(STDOUT_FILENO)) {
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) w = ws.ws_col;
        if (w <= 0 && getenv("COLUMNS")) w = atoi(getenv("COLUMNS"));
    }
    return w > 80 && w < 10000 ? w : 80;
}

int report_cols(const char *s)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80;      /* count lead bytes, not continuations */
    return n;
}

void report_shorten(char *buf, int cols)
{
    if (cols < 1 || report_cols(buf) <= cols) return;
    int n = 0;
    unsigned char *p = (unsigned char *)buf;
    for (; *p; p++) {
        if ((*p & 0xC0) == 0x80) continue;
        if (n++ == cols - 1) break;    /* room for the "…" */
    }
    /* "…" takes 3 bytes: at the end of ASCII text, give up one more */
    if (strlen((char *)p) < 3 && p > (unsigned char *)buf)
        do p--; while (p > (unsigned char *)buf && (*p & 0xC0) == 0x80);
    memcpy(p, "\xe2\x80\xa6", 4);   /* "…" and its NUL */
}

static void vtext(Session *s, const char *fmt, va_list ap)
{
    char *buf;
    if (vasprintf(&buf, fmt, ap) < 0) return;
    if (s->json) {
        fputs("{\"text\": ", s->out);
        report_json_string(s->out, buf);
        fputs("}\n", s->out);
    } else {
        fputs(buf, s->out);
        fputc('\n', s->out);
    }
    free(buf);
}

void report_text(Session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vtext(s, fmt, ap);
    va_end(ap);
}

/* Entries of a row, "1, 2, 3".  Unless full: a row of more than 12
 * entries is cut in the middle with "..." to at most the first and last
 * 5, fewer when that would not fit in `room` columns (at least one of
 * each end); a shorter row keeps every entry (a value is never hidden
 * from a small vector) and wraps onto lines indented by `cont` columns
 * when it is wider than room, as NumPy wraps at its line width. */
static void row_str(FILE *f, const double *x, long n, int digits, int full, int json, int room, int cont)
{
    char b[64];
    long keep = n;                       /* entries kept at each end, or n: all */
    int wrap = 0;
    if (!full && !json) {
        int len = 0;
        for (long c = 0; c < n && len <= room; c++) {
            report_fmt_value(b, sizeof b, x[c], digits);
            len += (c ? 2 : 0) + (int)strlen(b);
        }
        if (n > 12) {
            for (keep = 5; keep > 1; keep--) {
                len = 5;                         /* ", ..." */
                for (long c = 0; c < keep; c++) {
                    report_fmt_value(b, sizeof b, x[c], digits);
                    len += (c ? 2 : 0) + (int)strlen(b);
                    report_fmt_value(b, sizeof b, x[n - 1 - c], digits);
                    len += 2 + (int)strlen(b);
                }
                if (len <= room) break;
            }
        } else {
            wrap = len > room;
        }
    } else if (!full && n > 12) {
        keep = 5;
    }
    int col = 0;
    for (long c = 0; c < n; c++) {
        if (keep < n && c == keep && 2 * keep < n) {
            fputs(", ...", f);
            col += 5;
            c = n - keep - 1;
            continue;
        }
        if (json) report_fmt_json(b, sizeof b, x[c]);
        else report_fmt_value(b, sizeof b, x[c], digits);
        int w = (int)strlen(b);
        if (wrap && c && col + 2 + w > room) {
            fprintf(f, ",\n%*s%s", cont, "", b);
            col = w;
        } else {
            fprintf(f, "%s%s", c ? ", " : "", b);
            col += (c ? 2 : 0) + w;
        }
    }
}

/* v as text: rows fit in `cols` columns unless full (a value printed at
 * column `indent`, its later rows indented to match). */
static char *value_str(const Value *v, int digits, int full, int json, int indent, int cols)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    Shape sh = v->shape;
    if (sh.rank == 0) {
        char b[64];
        if (json) report_fmt_json(b, sizeof b, v->data[0]);
        else report_fmt_value(b, sizeof b, v->data[0], digits);
        fputs(b, f);
    } else if (sh.rank == 1) {
        fputc('[', f);
        row_str(f, v->data, sh.d[0], digits, full, json, cols - indent - 2, indent + 1);
        fputc(']', f);
    } else {
        long R = sh.d[0], C = sh.d[1];
        fputc('[', f);
        for (long r = 0; r < R; r++) {
            if (!full && R > 12 && r == 5) {
                if (!json) fprintf(f, ",\n%*s ...", indent, "");
                r = R - 6;
                continue;
            }
            if (r && json) fputs(", [", f);
            else if (r) fprintf(f, ",\n%*s [", indent, "");
            else fputc('[', f);
            row_str(f, v->data + r * C, C, digits, full, json, cols - indent - 5, indent + 2);
            fputc(']', f);
        }
        fputc(']', f);
    }
    fclose(f);
    return out;
}

char *report_value_str(const Value *v, int digits, int full, int indent)
{
    return value_str(v, digits, full, 0, indent, 80);
}

char *report_value_fit(const Value *v, int digits, int indent, int cols)
{
    return value_str(v, digits, 0, 0, indent, cols);
}

void report_value(Session *s, const Value *v)
{
    char *str = value_str(v, s->set.digits, s->json, s->json, 0, report_width(s));
    if (s->json) {
        fprintf(s->out, "{\"value\": %s", str);
        if (v->shape.rank == 1) fprintf(s->out, ", \"shape\": [%ld]", v->shape.d[0]);
        if (v->shape.rank == 2) fprintf(s->out, ", \"shape\": [%ld, %ld]", v->shape.d[0], v->shape.d[1]);
        fputs("}\n", s->out);
    } else if (s->color) {
        fprintf(s->out, "\033[1;36m%s\033[0m\n", str);   /* a value stands out at the prompt */
    } else {
        fprintf(s->out, "%s\n", str);
    }
    free(str);
}

void report_note(Session *s, const Loc *loc, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fflush(s->out);
    diag_print_note(s->err, loc, buf, s->color);
}

void report_error(Session *s, const Diag *d)
{
    fflush(s->out);
    diag_print(s->err, d, s->color);
    if (s->json && !ferror(s->out)) {   /* (not when stdout itself failed) */
        fputs("{\"error\": ", s->out);
        report_json_string(s->out, d->msg);
        fprintf(s->out, ", \"kind\": \"%s\"", diag_kind_name(d->kind));
        if (d->loc.src)
            fprintf(s->out, ", \"line\": %d, \"col\": %d", d->loc.line, d->loc.col);
        fputs("}\n", s->out);
    }
}

int report_span(const Loc *loc, const char **text)
{
    if (!loc->src || loc->end <= loc->beg) { *text = ""; return 0; }
    *text = loc->src->text + loc->beg;
    return loc->end - loc->beg;
}

/* The source text at loc on one line: comments dropped, each run of white
 * space one blank, cut to `max` bytes with "...". */
int report_flat_text(const Loc *loc, char *buf, size_t n, size_t max)
{
    const char *p;
    int len = report_span(loc, &p);
    size_t o = 0;
    int quoted = 0, blank = 0;
    if (max + 4 > n) max = n > 4 ? n - 4 : 0;
    for (int k = 0; k < len && o < max; k++) {
        char c = p[k];
        if (c == '"') quoted = !quoted;
        if (c == '#' && !quoted) {             /* a comment inside a continued line */
            while (k + 1 < len && p[k + 1] != '\n') k++;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            blank = o > 0;
            continue;
        }
        if (blank && o < max) buf[o++] = ' ';
        blank = 0;
        if (o < max) buf[o++] = c;
        if (o == max && k + 1 < len) {
            /* do not cut a UTF-8 sequence in two */
            while (o > 0 && ((unsigned char)buf[o - 1] & 0xC0) == 0x80) o--;
            if (o > 0 && ((unsigned char)buf[o - 1] & 0xC0) == 0xC0) o--;
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
    }
    buf[o] = '\0';
    return (int)o;
}

/* ---- grad ----------------------------------------------------------- */

static void json_num(FILE *f, const char *key, double v)
{
    char buf[64];
    report_fmt_json(buf, sizeof buf, v);
    fprintf(f, ", \"%s\": %s", key, buf);
}

/* The methods in display order, with their table headings and JSON keys. */
static const struct { unsigned bit; const char *head, *key; } methods[] = {
    { FD_CENTRAL, "central diff", "central" },
    { FD_FORWARD, "forward diff", "forward" },
    { FD_RIDDERS, "ridders", "ridders" },
    { FD_COMPLEX, "complex step", "complex" },
    { FD_DUAL, "dual", "dual" },
};
enum { NMETHODS = 5 };

static const FdEstimate *method(const FdResult *r, int m)
{
    return m == 0 ? &r->central : m == 1 ? &r->forward : m == 2 ? &r->ridders
         : m == 3 ? &r->cstep : &r->dual;
}

static long method_cost(const FdCost *c, int m)
{
    return m == 0 ? c->central : m == 1 ? c->forward : m == 2 ? c->ridders
         : m == 3 ? c->cstep : c->dual;
}

/* The estimate the mark and the difference column are judged against. */
static const FdEstimate *reference(const FdResult *r, int *m)
{
    for (int i = 0; i < NMETHODS; i++)
        if (method(r, i)->done) { if (m) *m = i; return method(r, i); }
    return NULL;
}

void report_fd_why(char *buf, size_t n, const FdResult *r)
{
    if (!r->why) { snprintf(buf, n, "%s", ""); return; }
    if (!r->cause[0]) { snprintf(buf, n, "%s", r->why); return; }
    char node[64] = "";
    if (r->why_node) report_flat_text(&r->why_node->loc, node, sizeof node, 40);
    if (node[0]) snprintf(buf, n, "%s: %s in %s", r->why, r->cause, node);
    else snprintf(buf, n, "%s: %s", r->why, r->cause);
}

static void grad_json(Session *s, const GradReport *g)
{
    FILE *f = s->out;
    char buf[64];
    fputs("{\"grad\": ", f);
    report_json_string(f, g->target);
    report_fmt_json(buf, sizeof buf, g->value);
    fprintf(f, ", \"value\": %s, \"partials\": [", buf);
    for (int i = 0; i < g->nrows; i++) {
        const GradRow *r = &g->rows[i];
        fputs(i ? ", {\"wrt\": " : "{\"wrt\": ", f);
        report_json_string(f, r->wrt);
        json_num(f, "backprop", r->bp);
        if (r->unchecked) {
            for (int m = 0; m < NMETHODS; m++)
                if (g->fd & methods[m].bit) fprintf(f, ", \"%s\": null", methods[m].key);
            fputs(", \"checked\": false}", f);
            continue;
        }
        for (int m = 0; m < NMETHODS; m++) {
            const FdEstimate *e = method(&r->fd, m);
            if (!e->done) continue;
            json_num(f, methods[m].key, e->value);
            if (m == 2) json_num(f, "ridders_err", e->err);
        }
        const FdEstimate *ref = reference(&r->fd, NULL);
        if (ref) {
            json_num(f, "abs_err", fabs(r->bp - ref->value));
            if (ref->one_sided)
                fprintf(f, ", \"one_sided\": %s", ref->one_sided > 0 ? "\"+\"" : "\"-\"");
            if (ref->kink || ref->jump) {
                /* a kink's one-sided slopes; a jump's values on each side */
                fprintf(f, ", \"%s\": {\"left\": ", ref->jump ? "jump" : "kink");
                report_fmt_json(buf, sizeof buf, ref->jump ? ref->fminus : ref->left);
                fprintf(f, "%s, \"right\": ", buf);
                report_fmt_json(buf, sizeof buf, ref->jump ? ref->fplus : ref->right);
                fprintf(f, "%s}", buf);
            }
            if (r->fd.trunc > 0) json_num(f, "trunc", r->fd.trunc);
        }
        fprintf(f, ", \"ok\": %s", r->fd.disagree ? "false" : "true");
        if (r->fd.why) {
            char why[200];
            report_fd_why(why, sizeof why, &r->fd);
            fputs(", \"why\": ", f);
            report_json_string(f, why);
        }
        fputs("}", f);
    }
    fputs("]", f);
    if (g->nsamples) {
        fputs(", \"sampled\": [", f);
        for (int i = 0; i < g->nsamples; i++) {
            const struct GradSample *m = &g->samples[i];
            fputs(i ? ", {\"name\": " : "{\"name\": ", f);
            report_json_string(f, m->name);
            fprintf(f, ", \"entries\": %ld, \"checked\": %ld", m->entries, m->checked);
            json_num(f, "max_abs_err", m->max_err);
            fprintf(f, ", \"ok\": %s}", m->mismatches ? "false" : "true");
        }
        fputs("]", f);
    }
    if (g->checked < g->entries)
        fprintf(f, ", \"entries\": %ld, \"checked\": %ld", g->entries, g->checked);
    fputs(", \"cost\": {\"backprop\": {\"forward\": 1, \"backward\": 1}", f);
    for (int m = 0; m < NMETHODS; m++)
        if (g->fd & methods[m].bit)
            fprintf(f, ", \"%s\": {\"forward\": %ld}", methods[m].key, method_cost(&g->cost, m));
    fputs("}}\n", f);
}

/* ---- the grad table as text: sized to the width budget ---------------- */

/* A row's cells as text, before the widths are known. */
typedef struct Cells {
    char bp[40], est[NMETHODS][40], diff[24];
    char notes[5][240];      /* "<-- MISMATCH", "kink: ...", each its own */
    char glue[5];            /* a note that follows the one before on its line */
    int nnotes;
} Cells;

/* prec >= 0: that many digits after the point, "1.168222e+00"; prec < 0:
 * -prec significant digits in the shortest form, "1.168" (the narrow
 * numbers of a table of many methods). */
static void num_cell(char *buf, size_t n, double v, int prec)
{
    if (prec < 0) report_fmt_value(buf, n, v, -prec);
    else if (isfinite(v)) snprintf(buf, n, "%.*e", prec, v);
    else report_fmt_value(buf, n, v, 6);
}

static void row_cells(const GradReport *g, const GradRow *r, int prec, int color, Cells *c)
{
    memset(c, 0, sizeof *c);
    num_cell(c->bp, sizeof c->bp, r->bp, prec);
#define NOTE(...) snprintf(c->notes[c->nnotes++], sizeof c->notes[0], __VA_ARGS__)
    const char *red = color ? "\033[1;31m" : "", *off = color ? "\033[0m" : "";
    if (r->unchecked) { NOTE("(not checked: set maxcheck)"); return; }
    for (int m = 0; m < NMETHODS; m++) {
        const FdEstimate *e = method(&r->fd, m);
        if (!(g->fd & methods[m].bit) || !e->done) continue;
        if (e->failed) snprintf(c->est[m], sizeof c->est[m], "%s", "undefined");
        else num_cell(c->est[m], sizeof c->est[m], e->value, prec);
    }
    const FdEstimate *ref = reference(&r->fd, NULL);
    if (ref) {
        double diff = fabs(r->bp - ref->value);
        if (ref->failed || !isfinite(diff)) snprintf(c->diff, sizeof c->diff, "%s", "-");
        else snprintf(c->diff, sizeof c->diff, "%.1e", diff);
        if (r->fd.why) {
            char why[200];
            report_fd_why(why, sizeof why, &r->fd);
            NOTE("%s<-- not ok:%s", red, off);
            c->glue[c->nnotes] = 1;          /* the reason follows the mark */
            NOTE("%s", why);
        } else if (r->fd.disagree) {
            NOTE("%s<-- MISMATCH%s", red, off);
        }
        if (ref->kink)
            NOTE("kink: left slope %.6g, right slope %.6g", ref->left, ref->right);
        if (ref->jump)
            NOTE("jump: f = %.6g on the left, %.6g on the right", ref->fminus, ref->fplus);
        if (ref->one_sided)
            NOTE("(one-sided: p %c h is outside the domain)", ref->one_sided > 0 ? '-' : '+');
        else if (ref->edge_h > 0)
            NOTE("(a step of %.1e leaves the domain: h shrunk to %.1e)", ref->edge_h, ref->h);
        if (r->fd.trunc > 0 && !r->fd.disagree && c->nnotes < 4)
            NOTE("(within its truncation error ~%.1e)", r->fd.trunc);
    }
    if (r->fd.ridders.done && !r->fd.ridders.failed && c->nnotes < 4)
        NOTE("(ridders error ~%.1e)", r->fd.ridders.err);
    if (r->unused && c->nnotes < 4) NOTE("(%s does not use %s)", g->target, r->wrt);
#undef NOTE
}

/* The columns' widths for `prec` digits after the point: the table's
 * width.  Headings shrink to their short form when the cells are
 * narrower. */
typedef struct Layout {
    int prec, wrt, bp, est[NMETHODS], diff, total, ref;
    const char *head[NMETHODS], *diffhead;
} Layout;

static const char *const short_head[NMETHODS] = { "central", "forward", "ridders", "complex", "dual" };

static int visible(const GradReport *g, const GradRow *r)
{
    return !(r->unchecked && strchr(r->wrt, '[') && !g->all);
}

static void layout(const GradReport *g, int prec, int color, Layout *L)
{
    memset(L, 0, sizeof *L);
    L->prec = prec;
    L->wrt = 3;
    L->bp = 8;
    L->ref = -1;
    for (int m = 0; m < NMETHODS; m++)
        if ((g->fd & methods[m].bit) && L->ref < 0) L->ref = m;
    int cellw = 0;
    for (int i = 0; i < g->nrows; i++) {
        const GradRow *r = &g->rows[i];
        if (!visible(g, r)) continue;
        Cells c;
        row_cells(g, r, prec, color, &c);
        int l = (int)strlen(r->wrt);
        if (l > L->wrt) L->wrt = l;
        if ((int)strlen(c.bp) > L->bp) L->bp = (int)strlen(c.bp);
        for (int m = 0; m < NMETHODS; m++)
            if ((int)strlen(c.est[m]) > cellw) cellw = (int)strlen(c.est[m]);
        if ((int)strlen(c.diff) > L->diff) L->diff = (int)strlen(c.diff);
    }
    L->total = 2 + L->wrt + 2 + L->bp;
    for (int m = 0; m < NMETHODS; m++) {
        if (!(g->fd & methods[m].bit)) continue;
        L->head[m] = (int)strlen(methods[m].head) <= cellw ? methods[m].head : short_head[m];
        L->est[m] = cellw > (int)strlen(L->head[m]) ? cellw : (int)strlen(L->head[m]);
        L->total += 2 + L->est[m];
    }
    if (L->ref >= 0) {
        static char head[32];
        snprintf(head, sizeof head, "|bp - %s|", methods[L->ref].key);
        L->diffhead = head;
        if (L->total + 2 + (int)strlen(head) > 80 && L->diff <= 10) L->diffhead = "|bp - est|";
        if (L->diff < (int)strlen(L->diffhead)) L->diff = (int)strlen(L->diffhead);
        L->total += 2 + L->diff;
    }
}

/* One row: its cells, and its notes after them while they fit, else on
 * lines of their own below it. */
static void print_row(FILE *f, const GradReport *g, const GradRow *r, const Layout *L,
                      int width, int color)
{
    Cells c;
    row_cells(g, r, L->prec, color, &c);
    char line[1024], name[100];
    snprintf(name, sizeof name, "%s", r->wrt);
    report_shorten(name, L->wrt);           /* a long name, when the table is too wide */
    int o = snprintf(line, sizeof line, "  %s%*s  %*s", name, L->wrt - report_cols(name), "",
                     L->bp, c.bp);
    for (int m = 0; m < NMETHODS; m++)
        if (g->fd & methods[m].bit)
            o += snprintf(line + o, sizeof line - (size_t)o, "  %*s", L->est[m], c.est[m]);
    if (L->ref >= 0)
        o += snprintf(line + o, sizeof line - (size_t)o, "  %*s", L->diff, c.diff);
    while (o > 0 && line[o - 1] == ' ') line[--o] = '\0';   /* an unchecked row's blanks */
    int col = report_cols(line), k = 0;
    int esc = color ? 11 : 0;    /* a coloured note's escapes take no columns */
    for (; k < c.nnotes; k++) {
        int nl = report_cols(c.notes[k]) - (c.notes[k][0] == '\033' ? esc : 0);
        /* the mark stays on its row whatever the width */
        if (col + 2 + nl > width && !(k == 0 && c.notes[k][strlen(c.notes[k]) - 1 - (color ? 4 : 0)] == ':'))
            break;
        o += snprintf(line + o, sizeof line - (size_t)o, c.glue[k] ? " %s" : "  %s", c.notes[k]);
        col += 2 + nl;
    }
    fprintf(f, "%s\n", line);
    for (; k < c.nnotes; k++) {          /* the rest, under the row, wrapped at blanks */
        const char *p = c.notes[k];
        while (*p) {
            int room = width - 6, cut = 0, cols = 0, i = 0;
            for (; p[i] && cols < room; i++) {
                if (p[i] == ' ') cut = i;
                cols += ((unsigned char)p[i] & 0xC0) != 0x80;
            }
            if (!p[i] || !cut) cut = i;
            while (p[cut] && ((unsigned char)p[cut] & 0xC0) == 0x80) cut++;
            fprintf(f, "      %.*s\n", cut, p);
            p += cut;
            while (*p == ' ') p++;
        }
    }
}

/* Whether a row matters in a summary: it is not ok, or has a kink or jump. */
static int row_matters(const GradRow *r)
{
    const FdEstimate *ref = reference(&r->fd, NULL);
    return !r->unchecked && (r->fd.disagree || r->fd.why || (ref && (ref->kink || ref->jump)));
}

static double row_err(const GradRow *r)
{
    const FdEstimate *ref = reference(&r->fd, NULL);
    if (r->unchecked || !ref || ref->failed) return -1;
    double e = fabs(r->bp - ref->value);
    return isfinite(e) ? e : INFINITY;
}

/* The length of a tensor's rows from row i: the rows that share its name
 * before the "[". */
static int group_len(const GradReport *g, int i)
{
    const char *a = g->rows[i].wrt, *br = strchr(a, '[');
    if (!br) return 1;
    size_t n = (size_t)(br - a) + 1;
    int j = i + 1;
    while (j < g->nrows && strncmp(g->rows[j].wrt, a, n) == 0) j++;
    return j - i;
}

enum { SCREEN_ROWS = 24, WORST_ROWS = 3 };

/* A tensor's rows in a summary: one line (entries, checked, the worst
 * |bp - estimate| and where, mismatches), then the rows that matter and
 * the worst few. */
static void print_group(FILE *f, const GradReport *g, int i, int len, const Layout *L,
                        int width, int color)
{
    long checked = 0;
    int bad = 0, worst = -1;
    for (int j = i; j < i + len; j++) {
        const GradRow *r = &g->rows[j];
        if (r->unchecked) continue;
        checked++;
        bad += r->fd.disagree;
        if (worst < 0 || row_err(r) > row_err(&g->rows[worst])) worst = j;
    }
    char name[96], line[300];
    snprintf(name, sizeof name, "%.*s", (int)(strchr(g->rows[i].wrt, '[') - g->rows[i].wrt),
             g->rows[i].wrt);
    /* "|bp - est|" goes first when the line would not fit: the count of
     * mismatches, at its end, is what must not be cut */
    for (int terse = 0; terse < 2; terse++) {
        int o = snprintf(line, sizeof line, "  %s: %d entries, %ld checked", name, len, checked);
        if (worst >= 0)
            o += snprintf(line + o, sizeof line - (size_t)o, ", worst %s%.1e at %s",
                          terse ? "" : "|bp - est| ", row_err(&g->rows[worst]), g->rows[worst].wrt);
        snprintf(line + o, sizeof line - (size_t)o, ", %d mismatch%s", bad, bad == 1 ? "" : "es");
        if (report_cols(line) <= width) break;
    }
    report_shorten(line, width);
    fprintf(f, "%s\n", line);
    /* the worst few by error, then every row that matters, in order */
    int pick[WORST_ROWS], np = 0;
    for (int j = i; j < i + len; j++) {
        double e = row_err(&g->rows[j]);
        if (e < 0) continue;
        if (np < WORST_ROWS) pick[np++] = j;
        else if (e > row_err(&g->rows[pick[np - 1]])) pick[np - 1] = j;
        else continue;
        for (int q = np - 1; q > 0 && row_err(&g->rows[pick[q - 1]]) < row_err(&g->rows[pick[q]]); q--) {
            int t = pick[q]; pick[q] = pick[q - 1]; pick[q - 1] = t;
        }
    }
    for (int j = i; j < i + len; j++) {
        int show = row_matters(&g->rows[j]);
        for (int q = 0; q < np; q++) show |= pick[q] == j;
        if (show) print_row(f, g, &g->rows[j], L, width, color);
    }
}

void report_grad(Session *s, const GradReport *g)
{
    if (s->json) {
        grad_json(s, g);
        return;
    }
    FILE *f = s->out;
    int width = report_width(s);
    char v[64], head[1024];
    report_fmt_value(v, sizeof v, g->value, s->set.digits);
    /* the header: the definition shortened with "…" so the value shows */
    if (g->def) {
        char def[512];
        snprintf(def, sizeof def, "%s", g->def);
        report_shorten(def, width - report_cols(g->target) - report_cols(v) - 6);
        snprintf(head, sizeof head, "%s = %s = %s", g->target, def, v);
    } else {
        char tg[512];
        snprintf(tg, sizeof tg, "%s", g->target);
        report_shorten(tg, width - report_cols(v) - 3);
        snprintf(head, sizeof head, "%s = %s", tg, v);
    }
    fprintf(f, "%s\n", head);
    if (g->nrows == 0) {
        fprintf(f, "  (%s depends on no parameters: nothing to differentiate)\n", g->target);
        return;
    }
    /* the widest number format that fits the width, down to 3 digits, then
     * 4 and 3 significant digits in %g's shortest form (five methods) */
    Layout L;
    for (int prec = 6; prec >= 3; prec--) {
        layout(g, prec, s->color, &L);
        if (L.total <= width) break;
    }
    /* still too wide when the names give way (below): %g's digits */
    for (int prec = -4; prec <= -3 && L.total - (L.wrt > 8 ? L.wrt - 8 : 0) > width; prec++)
        layout(g, prec, s->color, &L);
    if (L.total > width && L.wrt > 8) {       /* then the names give way */
        int cut = L.total - width < L.wrt - 8 ? L.total - width : L.wrt - 8;
        L.wrt -= cut;
        L.total -= cut;
    }
    fprintf(f, "  %-*s  %*s", L.wrt, "wrt", L.bp, "backprop");
    for (int m = 0; m < NMETHODS; m++)
        if (g->fd & methods[m].bit) fprintf(f, "  %*s", L.est[m], L.head[m]);
    if (L.ref >= 0) fprintf(f, "  %*s", L.diff, L.diffhead);
    fputc('\n', f);
    int nvis = 0;
    for (int i = 0; i < g->nrows; i++) nvis += visible(g, &g->rows[i]);
    int summary = !g->all && nvis > SCREEN_ROWS, cut = 0;
    for (int i = 0; i < g->nrows;) {
        int len = group_len(g, i);
        if (summary && len > WORST_ROWS + 1) {
            print_group(f, g, i, len, &L, width, s->color);
            cut = 1;
        } else {
            for (int j = i; j < i + len; j++)
                if (visible(g, &g->rows[j])) print_row(f, g, &g->rows[j], &L, width, s->color);
        }
        i += len;
    }
    if (cut) fprintf(f, "  (the rows that matter and the worst few: grad %s all for every row)\n",
                     g->target);
    /* each tensor's gradient as an aligned matrix, when it fits */
    for (int k = 0; k < g->nblocks && !summary; k++) {
        const struct GradBlock *b = &g->blocks[k];
        long R = b->shape.rank == 2 ? b->shape.d[0] : 1;
        long C = b->shape.rank == 2 ? b->shape.d[1] : b->shape.d[0];
        if (R > 20 || 6 + C * 15 > width) continue;   /* rows of 14-wide entries */
        char sh[48];
        shape_str(b->shape, sh, sizeof sh);
        fprintf(f, "  d%s/d%s, by backprop, as the %s %s:\n", g->target, b->name,
                b->shape.rank == 2 ? "matrix" : "vector", sh);
        for (long r = 0; r < R; r++) {
            fputs(r == 0 ? (R > 1 ? "    [[" : "    [") : "     [", f);
            for (long c = 0; c < C; c++)
                fprintf(f, "%s%13.6e", c ? ", " : "", g->rows[b->first + r * C + c].bp);
            fputs(r == R - 1 ? (R > 1 ? "]]\n" : "]\n") : "],\n", f);
        }
    }
    for (int i = 0; i < g->nsamples; i++) {
        const struct GradSample *m = &g->samples[i];
        char line[300];
        snprintf(line, sizeof line, "  %s: %ld entries, %ld checked at random (set maxcheck), "
                 "max |bp - est| %.1e%s", m->name, m->entries, m->checked, m->max_err,
                 m->mismatches ? "  <-- MISMATCH" : "");
        report_shorten(line, width);
        fprintf(f, "%s\n", line);
    }
    if (g->checked < g->entries && !(g->nsamples == 1 && g->samples[0].entries == g->entries))
        fprintf(f, "  %ld entries, %ld checked at random (seeded: set maxcheck, seed)\n",
                g->entries, g->checked);
    /* the cost line, one line in short words: passes of each method */
    char cost[2][300];
    for (int k = 0; k < 2; k++) {       /* "central 6 fwd; forward 4 fwd", or shorter */
        int o = snprintf(cost[k], sizeof cost[k], "cost: backprop 1 fwd + 1 bwd;"), first = 1;
        for (int m = 0; m < NMETHODS; m++)
            if (g->fd & methods[m].bit) {
                o += snprintf(cost[k] + o, sizeof cost[k] - (size_t)o, "%s %s %ld%s",
                              first || k == 0 ? "" : ",", short_head[m], method_cost(&g->cost, m),
                              k == 0 ? " fwd;" : "");
                first = 0;
            }
        if (k == 0) cost[k][o - 1] = '\0';            /* the last ";" */
        else if (!first) snprintf(cost[k] + o, sizeof cost[k] - (size_t)o, " fwd");
    }
    if (report_cols(cost[0]) <= width) fprintf(f, "%s\n", cost[0]);
    else if (report_cols(cost[1]) <= width) fprintf(f, "%s\n", cost[1]);
    else {   /* many methods: two lines, cut after the last comma that fits */
        char *cut = NULL;
        for (char *p = strchr(cost[1], ','); p; p = strchr(p + 1, ','))
            if (report_cols(cost[1]) - report_cols(p) + 1 <= width) cut = p;
        if (cut) fprintf(f, "%.*s\n  %s\n", (int)(cut - cost[1] + 1), cost[1], cut + 2);
        else fprintf(f, "%s\n", cost[1]);
    }
}
