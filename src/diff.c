/* diff.c: `diff f wrt x [latex]`, the derivative written as a formula
 * (SPEC section 7): df/dx as tape slots (diff_tape), written out by the
 * expression printer (expr.c) in bp's syntax, which pastes back, or in
 * LaTeX for slides. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "diff.h"
#include "cmdutil.h"
#include "expr.h"
#include "ops.h"
#include "report.h"
#include "xalloc.h"

/* ---- df/dx as slots --------------------------------------------------
 *
 * A stand-in for the derivative emitter of issue 11 (grad(f, w) built as
 * graph nodes): the scalar rules, each written as operations, appended
 * to f's tape in reverse order.  The printer simplifies what this writes
 * plainly (1*g, g + 0), so it may stay naive. */

typedef struct Emit {
    Tape *t;
    long max;            /* set maxnodes */
    int full;            /* the limit was reached */
} Emit;

/* Append slot op(a, b) (a scalar; OP_NUM holds v).  Returns its index,
 * or 0 once the limit is reached (the caller checks m->full). */
static int put(Emit *m, int op, int a, int b, double v)
{
    Tape *t = m->t;
    if (m->full || t->n >= m->max) { m->full = 1; return 0; }
    if (t->n == t->cap) {
        int nc = t->cap ? 2 * t->cap : 64;
        t->op = xrealloc(t->op, (size_t)nc * sizeof *t->op);
        t->a = xrealloc(t->a, (size_t)nc * sizeof *t->a);
        t->b = xrealloc(t->b, (size_t)nc * sizeof *t->b);
        t->sid = xrealloc(t->sid, (size_t)nc * sizeof *t->sid);
        t->off = xrealloc(t->off, (size_t)nc * sizeof *t->off);
        t->src = xrealloc(t->src, (size_t)nc * sizeof *t->src);
        t->cap = nc;
    }
    if (t->nval + 1 > t->valcap) {
        long nc = t->valcap ? 2 * t->valcap : 256;
        t->val = xrealloc(t->val, (size_t)nc * sizeof *t->val);
        t->valcap = nc;
        free(t->grad);      /* sized by valcap: made again when needed */
        t->grad = NULL;
        free(t->im);
        t->im = NULL;
    }
    int i = t->n++;
    t->op[i] = (unsigned char)op;
    t->a[i] = a;
    t->b[i] = b;
    t->sid[i] = 0;
    t->src[i] = NULL;
    t->off[i] = t->nval;
    t->val[t->nval++] = v;
    return i;
}

static int E(Emit *m, int op, int a, int b) { return put(m, op, a, b, 0); }
static int K(Emit *m, double v) { return put(m, OP_NUM, -1, -1, v); }

/* The chain rule's sum: adj[in] += c.  The new term goes first: terms
 * arrive in reverse order of the formula's text, so the sum reads in
 * its order. */
static void acc(Emit *m, int *adj, const char *dep, int in, int c)
{
    if (!dep[in]) return;
    adj[in] = adj[in] < 0 ? c : E(m, OP_ADD, c, adj[in]);
}

/* What slot i (upstream g) sends its inputs: each operation's derivative
 * rule as operations (ops.c has the same rules as numbers). */
