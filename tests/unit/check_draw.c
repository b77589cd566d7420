/* check_draw.c: unit tests of draw.c (graph, dot) and plot.c (series,
 * sweep).  Tapes are built the way bp builds them: the text is run in a
 * session, the target compiled, run forward and backward; output is caught
 * with open_memstream. */
#define _GNU_SOURCE   /* memmem */
#include <check.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "run.h"
#include "draw.h"
#include "plot.h"
#include "session.h"
#include "tape.h"

/* ---- helpers --------------------------------------------------------- */

static char *obuf;
static size_t olen;

static void capture(Session *s)
{
    obuf = NULL;
    olen = 0;
    s->out = open_memstream(&obuf, &olen);
    ck_assert_ptr_nonnull(s->out);
}

/* The output since capture(), malloc'd. */
static char *release(Session *s)
{
    fclose(s->out);
    s->out = stdout;
    return obuf;
}

/* Run text in s, then compile `target`, run it forward and backward. */
static Tape *tape_of(Session *s, const char *text, const char *target)
{
    int rc = run_text(s, "t", text, strlen(text), 1, 0);
    ck_assert_int_eq(rc, E_OK);
    Diag d = { 0 };
    Entry *e = session_find(s, target);
    ck_assert_ptr_nonnull(e);
    Tape *t = compile_entry(s, e, &d);
    ck_assert_ptr_nonnull(t);
    const char *msg = NULL;
    int bad;
    ck_assert_int_eq(eval_forward(t, 0, &bad, &msg), E_OK);
    if (tape_shape(t, t->root).rank == 0)
        backprop(t);
    return t;
}

/* Occurrences of needle in hay.  memmem with lengths known up front:
 * strstr in a loop measures the rest of a long haystack at every call
 * under AddressSanitizer, which is quadratic on a 6 MB DOT text. */
static int count(const char *hay, const char *needle)
{
    int n = 0;
    size_t hn = strlen(hay), nn = strlen(needle);
    const char *end = hay + hn;
    for (const char *p = memmem(hay, hn, needle, nn); p;
         p = memmem(p + 1, (size_t)(end - p - 1), needle, nn))
        n++;
    return n;
}

static int count_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    return n;
}

