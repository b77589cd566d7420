/* expr.c: a tape slot printed as an expression (bp syntax and LaTeX).
 *
 * Three passes, none recursive over the graph's depth:
 *  1. the slots the target needs, in tape order (inputs first), become
 *     nodes of a DAG; each node is simplified as it is made (`mk`) and
 *     interned, so equal subexpressions are one node;
 *  2. the nodes the root reaches are counted: a node of two operations or
 *     more that is used twice gets a name (`where t = ...`);
 *  3. each text is written from an explicit stack of pieces, parentheses
 *     only where SPEC section 3's precedence needs them.
 *
 * Simplifications only rewrite a value into one equal to it up to
 * rounding (x + 0, 1*x, -(-x), x*x = x^2, folding 2*3) or into the value
 * the derivative rules mean (0*x is 0 even when x is not finite). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "expr.h"
#include "ops.h"
#include "report.h"
#include "xalloc.h"

/* ---- the DAG -------------------------------------------------------- */

typedef struct Node {
    int op;              /* an OpCode.  OP_NUM: num, or a symbol (pi, e) when
                            name is set; OP_LEAF: a name (parameter, const,
                            formula) */
    int a, b;            /* inputs, -1 when none */
    double num;
    const char *name;
} Node;

typedef struct Dag {
    Node *n;
    int len, cap;
    int *tab;            /* open addressing: node index + 1, 0 empty */
    size_t tcap;
    int depth;           /* nesting of mk: the regrouping rules stop at a bound */
} Dag;

static size_t node_hash(const Node *x)
{
    uint64_t bits, h = 1469598103934665603u;
    memcpy(&bits, &x->num, sizeof bits);
    uint64_t part[5] = { (uint64_t)x->op, (uint32_t)x->a, (uint32_t)x->b, bits,
                         (uint64_t)(uintptr_t)x->name };
    for (int i = 0; i < 5; i++) {
        h ^= part[i];
        h *= 1099511628211u;
        h ^= h >> 29;
    }
    return (size_t)h;
}

static int node_eq(const Node *x, const Node *y)
{
    return x->op == y->op && x->a == y->a && x->b == y->b && x->name == y->name &&
           memcmp(&x->num, &y->num, sizeof x->num) == 0;
}

/* The index of the node equal to x, added if new. */
static int intern(Dag *g, Node x)
{
    if (2 * ((size_t)g->len + 1) > g->tcap) {
        size_t nc = g->tcap ? 2 * g->tcap : 256;
        int *nt = xcalloc(nc, sizeof *nt);
        for (int i = 0; i < g->len; i++) {
            size_t j = node_hash(&g->n[i]) & (nc - 1);
            while (nt[j]) j = (j + 1) & (nc - 1);
            nt[j] = i + 1;
        }
        free(g->tab);
        g->tab = nt;
        g->tcap = nc;
    }
    size_t j = node_hash(&x) & (g->tcap - 1);
    for (; g->tab[j]; j = (j + 1) & (g->tcap - 1))
        if (node_eq(&g->n[g->tab[j] - 1], &x))
            return g->tab[j] - 1;
    xgrow((void **)&g->n, &g->cap, g->len + 1, sizeof *g->n);
    g->n[g->len] = x;
    g->tab[j] = ++g->len;
    return g->len - 1;
}

static int num(Dag *g, double v)
{
    return intern(g, (Node){ OP_NUM, -1, -1, v == 0 ? 0 : v, NULL });
}

/* Is node i a plain number (not a symbol)?  Its value in *v. */
static int plain(const Dag *g, int i, double *v)
{
    if (i < 0 || g->n[i].op != OP_NUM || g->n[i].name) return 0;
    *v = g->n[i].num;
    return 1;
}

static int is_num(const Dag *g, int i, double want)
{
    double v;
    return plain(g, i, &v) && v == want;
}

/* Can -x be written without growing (a number, a name, a negation)? */
static int simple_neg(const Dag *g, int i)
{
    int op = g->n[i].op;
    return op == OP_NUM || op == OP_LEAF || op == OP_NEG;
}