static void rule(Emit *m, int *adj, const char *dep, int i, int g)
{
    Tape *t = m->t;
    int a = t->a[i], b = t->b[i], y = i;
    switch (t->op[i]) {
    case OP_NEG:  acc(m, adj, dep, a, E(m, OP_NEG, g, -1)); break;
    case OP_ADD:  acc(m, adj, dep, a, g); acc(m, adj, dep, b, g); break;
    case OP_SUB:  acc(m, adj, dep, a, g); acc(m, adj, dep, b, E(m, OP_NEG, g, -1)); break;
    case OP_MUL:  acc(m, adj, dep, a, E(m, OP_MUL, b, g)); acc(m, adj, dep, b, E(m, OP_MUL, a, g)); break;
    case OP_DIV:  /* 1/b, -a/b^2 */
        acc(m, adj, dep, a, E(m, OP_DIV, g, b));
        if (dep[b])
            acc(m, adj, dep, b, E(m, OP_NEG, E(m, OP_DIV, E(m, OP_MUL, a, g),
                                               E(m, OP_POW, b, K(m, 2))), -1));
        break;
    case OP_POW:  /* b a^(b-1), a^b log(a) */
        if (dep[a])
            acc(m, adj, dep, a, E(m, OP_MUL, E(m, OP_MUL, b, E(m, OP_POW, a, E(m, OP_SUB, b, K(m, 1)))), g));
        if (dep[b])
            acc(m, adj, dep, b, E(m, OP_MUL, E(m, OP_MUL, y, E(m, OP_LOG, a, -1)), g));
        break;
    case OP_EXP:  acc(m, adj, dep, a, E(m, OP_MUL, g, y)); break;
    case OP_LOG:  acc(m, adj, dep, a, E(m, OP_DIV, g, a)); break;
    case OP_SQRT: acc(m, adj, dep, a, E(m, OP_DIV, g, E(m, OP_MUL, K(m, 2), y))); break;
    case OP_SIN:  acc(m, adj, dep, a, E(m, OP_MUL, g, E(m, OP_COS, a, -1))); break;
    case OP_COS:  acc(m, adj, dep, a, E(m, OP_NEG, E(m, OP_MUL, g, E(m, OP_SIN, a, -1)), -1)); break;
    case OP_TAN:  acc(m, adj, dep, a, E(m, OP_MUL, g, E(m, OP_ADD, K(m, 1), E(m, OP_POW, y, K(m, 2))))); break;
    case OP_TANH: acc(m, adj, dep, a, E(m, OP_MUL, g, E(m, OP_SUB, K(m, 1), E(m, OP_POW, y, K(m, 2))))); break;
    case OP_SIGMOID:
        acc(m, adj, dep, a, E(m, OP_MUL, g, E(m, OP_MUL, y, E(m, OP_SUB, K(m, 1), y))));
        break;
    case OP_RELU: /* relu'(0) = 0 */
        acc(m, adj, dep, a, E(m, OP_MUL, g, E(m, OP_GT, a, K(m, 0))));
        break;
    case OP_SOFTPLUS: acc(m, adj, dep, a, E(m, OP_MUL, g, E(m, OP_SIGMOID, a, -1))); break;
    case OP_ABS:  /* sign(a); abs'(0) = 0 */
        acc(m, adj, dep, a, E(m, OP_MUL, g, E(m, OP_SUB, E(m, OP_GT, a, K(m, 0)),
                                               E(m, OP_LT, a, K(m, 0)))));
        break;
    case OP_MIN:
    case OP_MAX: { /* 1 to the smaller (larger), half each on a tie */
        int less = t->op[i] == OP_MIN ? OP_LT : OP_GT;
        int tie = E(m, OP_MUL, K(m, 0.5), E(m, OP_EQ, a, b));
        acc(m, adj, dep, a, E(m, OP_MUL, g, E(m, OP_ADD, E(m, less, a, b), tie)));
        acc(m, adj, dep, b, E(m, OP_MUL, g, E(m, OP_ADD, E(m, less, b, a), tie)));
        break;
    }
    default:      /* numbers, leaves, comparisons: nothing flows */
        break;
    }
}

/* What diff can differentiate: every slot a scalar, no grad(...), no
 * tensor operation.  E_OK, or an error in d. */
static int supported(const Tape *t, const Ast *f, Diag *d)
{
    char text[200];
    report_flat_text(&f->loc, text, sizeof text, sizeof text - 4);
    const char *what = "diff f wrt x writes out derivatives of scalar formulas of scalar "
                       "parameters (numbers, + - * / ^, functions of one number, min, max, "
                       "comparisons)";
    if (tape_shape(t, t->root).rank != 0) {
        char sh[48];
        shape_str(tape_shape(t, t->root), sh, sizeof sh);
        return diag_set(d, E_SHAPE, &f->loc, "%s has shape %s: %s; grad shows a tensor's "
                        "gradient entry by entry", text, sh, what);
    }
    for (int i = 0; i < t->n; i++) {
        const Entry *e = tape_name(t, i);
        if (t->op[i] == OP_GRADOF)
            return diag_set(d, E_USAGE, &f->loc, "%s uses grad(...): the derivative of a "
                            "gradient cannot be written out yet", text);
        if (tape_shape(t, i).rank != 0 || (op_info[t->op[i]].kfwd && t->op[i] != OP_NUM)) {
            char sh[48], name[120];
            shape_str(tape_shape(t, i), sh, sizeof sh);
            if (e) snprintf(name, sizeof name, "%s", e->name);
            else if (t->src[i]) report_flat_text(&t->src[i]->loc, name, sizeof name, sizeof name - 4);
            else snprintf(name, sizeof name, "%s", op_info[t->op[i]].name);
            if (tape_shape(t, i).rank != 0)
                return diag_set(d, E_SHAPE, &f->loc, "%s uses %s, a tensor of shape %s: %s",
                                text, name, sh, what);
            return diag_set(d, E_SHAPE, &f->loc, "%s uses %s, a tensor operation: %s",
                            text, op_info[t->op[i]].name, what);
        }
    }
    return E_OK;
}

