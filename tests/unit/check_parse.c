/* check_parse.c: the lexer and the parser (grammar/, src/parse.c).
 *
 * SPEC section 2 (statements, the continuation rule, comments, reserved
 * words) and section 3 (operators and their precedence).  Most tests look
 * at the AST that parse_source returns; a few run the text to see the
 * value (2^3^2 is 512). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "parse.h"
#include "ops.h"
#include "arena.h"

typedef struct Parsed {
    Source *src;
    Stmt *list;
    Diag d;
    int rc;
} Parsed;

static Parsed parse_at(const char *text, int first_line)
{
    Parsed p = { 0 };
    p.src = src_new("t", text, strlen(text), first_line);
    p.rc = parse_source(p.src, &p.list, &p.d);
    return p;
}

static Parsed parse(const char *text) { return parse_at(text, 1); }

static int count(const Stmt *s)
{
    int n = 0;
    for (; s; s = s->next) n++;
    return n;
}

/* Parse text that must be one statement of kind k; returns it (p keeps
 * the source alive). */
static const Stmt *one(Parsed *p, const char *text, StmtKind k)
{
    *p = parse(text);
    ck_assert_msg(p->rc == 0, "`%s` does not parse: %s", text, p->d.msg);
    ck_assert_msg(count(p->list) == 1, "`%s`: %d statements, expected 1", text, count(p->list));
    ck_assert_msg(p->list->kind == k, "`%s`: statement kind %d, expected %d", text,
                  p->list->kind, k);
    return p->list;
}

/* ---- the arena and statement-at-a-time parsing ------------------------ */

/* Memory is zeroed and aligned; a release gives back exactly what came
 * after the mark (the next allocation lands where the released one was),
 * over block boundaries and for blocks bigger than the usual. */
START_TEST(test_arena_mark_release)
{
    Arena *a = arena_new();
    ck_assert_uint_eq(arena_bytes(a), 0);
    char *first = arena_alloc(a, 3);
    ck_assert_ptr_nonnull(first);
    ArenaMark m = arena_mark(a);
    unsigned char *p = arena_alloc(a, 100);
    ck_assert_uint_eq((uintptr_t)p % 8, 0);
    for (int i = 0; i < 100; i++) ck_assert_int_eq(p[i], 0);
    memset(p, 0xAB, 100);
    size_t before = arena_bytes(a);
    for (int i = 0; i < 1000; i++) {            /* about 1 MB: many blocks */
        unsigned char *q = arena_alloc(a, 1000);
        ck_assert_int_eq(q[0], 0);
        ck_assert_int_eq(q[999], 0);
        memset(q, 0xCD, 1000);
    }
    void *big = arena_alloc(a, 3 << 20);        /* bigger than any block */
    memset(big, 1, 3 << 20);
    ck_assert_uint_gt(arena_bytes(a), before + (3u << 20));
    arena_release(a, m);
    ck_assert_uint_eq(arena_bytes(a), before);
    unsigned char *again = arena_alloc(a, 100);
    ck_assert_ptr_eq(again, p);                 /* the released memory, reused */
    for (int i = 0; i < 100; i++) ck_assert_int_eq(again[i], 0);
    char *s = arena_strdup(a, "abcdef", 3);
    ck_assert_str_eq(s, "abc");
    ck_assert_int_eq(first[0], 0);              /* before the mark: untouched */
    arena_release(a, (ArenaMark){ 0 });         /* a mark of the empty arena */
    ck_assert_uint_eq(arena_bytes(a), 0);
    ck_assert_ptr_nonnull(arena_alloc(a, 10));
    arena_free(a);
}
END_TEST

/* arena_each_block's callback: bytes and blocks seen, in arg. */
static void count_block(unsigned char *data, size_t used, void *arg)
{
    size_t *got = arg;
    ck_assert_ptr_nonnull(data);
    got[0] += used;
    got[1]++;
}

/* arena_each_block visits every block, and their used bytes add up to
 * what was allocated (each size rounded as arena_rounded says), also
 * past block boundaries: session_free walks the entries so. */
START_TEST(test_arena_each_block)
{
    Arena *a = arena_new();
    size_t want = 0;
    for (int i = 0; i < 5000; i++) {
        size_t n = 1 + (size_t)(i * 37 % 300);
        arena_alloc(a, n);
        want += arena_rounded(n);
    }
    arena_alloc(a, 3u << 20);   /* bigger than any block */
    want += arena_rounded(3u << 20);
    size_t got[2] = { 0, 0 };   /* bytes, blocks */
    arena_each_block(a, count_block, got);
    ck_assert_uint_eq(got[0], want);
    ck_assert_uint_ge(got[1], 3);
    ck_assert_uint_eq(arena_rounded(1), 8);
    ck_assert_uint_eq(arena_rounded(8), 8);
    ck_assert_uint_eq(arena_rounded(9), 16);
    arena_free(a);
}
END_TEST

/* A name node remembers its entry for the session that looked it up, and
 * only for it: another session looking up the same node gets its own
 * entry (or none), never the first one's. */
START_TEST(test_name_node_entry)
{
    Parsed p = parse("w + v");
    ck_assert_int_eq(p.rc, 0);
    const Ast *w = p.list->e[0]->kid[0], *v = p.list->e[0]->kid[1];
    ck_assert_int_eq(w->kind, AST_NAME);
    Tu *ta = tu_new(), *tb = tu_new();
    Entry *ea = session_intern_node(ta->s, w);
    ck_assert_ptr_eq(ea, session_find(ta->s, "w"));
    ck_assert_ptr_eq(session_remembered(ta->s, w), ea);
    ck_assert_ptr_eq(session_find_node(ta->s, w), ea);
    ck_assert_ptr_null(session_remembered(tb->s, w));
    ck_assert_ptr_null(session_find_node(tb->s, w));      /* b has no w */
    Entry *eb = session_intern(tb->s, "w");
    ck_assert_ptr_ne(eb, ea);
    ck_assert_ptr_eq(session_find_node(tb->s, w), eb);
    ck_assert_ptr_eq(session_intern_node(tb->s, w), eb);
    ck_assert_ptr_eq(session_find_node(ta->s, w), ea);
    /* not found: nothing remembered, found once it exists */
    ck_assert_ptr_null(session_find_node(ta->s, v));
    ck_assert_ptr_null(session_remembered(ta->s, v));
    Entry *va = session_intern(ta->s, "v");
    ck_assert_ptr_eq(session_find_node(ta->s, v), va);
    /* a node with no source (built on the stack) is looked up each time */
    Ast x = { .kind = AST_NAME, .name = "w" };
    ck_assert_ptr_eq(session_find_node(ta->s, &x), ea);
    ck_assert_ptr_null(x.ent);
    tu_free(ta);
    tu_free(tb);
    src_free(p.src);
}
END_TEST