/* Fold op on numbers when the result reads well: arithmetic whose answer
 * is short (2*3, 1/4, but not 1/3), and functions whose answer is whole
 * (log(1), but log(2) stays log(2)). */
static int fold_ok(int op, double r)
{
    char s[40];
    if (!isfinite(r)) return 0;
    report_fmt_json(s, sizeof s, r);
    switch (op) {
    case OP_NEG: case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_POW:
    case OP_MIN: case OP_MAX: case OP_ABS: case OP_RELU:
    case OP_LT: case OP_LE: case OP_GT: case OP_GE: case OP_EQ: case OP_NE:
        return strlen(s) <= 8;
    default:
        return r == floor(r) && fabs(r) < 1e6;
    }
}

static int mk(Dag *g, int op, int a, int b);

/* -i when writing it costs nothing (-x, a negative number, -2*x, -x/y),
 * else -1.  So x + (-y) becomes x - y. */
static int negated(Dag *g, int i)
{
    const Node x = g->n[i];
    if (x.op == OP_NEG) return x.a;
    if (x.op == OP_NUM && !x.name && x.num < 0) return num(g, -x.num);
    if ((x.op == OP_MUL || x.op == OP_DIV) &&
        (g->n[x.a].op == OP_NEG || (g->n[x.a].op == OP_NUM && !g->n[x.a].name && g->n[x.a].num < 0)))
        return mk(g, x.op, negated(g, x.a), x.b);
    return -1;
}

enum { REGROUP_DEPTH = 32 };

/* op(a, b), simplified.  Each rule makes a node no bigger than what it
 * replaces; the rules that regroup (a*(b*c) = a*b*c, which may call
 * themselves down a chain) stop at a fixed depth of the C stack. */