Tape *diff_tape(Session *s, const Ast *f, const Ast *x, int *slot, Diag *d)
{
    Entry *xe = session_find(s, x->name);
    if (!xe || xe->kind == ENT_UNDEF) {
        diag_set(d, E_NAME, &x->loc, "%s is not defined", x->name);
        return NULL;
    }
    if (xe->kind == ENT_FUNC || xe->kind == ENT_FORMULA) {
        diag_set(d, E_USAGE, &x->loc, "%s is a %s: diff takes the derivative with respect to a "
                 "parameter (or const)%s", x->name, xe->kind == ENT_FUNC ? "function" : "formula",
                 xe->kind == ENT_FORMULA ? "; grad f wrt z gives df/dz at an intermediate node z" : "");
        return NULL;
    }
    if (xe->val.shape.rank != 0) {
        char sh[48];
        shape_str(xe->val.shape, sh, sizeof sh);
        diag_set(d, E_SHAPE, &x->loc, "%s is a tensor of shape %s: diff writes out the "
                 "derivative with respect to a scalar parameter (grad shows every entry)", x->name, sh);
        return NULL;
    }
    /* When grad(f, x) is emitted as slots, the rest of this function is:
     *     Ast *kid[2] = { (Ast *)f, (Ast *)x };
     *     Ast g = { .kind = AST_GRAD, .nkids = 2, .kid = kid, .loc = f->loc };
     *     Tape *t = compile_expr(s, &g, NULL, NULL, d);
     *     ... t->src[i] == &g set to NULL (g lives on this stack) ...
     *     *slot = t->root;
     * keeping supported() for the messages. */
    Tape *t = compile_expr(s, f, NULL, NULL, d);
    if (!t) return NULL;
    if (supported(t, f, d)) {
        tape_free(t);
        return NULL;
    }
    int xs = tape_slot_of(t, xe), root = t->root;
    Emit m = { t, s->set.maxnodes, 0 };
    if (xs < 0) {                      /* f does not use x */
        *slot = K(&m, 0);
    } else {
        char *dep = xcalloc((size_t)root + 1, 1);
        int *adj = xmalloc(((size_t)root + 1) * sizeof *adj);
        for (int i = 0; i <= root; i++) {
            int ar = op_info[t->op[i]].arity;
            dep[i] = i == xs || (ar >= 1 && dep[t->a[i]]) || (ar == 2 && dep[t->b[i]]);
            adj[i] = -1;
        }
        adj[root] = K(&m, 1);          /* the seed: df/df = 1 */
        for (int i = root; i > xs && !m.full; i--)
            if (adj[i] >= 0 && dep[i])
                rule(&m, adj, dep, i, adj[i]);
        *slot = adj[xs] >= 0 ? adj[xs] : K(&m, 0);
        free(dep);
        free(adj);
    }
    free(t->slot_name);                /* built for fewer slots */
    t->slot_name = NULL;
    if (m.full) {
        diag_set(d, E_LIMIT, &f->loc, "the derivative's graph would have more than %ld nodes "
                 "(the limit: set maxnodes)", s->set.maxnodes);
        tape_free(t);
        return NULL;
    }
    return t;
}

/* ---- the command ---------------------------------------------------- */

/* May a line break between text[j - 1] and text[j]?  After a binary
 * operator: 2 after " + " or " - " (spaced, so never a sign or an
 * exponent), 1 after "*" or "/", else 0. */
static int breakable(const char *text, size_t j)
{
    char c = text[j - 1];
    if (c == '*' || c == '/') return 1;
    return (c == '+' || c == '-') && text[j] == ' ' && j >= 2 && text[j - 2] == ' ' ? 2 : 0;
}

/* Write text on lines of at most `width` columns, each break after a
 * binary operator (so the lines still paste back as one statement: SPEC
 * section 2); continuation lines are indented by `indent`. */