typedef struct Seen { int n, stop_at; StmtKind kind[8]; int terminated[8]; } Seen;

static int seen_each(void *arg, Stmt *st)
{
    Seen *s = arg;
    if (s->n < 8) {
        s->kind[s->n] = st->kind;
        s->terminated[s->n] = st->terminated;
    }
    s->n++;
    return s->n == s->stop_at;
}

/* parse_each hands over every complete statement, in order, including one
 * reduced before its separator was read (show x), never one that an error
 * follows, and stops when asked. */
START_TEST(test_parse_each)
{
    Seen s = { 0 };
    Diag d = { 0 };
    Source *src = src_new("t", "show x; y = 1\nshow y\nz", 22, 1);
    ck_assert_int_eq(parse_each(src, seen_each, &s, &d), 0);
    ck_assert_int_eq(s.n, 4);
    ck_assert_int_eq(s.kind[0], ST_SHOW);
    ck_assert_int_eq(s.kind[1], ST_DEFINE);
    ck_assert_int_eq(s.kind[2], ST_SHOW);
    ck_assert_int_eq(s.kind[3], ST_EXPR);
    for (int i = 0; i < 4; i++) ck_assert_int_eq(s.terminated[i], 1);
    src_free(src);

    Seen e = { 0 };
    Diag d2 = { 0 };
    src = src_new("t", "a = 1\nshow x )\nb = 2\n", 21, 1);
    ck_assert_int_ne(parse_each(src, seen_each, &e, &d2), 0);
    ck_assert_int_eq(d2.kind, E_SYNTAX);
    ck_assert_int_eq(e.n, 1);                   /* show x ) never runs */
    src_free(src);

    Seen st = { .stop_at = 2 };
    Diag d3 = { 0 };
    src = src_new("t", "a = 1\nb = 2\nc = 3\n", 18, 1);
    ck_assert_int_eq(parse_each(src, seen_each, &st, &d3), 0);
    ck_assert_int_eq(st.n, 2);                  /* stopped after b */
    src_free(src);
}
END_TEST

/* What text_each saw: the source and its text as given, and how many
 * callbacks found the text changed (the scanner reads it in place). */
typedef struct Whole { const Source *src; const char *orig; size_t len; int n, bad, stop_at; } Whole;

static int text_each(void *arg, Stmt *st)
{
    (void)st;
    Whole *w = arg;
    w->n++;
    if (w->src->len != w->len || memcmp(w->src->text, w->orig, w->len) != 0 ||
        w->src->text[w->len] != '\0')
        w->bad++;
    return w->n == w->stop_at;
}

/* The scanner reads a source's text in place (no copy) and keeps a NUL
 * after its last token there: every statement runs with the text whole
 * (an error message quotes its line: `log(-1); z = 3` shows all of it),
 * and the text is whole after the parse, however it ends: at the end, at
 * a syntax error, stopped by a statement, and with a NUL byte inside
 * (which stays). */
START_TEST(test_parse_text_whole)
{
#define T(s) s, sizeof s - 1   /* a text and its length (a NUL may be inside) */
    static const struct { const char *text; size_t len; int stop_at, rc, runs; } cases[] = {
        { T("x = 1; log(-x); z = 3\nshow z; y = 2\nprint y\n"), 0, 0, 6 },
        { T("a = 1; b = 2 ; c = a +* 3\nd = 4\n"), 0, 1, 2 },
        { T("a = 1; b = 2; c = 3; d = 4"), 2, 0, 2 },
        { T("show a\nb = 1"), 0, 0, 2 },
        { T("a = 1; \"x\0y\"\nb = 2\n"), 0, 1, 1 },
    };
#undef T
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t len = cases[k].len;
        Source *src = src_new("t", cases[k].text, len, 1);
        Whole w = { src, cases[k].text, len, 0, 0, cases[k].stop_at };
        Diag d = { 0 };
        int rc = parse_each(src, text_each, &w, &d);
        ck_assert_msg((rc != 0) == cases[k].rc, "case %zu: parse_each returned %d", k, rc);
        ck_assert_msg(w.n == cases[k].runs, "case %zu: %d statements ran, expected %d", k, w.n,
                      cases[k].runs);
        ck_assert_msg(w.bad == 0, "case %zu: %d statements ran with the text changed", k, w.bad);
        ck_assert_msg(memcmp(src->text, cases[k].text, len) == 0 && src->text[len] == '\0',
                      "case %zu: the text is not whole after the parse", k);
        src_free(src);
    }
}
END_TEST

/* A number literal is the double strtod (correctly rounded) makes of it,
 * on the lexer's fast path (at most 15 digits) and off it. */
START_TEST(test_number_literals)
{
    static const char *nums[] = {
        "0.1", "0.2", "0.3", "0.123456", "-0.987654", "1.", ".5", "0.000000000000001",
        "123456789012345", "1234567890123456", "9007199254740993", "0.30000000000000004",
        "99999999999999.9", "2.5e3", "1e-300", "7", "0.0", "3.141592653589793",
    };
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
        char text[64];
        snprintf(text, sizeof text, "x = %s", nums[i][0] == '-' ? nums[i] + 1 : nums[i]);
        Parsed p;
        const Stmt *st = one(&p, text, ST_DEFINE);
        ck_assert_int_eq(st->e[0]->kind, AST_NUM);
        double want = strtod(nums[i][0] == '-' ? nums[i] + 1 : nums[i], NULL);
        ck_assert_msg(st->e[0]->num == want, "%s: %.17g, strtod %.17g", nums[i], st->e[0]->num, want);
        src_free(p.src);
    }
}
END_TEST

/* ---- every form of SPEC section 2 ----------------------------------- */