/* Line k (0-based) of text, in buf. */
static const char *line_at(const char *text, int k, char *buf, size_t n)
{
    const char *p = text;
    for (int i = 0; i < k && p; i++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    ck_assert_ptr_nonnull(p);
    size_t len = strcspn(p, "\n");
    if (len >= n) len = n - 1;
    memcpy(buf, p, len);
    buf[len] = '\0';
    return buf;
}

/* A full line ending in `tail` after a tree connector: "── a = 3   grad 12". */
static int count_node(const char *text, const char *node)
{
    char pat[256];
    int n = 0;
    snprintf(pat, sizeof pat, "\u2500\u2500 %s\n", node);
    n += count(text, pat);
    snprintf(pat, sizeof pat, "-- %s\n", node);
    n += count(text, pat);
    return n;
}

/* ---- graph ----------------------------------------------------------- */

START_TEST(graph_shared_leaf)
{
    setenv("BP_ASCII", "0", 1);
    Session *s = session_new();
    Tape *t = tape_of(s, "a = 3\nb = a + a\nf = b * a\n", "f");
    capture(s);
    draw_graph(s, t, 1);
    char *out = release(s);
    char l[256];
    /* f = (a + a) * a = 2a^2: df/da = 4a = 12, df/db = a = 3 */
    ck_assert_str_eq(line_at(out, 0, l, sizeof l), "f = b * a = 18   grad 1");
    ck_assert_str_eq(line_at(out, 1, l, sizeof l), "\u251c\u2500\u2500 b = a + a = 6   grad 3");
    ck_assert_int_eq(count_node(out, "a = 3   grad 12"), 1);     /* drawn once */
    ck_assert_int_eq(count(out, "(see above: a)"), 2);          /* then referenced */
    ck_assert_int_eq(count_lines(out), 5);
    free(out);
    session_free(s);
}
END_TEST

START_TEST(graph_shared_formula)
{
    setenv("BP_ASCII", "1", 1);
    Session *s = session_new();
    Tape *t = tape_of(s, "x = 2\nb = x * x\nf = b + b\n", "f");
    capture(s);
    draw_graph(s, t, 0);
    char *out = release(s);
    ck_assert_int_eq(count(out, "b = x * x = 4"), 1);
    ck_assert_int_eq(count(out, "(see above: b)"), 1);
    ck_assert_int_eq(count(out, "(see above: x)"), 1);
    ck_assert_int_eq(count(out, "grad"), 0);
    free(out);
    session_free(s);
}
END_TEST

START_TEST(graph_shared_unnamed)
{
    /* a function's parameter used twice: the argument's slot has no name */
    setenv("BP_ASCII", "1", 1);
    Session *s = session_new();
    Tape *t = tape_of(s, "x = 2\nsq(u) = u * u\nf = sq(x + 1)\n", "f");
    capture(s);
    draw_graph(s, t, 1);
    char *out = release(s);
    char tag[32];
    int slot = t->a[t->root];
    snprintf(tag, sizeof tag, "x + 1 #%d = 3   grad 6", slot);
    ck_assert_int_eq(count(out, tag), 1);
    snprintf(tag, sizeof tag, "(see above: #%d)", slot);
    ck_assert_int_eq(count(out, tag), 1);
    free(out);
    session_free(s);
}
END_TEST

START_TEST(graph_ascii)
{
    Session *s = session_new();
    Tape *t = tape_of(s, "w = -3; x = 2; b = 1\nz = w*x + b\nf = tanh(z)\n", "f");

    setenv("BP_ASCII", "1", 1);
    capture(s);
    draw_graph(s, t, 1);
    char *out = release(s);
    ck_assert(strstr(out, "`-- z = w*x + b = -5   grad 0.0001815832309") != NULL);
    ck_assert(strstr(out, "    |-- w*x = -6") != NULL);
    ck_assert(strstr(out, "    |   |-- w = -3   grad 0.0003631664619") != NULL);
    for (const unsigned char *p = (const unsigned char *)out; *p; p++)
        ck_assert_int_lt(*p, 0x80);
    free(out);

    setenv("BP_ASCII", "0", 1);
    capture(s);
    draw_graph(s, t, 1);
    out = release(s);
    ck_assert(strstr(out, "\u2514\u2500\u2500 z = w*x + b") != NULL);
    ck_assert(strstr(out, "    \u2502   \u251c\u2500\u2500 w = -3") != NULL);
    free(out);

    /* deciding from the locale leaves the locale as it was */
    unsetenv("BP_ASCII");
    char before[256];
    snprintf(before, sizeof before, "%s", setlocale(LC_CTYPE, NULL));
    capture(s);
    draw_graph(s, t, 0);
    free(release(s));
    ck_assert_str_eq(setlocale(LC_CTYPE, NULL), before);
    session_free(s);
}
END_TEST

START_TEST(graph_json)
{
    setenv("BP_ASCII", "1", 1);
    Session *s = session_new();
    Tape *t = tape_of(s, "a = 3\nb = a + a\nf = b * a\n", "f");
    s->json = 1;
    capture(s);
    draw_graph(s, t, 1);
    char *out = release(s);
    ck_assert_int_eq(count(out, "{\"text\": \""), count_lines(out));
    ck_assert_int_eq(count_lines(out), 5);
    free(out);
    session_free(s);
}
END_TEST

START_TEST(graph_deep_chain)
{
    enum { N = 100000 };
    setenv("BP_ASCII", "0", 1);
    size_t cap = (size_t)N * 40, len = 0;
    char *text = malloc(cap);
    len += (size_t)snprintf(text + len, cap - len, "x0 = 0.5\n");
    for (int i = 1; i < N; i++)
        len += (size_t)snprintf(text + len, cap - len, "x%d = sin(x%d)\n", i, i - 1);
    Session *s = session_new();
    char target[16];
    snprintf(target, sizeof target, "x%d", N - 1);
    Tape *t = tape_of(s, text, target);
    ck_assert_int_eq(t->n, N);
    capture(s);
    draw_graph(s, t, 1);
    char *out = release(s);
    ck_assert_int_le(count_lines(out), DRAW_MAX_LINES + 2);
    ck_assert_int_ge(count_lines(out), DRAW_MAX_LINES);
    ck_assert(strstr(out, "deeper than 40 levels") != NULL);
    ck_assert(strstr(out, "cut at 2000 lines: the graph has 100000 nodes") != NULL);
    /* no line grows with the depth */
    size_t widest = 0;
    for (const char *p = out; *p;) {
        size_t w = strcspn(p, "\n");
        if (w > widest) widest = w;
        p += w + (p[w] == '\n');
    }
    ck_assert_uint_lt(widest, 400);
    free(out);

    capture(s);
    Diag d = { 0 };
    ck_assert_int_eq(draw_dot(s, t, 1, NULL, &d), 0);
    out = release(s);
    ck_assert_int_eq(count(out, " -> op"), N - 1);
    free(out);
    free(text);
    session_free(s);
}
END_TEST

/* ---- dot ------------------------------------------------------------- */

/* Braces balance outside strings; every edge endpoint was declared
 * before the edge. */
static void check_dot_syntax(const char *out)
{
    ck_assert(strncmp(out, "digraph", 7) == 0);
    int depth = 0, quoted = 0;
    for (const char *p = out; *p; p++) {
        if (*p == '\\' && p[1]) { p++; continue; }
        if (*p == '"') quoted = !quoted;
        else if (!quoted && *p == '{') depth++;
        else if (!quoted && *p == '}') { depth--; ck_assert_int_ge(depth, 0); }
    }
    ck_assert_int_eq(depth, 0);
    ck_assert_int_eq(quoted, 0);

    char (*decl)[32] = calloc(4096, sizeof *decl);
    int ndecl = 0, nedges = 0;
    for (const char *p = out; *p;) {
        size_t w = strcspn(p, "\n");
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)w, p);
        char a[32], b[32];
        if (sscanf(line, " %31s -> %31[^ ;[]", a, b) == 2 && strstr(line, "->")) {
            int fa = 0, fb = 0;
            for (int i = 0; i < ndecl; i++) {
                fa |= !strcmp(decl[i], a);
                fb |= !strcmp(decl[i], b);
            }
            ck_assert_msg(fa && fb, "undeclared endpoint in: %s", line);
            nedges++;
        } else if (sscanf(line, " %31s [", a) == 1 && strchr(line, '[') &&
                   strcmp(a, "node") && strcmp(a, "edge") && ndecl < 4096) {
            snprintf(decl[ndecl++], sizeof decl[0], "%s", a);
        }
        p += w + (p[w] == '\n');
    }
    ck_assert_int_gt(nedges, 0);
    free(decl);
}