static void put_wrapped(Session *s, const char *head, const char *text, int width, int indent)
{
    size_t n = strlen(text), at = 0;
    int first = 1;
    while (at < n) {
        long r = (long)width - (first ? (long)strlen(head) : indent);
        size_t room = r < 20 ? 20 : (size_t)r, end = n;
        if (n - at > room) {
            end = at;
            int best = 0;               /* the last + or - in reach, else the last * or / */
            for (size_t j = at + 1; j < n && j - at <= room; j++) {
                int k = breakable(text, j);
                if (k && k >= best) { end = j; best = k; }
            }
            if (end == at)             /* nothing to break at in reach: the next place */
                for (end = at + room; end < n && !breakable(text, end); end++) {}
        }
        size_t len = end - at;
        while (len > 0 && text[at + len - 1] == ' ') len--;
        report_text(s, "%s%*s%.*s", first ? head : "", first ? 0 : indent, "", (int)len, text + at);
        at = end;
        while (at < n && text[at] == ' ') at++;
        first = 0;
    }
}

int cmd_diff(Session *s, const Stmt *st, Diag *d)
{
    const Ast *target = st->e[0];
    if (!st->has_wrt)
        return diag_set(d, E_USAGE, &st->loc, "diff needs the parameter: diff f wrt x [latex]");
    int latex = s->set.format == 1;
    for (int i = 0; i < st->nargs; i++) {
        const Arg *a = &st->args[i];
        if (a->is_word && !strcmp(a->word, "latex")) latex = 1;
        else if (a->is_word && !strcmp(a->word, "text")) latex = 0;
        else return diag_set(d, E_USAGE, &a->loc, "diff f wrt x takes latex or text after the name");
    }
    Ast x = { .kind = AST_NAME, .name = st->names[0], .loc = st->name_locs[0] };
    int slot;
    Tape *t = diff_tape(s, target, &x, &slot, d);
    if (!t) return d->kind;

    Entry *fe = target->kind == AST_NAME ? session_find(s, target->name) : NULL;
    if (fe && fe->kind != ENT_FORMULA) fe = NULL;
    ExprText dx, fx = { 0 };
    char err[300], ftext[256];
    report_flat_text(&target->loc, ftext, sizeof ftext, sizeof ftext - 4);
    int rc = E_OK;
    if (expr_format(s, t, slot, fe, &dx, err, sizeof err)) {
        tape_free(t);
        return diag_set(d, E_USAGE, &target->loc, "%s", err);
    }
    if (latex && target->kind != AST_NAME && expr_format(s, t, t->root, NULL, &fx, err, sizeof err)) {
        rc = diag_set(d, E_USAGE, &target->loc, "%s", err);
        goto out;
    }
    char *xl = expr_latex_name(x.name);
    if (s->json) {
        FILE *o = s->out;
        fputs("{\"diff\": ", o);
        report_json_string(o, ftext);
        fputs(", \"wrt\": ", o);
        report_json_string(o, x.name);
        fputs(", \"expr\": ", o);
        report_json_string(o, dx.text);
        fputs(", \"latex\": ", o);
        report_json_string(o, dx.latex);
        if (dx.nwhere) {
            fputs(", \"where\": [", o);
            for (int k = 0; k < dx.nwhere; k++) {
                fputs(k ? ", {\"name\": " : "{\"name\": ", o);
                report_json_string(o, dx.wname[k]);
                fputs(", \"expr\": ", o);
                report_json_string(o, dx.wtext[k]);
                fputs(", \"latex\": ", o);
                report_json_string(o, dx.wlatex[k]);
                fputs("}", o);
            }
            fputs("]", o);
        }
        fputs("}\n", o);
    } else if (latex) {
        char *fl = target->kind == AST_NAME ? expr_latex_name(target->name) : NULL;
        if (fl)
            report_text(s, "\\frac{\\partial %s}{\\partial %s} = %s", fl, xl, dx.latex);
        else
            report_text(s, "\\frac{\\partial}{\\partial %s}\\left(%s\\right) = %s", xl, fx.latex, dx.latex);
        for (int k = 0; k < dx.nwhere; k++) {
            char *wl = expr_latex_name(dx.wname[k]);
            report_text(s, "\\quad\\text{where } %s = %s", wl, dx.wlatex[k]);
            free(wl);
        }
        free(fl);
    } else {
        char head[300];
        if (target->kind == AST_NAME) snprintf(head, sizeof head, "d%s/d%s = ", ftext, x.name);
        else snprintf(head, sizeof head, "d(%s)/d%s = ", ftext, x.name);
        put_wrapped(s, head, dx.text, 80, 4);
        for (int k = 0; k < dx.nwhere; k++) {
            char wh[64];
            snprintf(wh, sizeof wh, "%s%s = ", k ? "        " : "  where ", dx.wname[k]);
            put_wrapped(s, wh, dx.wtext[k], 80, 12);
        }
    }
    free(xl);
out:
    expr_text_free(&dx);
    expr_text_free(&fx);
    tape_free(t);
    return rc;
}