START_TEST(test_statement_kinds)
{
    static const struct { const char *text; StmtKind kind; } forms[] = {
        { "x + 1", ST_EXPR },
        { "x = 2*pi", ST_DEFINE },
        { "f = x + 1", ST_DEFINE },
        { "const c = 3", ST_CONST },
        { "sq(a, b) = a*b", ST_FUNC },
        { "w := w - 0.1", ST_UPDATE },
        { "a, b := b, a", ST_UPDATE },
        { "w += 1", ST_UPDATE },
        { "w -= 1", ST_UPDATE },
        { "w *= 2", ST_UPDATE },
        { "w /= 2", ST_UPDATE },
        { "grad f", ST_GRAD },
        { "grad f wrt a, b", ST_GRAD },
        { "trace f", ST_TRACE },
        { "graph f", ST_GRAPH },
        { "dot f", ST_DOT },
        { "dot f \"g.dot\"", ST_DOT },
        { "sweep f wrt w", ST_SWEEP },
        { "step f", ST_STEP },
        { "step f wrt p, q 0.5", ST_STEP },
        { "train f", ST_TRAIN },
        { "train f wrt p lr 100", ST_TRAIN },
        { "train f 0.01 50", ST_TRAIN },
        { "check a, b", ST_CHECK },
        { "check a, b 1e-3", ST_CHECK },
        { "check f", ST_CHECK },
        { "print 1, \"text\", x", ST_PRINT },
        { "show x", ST_SHOW },
        { "vars", ST_VARS },
        { "delete a, b", ST_DELETE },
        { "clear", ST_CLEAR },
        { "load \"file.bp\"", ST_LOAD },
        { "save \"file.bp\"", ST_SAVE },
        { "set", ST_SET },
        { "set eps 1e-4", ST_SET },
        { "set fd central, forward", ST_SET },
        { "help", ST_HELP },
        { "help grad", ST_HELP },
        { "quit", ST_QUIT },
        { "exit", ST_QUIT },
        { "grad(f, w)", ST_EXPR },
        { "dot(u, v)", ST_EXPR },
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        Parsed p;
        one(&p, forms[i].text, forms[i].kind);
        src_free(p.src);
    }
}
END_TEST

START_TEST(test_statement_fields)
{
    Parsed p;
    const Stmt *s;

    s = one(&p, "x = 2*pi", ST_DEFINE);
    ck_assert_str_eq(s->name, "x");
    ck_assert_int_eq(s->ne, 1);
    ck_assert_int_eq(s->e[0]->kind, AST_BIN);
    ck_assert_int_eq(s->e[0]->op, OP_MUL);
    src_free(p.src);

    s = one(&p, "const c = 3", ST_CONST);
    ck_assert_str_eq(s->name, "c");
    ck_assert_int_eq(s->e[0]->kind, AST_NUM);
    ck_assert(s->e[0]->num == 3);
    src_free(p.src);

    s = one(&p, "sq(a, b) = a*b", ST_FUNC);
    ck_assert_str_eq(s->name, "sq");
    ck_assert_int_eq(s->nnames, 2);
    ck_assert_str_eq(s->names[0], "a");
    ck_assert_str_eq(s->names[1], "b");
    src_free(p.src);

    s = one(&p, "a, b := b, a", ST_UPDATE);
    ck_assert_int_eq(s->op, 0);
    ck_assert_int_eq(s->nnames, 2);
    ck_assert_str_eq(s->names[0], "a");
    ck_assert_str_eq(s->names[1], "b");
    ck_assert_int_eq(s->ne, 2);
    ck_assert_str_eq(s->e[0]->name, "b");
    ck_assert_str_eq(s->e[1]->name, "a");
    src_free(p.src);

    static const struct { const char *text; int op; } upd[] = {
        { "w += 1", OP_ADD }, { "w -= 1", OP_SUB }, { "w *= 1", OP_MUL }, { "w /= 1", OP_DIV },
    };
    for (int i = 0; i < 4; i++) {
        s = one(&p, upd[i].text, ST_UPDATE);
        ck_assert_int_eq(s->op, upd[i].op);
        ck_assert_int_eq(s->nnames, 1);
        ck_assert_str_eq(s->names[0], "w");
        src_free(p.src);
    }

    s = one(&p, "grad f", ST_GRAD);
    ck_assert_int_eq(s->has_wrt, 0);
    ck_assert_str_eq(s->e[0]->name, "f");
    src_free(p.src);

    s = one(&p, "grad f wrt a, b, z", ST_GRAD);
    ck_assert_int_eq(s->has_wrt, 1);
    ck_assert_int_eq(s->nnames, 3);
    ck_assert_str_eq(s->names[2], "z");
    src_free(p.src);

    s = one(&p, "sweep f wrt w", ST_SWEEP);
    ck_assert_int_eq(s->nnames, 1);
    ck_assert_str_eq(s->names[0], "w");
    src_free(p.src);

    s = one(&p, "train f wrt p lr 100", ST_TRAIN);
    ck_assert_int_eq(s->nnames, 1);
    ck_assert_int_eq(s->nargs, 2);
    ck_assert(s->args[0].is_word);
    ck_assert_str_eq(s->args[0].word, "lr");
    ck_assert(!s->args[1].is_word);
    ck_assert(s->args[1].num == 100);
    src_free(p.src);

    s = one(&p, "check a, b 1e-3", ST_CHECK);
    ck_assert_int_eq(s->ne, 2);
    ck_assert_int_eq(s->nargs, 1);
    ck_assert(s->args[0].num == 1e-3);
    src_free(p.src);

    s = one(&p, "print 1, \"two\", x", ST_PRINT);
    ck_assert_int_eq(s->ne, 3);
    ck_assert_int_eq(s->e[1]->kind, AST_STR);
    ck_assert_str_eq(s->e[1]->name, "two");
    src_free(p.src);

    s = one(&p, "delete a, b", ST_DELETE);
    ck_assert_int_eq(s->nnames, 2);
    src_free(p.src);

    s = one(&p, "dot f \"g.dot\"", ST_DOT);
    ck_assert_str_eq(s->file, "g.dot");
    src_free(p.src);

    s = one(&p, "load \"file.bp\"", ST_LOAD);
    ck_assert_str_eq(s->file, "file.bp");
    src_free(p.src);

    s = one(&p, "save \"out.bp\"", ST_SAVE);
    ck_assert_str_eq(s->file, "out.bp");
    src_free(p.src);

    s = one(&p, "set", ST_SET);
    ck_assert_ptr_null(s->name);
    src_free(p.src);

    s = one(&p, "set eps -1e-4", ST_SET);
    ck_assert_str_eq(s->name, "eps");
    ck_assert_int_eq(s->nargs, 1);
    ck_assert(s->args[0].num == -1e-4);
    src_free(p.src);

    s = one(&p, "set fd central, forward", ST_SET);
    ck_assert_str_eq(s->name, "fd");
    ck_assert_int_eq(s->nargs, 2);
    ck_assert_str_eq(s->args[1].word, "forward");
    src_free(p.src);

    s = one(&p, "help grad", ST_HELP);
    ck_assert_str_eq(s->name, "grad");
    src_free(p.src);

    s = one(&p, "show x", ST_SHOW);
    ck_assert_str_eq(s->name, "x");
    src_free(p.src);
}
END_TEST