static int mk_(Dag *g, int op, int a, int b)
{
    const OpInfo *o = &op_info[op];
    double x = 0, y = 0, z;
    int ca = plain(g, a, &x), cb = b >= 0 && plain(g, b, &y), k;
    if (ca && (o->arity == 1 || cb) && o->fwd && !o->kfwd) {
        double r;
        if (!o->fwd(x, y, &r) && fold_ok(op, r)) return num(g, r);
    }
    if (g->depth > 4 * REGROUP_DEPTH)      /* a safety net: rules that call rules */
        return intern(g, (Node){ op, a, b, 0, NULL });
    Node A = g->n[a], B = b >= 0 ? g->n[b] : (Node){ -1, -1, -1, 0, NULL };
    int deep = g->depth > REGROUP_DEPTH;
    switch (op) {
    case OP_NEG:
        if (A.op == OP_NEG) return A.a;                       /* -(-x) = x */
        if (A.op == OP_SUB) return mk(g, OP_SUB, A.b, A.a);   /* -(x - y) = y - x */
        if ((A.op == OP_MUL || A.op == OP_DIV) && simple_neg(g, A.a))
            return mk(g, A.op, mk(g, OP_NEG, A.a, -1), A.b);  /* -(x*y) = (-x)*y */
        break;
    case OP_ADD:
        if (is_num(g, a, 0)) return b;
        if (is_num(g, b, 0)) return a;
        if ((k = negated(g, b)) >= 0) return mk(g, OP_SUB, a, k);
        if ((k = negated(g, a)) >= 0) return mk(g, OP_SUB, b, k);
        if (ca && !cb) return mk(g, OP_ADD, b, a);            /* numbers last */
        if (a == b) return mk(g, OP_MUL, num(g, 2), a);
        /* c*x + x, x + c*x, c*x + d*x: one term */
        if (A.op == OP_MUL && plain(g, A.a, &x) && A.b == b) return mk(g, OP_MUL, num(g, x + 1), b);
        if (B.op == OP_MUL && plain(g, B.a, &y) && B.b == a) return mk(g, OP_MUL, num(g, y + 1), a);
        if (A.op == OP_MUL && B.op == OP_MUL && A.b == B.b && plain(g, A.a, &x) && plain(g, B.a, &y))
            return mk(g, OP_MUL, num(g, x + y), A.b);
        if (cb && A.op == OP_ADD && plain(g, A.b, &z) && isfinite(z + y))
            return mk(g, OP_ADD, A.a, num(g, z + y));
        if (!deep && (B.op == OP_ADD || B.op == OP_SUB))      /* a + (b + c) = a + b + c */
            return mk(g, B.op, mk(g, OP_ADD, a, B.a), B.b);
        break;
    case OP_SUB:
        if (is_num(g, b, 0)) return a;
        if (is_num(g, a, 0)) return mk(g, OP_NEG, b, -1);
        if (a == b) return num(g, 0);
        if ((k = negated(g, b)) >= 0) return mk(g, OP_ADD, a, k);
        break;
    case OP_MUL:
        if (is_num(g, a, 0) || is_num(g, b, 0)) return num(g, 0);
        if (is_num(g, a, 1)) return b;
        if (is_num(g, b, 1)) return a;
        if (is_num(g, a, -1)) return mk(g, OP_NEG, b, -1);
        if (is_num(g, b, -1)) return mk(g, OP_NEG, a, -1);
        if (cb && !ca) return mk(g, OP_MUL, b, a);            /* numbers first */
        if (A.op == OP_NEG && B.op == OP_NEG) return mk(g, OP_MUL, A.a, B.a);
        if (B.op == OP_NEG) return mk(g, OP_NEG, mk(g, OP_MUL, a, B.a), -1);
        if (ca && B.op == OP_MUL && plain(g, B.a, &z) && isfinite(x * z))
            return mk(g, OP_MUL, num(g, x * z), B.b);
        if (a == b) return mk(g, OP_POW, a, num(g, 2));
        if (is_num(g, B.a, 1) && B.op == OP_DIV) return mk(g, OP_DIV, a, B.b);   /* a*(1/b) */
        if (is_num(g, A.a, 1) && A.op == OP_DIV) return mk(g, OP_DIV, b, A.b);
        if (!deep && B.op == OP_DIV) return mk(g, OP_DIV, mk(g, OP_MUL, a, B.a), B.b);
        if (!deep && B.op == OP_MUL) return mk(g, OP_MUL, mk(g, OP_MUL, a, B.a), B.b);
        break;
    case OP_DIV:
        if (is_num(g, a, 0)) return num(g, 0);
        if (is_num(g, b, 1)) return a;
        if (is_num(g, b, -1)) return mk(g, OP_NEG, a, -1);
        if (B.op == OP_NEG) return mk(g, OP_NEG, mk(g, OP_DIV, a, B.a), -1);
        if (a == b) return num(g, 1);
        if (A.op == OP_POW && A.a == b && plain(g, A.b, &x))     /* x^c/x = x^(c-1) */
            return mk(g, OP_POW, b, num(g, x - 1));
        /* (c*x)/(c*y) = x/y */
        if (A.op == OP_MUL && B.op == OP_MUL && plain(g, A.a, &x) && plain(g, B.a, &y) && x == y)
            return mk(g, OP_DIV, A.b, B.b);
        if (B.op == OP_MUL && A.op != OP_MUL && B.a == a) return mk(g, OP_DIV, num(g, 1), B.b);
        break;
    case OP_POW:
        if (is_num(g, b, 1)) return a;
        if (is_num(g, b, 0) || is_num(g, a, 1)) return num(g, 1);
        break;
    }
    return intern(g, (Node){ op, a, b, 0, NULL });
}

static int mk(Dag *g, int op, int a, int b)
{
    g->depth++;
    int r = mk_(g, op, a, b);
    g->depth--;
    return r;
}

/* ---- from the tape -------------------------------------------------- */

static int fail(char *err, size_t n, const char *fmt, const char *what)
{
    snprintf(err, n, fmt, what);
    return -1;
}