START_TEST(dot_neuron)
{
    Session *s = session_new();
    Tape *t = tape_of(s, "w = -3; x = 2; b = 1\nz = w*x + b\nf = tanh(z)\n", "f");
    Diag d = { 0 };
    capture(s);
    ck_assert_int_eq(draw_dot(s, t, 1, NULL, &d), 0);
    char *out = release(s);
    check_dot_syntax(out);
    ck_assert(strstr(out, "rankdir=TB") != NULL);     /* top to bottom: no strip */
    ck_assert(strstr(out, "label=\"{ f = tanh(z) | data -0.9999092043 | grad 1 }\"") != NULL);
    ck_assert(strstr(out, "label=\"{ w | data -3 | grad 0.0003631664619 }\"") != NULL);
    ck_assert(strstr(out, "label=\"{ w*x | data -6 | grad 0.0001815832309 }\"") != NULL);
    ck_assert(strstr(out, "fontsize=10, label=\"tanh\"]") != NULL);
    /* the gradient along w -> *: upstream dz times the local derivative x */
    ck_assert(strstr(out, "n0 -> op2 [label=\"0.0003631664619\"]") != NULL);
    ck_assert_int_eq(count(out, "shape=record"), 6);
    ck_assert_int_eq(count(out, "shape=ellipse"), 3);
    free(out);

    /* without gradients: no grad field, no edge labels */
    capture(s);
    ck_assert_int_eq(draw_dot(s, t, 0, NULL, &d), 0);
    out = release(s);
    check_dot_syntax(out);
    ck_assert_int_eq(count(out, "grad"), 0);
    ck_assert_int_eq(count(out, "] [label"), 0);
    free(out);
    session_free(s);
}
END_TEST

