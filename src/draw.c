/* draw.c: `graph` (a tree in the terminal) and `dot` (Graphviz DOT).
 *
 * Both are loops over the tape: the slots reachable from the root are
 * found by one backward sweep (the tape is in topological order, so every
 * user comes after its inputs), the users of each slot are counted in the
 * same sweep, and the tree is walked with an explicit stack of frames, so
 * the depth of the graph never touches the C stack. */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>
#include "draw.h"
#include "plot.h"
#include "ops.h"
#include "report.h"
#include "xalloc.h"

extern char **environ;

enum { LABEL_MAX = 60 };   /* bytes of source text in a label */

/* ---- the tape as a graph -------------------------------------------- */

/* How many inputs slot i has. */
static int nkids(const Tape *t, int i)
{
    switch (t->op[i]) {
    case OP_STACK: return t->b[i];
    case OP_INDEX: return 1;
    default:
        if (op_info[t->op[i]].arity == 2) return t->b[i] >= 0 ? 2 : 1;
        return op_info[t->op[i]].arity == 1 && t->a[i] >= 0;
    }
}

/* Input k of slot i. */
static int kid(const Tape *t, int i, int k)
{
    if (t->op[i] == OP_STACK) return t->args[t->a[i] + k];
    return k == 0 ? t->a[i] : t->b[i];
}

/* Mark the slots reachable from the root and count each one's users among
 * them (a slot used twice by one user counts twice).  One backward sweep:
 * every user has a higher slot than its inputs.  Returns how many slots
 * are reachable. */
static int sweep_reach(const Tape *t, unsigned char *reach, int *users)
{
    int count = 0;
    reach[t->root] = 1;
    for (int i = t->root; i >= 0; i--) {
        if (!reach[i]) continue;
        count++;
        for (int k = 0, nk = nkids(t, i); k < nk; k++) {
            int c = kid(t, i, k);
            if (c < 0 || c >= i) continue;   /* not an input: never in a valid tape */
            reach[c] = 1;
            users[c]++;
        }
    }
    return count;
}

/* ---- labels ---------------------------------------------------------- */


/* What slot i is called: "z = w*x + b" (a formula), "w" (a parameter or
 * const), else its source text ("w*x"), or its operation when there is
 * none. */
static void slot_label(const Tape *t, int i, char *buf, size_t n)
{
    char span[LABEL_MAX + 8];
    const Entry *e = tape_name(t, i);
    if (e) {
        if (e->kind == ENT_FORMULA && e->expr) {
            report_flat_text(&e->expr->loc, span, sizeof span, LABEL_MAX);
            snprintf(buf, n, "%s = %s", e->name, span);
        } else {
            snprintf(buf, n, "%s", e->name);
        }
        return;
    }
    span[0] = '\0';
    if (tape_label_src(t, i)) report_flat_text(&tape_label_src(t, i)->loc, span, sizeof span, LABEL_MAX);
    switch (t->op[i]) {
    case OP_NUM:
        if (span[0]) snprintf(buf, n, "%s", span);
        else if (tape_shape(t, i).rank == 0) report_fmt_value(buf, n, tape_val(t, i)[0], 17);
        else snprintf(buf, n, "constant");
        break;
    case OP_NEG:
        snprintf(buf, n, "%s", span[0] ? span : "neg");
        break;
    default:   /* as written (w*x), which reads better than the bare operator */
        snprintf(buf, n, "%s", span[0] ? span : op_info[t->op[i]].name);
    }
}

/* The root's label: every name the root has, outermost first, so that
 * `graph f` after `f = g` shows "f = g = sin(x)". */
static void root_label(const Tape *t, char *buf, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int k = t->nnamed - 1; k >= 0; k--) {
        const Entry *e = t->named[k];
        if (t->named_slot[k] != t->root || e == tape_name(t, t->root)) continue;
        o += snprintf(buf + o, o < n ? n - o : 0, "%s = ", e->name);
        if (o >= n) { o = n - 1; break; }
    }
    slot_label(t, t->root, buf + o, n - o);
}

/* A slot's value (or gradient): `digits` significant digits, or a
 * tensor's shape. */
