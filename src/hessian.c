/* hessian.c: `hessian f [wrt p, q]` (SPEC section 7): the matrix of
 * second partials, each by backprop of the gradient graph (grad(f, q)
 * built as slots by derive.c, one backward pass per entry of q, seeded
 * with a one-hot) beside central differences of that gradient,
 * (df/dq(p + h) - df/dq(p - h)) / 2h, with the mark, the symmetry and the
 * cost line (the passes that really ran). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "cmdutil.h"
#include "numdiff.h"
#include "report.h"
#include "xalloc.h"

typedef struct Hp { Entry *e; long off, n; } Hp;   /* a parameter and its entries' place */

/* The gradient graph of f by q: grad(f, q) compiled, and a forward pass. */
static Tape *grad_tape(Session *s, const Ast *f, Entry *q, const Loc *qloc, Diag *d)
{
    Ast name = { .kind = AST_NAME, .name = q->name, .loc = *qloc };
    Ast *kid[2] = { (Ast *)f, &name };
    Ast g = { .kind = AST_GRAD, .nkids = 2, .kid = kid, .loc = f->loc };
    Tape *t = compile_expr(s, &g, NULL, NULL, d);
    if (!t) return NULL;
    for (int i = 0; i < t->n; i++)       /* g and name live on this stack */
        if (t->src[i] == &g || t->src[i] == &name) t->src[i] = NULL;
    if (cmd_forward(t, d)) { tape_free(t); return NULL; }
    return t;
}

