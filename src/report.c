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

/* Entries of a row, "1, 2, 3", cut to the first and last 5 unless full. */
static void row_str(FILE *f, const double *x, long n, int digits, int full, int json)
{
    char b[64];
    for (long c = 0; c < n; c++) {
        if (!full && n > 12 && c == 5) {
            fputs(", ...", f);
            c = n - 6;
            continue;
        }
        if (json) report_fmt_json(b, sizeof b, x[c]);
        else report_fmt_value(b, sizeof b, x[c], digits);
        fprintf(f, "%s%s", c ? ", " : "", b);
    }
}

static char *value_str(const Value *v, int digits, int full, int json, int indent)
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
        row_str(f, v->data, sh.d[0], digits, full, json);
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
            row_str(f, v->data + r * C, C, digits, full, json);
            fputc(']', f);
        }
        fputc(']', f);
    }
    fclose(f);
    return out;
}

char *report_value_str(const Value *v, int digits, int full, int indent)
{
    return value_str(v, digits, full, 0, indent);
}

void report_value(Session *s, const Value *v)
{
    char *str = value_str(v, s->set.digits, s->json, s->json, 0);
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

static void cell(char *buf, size_t n, const FdEstimate *e)
{
    if (!e->done) snprintf(buf, n, "%s", "");
    else if (e->failed) snprintf(buf, n, "%s", "undefined");
    else if (!isfinite(e->value)) report_fmt_value(buf, n, e->value, 6);
    else snprintf(buf, n, "%.6e", e->value);
}

void report_grad(Session *s, const GradReport *g)
{
    if (s->json) {
        grad_json(s, g);
        return;
    }
    FILE *f = s->out;
    char v[64];
    report_fmt_value(v, sizeof v, g->value, s->set.digits);
    if (g->def)
        fprintf(f, "%s = %s = %s\n", g->target, g->def, v);
    else
        fprintf(f, "%s = %s\n", g->target, v);
    if (g->nrows == 0) {
        fprintf(f, "  (%s depends on no parameters: nothing to differentiate)\n", g->target);
        return;
    }
    int w = 3, ref_m = -1;
    for (int i = 0; i < g->nrows; i++) {
        int l = (int)strlen(g->rows[i].wrt);
        if (l > w) w = l;
    }
    for (int m = 0; m < NMETHODS && ref_m < 0; m++)
        if (g->fd & methods[m].bit) ref_m = m;
    fprintf(f, "  %-*s  %14s", w, "wrt", "backprop");
    for (int m = 0; m < NMETHODS; m++)
        if (g->fd & methods[m].bit) fprintf(f, "  %14s", methods[m].head);
    if (ref_m >= 0) {
        char head[32];
        snprintf(head, sizeof head, "|bp - %s|", methods[ref_m].key);
        fprintf(f, "  %14s", head);
    }
    fputc('\n', f);
    const char *red = s->color ? "\033[1;31m" : "", *off = s->color ? "\033[0m" : "";
    for (int i = 0; i < g->nrows; i++) {
        const GradRow *r = &g->rows[i];
        char b[64], c[64], d[64];
        if (isfinite(r->bp)) snprintf(b, sizeof b, "%.6e", r->bp);
        else report_fmt_value(b, sizeof b, r->bp, 6);
        fprintf(f, "  %-*s  %14s", w, r->wrt, b);
        if (r->unchecked) {
            for (int m = 0; m < NMETHODS; m++)
                if (g->fd & methods[m].bit) fprintf(f, "  %14s", "");
            fprintf(f, "  %14s  (not checked: set maxcheck)\n", "");
            continue;
        }
        for (int m = 0; m < NMETHODS; m++) {
            if (!(g->fd & methods[m].bit)) continue;
            cell(c, sizeof c, method(&r->fd, m));
            fprintf(f, "  %14s", c);
        }
        const FdEstimate *ref = reference(&r->fd, NULL);
        if (ref) {
            double diff = fabs(r->bp - ref->value);
            if (ref->failed || !isfinite(diff)) snprintf(d, sizeof d, "%s", "-");
            else snprintf(d, sizeof d, "%.1e", diff);
            fprintf(f, "  %14s", d);
            if (r->fd.why) {
                char why[200];
                report_fd_why(why, sizeof why, &r->fd);
                fprintf(f, "  %s<-- not ok: %s%s", red, why, off);
            } else if (r->fd.disagree) {
                fprintf(f, "  %s<-- MISMATCH%s", red, off);
            }
            if (ref->kink)
                fprintf(f, "  kink: left slope %.6g, right slope %.6g", ref->left, ref->right);
            if (ref->jump)
                fprintf(f, "  jump: f = %.6g on the left, %.6g on the right", ref->fminus, ref->fplus);
            if (ref->one_sided)
                fprintf(f, "  (one-sided: p %c h is outside the domain)",
                        ref->one_sided > 0 ? '-' : '+');
            if (ref->edge_h > 0)
                fprintf(f, "  (a step of %.1e leaves the domain: h shrunk to %.1e)", ref->edge_h, ref->h);
            if (r->fd.trunc > 0 && !r->fd.disagree)
                fprintf(f, "  (within its truncation error ~%.1e)", r->fd.trunc);
        }
        if (r->fd.ridders.done && !r->fd.ridders.failed)
            fprintf(f, "  (ridders error ~%.1e)", r->fd.ridders.err);
        if (r->unused) fprintf(f, "  (%s does not use %s)", g->target, r->wrt);
        fputc('\n', f);
    }
    /* each tensor's gradient as an aligned matrix, when it fits */
    int width = 80;
    struct winsize ws;
    if (s->out == stdout && isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
        ws.ws_col > 0)
        width = ws.ws_col;
    for (int k = 0; k < g->nblocks; k++) {
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
        fprintf(f, "  %s: %ld entries, %ld checked (a random sample, set maxcheck), "
                   "max |bp - estimate| = %.1e%s\n", m->name, m->entries, m->checked, m->max_err,
                m->mismatches ? "  <-- MISMATCH" : "");
    }
    if (g->checked < g->entries && !(g->nsamples == 1 && g->samples[0].entries == g->entries))
        fprintf(f, "  %ld entries, %ld checked by finite differences (a random sample, seeded: "
                   "set maxcheck, set seed)\n", g->entries, g->checked);
    fprintf(f, "cost: backprop 1 forward + 1 backward");
    static const char *const cname[] = { "central diff", "forward diff", "ridders", "complex step",
                                         "dual" };
    for (int m = 0; m < NMETHODS; m++)
        if (g->fd & methods[m].bit)
            fprintf(f, "; %s %ld forward", cname[m], method_cost(&g->cost, m));
    if (g->checked < g->entries)
        fprintf(f, " (%ld of %ld entries checked)", g->checked, g->entries);
    fputc('\n', f);
}