/* A name for slot i in a message: its name, or its text. */
static void slot_words(const Tape *t, int i, char *buf, size_t n)
{
    const Entry *e = tape_name(t, i);
    if (e) snprintf(buf, n, "%s", e->name);
    else if (t->src[i]) report_flat_text(&t->src[i]->loc, buf, n, n > 4 ? n - 4 : 0);
    else snprintf(buf, n, "%s", op_info[t->op[i]].name);
}

/* The DAG node of every slot `slot` needs, or -1 with err filled. */
static int build(Dag *g, const Tape *t, int slot, const Entry *expand, char *err, size_t errn)
{
    int xs = expand ? tape_slot_of(t, expand) : -1;
    char *need = xcalloc((size_t)slot + 1, 1);
    int *node = xmalloc(((size_t)slot + 1) * sizeof *node);
    int rc = 0;
    need[slot] = 1;
    for (int i = slot; i >= 0; i--) {      /* what the root reaches */
        if (!need[i]) continue;
        const Entry *nm = tape_name(t, i);
        if (nm && nm->kind == ENT_FORMULA && i != slot && i != xs)
            continue;                       /* printed as its name */
        int op = t->op[i];
        if (op == OP_NUM || op == OP_LEAF || op == OP_STACK) continue;
        if (t->a[i] >= 0) need[t->a[i]] = 1;
        if (op_info[op].arity == 2 && op != OP_INDEX && t->b[i] >= 0) need[t->b[i]] = 1;
    }
    char what[120];
    for (int i = 0; i <= slot && rc == 0; i++) {
        if (!need[i]) continue;
        int op = t->op[i];
        const Entry *nm = tape_name(t, i);
        if (tape_shape(t, i).rank != 0) {
            char sh[48], words[200];
            slot_words(t, i, what, sizeof what);
            shape_str(tape_shape(t, i), sh, sizeof sh);
            snprintf(words, sizeof words, "%s (shape %s)", what, sh);
            rc = fail(err, errn, "%s is a tensor: only scalar expressions can be written out "
                      "(numbers, + - * / ^, functions of one number, min, max, comparisons)", words);
        } else if (op == OP_LEAF) {
            node[i] = intern(g, (Node){ OP_LEAF, -1, -1, 0, t->leafent[t->a[i]]->name });
        } else if (nm && nm->kind == ENT_FORMULA && i != slot && i != xs) {
            node[i] = intern(g, (Node){ OP_LEAF, -1, -1, 0, nm->name });
        } else if (op == OP_NUM) {
            double v = tape_val(t, i)[0];
            const Ast *src = t->src[i];
            if (src && src->kind == AST_NAME && ((!strcmp(src->name, "pi") && v == M_PI) ||
                                                 (!strcmp(src->name, "e") && v == M_E)))
                node[i] = intern(g, (Node){ OP_NUM, -1, -1, v, v == M_PI ? "pi" : "e" });
            else
                node[i] = num(g, v);
        } else if (!op_info[op].fwd || op_info[op].kfwd) {
            rc = fail(err, errn, "%s works on tensors: only scalar operations can be written "
                      "out", op_info[op].name);
        } else {
            node[i] = mk(g, op, node[t->a[i]], op_info[op].arity == 2 ? node[t->b[i]] : -1);
        }
    }
    int root = rc ? -1 : node[slot];
    free(need);
    free(node);
    return root;
}

/* ---- writing -------------------------------------------------------- */

typedef struct Buf { char *p; size_t n, cap; } Buf;

static void put(Buf *b, const char *s)
{
    size_t k = strlen(s);
    if (b->n + k + 1 > b->cap) {
        size_t nc = b->cap ? 2 * b->cap : 64;
        while (nc < b->n + k + 1) nc *= 2;
        b->p = xrealloc(b->p, nc);
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, k + 1);
    b->n += k;
}

/* Binding strength, loosest first (SPEC section 3). */
enum { P_CMP = 1, P_ADD, P_MUL, P_NEG, P_POW, P_ATOM };