START_TEST(test_expression_forms)
{
    Parsed p;
    const Stmt *s;

    /* A command word followed by ( is a function. */
    s = one(&p, "grad(f, w)", ST_EXPR);
    ck_assert_int_eq(s->e[0]->kind, AST_GRAD);
    ck_assert_int_eq(s->e[0]->nkids, 2);
    ck_assert_str_eq(s->e[0]->kid[0]->name, "f");
    ck_assert_str_eq(s->e[0]->kid[1]->name, "w");
    src_free(p.src);

    s = one(&p, "dot(u, v)", ST_EXPR);
    ck_assert_int_eq(s->e[0]->kind, AST_CALL);
    ck_assert_str_eq(s->e[0]->name, "dot");
    ck_assert_int_eq(s->e[0]->nkids, 2);
    src_free(p.src);

    s = one(&p, "load_csv(\"data.csv\")", ST_EXPR);
    ck_assert_int_eq(s->e[0]->kind, AST_CALL);
    ck_assert_str_eq(s->e[0]->name, "load_csv");
    ck_assert_int_eq(s->e[0]->nkids, 1);
    ck_assert_int_eq(s->e[0]->kid[0]->kind, AST_STR);
    ck_assert_str_eq(s->e[0]->kid[0]->name, "data.csv");
    src_free(p.src);

    s = one(&p, "pow(x, 2) + max(a, b)", ST_EXPR);
    ck_assert_int_eq(s->e[0]->kid[0]->kind, AST_CALL);
    ck_assert_str_eq(s->e[0]->kid[0]->name, "pow");
    src_free(p.src);

    s = one(&p, "[[1, 2], [3, 4]]", ST_EXPR);
    ck_assert_int_eq(s->e[0]->kind, AST_LIST);
    ck_assert_int_eq(s->e[0]->nkids, 2);
    ck_assert_int_eq(s->e[0]->kid[1]->kind, AST_LIST);
    src_free(p.src);

    s = one(&p, "X[:, 0:2]", ST_EXPR);
    ck_assert_int_eq(s->e[0]->kind, AST_INDEX);
    ck_assert_int_eq(s->e[0]->nkids, 3);
    ck_assert_int_eq(s->e[0]->kid[1]->kind, AST_SLICE);
    ck_assert_int_eq(s->e[0]->kid[1]->op, 0);
    ck_assert_int_eq(s->e[0]->kid[2]->kind, AST_SLICE);
    ck_assert_int_eq(s->e[0]->kid[2]->op, 3);
    src_free(p.src);

    s = one(&p, "v[-1]", ST_EXPR);
    ck_assert_int_eq(s->e[0]->kind, AST_INDEX);
    ck_assert_int_eq(s->e[0]->kid[1]->kind, AST_NEG);
    src_free(p.src);

    /* numbers */
    static const struct { const char *text; double v; } nums[] = {
        { "2", 2 }, { "1.5e-3", 1.5e-3 }, { ".5", 0.5 }, { "3.", 3 }, { "1E3", 1000 },
        { "2.5e+2", 250 }, { "0.1", 0.1 },
    };
    for (int i = 0; i < 7; i++) {
        s = one(&p, nums[i].text, ST_EXPR);
        ck_assert_int_eq(s->e[0]->kind, AST_NUM);
        ck_assert_msg(s->e[0]->num == nums[i].v, "%s read as %.17g", nums[i].text, s->e[0]->num);
        src_free(p.src);
    }
    s = one(&p, "-1.5e-3", ST_EXPR);
    ck_assert(s->e[0]->kind == AST_NEG || (s->e[0]->kind == AST_NUM && s->e[0]->num == -1.5e-3));
    src_free(p.src);
}
END_TEST

/* Every node keeps its source location. */
START_TEST(test_node_locations)
{
    Parsed p;
    const Stmt *s = one(&p, "f = tanh(w*x + b)", ST_DEFINE);
    ck_assert_int_eq(s->name_loc.line, 1);
    ck_assert_int_eq(s->name_loc.col, 1);
    const Ast *call = s->e[0];
    ck_assert_int_eq(call->kind, AST_CALL);
    ck_assert_int_eq(call->loc.col, 5);
    const Ast *plus = call->kid[0];
    ck_assert_int_eq(plus->op, OP_ADD);
    ck_assert_int_eq(plus->loc.col, 10);
    ck_assert_int_eq(plus->kid[1]->loc.col, 16);       /* b */
    ck_assert_int_eq(plus->kid[0]->kid[1]->loc.col, 12); /* x */
    ck_assert_int_eq(plus->loc.end - plus->loc.beg, 7);  /* "w*x + b" */
    src_free(p.src);

    p = parse("a = 1\n\n  b = a +\n    c");
    ck_assert_int_eq(p.rc, 0);
    ck_assert_int_eq(count(p.list), 2);
    s = p.list->next;
    ck_assert_int_eq(s->loc.line, 3);
    ck_assert_int_eq(s->loc.col, 3);
    ck_assert_int_eq(s->e[0]->kid[1]->loc.line, 4);
    ck_assert_int_eq(s->e[0]->kid[1]->loc.col, 5);
    src_free(p.src);

    /* The REPL numbers its inputs on: first_line offsets every line. */
    p = parse_at("a = 1\nb = 2", 41);
    ck_assert_int_eq(p.rc, 0);
    ck_assert_int_eq(p.list->loc.line, 41);
    ck_assert_int_eq(p.list->next->loc.line, 42);
    src_free(p.src);
}
END_TEST

/* ---- the continuation rule ------------------------------------------ */