START_TEST(dot_escapes_and_files)
{
    Session *s = session_new();
    Tape *t = tape_of(s, "a = 2\nv = [a, 1]\nf = sum(v) * (a < 3) + a\n", "f");
    Diag d = { 0 };
    capture(s);
    ck_assert_int_eq(draw_dot(s, t, 1, NULL, &d), 0);
    char *out = release(s);
    check_dot_syntax(out);
    ck_assert(strstr(out, "a \\< 3") != NULL);       /* < escaped in a record */
    ck_assert(strstr(out, "data [2, 1]") != NULL);   /* a small tensor shows its entries */
    /* the literals 1 and 3: plain text, small, without a record or gradient */
    ck_assert(strstr(out, "[shape=plaintext, fontsize=9, fontcolor=\"gray25\", label=\"3\"]") != NULL);
    ck_assert(strstr(out, "{ 3 |") == NULL);
    free(out);

    /* to a .dot file */
    char path[] = "/tmp/check_draw_XXXXXX.dot";
    int fd = mkstemps(path, 4);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(draw_dot(s, t, 1, path, &d), 0);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char head[16] = { 0 };
    ck_assert_int_eq(fread(head, 1, 9, f), 9);
    fclose(f);
    ck_assert_str_eq(head, "digraph b");
    unlink(path);

    /* .svg without Graphviz: an error that says how to get it */
    char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    setenv("PATH", "/nonexistent-bp-dir", 1);
    ck_assert_int_eq(draw_dot(s, t, 1, "/tmp/check_draw_never.svg", &d), E_IO);
    if (old) { setenv("PATH", old, 1); free(old); }
    ck_assert(strstr(d.msg, "apt-get install graphviz") != NULL);
    ck_assert(strstr(d.msg, "file.dot") != NULL);

    /* a file that cannot be written */
    ck_assert_int_eq(draw_dot(s, t, 1, "/nonexistent-bp-dir/x.dot", &d), E_IO);
    session_free(s);
}
END_TEST

/* ---- plots ----------------------------------------------------------- */

/* Where the plot area of a row line starts (after "%9s |"). */
enum { PLOT_X0 = PLOT_LABEL + 2 };

/* The first column of the plot area holding one of `marks` in line k, or -1. */
static int first_mark(const char *out, int k, const char *marks)
{
    char l[256];
    line_at(out, k, l, sizeof l);
    for (int c = PLOT_X0; l[c]; c++)
        if (strchr(marks, l[c])) return c - PLOT_X0;
    return -1;
}

START_TEST(plot_series_shapes)
{
    enum { N = 100 };
    double y[N];
    Session *s = session_new();
    char l[256];

    for (int i = 0; i < N; i++) y[i] = i;               /* increasing */
    capture(s);
    plot_series(s, "loss", y, N);
    char *out = release(s);
    ck_assert_int_eq(count_lines(out), PLOT_HEIGHT + 3);
    ck_assert_str_eq(line_at(out, 0, l, sizeof l), "loss");
    ck_assert_int_ge(first_mark(out, 1, "*"), PLOT_WIDTH / 2);           /* top: right */
    ck_assert_int_lt(first_mark(out, PLOT_HEIGHT, "*"), PLOT_WIDTH / 2); /* bottom: left */
    ck_assert(strstr(line_at(out, 1, l, sizeof l), "99 |") != NULL);
    ck_assert(strstr(line_at(out, PLOT_HEIGHT, l, sizeof l), "0 |") != NULL);
    ck_assert(strstr(line_at(out, PLOT_HEIGHT + 2, l, sizeof l), "step") != NULL);
    free(out);

    for (int i = 0; i < N; i++) y[i] = 2.5 * exp(-i / 8.0);   /* decreasing, log scale */
    y[50] = NAN;
    capture(s);
    plot_series(s, "loss", y, N);
    out = release(s);
    ck_assert_int_eq(count_lines(out), PLOT_HEIGHT + 4);
    ck_assert_str_eq(line_at(out, 0, l, sizeof l), "loss (log scale)");
    ck_assert_int_lt(first_mark(out, 1, "*"), PLOT_WIDTH / 2);
    ck_assert_int_ge(first_mark(out, PLOT_HEIGHT, "*"), PLOT_WIDTH / 2);
    ck_assert(strstr(out, "(1 value not finite, not drawn)") != NULL);
    free(out);

    /* few points, a flat series, nothing */
    double flat[3] = { 1, 1, 1 };
    capture(s);
    plot_series(s, "flat", flat, 3);
    out = release(s);
    ck_assert_int_eq(count_lines(out), PLOT_HEIGHT + 3);
    ck_assert_int_eq(first_mark(out, 1 + PLOT_HEIGHT / 2, "*"), 0);
    ck_assert_int_eq(count(out, "*"), 3);
    free(out);
    capture(s);
    plot_series(s, "none", flat, 0);
    out = release(s);
    ck_assert_int_eq(count_lines(out), 1);
    free(out);
    session_free(s);
}
END_TEST