int cmd_hessian(Session *s, const Stmt *st, Diag *d)
{
    const Ast *target = st->e[0];
    char text[256];
    span_text(target, text, sizeof text);
    int owned;
    Tape *t;
    int rc = diff_target(s, target, text, "hessian needs a scalar, but %s has shape %s: "
                         "try hessian sum(%s)", DIFF_FORWARD, &t, &owned, d);
    if (rc) return rc;
    double value = tape_val(t, t->root)[0];
    Hp *ps = NULL;
    int np = 0, pcap = 0;
    long P = 0;
    CmdWrt *by = NULL;
    int nby = 0;
    if ((rc = cmd_wrt(s, st, t, &by, &nby, d))) goto out;
    for (int i = 0; i < nby; i++) {
        Entry *e = by[i].e;
        if (e->kind != ENT_PARAM && e->kind != ENT_CONST) {  /* grad(f, q) needs a leaf */
            rc = diag_set(d, E_NAME, &st->name_locs[by[i].name], "%s is not a parameter or const", e->name);
            break;
        }
        xgrow((void **)&ps, &pcap, np + 1, sizeof *ps);
        ps[np] = (Hp){ e, P, shape_size(e->val.shape) };
        P += ps[np++].n;
    }
    free(by);
    if (rc) goto out;
    if (P == 0) {
        rc = diag_set(d, E_USAGE, &target->loc, "%s uses no parameter: nothing to differentiate", text);
        goto out;
    }
    if (P > 4096) {
        rc = diag_set(d, E_LIMIT, &target->loc, "hessian of %ld parameter entries: the matrix "
                      "would have %ld entries (at most 4096 x 4096)", P, P * P);
        goto out;
    }
    double *H = xcalloc((size_t)(P * P), sizeof *H), *C = xmalloc((size_t)(P * P) * sizeof *C);
    for (long k = 0; k < P * P; k++) C[k] = NAN;
    /* past maxcheck columns, grad's seeded sample of them: some columns of
     * every parameter (every k-th column could miss a small one) */
    unsigned char *use = xmalloc((size_t)P);
    long ncols = P;
    memset(use, 1, (size_t)P);
    if (s->set.maxcheck > 0 && P > s->set.maxcheck) {
        long *sizes = xmalloc((size_t)np * sizeof *sizes), *pick;
        for (int v = 0; v < np; v++) sizes[v] = ps[v].n;
        ncols = numdiff_sample_parts(np, sizes, s->set.maxcheck, s->set.seed, &pick);
        memset(use, 0, (size_t)P);
        for (long i = 0; i < ncols; i++) use[pick[i]] = 1;
        free(pick);
        free(sizes);
    }
    long backward = 0, forward = 0, checked = 0, slots = 0;
    for (int w = 0; w < np && !rc; w++) {
        Tape *g = grad_tape(s, target, ps[w].e, st->has_wrt ? &st->name_locs[w] : &target->loc, d);
        if (!g) { rc = d->kind; break; }
        slots += g->n;
        forward++;
        int root = g->root;
        /* row by row: one backward pass of the gradient graph per entry of q */
        for (long k = 0; k < ps[w].n; k++) {
            tape_zero_grad(g);
            tape_grad(g, root)[k] = 1;
            for (int i = root; i >= 0; i--) backprop_slot(g, i);
            backward++;
            for (int v = 0; v < np; v++) {
                int sl = tape_slot_of(g, ps[v].e);
                for (long j = 0; j < ps[v].n; j++)
                    H[(ps[w].off + k) * P + ps[v].off + j] = sl >= 0 ? tape_grad(g, sl)[j] : 0;
            }
        }
        /* column by column: central differences of the gradient */
        double *gp = xmalloc((size_t)ps[w].n * sizeof *gp);
        for (int v = 0; v < np; v++) {
            int sl = tape_slot_of(g, ps[v].e);
            for (long j = 0; j < ps[v].n; j++) {
                long col = ps[v].off + j;
                if (!use[col]) continue;
                checked += w == 0;
                if (sl < 0) {            /* the gradient does not read it: exactly 0 */
                    for (long k = 0; k < ps[w].n; k++) C[(ps[w].off + k) * P + col] = 0;
                    continue;
                }
                double *x = tape_val(g, sl) + j, x0 = *x, h = 6.0554544523933395e-06 * fmax(1, fabs(x0));
                int bad;
                const char *msg;
                *x = x0 + h;
                int e1 = eval_forward(g, sl + 1, &bad, &msg);
                memcpy(gp, tape_val(g, root), (size_t)ps[w].n * sizeof *gp);
                *x = x0 - h;
                int e2 = eval_forward(g, sl + 1, &bad, &msg);
                forward += 2;
                for (long k = 0; k < ps[w].n; k++)
                    C[(ps[w].off + k) * P + col] = e1 || e2 ? NAN : (gp[k] - tape_val(g, root)[k]) / (2 * h);
                *x = x0;
                eval_forward(g, sl + 1, &bad, &msg);
            }
        }
        free(gp);
        tape_free(g);
    }
    if (rc) { free(H); free(C); free(use); goto out; }

    /* the mark, the symmetry */
    double tol = s->set.tol, worst = 0, asym = 0, big = 0;
    long wi = 0, mism = 0;
    for (long k = 0; k < P * P; k++) {
        big = fmax(big, fabs(H[k]));
        long r = k / P, c = k % P;
        asym = fmax(asym, fabs(H[k] - H[c * P + r]));
        if (isnan(C[k]) && !use[c]) continue;
        double e = fabs(H[k] - C[k]);
        if (!(e <= tol * fmax(1, fabs(C[k])))) mism++;
        if (!(e <= worst)) { worst = e; wi = k; }
    }
    int symmetric = asym <= 1e-9 * fmax(1, big);
    char (*names)[64] = xmalloc((size_t)P * sizeof *names);
    for (int v = 0; v < np; v++)
        for (long j = 0; j < ps[v].n; j++)
            entry_name(names[ps[v].off + j], sizeof names[0], ps[v].e->name, ps[v].e->val.shape, j);
    char num[64];
    if (s->json) {
        FILE *o = s->out;
        fputs("{\"hessian\": ", o);
        report_json_string(o, text);
        fputs(", \"wrt\": [", o);
        for (long r = 0; r < P; r++) { if (r) fputs(", ", o); report_json_string(o, names[r]); }
        report_fmt_json(num, sizeof num, value);
        fprintf(o, "], \"value\": %s", num);
        report_json_matrix(o, "backprop", H, P, P);
        report_json_matrix(o, "central", C, P, P);
        fprintf(o, ", \"ok\": %s, \"symmetric\": %s, \"cost\": {\"backward\": %ld, \"forward\": %ld, "
                "\"checked\": %ld, \"slots\": %ld}}\n", mism ? "false" : "true",
                symmetric ? "true" : "false", backward, forward, checked * (long)np, slots);
    } else {
        char v[64];
        report_fmt_value(v, sizeof v, value, s->set.digits);
        char head[160];
        snprintf(head, sizeof head, "hessian %.24s%s = %s:", text, strlen(text) > 24 ? "..." : "", v);
        if (report_cols(head) + 42 <= report_width(s))
            report_text(s, "%s backprop of the gradient vs central diff", head);
        else    /* a long name and value: the words on a line of their own */
            report_text(s, "%s\n  backprop of the gradient vs central diff", head);
        if (P <= 6) {
            report_text(s, "  %-10s %-10s %14s %14s %9s", "p", "q", "backprop", "central diff",
                        "|bp - cd|");
            for (long r = 0; r < P; r++)
                for (long c = r; c < P; c++) {
                    double b = H[r * P + c], cd = C[r * P + c], e = fabs(b - cd);
                    report_text(s, "  %-10.10s %-10.10s %14.6e %14.6e %9.1e  %s", names[r], names[c],
                                b, cd, e, e <= tol * fmax(1, fabs(cd)) ? "ok" : "MISMATCH");
                }
            report_text(s, "  the matrix (by backprop):");
            for (long r = 0; r < P; r++) {
                char line[256];
                int len = snprintf(line, sizeof line, "    %-8.8s", names[r]);
                for (long c = 0; c < P && len < (int)sizeof line - 16; c++)
                    len += snprintf(line + len, sizeof line - len, " %10.4g", H[r * P + c]);
                report_text(s, "%s", line);
            }
        } else {
            /* two lines, as grad's summary: what was checked, then the worst */
            char at[120];
            snprintf(at, sizeof at, "(%s, %s)", names[wi / P], names[wi % P]);
            report_shorten(at, report_width(s) - 34);
            report_text(s, "  %ld x %ld entries, %ld column%s checked (maxcheck %d), %ld mismatch%s",
                        P, P, ncols, ncols == 1 ? "" : "s",
                        s->set.maxcheck, mism, mism == 1 ? "" : "es");
            report_text(s, "  worst |bp - cd| = %.1e at %s", worst, at);
        }
        report_text(s, "  %s (max |H - H^T| = %.1e)%s", symmetric ? "symmetric" : "NOT symmetric",
                    asym, mism ? "" : "; every entry checked agrees");
        /* grad's short words (fwd, bwd: passes); the size of the graph
         * that holds f and its gradient, which the backward passes walk */
        report_text(s, "cost: backprop %ld fwd + %ld bwd; central %ld fwd; f and its gradient "
                    "%ld slots", (long)np, backward, forward - np, slots);
    }
    if (mism) s->failed_checks++;
    free(names);
    free(use);
    free(H);
    free(C);
out:
    free(ps);
    if (owned) tape_free(t);
    return rc;
}