START_TEST(test_continuation)
{
    static const struct { const char *text; int n; } cases[] = {
        /* a newline ends a statement ... */
        { "a = 1\nb = 2", 2 },
        { "x\n-1", 2 },
        { "a = 1\n\n\nb = 2\n", 2 },
        { "a = 1; b = 2\nc = 3", 3 },
        { "a = 1;; b = 2;", 2 },
        { "a = 1\r\nb = 2\r\n", 2 },         /* CRLF scripts */
        { "a = 1 +\r\n2", 1 },
        { "", 0 },
        { "\n\n", 0 },
        /* ... unless a bracket or parenthesis is open */
        { "f = (1 +\n2)", 1 },
        { "f = (1\n+ 2)", 1 },
        { "v = [1,\n2,\n3]", 1 },
        { "v = [1\n, 2]", 1 },
        { "m = [[1, 2]\n, [3, 4]]", 1 },
        { "y = max(a\n, b)", 1 },
        { "y = v[0\n]", 1 },
        /* ... or the last token is a binary operator, =, :=, op=, , or wrt */
        { "a = 1 +\n2", 1 },
        { "a = 1 -\n2", 1 },
        { "a = 1 *\n2", 1 },
        { "a = 1 /\n2", 1 },
        { "a = 1 ^\n2", 1 },
        { "a = u @\nv", 1 },
        { "a = 1 <\n2", 1 },
        { "a = 1 <=\n2", 1 },
        { "a = 1 >\n2", 1 },
        { "a = 1 >=\n2", 1 },
        { "a = 1 ==\n2", 1 },
        { "a = 1 !=\n2", 1 },
        { "a =\n2", 1 },
        { "a :=\n2", 1 },
        { "a +=\n2", 1 },
        { "a -=\n2", 1 },
        { "a *=\n2", 1 },
        { "a /=\n2", 1 },
        { "a, b :=\n1, 2", 1 },
        { "a, b := 1,\n2", 1 },
        { "a,\nb := 1, 2", 1 },
        { "print 1,\n2", 1 },
        { "grad f wrt\nw", 1 },
        { "grad f wrt a,\nb", 1 },
        { "delete a,\nb", 1 },
        /* several newlines after an operator still continue */
        { "a = 1 +\n\n\n2", 1 },
        /* comments aside */
        { "a = 1 + # more below\n2", 1 },
        { "a = 1 # + not an operator\n2", 2 },
        { "a = (1 # comment\n+ 2)", 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Parsed p = parse(cases[i].text);
        ck_assert_msg(p.rc == 0, "`%s` does not parse: %s", cases[i].text, p.d.msg);
        ck_assert_msg(count(p.list) == cases[i].n, "`%s`: %d statements, expected %d",
                      cases[i].text, count(p.list), cases[i].n);
        src_free(p.src);
    }
}
END_TEST

/* A continued statement computes what the one-line form computes. */
START_TEST(test_continuation_values)
{
    Tu *t = tu_new();
    tu_ok(t, "a = 10 -\n 4\nb = (a\n * 2)\nc = [1,\n 2,\n 3]");
    ck_assert(tu_num(t, "a") == 6);
    ck_assert(tu_num(t, "b") == 12);
    ck_assert(tu_num(t, "sum(c)") == 6);
    /* a line that begins with an operator is a new statement */
    tu_ok(t, "d = 5\n-2");
    ck_assert(tu_num(t, "d") == 5);
    tu_free(t);
}
END_TEST

START_TEST(test_comments)
{
    Parsed p = parse("# a comment\na = 1 # another\n   # indented\nb = 2#no space");
    ck_assert_int_eq(p.rc, 0);
    ck_assert_int_eq(count(p.list), 2);
    ck_assert_int_eq(p.list->loc.line, 2);
    ck_assert_int_eq(p.list->next->loc.line, 4);
    src_free(p.src);

    p = parse("#!/usr/bin/env bp\nx = 1\n");
    ck_assert_int_eq(p.rc, 0);
    ck_assert_int_eq(count(p.list), 1);
    ck_assert_int_eq(p.list->loc.line, 2);
    src_free(p.src);

    p = parse("#!/usr/bin/env bp -q (anything: !@$%)\n");
    ck_assert_int_eq(p.rc, 0);
    ck_assert_int_eq(count(p.list), 0);
    src_free(p.src);

    /* A comment does not end a string, and a string holds a # */
    p = parse("print \"a # b\" # c");
    ck_assert_int_eq(p.rc, 0);
    ck_assert_int_eq(count(p.list), 1);
    ck_assert_str_eq(p.list->e[0]->name, "a # b");
    src_free(p.src);
}
END_TEST

/* ---- precedence ------------------------------------------------------- */

START_TEST(test_precedence_tree)
{
    Parsed p;
    const Stmt *s;
    const Ast *a;

    /* -x^2 is -(x^2) */
    s = one(&p, "-x^2", ST_EXPR);
    a = s->e[0];
    ck_assert_int_eq(a->kind, AST_NEG);
    ck_assert_int_eq(a->kid[0]->kind, AST_BIN);
    ck_assert_int_eq(a->kid[0]->op, OP_POW);
    src_free(p.src);

    /* ^ is right-associative */
    s = one(&p, "2^3^2", ST_EXPR);
    a = s->e[0];
    ck_assert_int_eq(a->op, OP_POW);
    ck_assert_int_eq(a->kid[0]->kind, AST_NUM);
    ck_assert_int_eq(a->kid[1]->kind, AST_BIN);
    ck_assert_int_eq(a->kid[1]->op, OP_POW);
    src_free(p.src);

    /* comparisons loosest, then + -, then * / @ */
    s = one(&p, "a + b * c < d - e / f", ST_EXPR);
    a = s->e[0];
    ck_assert_int_eq(a->op, OP_LT);
    ck_assert_int_eq(a->kid[0]->op, OP_ADD);
    ck_assert_int_eq(a->kid[0]->kid[1]->op, OP_MUL);
    ck_assert_int_eq(a->kid[1]->op, OP_SUB);
    ck_assert_int_eq(a->kid[1]->kid[1]->op, OP_DIV);
    src_free(p.src);

    s = one(&p, "A @ x + b", ST_EXPR);
    ck_assert_int_eq(s->e[0]->op, OP_ADD);
    ck_assert_int_eq(s->e[0]->kid[0]->op, OP_MATMUL);
    src_free(p.src);

    /* left-associative + - * / */
    s = one(&p, "a - b - c", ST_EXPR);
    ck_assert_int_eq(s->e[0]->op, OP_SUB);
    ck_assert_int_eq(s->e[0]->kid[0]->op, OP_SUB);
    ck_assert_int_eq(s->e[0]->kid[1]->kind, AST_NAME);
    src_free(p.src);

    /* unary minus binds tighter than * */
    s = one(&p, "-a * b", ST_EXPR);
    ck_assert_int_eq(s->e[0]->op, OP_MUL);
    ck_assert_int_eq(s->e[0]->kid[0]->kind, AST_NEG);
    src_free(p.src);

    /* every comparison operator */
    static const struct { const char *text; int op; } cmp[] = {
        { "a < b", OP_LT }, { "a <= b", OP_LE }, { "a > b", OP_GT },
        { "a >= b", OP_GE }, { "a == b", OP_EQ }, { "a != b", OP_NE },
    };
    for (int i = 0; i < 6; i++) {
        s = one(&p, cmp[i].text, ST_EXPR);
        ck_assert_int_eq(s->e[0]->op, cmp[i].op);
        src_free(p.src);
    }
}
END_TEST

START_TEST(test_precedence_values)
{
    Tu *t = tu_new();
    tu_ok(t, "x = 3");
    ck_assert(tu_num(t, "-x^2") == -9);
    ck_assert(tu_num(t, "-2^2") == -4);
    ck_assert(tu_num(t, "(-2)^2") == 4);
    ck_assert(tu_num(t, "2^3^2") == 512);
    ck_assert(tu_num(t, "(2^3)^2") == 64);
    ck_assert(tu_num(t, "2*3^2") == 18);
    ck_assert(tu_num(t, "2^-1") == 0.5);
    ck_assert(tu_num(t, "1 - 2 - 3") == -4);
    ck_assert(tu_num(t, "2 / 4 / 2") == 0.25);
    ck_assert(tu_num(t, "1 + 2 * 3") == 7);
    ck_assert(tu_num(t, "-2 - -3") == 1);
    ck_assert(tu_num(t, "2 * -3") == -6);
    ck_assert(tu_num(t, "1 + 2 < 2 * 2") == 1);
    ck_assert(tu_num(t, "1 + 2 > 2 * 2") == 0);
    ck_assert(tu_num(t, "(1 < 2) + (3 <= 3) + (3 >= 4) + (2 == 2) + (2 != 2) + (5 > 1)") == 4);
    ck_assert(tu_num(t, "x == 3") == 1);
    ck_assert(tu_num(t, "x != 3") == 0);
    ck_assert(tu_num(t, "-1.5e-3") == -1.5e-3);
    ck_assert(tu_num(t, "pi") == M_PI);
    ck_assert(tu_num(t, "e") == M_E);
    tu_free(t);
}
END_TEST

/* ---- errors ------------------------------------------------------------ */

START_TEST(test_syntax_error_location)
{
    Parsed p = parse("x = 1\ny = * 2");
    ck_assert(p.rc != 0);
    ck_assert_int_eq(p.d.kind, E_SYNTAX);
    ck_assert_ptr_nonnull(p.d.loc.src);
    ck_assert_int_eq(p.d.loc.line, 2);
    ck_assert_int_eq(p.d.loc.col, 5);
    ck_assert_msg(strstr(p.d.msg, "'*'") != NULL, "message: %s", p.d.msg);
    /* the statements before the error are kept, so a script runs up to it */
    ck_assert_int_eq(count(p.list), 1);
    src_free(p.src);

    p = parse_at("a = 1\n\nb = (1 + )", 10);
    ck_assert(p.rc != 0);
    ck_assert_int_eq(p.d.kind, E_SYNTAX);
    ck_assert_int_eq(p.d.loc.line, 12);
    ck_assert_int_eq(p.d.loc.col, 10);
    src_free(p.src);

    /* a bad character gets a located error of its own */
    p = parse("x = 1 $ 2");
    ck_assert(p.rc != 0);
    ck_assert_int_eq(p.d.kind, E_SYNTAX);
    ck_assert_int_eq(p.d.loc.col, 7);
    ck_assert_msg(strstr(p.d.msg, "'$'") != NULL, "message: %s", p.d.msg);
    src_free(p.src);

    p = parse("x = 1\n  y = \xc3\xa9");
    ck_assert(p.rc != 0);
    ck_assert_int_eq(p.d.loc.line, 2);
    ck_assert_int_eq(p.d.loc.col, 7);
    ck_assert_msg(strstr(p.d.msg, "0xC3") != NULL, "message: %s", p.d.msg);
    src_free(p.src);

    p = parse("x = 1e999");
    ck_assert(p.rc != 0);
    ck_assert_int_eq(p.d.loc.col, 5);
    ck_assert_msg(strstr(p.d.msg, "1e999") != NULL, "message: %s", p.d.msg);
    src_free(p.src);

    p = parse("print \"abc");
    ck_assert(p.rc != 0);
    ck_assert_int_eq(p.d.loc.col, 7);
    ck_assert_msg(strstr(p.d.msg, "string") != NULL, "message: %s", p.d.msg);
    src_free(p.src);

    static const char *bad[] = {
        "1 = 2", "f(1) = 2", "x + 1 := 2", "a, b", "a, b := 1", "check a, b, c",
        "x = = 1", "1 < 2 < 3", "f(x", "(1))", "x[1", "const 3 = 1",
        "a, 2 := 1, 2", "f(x) += 1", "x y",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = parse(bad[i]);
        ck_assert_msg(p.rc != 0, "`%s` parsed", bad[i]);
        ck_assert_msg(p.d.kind == E_SYNTAX, "`%s`: kind %d",
                      bad[i], p.d.kind);
        ck_assert_msg(p.d.loc.src != NULL && p.d.loc.line == 1 && p.d.loc.col >= 1,
                      "`%s`: no location", bad[i]);
        src_free(p.src);
    }
}
END_TEST

START_TEST(test_incomplete)
{
    static const char *inc[] = {
        "x = (1 + 2", "x = 1 +", "f(1,", "v = [1, 2", "a =", "grad f wrt",
        "m = [[1, 2],\n [3", "a, b :=", "print 1,", "y = max(a,\n b",
    };
    for (size_t i = 0; i < sizeof inc / sizeof inc[0]; i++) {
        Parsed p = parse(inc[i]);
        ck_assert_msg(p.rc != 0, "`%s` parsed", inc[i]);
        ck_assert_msg(p.d.kind == E_SYNTAX && p.d.incomplete,
                      "`%s`: kind %d (%s), expected an incomplete E_SYNTAX",
                      inc[i], p.d.kind, p.d.msg);
        src_free(p.src);
    }
    /* an error before the end is a syntax error, not an incomplete input */
    static const char *wrong[] = { "x = (1 + 2))", "x = * 2\ny = (", "x = 1 2" };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        Parsed p = parse(wrong[i]);
        ck_assert_msg(p.rc != 0 && p.d.kind == E_SYNTAX && !p.d.incomplete, "`%s`: kind %d",
                      wrong[i], p.d.kind);
        src_free(p.src);
    }

    /* run_text: with allow_incomplete nothing runs; without, the
     * complete statements run and the end is a syntax error. */
    Tu *t = tu_new();
    const char *text = "a = 1\nb = (2 +";
    ck_assert_int_eq(run_text(t->s, "t", text, strlen(text), 1, 1), S_INCOMPLETE);
    ck_assert(session_find(t->s, "a") == NULL || session_find(t->s, "a")->kind == ENT_UNDEF);
    ck_assert_str_eq(tu_err(t), "");
    ck_assert_int_eq(run_text(t->s, "t", text, strlen(text), 1, 0), E_SYNTAX);
    ck_assert_int_eq(tu_entry(t, "a")->kind, ENT_PARAM);
    ck_assert_msg(strstr(tu_err(t), "t:2:") != NULL, "stderr: %s", tu_err(t));
    tu_free(t);
}
END_TEST