/* Two series, one thinned (stride 4): the x axis ends at the last step
 * (4 * 99 = 396), not at the number of points; a shared cell is '#'. */
START_TEST(plot_lines_strides)
{
    Session *s = session_new();
    double a[100], b[397];
    for (int i = 0; i < 100; i++) a[i] = 100 - i;
    for (int i = 0; i < 397; i++) b[i] = 100 - i / 4.0;
    PlotLine l[2] = { { "thinned", a, 100, 4, '*' }, { "full", b, 397, 1, '+' } };
    capture(s);
    plot_lines(s, "two", l, 2);
    char *out = release(s);
    ck_assert(strstr(out, "396\n") != NULL);
    ck_assert(strstr(out, "99\n") == NULL);
    ck_assert(strstr(out, "* thinned, + full, # both") != NULL);
    ck_assert(strchr(out, '#') != NULL);   /* the same curve: they share cells */
    free(out);
    session_free(s);
}
END_TEST

/* The plot command's pictures are coloured only at a colour terminal. */
START_TEST(plot_function_colour)
{
    Session *s = session_new();
    double x[40], f[40], df[40], zx[1] = { 0 }, zf[1] = { 0 };
    for (int i = 0; i < 40; i++) {
        x[i] = -1 + 2.0 * i / 39;
        f[i] = x[i] * x[i];
        df[i] = 2 * x[i];
    }
    Diag d = { 0 };
    setenv("BP_ASCII", "1", 1);
    for (int colour = 0; colour < 2; colour++) {
        s->color = colour;
        capture(s);
        ck_assert_int_eq(plot_function(s, "t", "x", "f", "df", x, f, df, 40, zx, zf, 1, NULL, &d), 0);
        char *out = release(s);
        ck_assert_int_eq(strstr(out, "\033[34m*\033[0m") != NULL, colour);   /* f blue */
        ck_assert_int_eq(strstr(out, "\033[31mo\033[0m") != NULL, colour);   /* its minimum red */
        ck_assert_int_eq(strchr(out, '\033') != NULL, colour);
        free(out);
    }
    unsetenv("BP_ASCII");
    session_free(s);
}
END_TEST

START_TEST(plot_sweep_shapes)
{
    enum { N = 15 };
    double eps[N], up[N], down[N];
    for (int k = 0; k < N; k++) {
        eps[k] = pow(10, -(k + 1));
        up[k] = eps[k];                 /* error growing with eps */
        down[k] = 1e-16 / eps[k];       /* error shrinking with eps */
    }
    Session *s = session_new();
    capture(s);
    plot_sweep(s, eps, up, down, N, N - 1, 0);
    char *out = release(s);
    ck_assert_int_eq(count_lines(out), PLOT_HEIGHT + 4);
    /* the top row: f (growing) on the right, c (shrinking) on the left */
    int f = first_mark(out, 1, "fF"), c = first_mark(out, 1, "cC");
    ck_assert_int_ge(f, PLOT_WIDTH / 2);
    ck_assert_int_ge(c, 0);
    ck_assert_int_lt(c, PLOT_WIDTH / 2);
    ck_assert_int_eq(count(strchr(out, '\n') + 1, "F"), 1);
    ck_assert_int_eq(count(strchr(out, '\n') + 1, "C"), 1);
    ck_assert(strstr(out, "best eps: forward 1e-15 (error 1e-15), central 0.1 (error 1e-15)") != NULL);
    free(out);

    /* zeros and NaN are skipped and named */
    up[0] = 0;
    down[3] = NAN;
    capture(s);
    plot_sweep(s, eps, up, down, N, N - 1, 0);
    out = release(s);
    ck_assert_int_eq(count_lines(out), PLOT_HEIGHT + 5);
    ck_assert(strstr(out, "not drawn (error 0 or not finite): f at eps 0.1, c at eps 0.0001") != NULL);
    free(out);

    /* where the curves coincide, a best eps still shows as F */
    double e3[3] = { 1e-1, 1e-2, 1e-3 }, same[3] = { 1e-3, 1e-5, 1e-4 };
    capture(s);
    plot_sweep(s, e3, same, same, 3, 1, -1);
    out = release(s);
    ck_assert_int_eq(count(strchr(out, '\n') + 1, "F"), 1);
    ck_assert_int_eq(count(strchr(out, '\n') + 1, "*"), 2);
    ck_assert(strstr(out, "best eps: forward 0.01 (error 1e-05), central none") != NULL);
    free(out);
    session_free(s);
}
END_TEST