static void slot_number(const Tape *t, int i, const double *v, int digits, char *buf, size_t n)
{
    if (tape_shape(t, i).rank == 0) report_fmt_value(buf, n, v[0], digits);
    else shape_str(tape_shape(t, i), buf, n);
}

/* ---- graph: the tree in the terminal ---------------------------------- */

typedef struct Glyphs { const char *tee, *elbow, *bar, *gap; } Glyphs;
static const Glyphs glyphs_utf8 = { "\u251c\u2500\u2500 ", "\u2514\u2500\u2500 ", "\u2502   ", "    " };
static const Glyphs glyphs_ascii = { "|-- ", "`-- ", "|   ", "    " };

/* Box-drawing characters or ASCII: as the plots decide (plot.h). */
static int use_utf8(void)
{
    return plot_utf8();
}

typedef struct Line { char buf[4000]; size_t n; } Line;

static void put(Line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(Line *l, const char *fmt, ...)
{
    if (l->n >= sizeof l->buf - 1) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(l->buf + l->n, sizeof l->buf - l->n, fmt, ap);
    va_end(ap);
    if (k > 0) l->n += (size_t)k;
    if (l->n > sizeof l->buf - 1) l->n = sizeof l->buf - 1;
}

/* "label #N = value   grad g", the label shortened with "…" when the
 * line would run past `width` columns (the numbers always show). */
static void put_node(Line *l, const Tape *t, int i, int tag, int with_grad, int digits, int width)
{
    char label[LABEL_MAX + 200], num[64];
    Line rest;
    rest.n = 0;
    rest.buf[0] = '\0';
    l->buf[l->n] = '\0';    /* (no prefix yet at the root) */
    if (i == t->root) root_label(t, label, sizeof label);
    else slot_label(t, i, label, sizeof label);
    if (tag) put(&rest, " #%d", i);
    slot_number(t, i, tape_val(t, i), digits, num, sizeof num);
    if (tape_shape(t, i).rank != 0) put(&rest, " : %s", num);
    else if (t->op[i] != OP_NUM || tape_name(t, i) || strcmp(label, num) != 0) put(&rest, " = %s", num);
    if (with_grad) {
        slot_number(t, i, tape_grad(t, i), digits, num, sizeof num);
        put(&rest, "   grad %s", num);
    }
    int room = width - report_cols(l->buf) - report_cols(rest.buf);
    report_shorten(label, room > 12 ? room : 12);
    put(l, "%s%s", label, rest.buf);
}

/* The indentation of a line at visual level vd (1..DRAW_MAX_INDENT):
 * a bar for each open ancestor, a gap for each finished one. */
static void put_prefix(Line *l, const Glyphs *g, const char *last, int vd)
{
    for (int k = 1; k < vd; k++)
        put(l, "%s", last[k] ? g->gap : g->bar);
}

typedef struct Frame { int slot, depth, next, nk; } Frame;

void draw_graph(Session *s, const Tape *t, int with_grad)
{
    if (!t || t->n == 0 || t->root < 0) return;
    const Glyphs *g = use_utf8() ? &glyphs_utf8 : &glyphs_ascii;
    int n = t->root + 1, digits = s->set.digits, width = report_width(s);
    unsigned char *reach = xcalloc((size_t)n, 1), *drawn = xcalloc((size_t)n, 1);
    int *users = xcalloc((size_t)n, sizeof *users);
    int nodes = sweep_reach(t, reach, users);
    char last[DRAW_MAX_INDENT + 1] = { 0 };
    Frame *st = NULL;
    int ns = 0, cap = 0;
    long lines = 0;
    int cut = 0;
    Line l;

    l.n = 0;
    put_node(&l, t, t->root, 0, with_grad, digits, width);
    report_text(s, "%s", l.buf);
    lines++;
    drawn[t->root] = 1;
    if (nkids(t, t->root) > 0) {
        xgrow((void **)&st, &cap, ns + 1, sizeof *st);
        st[ns++] = (Frame){ t->root, 0, 0, nkids(t, t->root) };
    }
    while (ns > 0) {
        Frame *f = &st[ns - 1];
        if (f->next == f->nk) { ns--; continue; }
        if (lines >= DRAW_MAX_LINES) { cut = 1; break; }
        int c = kid(t, f->slot, f->next++);
        int depth = f->depth + 1, is_last = f->next == f->nk;
        int vd = depth > DRAW_MAX_INDENT ? DRAW_MAX_INDENT : depth;
        if (depth == DRAW_MAX_INDENT + 1) {
            l.n = 0;
            put_prefix(&l, g, last, vd);
            put(&l, "%s... deeper than %d levels: drawn from here without further indentation",
                last[vd] ? g->gap : g->bar, DRAW_MAX_INDENT);
            report_text(s, "%s", l.buf);
            lines++;
        }
        last[vd] = (char)is_last;
        l.n = 0;
        put_prefix(&l, g, last, vd);
        put(&l, "%s", is_last ? g->elbow : g->tee);
        if (drawn[c]) {
            if (tape_name(t, c)) put(&l, "(see above: %s)", tape_name(t, c)->name);
            else put(&l, "(see above: #%d)", c);
        } else {
            drawn[c] = 1;
            put_node(&l, t, c, !tape_name(t, c) && users[c] > 1, with_grad, digits, width);
            int nk = nkids(t, c);
            if (nk > 0) {
                xgrow((void **)&st, &cap, ns + 1, sizeof *st);
                st[ns++] = (Frame){ c, depth, 0, nk };
            }
        }
        report_text(s, "%s", l.buf);
        lines++;
    }
    if (cut)
        report_text(s, "... cut at %d lines: the graph has %d nodes (dot draws all of them)",
                    DRAW_MAX_LINES, nodes);
    free(st);
    free(reach);
    free(drawn);
    free(users);
}

/* ---- dot: Graphviz --------------------------------------------------- */

/* s with the characters that mean something in a record label (or, with
 * record 0, in a quoted string) escaped. */
static void dot_escape(const char *s, int record, char *buf, size_t n)
{
    size_t o = 0;
    for (; *s && o + 3 < n; s++) {
        int special = *s == '"' || *s == '\\' ||
                      (record && strchr("{}|<>", *s) != NULL);
        if (special) buf[o++] = '\\';
        buf[o++] = (*s == '\n' || *s == '\r') ? ' ' : *s;
    }
    buf[o] = '\0';
}

/* Where the DOT lines go: the session's output, or a file. */
typedef struct DotOut { Session *s; FILE *f; } DotOut;

static void dot_line(DotOut *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dot_line(DotOut *o, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (o->f) {
        fputs(buf, o->f);
        fputc('\n', o->f);
    } else {
        report_text(o->s, "%s", buf);
    }
}

/* The gradient flowing from slot i into its input k, when it is one
 * number: upstream ∂f/∂i times the local derivative, as the scalar rule
 * adds it (the rule is run on zeroed accumulators).  Returns 0 when the
 * edge carries a tensor (or a kernel's rule). */
static int edge_grad(const Tape *t, int i, int k, double *out)
{
    const OpInfo *o = &op_info[t->op[i]];
    int in = kid(t, i, k);
    if (t->op[i] == OP_STACK) {
        if (tape_shape(t, in).rank != 0) return 0;
        *out = tape_grad(t, i)[k];
        return 1;
    }
    if (o->kbwd || !o->bwd || tape_shape(t, i).rank != 0) return 0;
    double ga = 0, gb = 0, g = tape_grad(t, i)[0];
    double va = tape_val(t, t->a[i])[0];
    double vb = o->arity == 2 ? tape_val(t, t->b[i])[0] : 0;
    o->bwd(&ga, o->arity == 2 ? &gb : NULL, g, va, vb, tape_val(t, i)[0]);
    *out = k == 0 ? ga : gb;
    return 1;
}

/* A number written in the formula (2 in 2*x): no name, no inputs. */
static int is_literal(const Tape *t, int i)
{
    return t->op[i] == OP_NUM && !tape_name(t, i);
}

static int is_const_leaf(const Tape *t, int i)
{
    const Entry *e = tape_name(t, i);
    return e && e->kind == ENT_CONST && nkids(t, i) == 0;
}

/* A slot's value (or gradient) in a DOT record: a number, a tensor of up
 * to DOT_ENTRIES entries written out (a row per line, 3 digits), or a
 * bigger tensor's shape. */
enum { DOT_ENTRIES = 16, DOT_NUM = 400 };
static void dot_number(const Tape *t, int i, const double *v, int digits, char *buf, size_t n)
{
    Shape sh = tape_shape(t, i);
    long size = shape_size(sh);
    if (sh.rank == 0 || size > DOT_ENTRIES || size == 0) {
        slot_number(t, i, v, digits, buf, n);
        return;
    }
    long cols = sh.rank == 1 ? size : sh.d[1];
    size_t o = 0;
    buf[0] = '\0';
    for (long k = 0; k < size && o + 40 < n; k++) {
        char num[32];
        report_fmt_value(num, sizeof num, v[k], 3);
        const char *sep = k == 0 ? "[" : k % cols == 0 ? "\\n " : ", ";
        o += (size_t)snprintf(buf + o, n - o, "%s%s%s", sep, num, k == size - 1 ? "]" : "");
    }
}

static void dot_write(DotOut *o, const Tape *t, int with_grad, int digits)
{
    int n = t->root + 1;
    unsigned char *reach = xcalloc((size_t)n, 1);
    int *users = xcalloc((size_t)n, sizeof *users);
    sweep_reach(t, reach, users);
    char label[LABEL_MAX + 200], esc[2 * (LABEL_MAX + 200)], val[DOT_NUM], grad[DOT_NUM];

    dot_line(o, "digraph bp {");
    /* top to bottom: a graph is as wide as it has inputs side by side, and
     * as tall as it is deep, which fits a 16:9 screen better than a strip */
    dot_line(o, "  rankdir=TB; ranksep=0.3; nodesep=0.25;");
    dot_line(o, "  node [fontname=\"Helvetica\", fontsize=11];");
    dot_line(o, "  edge [fontname=\"Helvetica\", fontsize=9];");
    for (int i = 0; i < n; i++) {
        if (!reach[i]) continue;
        int nk = nkids(t, i);
        const Entry *e = tape_name(t, i);
        /* the value: named, or the source text it computes */
        if (i == t->root) root_label(t, label, sizeof label);
        else if (e || nk == 0) slot_label(t, i, label, sizeof label);
        else if (tape_label_src(t, i)) report_flat_text(&tape_label_src(t, i)->loc, label, sizeof label, LABEL_MAX);
        else label[0] = '\0';
        dot_escape(label, 1, esc, sizeof esc);
        dot_number(t, i, tape_val(t, i), digits, val, sizeof val);
        if (is_literal(t, i)) {
            /* a number written in the formula: small, no box, no gradient */
            dot_escape(label, 0, esc, sizeof esc);
            dot_line(o, "  n%d [shape=plaintext, fontsize=9, fontcolor=\"gray25\", label=\"%s\"];", i, esc);
            continue;
        }
        int is_const = e && e->kind == ENT_CONST && nk == 0;
        const char *style = i == t->root ? ", style=\"bold,filled\", fillcolor=\"#fff2cc\""
                            : is_const ? ", style=\"filled,dashed\", fillcolor=\"gray92\""
                            : e && e->kind == ENT_PARAM ? ", style=filled, fillcolor=\"#dbe9f6\"" : "";
        if (with_grad && !is_const) {
            dot_number(t, i, tape_grad(t, i), digits, grad, sizeof grad);
            dot_line(o, "  n%d [shape=record%s, label=\"{ %s | data %s | grad %s }\"];",
                     i, style, esc, val, grad);
        } else {
            dot_line(o, "  n%d [shape=record%s, label=\"{ %s%s | data %s }\"];",
                     i, style, is_const ? "const " : "", esc, val);
        }
        if (nk == 0) continue;
        /* the operation, fed by the inputs, feeding the value */
        const char *opname = t->op[i] == OP_NEG ? "neg" : op_info[t->op[i]].name;
        dot_escape(opname, 0, esc, sizeof esc);
        dot_line(o, "  op%d [shape=ellipse, height=0.3, margin=0.03, fontsize=10, label=\"%s\"];", i, esc);
        for (int k = 0; k < nk; k++) {
            int c = kid(t, i, k);
            double eg;
            if (with_grad && !is_literal(t, c) && !is_const_leaf(t, c) && edge_grad(t, i, k, &eg)) {
                report_fmt_value(grad, sizeof grad, eg, digits);
                dot_line(o, "  n%d -> op%d [label=\"%s\"];", c, i, grad);
            } else {
                dot_line(o, "  n%d -> op%d;", c, i);
            }
        }
        dot_line(o, "  op%d -> n%d;", i, i);
    }
    dot_line(o, "}");
    free(reach);
    free(users);
}

/* Write the DOT text to path.  0, or E_IO with d filled. */
static int dot_to_file(const Tape *t, int with_grad, int digits, const char *path, FILE *f, Diag *d)
{
    DotOut o = { NULL, f };
    dot_write(&o, t, with_grad, digits);
    int bad = ferror(f);
    if (fclose(f) || bad)
        return diag_set(d, E_IO, NULL, "cannot write %s: %s", path, strerror(errno ? errno : EIO));
    return E_OK;
}

/* Run Graphviz: dot -T<fmt> -o <path> <dotfile>.  0, or E_IO with d filled. */
static int dot_render(const char *dotfile, const char *fmt, const char *path, Diag *d)
{
    char tflag[16];
    snprintf(tflag, sizeof tflag, "-T%s", fmt);
    char *argv[] = { "dot", tflag, "-o", (char *)path, (char *)dotfile, NULL };
    pid_t pid;
    int rc = posix_spawnp(&pid, "dot", NULL, NULL, argv, environ);
    int status = 0;
    if (rc == 0)
        while (waitpid(pid, &status, 0) < 0)
            if (errno != EINTR) { rc = errno; break; }
    if (rc == ENOENT || (rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 127))
        return diag_set(d, E_IO, NULL,
                        "Graphviz is not installed (no `dot` program found): install it with "
                        "`apt-get install graphviz`, or write the DOT text with dot f \"file.dot\", "
                        "which works without it");
    if (rc)
        return diag_set(d, E_IO, NULL, "cannot run Graphviz's dot: %s", strerror(rc));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return diag_set(d, E_IO, NULL, "Graphviz's dot failed to make %s (exit status %d)",
                        path, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return E_OK;
}

int draw_dot(Session *s, const Tape *t, int with_grad, const char *path, Diag *d)
{
    int digits = s->set.digits;
    if (!t || t->n == 0 || t->root < 0)
        return diag_set(d, E_USAGE, NULL, "nothing to draw");
    if (!path) {
        DotOut o = { s, NULL };
        dot_write(&o, t, with_grad, digits);
        return E_OK;
    }
    const char *ext = strrchr(path, '.');
    const char *fmt = NULL;
    if (ext && strchr(ext, '/') == NULL) {
        if (!strcasecmp(ext, ".svg")) fmt = "svg";
        else if (!strcasecmp(ext, ".png")) fmt = "png";
        else if (!strcasecmp(ext, ".pdf")) fmt = "pdf";
    }
    if (!fmt) {
        FILE *f = fopen(path, "w");
        if (!f) return diag_set(d, E_IO, NULL, "cannot write %s: %s", path, strerror(errno));
        return dot_to_file(t, with_grad, digits, path, f, d);
    }
    const char *dir = getenv("TMPDIR");
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/bp-dot-XXXXXX.dot", dir && *dir ? dir : "/tmp");
    int fd = mkstemps(tmp, 4);
    if (fd < 0)
        return diag_set(d, E_IO, NULL, "cannot make a temporary file for Graphviz: %s", strerror(errno));
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(tmp);
        return diag_set(d, E_IO, NULL, "cannot write %s: %s", tmp, strerror(errno));
    }
    int rc = dot_to_file(t, with_grad, digits, tmp, f, d);
    if (!rc) rc = dot_render(tmp, fmt, path, d);
    unlink(tmp);
    return rc;
}