/* The error model: the kind table has SPEC 5's names, distinct, with the
 * exit statuses of the SPEC; control statuses are outside it. */
START_TEST(test_error_kinds)
{
    static const struct { int kind; const char *name; int status; } want[] = {
        { E_SYNTAX, "syntax", 1 }, { E_NAME, "name", 1 }, { E_ARITY, "arity", 1 },
        { E_CYCLE, "cycle", 1 }, { E_DOMAIN, "domain", 1 }, { E_SHAPE, "shape", 1 },
        { E_USAGE, "usage", 1 }, { E_IO, "file", 1 }, { E_LIMIT, "limit", 1 },
        { E_MEMORY, "memory", 3 }, { E_INTERRUPT, "interrupt", 1 },
    };
    int n = (int)(sizeof want / sizeof want[0]);
    ck_assert_int_eq(n, E_NKINDS - 1);   /* every kind is in the list above */
    for (int i = 0; i < n; i++) {
        ck_assert_str_eq(diag_kind_name(want[i].kind), want[i].name);
        ck_assert_int_eq(diag_exit_status(want[i].kind), want[i].status);
    }
    ck_assert_int_eq(diag_exit_status(E_OK), 0);
    ck_assert_int_gt(S_INCOMPLETE, E_NKINDS);
    ck_assert_str_eq(diag_kind_name(S_INCOMPLETE), "internal");
}
END_TEST