static int prec(const Dag *g, int i, const int *named, int latex)
{
    const Node *x = &g->n[i];
    if (named[i] >= 0) return P_ATOM;
    switch (x->op) {
    case OP_NUM: return !x->name && signbit(x->num) ? P_NEG : P_ATOM;
    case OP_NEG: return P_NEG;
    case OP_ADD: case OP_SUB: return P_ADD;
    case OP_MUL: case OP_MATMUL: return P_MUL;
    case OP_DIV: return latex ? P_ATOM : P_MUL;   /* \frac groups itself */
    case OP_POW: return P_POW;
    case OP_LT: case OP_LE: case OP_GT: case OP_GE: case OP_EQ: case OP_NE: return P_CMP;
    default: return P_ATOM;
    }
}

static const char *const greek[] = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
    "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon",
    "phi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi",
    "Sigma", "Upsilon", "Phi", "Psi", "Omega", NULL
};

/* A letter, a Greek letter (\alpha) or an upright word (\mathrm{lr}). */
static void latex_word(Buf *b, const char *w, size_t n)
{
    char tmp[256];
    if (n >= sizeof tmp) n = sizeof tmp - 1;
    memcpy(tmp, w, n);
    tmp[n] = 0;
    for (int i = 0; greek[i]; i++)
        if (!strcmp(tmp, greek[i])) { put(b, "\\"); put(b, tmp); return; }
    if (n == 1) { put(b, tmp); return; }
    put(b, "\\mathrm{");
    for (size_t i = 0; i < n; i++) {
        char c[3] = { tmp[i], 0, 0 };
        put(b, tmp[i] == '_' ? "\\_" : c);
    }
    put(b, "}");
}

/* w -> w, w1 -> w_{1}, x_max -> x_{\mathrm{max}}, lr -> \mathrm{lr}. */
static void latex_name(Buf *b, const char *name)
{
    size_t k = 0, n = strlen(name);
    while (k < n && ((name[k] >= 'a' && name[k] <= 'z') || (name[k] >= 'A' && name[k] <= 'Z'))) k++;
    const char *rest = name + k;
    int digits = *rest && strspn(rest, "0123456789") == strlen(rest);
    if (k == 0 || !*rest || (!digits && (rest[0] != '_' || !rest[1]))) {
        latex_word(b, name, n);
        return;
    }
    latex_word(b, name, k);
    put(b, "_{");
    if (digits) put(b, rest);
    else latex_word(b, rest + 1, strlen(rest + 1));
    put(b, "}");
}

static void put_num(Buf *b, const Node *x, int latex)
{
    if (x->name) {
        put(b, latex && !strcmp(x->name, "pi") ? "\\pi" : x->name);
        return;
    }
    char s[40];
    report_fmt_json(s, sizeof s, x->num);
    char *e = strchr(s, 'e');
    if (!latex || !e) { put(b, s); return; }
    char ex[16];
    snprintf(ex, sizeof ex, "%d", atoi(e + 1));
    *e = 0;
    if (strcmp(s, "1") != 0) { put(b, s); put(b, " \\cdot "); }
    put(b, "10^{");
    put(b, ex);
    put(b, "}");
}

static const char *latex_fn(int op)
{
    switch (op) {
    case OP_EXP: return "\\exp";
    case OP_LOG: return "\\ln";
    case OP_SIN: return "\\sin";
    case OP_COS: return "\\cos";
    case OP_TAN: return "\\tan";
    case OP_TANH: return "\\tanh";
    case OP_SIGMOID: return "\\sigma";
    case OP_RELU: return "\\operatorname{relu}";
    case OP_SOFTPLUS: return "\\operatorname{softplus}";
    case OP_MIN: return "\\min";
    case OP_MAX: return "\\max";
    default: return NULL;
    }
}