/* The sweep of SPEC section 2 for sin at x = 1: steps made exactly
 * representable; the V of truncation against round-off must show. */
START_TEST(plot_sweep_sin)
{
    enum { N = 15 };
    double eps[N], ef[N], ec[N], x = 1, exact = cos(1.0);
    int bf = 0, bc = 0;
    for (int k = 0; k < N; k++) {
        eps[k] = pow(10, -(k + 1));
        volatile double xp = x + eps[k], xm = x - eps[k];
        ef[k] = fabs((sin(xp) - sin(x)) / (xp - x) - exact);
        ec[k] = fabs((sin(xp) - sin(xm)) / (xp - xm) - exact);
        if (ef[k] < ef[bf]) bf = k;
        if (ec[k] < ec[bc]) bc = k;
    }
    ck_assert_double_lt(ec[bc], 1e-9);
    Session *s = session_new();
    capture(s);
    plot_sweep(s, eps, ef, ec, N, bf, bc);
    char *out = release(s);
    /* both bests inside the range, with worse errors on either side of each */
    int rowC = -1, colC = -1, rowF = -1, colF = -1;
    for (int r = 0; r < PLOT_HEIGHT; r++) {
        int cc = first_mark(out, 1 + r, "C"), cf = first_mark(out, 1 + r, "F");
        if (cc >= 0) { rowC = r; colC = cc; }
        if (cf >= 0) { rowF = r; colF = cf; }
    }
    ck_assert_int_gt(colC, 0);
    ck_assert_int_lt(colC, PLOT_WIDTH - 1);
    ck_assert_int_gt(colF, 0);
    ck_assert_int_lt(colF, PLOT_WIDTH - 1);
    int left_above = 0, right_above = 0;
    for (int r = 0; r < rowC; r++) {
        int a = first_mark(out, 1 + r, "c*");
        char l[256];
        line_at(out, 1 + r, l, sizeof l);
        left_above |= a >= 0 && a < colC;
        for (int q = colC + 1; q < PLOT_WIDTH; q++)
            right_above |= l[PLOT_X0 + q] == 'c' || l[PLOT_X0 + q] == '*';
    }
    ck_assert(left_above && right_above);
    ck_assert_int_ge(rowF, 0);
    ck_assert_int_lt(rowF, rowC);         /* central beats forward */
    free(out);
    session_free(s);
}
END_TEST

static Suite *draw_suite(void)
{
    Suite *s = suite_create("draw");
    TCase *g = tcase_create("graph");
    tcase_set_timeout(g, 60);
    tcase_add_test(g, graph_shared_leaf);
    tcase_add_test(g, graph_shared_formula);
    tcase_add_test(g, graph_shared_unnamed);
    tcase_add_test(g, graph_ascii);
    tcase_add_test(g, graph_json);
    tcase_add_test(g, graph_deep_chain);
    suite_add_tcase(s, g);
    TCase *d = tcase_create("dot");
    tcase_add_test(d, dot_neuron);
    tcase_add_test(d, dot_escapes_and_files);
    suite_add_tcase(s, d);
    TCase *p = tcase_create("plot");
    tcase_add_test(p, plot_series_shapes);
    tcase_add_test(p, plot_sweep_shapes);
    tcase_add_test(p, plot_sweep_sin);
    tcase_add_test(p, plot_lines_strides);
    tcase_add_test(p, plot_function_colour);
    suite_add_tcase(s, p);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(draw_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