/* An error inside a loaded file: reported once (by the file's run), and
 * its own kind comes back up through `load` (no "included" status). */
START_TEST(test_load_keeps_kind)
{
    char path[] = "check_parse_load_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("x = 1\nsqrt(-x)\n", f);
    fclose(f);
    Tu *t = tu_new();
    ck_assert_int_eq(tu_runf(t, "load \"%s\"\nz = 2", path), E_DOMAIN);
    const char *err = tu_err(t);
    ck_assert_msg(strstr(err, ":2:1: error: sqrt of a negative number") != NULL, "stderr: %s", err);
    ck_assert_msg(strstr(strstr(err, "error:") + 1, "error:") == NULL,
                  "reported more than once: %s", err);
    ck_assert(session_find(t->s, "z") == NULL || session_find(t->s, "z")->kind == ENT_UNDEF);
    /* nested: a load of a file that loads it */
    char outer[] = "check_parse_outer_XXXXXX";
    fd = mkstemp(outer);
    ck_assert_int_ge(fd, 0);
    f = fdopen(fd, "w");
    fprintf(f, "load \"%s\"\n", path);
    fclose(f);
    tu_clear(t);
    ck_assert_int_eq(tu_runf(t, "load \"%s\"", outer), E_DOMAIN);
    err = tu_err(t);
    ck_assert_msg(strstr(strstr(err, "error:") + 1, "error:") == NULL,
                  "reported more than once: %s", err);
    tu_free(t);
    remove(path);
    remove(outer);
}
END_TEST

/* A limit reached while compiling a literal (the second of two): an
 * error, and nothing written through the failed slot (ASan saw a write
 * through slot -1 here). */
START_TEST(test_limit_in_literal)
{
    Tu *t = tu_new();
    tu_ok(t, "set maxnodes 1");
    ck_assert_int_eq(tu_run(t, "x = 1 + 2"), E_LIMIT);
    ck_assert_int_eq(tu_run(t, "y = pi + e"), E_LIMIT);
    ck_assert_int_eq(tu_run(t, "z = 1 + pi"), E_LIMIT);
    ck_assert_msg(strstr(tu_err(t), "set maxnodes") != NULL, "stderr: %s", tu_err(t));
    tu_free(t);
}
END_TEST

/* Deep nesting: a deep tree parses, evaluates and differentiates (no
 * recursion over its depth); past the parser's stack, an error, not a
 * crash. */
START_TEST(test_deep_nesting)
{
    enum { N = 100000 };
    size_t len = 0;
    char *text = malloc(3 * (size_t)N + 16);
    ck_assert_ptr_nonnull(text);
    for (int i = 0; i < N; i++) { text[len++] = '-'; text[len++] = '('; }
    text[len++] = 'w';
    for (int i = 0; i < N; i++) text[len++] = ')';
    text[len] = '\0';
    Tu *t = tu_new();
    tu_ok(t, "w = 1.5");
    tu_okf(t, "f = %s", text);
    ck_assert(tu_num(t, "f") == 1.5);          /* N even: (-1)^N = 1 */
    ck_assert(tu_grad(t, "f", "w") == 1);
    tu_free(t);
    free(text);

    enum { M = 2000000 };
    text = malloc(2 * (size_t)M + 2);
    ck_assert_ptr_nonnull(text);
    memset(text, '(', M);
    text[M] = '1';
    memset(text + M + 1, ')', M);
    text[2 * M + 1] = '\0';
    Parsed p = parse(text);
    ck_assert(p.rc != 0);
    ck_assert(p.d.kind == E_LIMIT || p.d.kind == E_SYNTAX);
    ck_assert_ptr_nonnull(p.d.loc.src);
    ck_assert_int_eq(p.d.loc.line, 1);
    src_free(p.src);
    free(text);

    /* a long flat expression (left-recursive: the stack stays low) */
    size_t n = 200000;
    char *flat = malloc(4 * n + 16);
    ck_assert_ptr_nonnull(flat);
    len = (size_t)sprintf(flat, "1");
    for (size_t i = 0; i < n; i++) len += (size_t)sprintf(flat + len, "+1");
    t = tu_new();
    ck_assert(tu_num(t, flat) == (double)(n + 1));
    tu_free(t);
    free(flat);
}
END_TEST