static const char *infix(int op, int latex)
{
    switch (op) {
    case OP_ADD: return " + ";
    case OP_SUB: return " - ";
    case OP_MUL: return latex ? " \\cdot " : "*";
    case OP_DIV: return "/";
    case OP_MATMUL: return "@";
    case OP_POW: return "^";
    case OP_LT: return " < ";
    case OP_LE: return latex ? " \\le " : " <= ";
    case OP_GT: return " > ";
    case OP_GE: return latex ? " \\ge " : " >= ";
    case OP_EQ: return latex ? " = " : " == ";
    case OP_NE: return latex ? " \\ne " : " != ";
    default: return "?";
    }
}

/* A piece still to write: a node, or a fixed string. */
typedef struct Piece { int node; const char *str; } Piece;
typedef struct Pieces { Piece *p; int n, cap; } Pieces;

static void push_str(Pieces *st, const char *s)
{
    xgrow((void **)&st->p, &st->cap, st->n + 1, sizeof *st->p);
    st->p[st->n++] = (Piece){ -1, s };
}

/* Push node i, in parentheses when paren (pieces pop in reverse). */
static void push_node(Pieces *st, int i, int paren, int latex)
{
    if (paren) push_str(st, latex ? "\\right)" : ")");
    xgrow((void **)&st->p, &st->cap, st->n + 1, sizeof *st->p);
    st->p[st->n++] = (Piece){ i, NULL };
    if (paren) push_str(st, latex ? "\\left(" : "(");
}

/* The text of node `root` (its body even when it has a where-name). */
static char *render(const Dag *g, int root, const int *named, char **names, int latex)
{
    Buf b = { 0 };
    Pieces st = { 0 };
    put(&b, "");
    push_node(&st, root, 0, latex);
    while (st.n > 0) {
        Piece pc = st.p[--st.n];
        if (pc.node < 0) { put(&b, pc.str); continue; }
        int i = pc.node;
        const Node *x = &g->n[i];
        if (named[i] >= 0 && i != root) {
            if (latex) latex_name(&b, names[named[i]]);
            else put(&b, names[named[i]]);
            continue;
        }
        const OpInfo *o = &op_info[x->op];
        if (x->op == OP_NUM) { put_num(&b, x, latex); continue; }
        if (x->op == OP_LEAF) {
            if (latex) latex_name(&b, x->name);
            else put(&b, x->name);
            continue;
        }
        if (x->op == OP_NEG) {
            push_node(&st, x->a, prec(g, x->a, named, latex) <= P_NEG, latex);
            push_str(&st, "-");
            continue;
        }
        if (latex && x->op == OP_DIV) {
            push_str(&st, "}");
            push_node(&st, x->b, 0, latex);
            push_str(&st, "}{");
            push_node(&st, x->a, 0, latex);
            push_str(&st, "\\frac{");
            continue;
        }
        if (latex && x->op == OP_POW) {
            int pa = prec(g, x->a, named, latex);
            int bop = named[x->a] >= 0 ? OP_LEAF : g->n[x->a].op;
            push_str(&st, "}");
            push_node(&st, x->b, 0, latex);
            push_str(&st, "^{");
            push_node(&st, x->a, pa < P_ATOM || bop == OP_DIV || bop == OP_SQRT, latex);
            continue;
        }
        if (latex && (x->op == OP_SQRT || x->op == OP_ABS)) {
            push_str(&st, x->op == OP_SQRT ? "}" : "\\right|");
            push_node(&st, x->a, 0, latex);
            push_str(&st, x->op == OP_SQRT ? "\\sqrt{" : "\\left|");
            continue;
        }
        if ((o->flags & OPF_INFIX) && o->arity == 2) {
            int p = prec(g, i, named, latex);
            int pl = prec(g, x->a, named, latex), pr = prec(g, x->b, named, latex);
            int lparen = pl < p || (pl == p && (p == P_POW || p == P_CMP));
            int rparen = p == P_POW ? pr < P_POW : pr <= p || pr == P_NEG;
            push_node(&st, x->b, rparen, latex);
            push_str(&st, infix(x->op, latex));
            push_node(&st, x->a, lparen, latex);
            continue;
        }
        /* a function call: name(a) or name(a, b) */
        push_str(&st, latex ? "\\right)" : ")");
        if (o->arity == 2) {
            push_node(&st, x->b, 0, latex);
            push_str(&st, ", ");
        }
        push_node(&st, x->a, 0, latex);
        push_str(&st, latex ? "\\left(" : "(");
        push_str(&st, latex ? latex_fn(x->op) : o->name);
    }
    free(st.p);
    return b.p;
}

