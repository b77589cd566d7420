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

/* ---- df/dx as slots: grad(f, x) compiled (derive.c emits it) ------- */

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
    /* f alone first, for what diff cannot write out */
    Tape *t = compile_expr(s, f, NULL, NULL, d);
    if (!t) return NULL;
    int bad = supported(t, f, d), froot = t->root;
    tape_free(t);
    if (bad) return NULL;
    Ast *kid[2] = { (Ast *)f, (Ast *)x };
    Ast g = { .kind = AST_GRAD, .nkids = 2, .kid = kid, .loc = f->loc };
    t = compile_expr(s, &g, NULL, NULL, d);
    if (!t) return NULL;
    for (int i = 0; i < t->n; i++)
        if (t->src[i] == &g) t->src[i] = NULL;   /* g lives on this stack */
    *slot = t->root;
    t->root = froot;       /* compiled first, the same way: f's slot */
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