/* SPEC 2: built-in function names are reserved, with an error that says so. */
START_TEST(test_reserved_functions)
{
    static const char *fns[] = {
        "exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu",
        "softplus", "abs", "pow", "min", "max", "sum", "mean", "transpose",
        "softmax", "mse", "cross_entropy", "outer", "zeros", "ones", "randn", "load_csv",
        "atan", "asinh", "log1p", "expm1",
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        Tu *t = tu_new();
        ck_assert_msg(tu_runf(t, "%s = 1", fns[i]) == E_NAME, "%s = 1 accepted", fns[i]);
        ck_assert_msg(strstr(tu_err(t), fns[i]) && strstr(tu_err(t), "built-in"),
                      "%s: %s", fns[i], tu_err(t));
        ck_assert_msg(strstr(tu_err(t), "t:1:1: error:") != NULL, "%s", tu_err(t));
        ck_assert(session_find(t->s, fns[i]) == NULL ||
                  session_find(t->s, fns[i])->kind == ENT_UNDEF);
        /* not as a user function, a parameter name or an update either */
        ck_assert_msg(tu_runf(t, "%s(x) = x", fns[i]) == E_NAME, "%s(x) = x accepted", fns[i]);
        ck_assert_msg(tu_runf(t, "g(%s) = 1", fns[i]) == E_NAME, "g(%s) = 1 accepted", fns[i]);
        ck_assert_msg(tu_runf(t, "%s := 1", fns[i]) == E_NAME, "%s := 1 accepted", fns[i]);
        ck_assert_msg(tu_runf(t, "const %s = 1", fns[i]) == E_NAME, "const %s accepted", fns[i]);
        tu_free(t);
    }
}
END_TEST

/* Every function of the op list is reserved as well (a row added there
 * needs no other list): its name is refused as a definition. */
START_TEST(test_reserved_from_list)
{
    int n = 0;
    for (int op = 0; op < OP_COUNT; op++) {
        const char *fn = op_info[op].fname;
        if (!fn || strcmp(fn, "dot") == 0) continue;   /* dot: a command word too */
        Tu *t = tu_new();
        ck_assert_msg(session_reserved(fn), "%s not reserved", fn);
        ck_assert_msg(tu_runf(t, "%s = 1", fn) == E_NAME, "%s = 1 accepted", fn);
        ck_assert_msg(strstr(tu_err(t), "built-in") != NULL, "%s: %s", fn, tu_err(t));
        tu_free(t);
        n++;
    }
    ck_assert_int_ge(n, 25);   /* as many as when this test was written, at least */
}
END_TEST

/* The help overview lists every function of the op list, and `help NAME`
 * shows its help line and derivative. */
START_TEST(test_help_lists_functions)
{
    Tu *t = tu_new();
    tu_ok(t, "help");
    char *overview = strdup(tu_out(t));
    for (int op = 0; op < OP_COUNT; op++) {
        const char *fn = op_info[op].fname;
        if (!fn) continue;
        /* as a word: a space before, a space or newline after */
        char word[64];
        snprintf(word, sizeof word, " %s", fn);
        const char *p = overview;
        size_t n = strlen(word);
        while ((p = strstr(p, word)) && p[n] != ' ' && p[n] != '\n') p += n;
        ck_assert_msg(p != NULL, "help does not list %s:\n%s", fn, overview);
        if (strcmp(fn, "dot") == 0) continue;      /* help dot: the command */
        tu_clear(t);
        tu_okf(t, "help %s", fn);
        ck_assert_msg(strstr(tu_out(t), op_info[op].help) == tu_out(t), "help %s: %s", fn, tu_out(t));
        ck_assert_msg(strstr(tu_out(t), "derivative: ") != NULL, "help %s: %s", fn, tu_out(t));
    }
    free(overview);
    tu_free(t);
}
END_TEST

/* Command words cannot be names: an error that says so. */
START_TEST(test_reserved_commands)
{
    static const char *words[] = {
        "grad", "trace", "graph", "dot", "sweep", "step", "train", "check", "print",
        "show", "vars", "delete", "clear", "load", "save", "set", "help", "quit",
        "exit", "const", "wrt",
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        Tu *t = tu_new();
        int rc = tu_runf(t, "%s = 1", words[i]);
        ck_assert_msg(rc != E_OK, "`%s = 1` accepted", words[i]);
        ck_assert_msg(strstr(tu_err(t), "t:1:") != NULL, "%s: %s", words[i], tu_err(t));
        /* SPEC 2: an error that says so, at the word (`const = 1`: not yet) */
        if (strcmp(words[i], "const") != 0)
            ck_assert_msg(strstr(tu_err(t), "t:1:1: error:") && strstr(tu_err(t), words[i]) &&
                          strstr(tu_err(t), "command word"), "%s: %s", words[i], tu_err(t));
        ck_assert_msg(tu_runf(t, "%s := 1", words[i]) != E_OK, "`%s := 1` accepted", words[i]);
        ck_assert_msg(tu_runf(t, "%s += 1", words[i]) != E_OK, "`%s += 1` accepted", words[i]);
        ck_assert_msg(tu_runf(t, "const %s = 1", words[i]) != E_OK, "`const %s` accepted",
                      words[i]);
        ck_assert(session_find(t->s, words[i]) == NULL ||
                  session_find(t->s, words[i])->kind == ENT_UNDEF);
        ck_assert_msg(tu_runf(t, "x = 2; f(%s) = 1", words[i]) != E_OK, "f(%s) accepted", words[i]);
        tu_free(t);
    }
}
END_TEST

static Suite *parse_suite(void)
{
    Suite *s = suite_create("parse");
    TCase *tc = tcase_create("statements");
    tcase_add_test(tc, test_statement_kinds);
    tcase_add_test(tc, test_statement_fields);
    tcase_add_test(tc, test_expression_forms);
    tcase_add_test(tc, test_node_locations);
    suite_add_tcase(s, tc);

    tc = tcase_create("lines");
    tcase_add_test(tc, test_continuation);
    tcase_add_test(tc, test_continuation_values);
    tcase_add_test(tc, test_comments);
    suite_add_tcase(s, tc);

    tc = tcase_create("arena");
    tcase_add_test(tc, test_arena_mark_release);
    tcase_add_test(tc, test_arena_each_block);
    tcase_add_test(tc, test_name_node_entry);
    tcase_add_test(tc, test_parse_each);
    tcase_add_test(tc, test_parse_text_whole);
    tcase_add_test(tc, test_number_literals);
    suite_add_tcase(s, tc);

    tc = tcase_create("precedence");
    tcase_add_test(tc, test_precedence_tree);
    tcase_add_test(tc, test_precedence_values);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_syntax_error_location);
    tcase_add_test(tc, test_incomplete);
    tcase_add_test(tc, test_deep_nesting);
    tcase_add_test(tc, test_error_kinds);
    tcase_add_test(tc, test_load_keeps_kind);
    tcase_add_test(tc, test_limit_in_literal);
    tcase_add_test(tc, test_reserved_functions);
    tcase_add_test(tc, test_reserved_from_list);
    tcase_add_test(tc, test_help_lists_functions);
    tcase_add_test(tc, test_reserved_commands);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_main(parse_suite());
}