/* ---- naming the shared parts ---------------------------------------- */

static int name_taken(Session *s, const char *name)
{
    Entry *e = session_find(s, name);
    return (e && e->kind != ENT_UNDEF) || session_reserved(name);
}

int expr_format(Session *s, const Tape *t, int slot, const Entry *expand,
                ExprText *out, char *err, size_t errn)
{
    memset(out, 0, sizeof *out);
    Dag g = { 0 };
    int root = build(&g, t, slot, expand, err, errn);
    if (root < 0) {
        free(g.n);
        free(g.tab);
        return -1;
    }
    int n = root + 1;
    int *uses = xcalloc((size_t)n, sizeof *uses), *named = xmalloc((size_t)n * sizeof *named);
    long *ops = xcalloc((size_t)n, sizeof *ops);
    char *reach = xcalloc((size_t)n, 1);
    reach[root] = 1;
    for (int i = root; i >= 0; i--) {       /* inputs have smaller indices */
        if (!reach[i]) continue;
        int k[2] = { g.n[i].a, g.n[i].b };
        for (int j = 0; j < 2; j++)
            if (k[j] >= 0) { reach[k[j]] = 1; uses[k[j]]++; }
    }
    int nw = 0;
    for (int i = 0; i < n; i++) {
        named[i] = -1;
        if (!reach[i] || g.n[i].op == OP_NUM || g.n[i].op == OP_LEAF) continue;
        /* operations in i's printed text (names count as none) */
        ops[i] = 1;
        int k[2] = { g.n[i].a, g.n[i].b };
        for (int j = 0; j < 2; j++)
            if (k[j] >= 0 && named[k[j]] < 0) ops[i] += ops[k[j]];
        if (ops[i] > 1000000) ops[i] = 1000000;
        if (uses[i] >= 2 && ops[i] >= 2 && i != root) named[i] = nw++;
    }
    char **names = xcalloc((size_t)(nw ? nw : 1), sizeof *names);
    for (int k = 0, next = 1; k < nw; k++) {
        char buf[32];
        do {
            if (nw == 1 && next == 1) snprintf(buf, sizeof buf, "t");
            else snprintf(buf, sizeof buf, "t%d", next);
            next++;
        } while (name_taken(s, buf));
        names[k] = xstrdup(buf);
    }
    out->text = render(&g, root, named, names, 0);
    out->latex = render(&g, root, named, names, 1);
    out->nwhere = nw;
    if (nw) {
        out->wname = names;
        out->wtext = xmalloc((size_t)nw * sizeof *out->wtext);
        out->wlatex = xmalloc((size_t)nw * sizeof *out->wlatex);
        for (int i = 0; i < n; i++)
            if (named[i] >= 0) {
                out->wtext[named[i]] = render(&g, i, named, names, 0);
                out->wlatex[named[i]] = render(&g, i, named, names, 1);
            }
    } else {
        free(names);
    }
    free(uses); free(named); free(ops); free(reach);
    free(g.n); free(g.tab);
    return 0;
}

void expr_text_free(ExprText *x)
{
    free(x->text);
    free(x->latex);
    for (int i = 0; i < x->nwhere; i++) {
        free(x->wname[i]);
        free(x->wtext[i]);
        free(x->wlatex[i]);
    }
    free(x->wname);
    free(x->wtext);
    free(x->wlatex);
    memset(x, 0, sizeof *x);
}

char *expr_latex_name(const char *name)
{
    Buf b = { 0 };
    put(&b, "");
    latex_name(&b, name);
    return b.p;
}
