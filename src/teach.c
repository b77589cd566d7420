/* teach.c: the commands that show the chain rule at work: trace (the
 * backward pass step by step), sweep (finite-difference error against the
 * step size) and check (PASS/FAIL, for autograding). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cmdutil.h"
#include "dual.h"
#include "commands.h"
#include "numdiff.h"
#include "ops.h"
#include "plot.h"
#include "report.h"
#include "xalloc.h"

/* ---- naming slots ------------------------------------------------------ */

/* How slot i is called in a trace: its name, or its source text with
 * white space folded, or its value for a constant. */
static void slot_label(const Tape *t, int i, char *buf, size_t n)
{
    if (tape_name(t, i)) snprintf(buf, n, "%s", tape_name(t, i)->name);
    else if (!t->src[i] || !report_flat_text(&t->src[i]->loc, buf, n, n > 4 ? n - 4 : 0))
        snprintf(buf, n, "#%d", i);
}

/* "∂f/∂z", "∂f/∂(w*x + b)" */
static void partial(char *buf, size_t n, const char *f, const char *x, int named)
{
    snprintf(buf, n, named ? "d%s/d%s" : "d%s/d(%s)", f, x);
}

static void fmt(char *buf, size_t n, const Tape *t, int slot, const double *x, int digits)
{
    Value v = { tape_shape(t, slot), (double *)x };
    char *str = report_value_str(&v, digits, 0, 0);
    snprintf(buf, n, "%s", str);
    free(str);
}

/* ---- trace -------------------------------------------------------------- */

/* One contribution to a slot's gradient: from which user, how much. */
typedef struct Contrib { int from; int next; double amount; } Contrib;

/* "1 + 3 + 2 = " for a scalar's contributions, in the order they came. */
static void sum_text(const Contrib *cs, int head, int scalar, int digits, char *buf, size_t n)
{
    buf[0] = '\0';
    if (!scalar) return;
    int idx[64], k = 0;
    for (int c = head; c >= 0 && k < 64; c = cs[c].next) idx[k++] = c;
    size_t off = 0;
    for (int j = k - 1; j >= 0 && off < n; j--) {   /* the list is newest first */
        char v[64];
        report_fmt_value(v, sizeof v, cs[idx[j]].amount, digits);
        off += (size_t)snprintf(buf + off, n - off, "%s%s", j == k - 1 ? "" : " + ", v);
    }
    if (off < n) snprintf(buf + off, n - off, " = ");
}

/* trace forward f wrt x: forward mode as Baydin et al. (2018) tabulate
 * it, one line per node in the order of the forward pass, its value and
 * its tangent for the seed x' = 1 (dual.c computes each with dual_slot);
 * a scalar op shows its tangent as the chain rule's sum of products. */
static int trace_forward(Session *s, const Stmt *st, Diag *d)
{
    const Ast *target = st->e[0];
    int owned, rc;
    Tape *t;
    char fname[64], x[64], lab[27], v[13], td[13], rule[128];   /* columns of 26, 12, 12 */
    span_text(target, fname, sizeof fname);
    rc = diff_target(s, target, fname, "trace forward needs a scalar: %s has shape %s", DIFF_FORWARD,
                     &t, &owned, d);
    if (rc) return rc;
    int seed = -1;
    if (st->nnames > 1) {
        rc = diag_set(d, E_USAGE, &st->name_locs[1], "trace forward takes one seed: wrt %s", st->names[0]);
        goto out;
    }
    if (st->nnames == 1) {
        Entry *e = session_find(s, st->names[0]);
        if (!e || e->kind == ENT_UNDEF) {
            rc = diag_set(d, E_NAME, &st->name_locs[0], "%s is not defined", st->names[0]);
            goto out;
        }
        seed = tape_slot_of(t, e);
        if (seed < 0 || (t->op[seed] != OP_LEAF)) {
            rc = diag_set(d, E_USAGE, &st->name_locs[0], "%s does not use %s as a parameter", fname, e->name);
            goto out;
        }
    } else {
        for (int k = 0; k < t->nleaves; k++)
            if (t->leafent[k]->kind == ENT_PARAM) {
                if (seed >= 0) {
                    rc = diag_set(d, E_USAGE, &target->loc,
                                  "%s has several parameters: say which seeds it, trace forward %s wrt %s",
                                  fname, fname, t->leafent[k]->name);
                    goto out;
                }
                seed = t->leaves[k];
            }
        if (seed < 0) {
            rc = diag_set(d, E_USAGE, &target->loc, "%s depends on no parameters: nothing to seed", fname);
            goto out;
        }
    }
    entry_name(x, sizeof x, tape_name(t, seed)->name, tape_shape(t, seed), 0);
    int dg = s->set.digits < 6 ? s->set.digits : 6;
    report_text(s, "trace forward %s wrt %s: forward mode, as Baydin et al. (2018) tabulate it:", fname, x);
    report_text(s, "  each node in the order of the forward pass, its value and its tangent");
    report_text(s, "  (its derivative d/d%s, from the seed %s' = 1)", x, x);
    report_text(s, "  %-26s %-12s %-12s %s", "node", "value", "tangent", "tangent by the chain rule");
    dual_seed(t, seed, 0);
    for (int i = 0; i < t->n; i++) {
        const OpInfo *o = &op_info[t->op[i]];
        if (bp_interrupted) { rc = diag_set(d, E_INTERRUPT, &st->loc, "interrupted"); goto out; }
        if (t->op[i] == OP_NUM) continue;             /* constants: tangent 0 */
        const char *err = dual_slot(t, i);
        if (err) { tape_diag(t, i, err, d); rc = d->kind; goto out; }
        slot_label(t, i, lab, sizeof lab);
        fmt(v, sizeof v, t, i, tape_val(t, i), dg);
        fmt(td, sizeof td, t, i, t->im + t->off[i], dg);
        /* a tensor cut to its column: say so */
        if (strlen(v) == sizeof v - 1) memcpy(v + sizeof v - 4, "...", 3);
        if (strlen(td) == sizeof td - 1) memcpy(td + sizeof td - 4, "...", 3);
        rule[0] = '\0';
        if (i == seed) snprintf(rule, sizeof rule, "(the seed)");
        else if (t->op[i] == OP_LEAF) snprintf(rule, sizeof rule, "(does not depend on %s)", x);
        else if (tape_shape(t, i).rank == 0 && !(o->flags & OPF_KERNEL) && o->bwd) {
            /* y' = dy/da a' + dy/db b', the partials from the backward rule at g = 1 */
            int a = t->a[i], b = o->arity == 2 ? t->b[i] : -1;
            double da = 0, db = 0;
            o->bwd(&da, b >= 0 ? &db : NULL, 1.0, tape_val(t, a)[0], b >= 0 ? tape_val(t, b)[0] : 0,
                   tape_val(t, i)[0]);
            char p[4][16];
            report_fmt_value(p[0], sizeof p[0], da, 4);
            report_fmt_value(p[1], sizeof p[1], t->im[t->off[a]], 4);
            if (b >= 0) {
                report_fmt_value(p[2], sizeof p[2], fabs(db), 4);
                report_fmt_value(p[3], sizeof p[3], t->im[t->off[b]], 4);
                snprintf(rule, sizeof rule, "= %s*%s %c %s*%s", p[0], p[1], db < 0 ? '-' : '+', p[2], p[3]);
            } else {
                snprintf(rule, sizeof rule, "= %s*%s", p[0], p[1]);
            }
        }
        report_text(s, "  %-26s %-12s %-12s %s", lab, v, td, rule);
    }
    char r[32];
    report_fmt_value(r, sizeof r, t->im[t->off[t->root]], s->set.digits);
    report_text(s, "  result: d%s/d%s = %s", fname, x, r);
    report_text(s, "  (one forward pass per seed: backprop gets every parameter's partial in");
    report_text(s, "  one backward pass, forward mode one parameter's per pass)");
out:
    if (owned) tape_free(t);
    return rc;
}

int cmd_trace(Session *s, const Stmt *st, Diag *d)
{
    if (st->nargs == 1 && st->args[0].is_word && strcmp(st->args[0].word, "forward") == 0)
        return trace_forward(s, st, d);
    const Ast *target = st->e[0];
    int owned;
    Tape *t;
    char fname[128], lab[256], lab2[256], p1[600], v1[256], v2[256];
    span_text(target, fname, sizeof fname);
    int rc = diff_target(s, target, fname, "trace needs a scalar: try trace sum(%s)",
                         DIFF_FORWARD, &t, &owned, d);
    if (rc) return rc;
    int dg = s->set.digits < 6 ? s->set.digits : 6;
    double *snap = NULL;
    Contrib *cs = NULL;
    int *head = NULL, ncs = 0, ccap = 0;

    /* The backward pass, one backprop_slot at a time, recording each
     * contribution: a slot's gradient is the sum of what its users send
     * it (the chain rule). */
    tape_zero_grad(t);
    tape_grad(t, t->root)[0] = 1;
    snap = xmalloc((size_t)(t->nval ? t->nval : 1) * sizeof *snap);
    head = xmalloc((size_t)t->n * sizeof *head);
    for (int i = 0; i < t->n; i++) head[i] = -1;

    report_text(s, "trace %s: the backward pass, one node at a time (d = partial derivative)", fname);
    report_text(s, "  forward pass: %s = %s", fname, (fmt(v1, sizeof v1, t, t->root, tape_val(t, t->root), s->set.digits), v1));
    report_text(s, "  step 0: d%s/d%s = 1 (the seed)", fname, fname);
    int stepno = 0;
    for (int i = t->root; i >= 0; i--) {
        const OpInfo *o = &op_info[t->op[i]];
        if (!o->kbwd && o->arity == 0) continue;
        if (bp_interrupted) { rc = diag_set(d, E_INTERRUPT, &st->loc, "interrupted"); goto out; }
        int ins[2] = { t->a[i], o->arity == 2 && t->op[i] != OP_INDEX ? t->b[i] : -1 };
        int nin = t->op[i] == OP_STACK ? t->b[i] : ins[1] >= 0 ? 2 : 1;
        const double *g = tape_grad(t, i);
        int zero = 1;
        for (long k = 0, n = tape_size(t, i); k < n; k++) zero &= g[k] == 0;

        slot_label(t, i, lab, sizeof lab);
        stepno++;
        fmt(v1, sizeof v1, t, i, tape_val(t, i), dg);
        if (tape_name(t, i) && tape_name(t, i)->kind == ENT_FORMULA) {
            char def[300];
            span_text(tape_name(t, i)->expr, def, sizeof def);
            report_text(s, "  step %d: %s = %s = %s", stepno, lab, def, v1);
        } else {
            report_text(s, "  step %d: %s = %s", stepno, lab, v1);
        }
        partial(p1, sizeof p1, fname, lab, tape_name(t, i) != NULL || strlen(lab) < 2);
        fmt(v2, sizeof v2, t, i, g, dg);
        /* where this gradient came from: one line per user when shared */
        int nc = 0;
        for (int c = head[i]; c >= 0; c = cs[c].next) nc++;
        if (i == t->root)
            report_text(s, "      %s = 1", p1);
        else if (nc > 1) {
            char sum[400];
            sum_text(cs, head[i], tape_shape(t, i).rank == 0, dg, sum, sizeof sum);
            report_text(s, "      %s = %s%s  (it is used %d times: the contributions add up)",
                        p1, sum, v2, nc);
        } else {
            report_text(s, "      %s = %s", p1, v2);
        }
        if (zero) {
            report_text(s, "      (zero: nothing flows further from here)");
            continue;
        }

        /* Send the gradient to the inputs and show each product. */
        for (int k = 0; k < nin; k++) {
            int in = t->op[i] == OP_STACK ? t->args[t->a[i] + k] : ins[k];
            memcpy(snap + t->off[in], tape_grad(t, in), (size_t)tape_size(t, in) * sizeof *snap);
        }
        backprop_slot(t, i);                      /* the backward pass's own step */
        /* local derivatives of a scalar op: its rule with upstream 1 */
        double la = 0, lb = 0;
        int scalar = tape_shape(t, i).rank == 0 && !o->kbwd && o->bwd;
        if (scalar)
            o->bwd(&la, ins[1] >= 0 ? &lb : NULL, 1.0, tape_val(t, ins[0])[0],
                   ins[1] >= 0 ? tape_val(t, ins[1])[0] : 0, tape_val(t, i)[0]);
        /* the node as the numerator of its local derivative: d(w*x)/dw */
        char node[300];
        snprintf(node, sizeof node, tape_name(t, i) || strlen(lab) < 2 ? "%s" : "(%s)", lab);
        for (int k = 0; k < nin; k++) {
            int in = t->op[i] == OP_STACK ? t->args[t->a[i] + k] : ins[k];
            if (t->op[in] == OP_NUM) continue;       /* constants need no gradient */
            long n = tape_size(t, in);
            double *gi = tape_grad(t, in), *sn = snap + t->off[in];
            for (long j = 0; j < n; j++) { double now = gi[j]; gi[j] = now - sn[j]; sn[j] = now; }
            double amount = gi[0];                    /* (the first entry, for tensors) */
            fmt(v1, sizeof v1, t, in, gi, dg);        /* this user's contribution */
            memcpy(gi, sn, (size_t)n * sizeof *gi);   /* the running total again */
            slot_label(t, in, lab2, sizeof lab2);
            char p2[600];
            partial(p2, sizeof p2, fname, lab2, tape_name(t, in) != NULL || strlen(lab2) < 2);
            const char *in_name = lab2;
            char inb[300];
            if (!(tape_name(t, in) || strlen(lab2) < 2)) { snprintf(inb, sizeof inb, "(%s)", lab2); in_name = inb; }
            if (scalar) {
                /* the chain rule, one link: df/din += df/dnode * dnode/din */
                char lv[64], gv[64], rule[120] = "";
                report_fmt_value(lv, sizeof lv, k == 0 ? la : lb, dg);
                report_fmt_value(gv, sizeof gv, g[0], dg);
                if (o->arity == 1 && o->deriv[0])
                    snprintf(rule, sizeof rule, "   [%s'(x) = %s]", o->name, o->deriv);
                report_text(s, "      -> %s += %s * d%s/d%s = %s * %s = %s%s", p2, p1, node,
                            in_name, gv, lv, v1, rule);
            } else {
                report_text(s, "      -> %s += %s", p2, v1);
            }
            xgrow((void **)&cs, &ccap, ncs + 1, sizeof *cs);
            cs[ncs] = (Contrib){ i, head[in], amount };
            head[in] = ncs++;
        }
    }
    /* the result: the leaves' gradients */
    report_text(s, "  result:");
    for (int k = 0; k < t->nleaves; k++) {
        int l = t->leaves[k];
        int nc = 0;
        for (int c = head[l]; c >= 0; c = cs[c].next) nc++;
        fmt(v1, sizeof v1, t, l, tape_grad(t, l), s->set.digits);
        char sum[400] = "";
        if (nc > 1) sum_text(cs, head[l], tape_shape(t, l).rank == 0, dg, sum, sizeof sum);
        report_text(s, "    d%s/d%s = %s%s%s%s", fname, tape_name(t, l)->name, sum, v1,
                    tape_name(t, l)->kind == ENT_CONST ? "  (const)" : "",
                    nc > 1 ? "  (the sum over its uses)" : "");
    }
out:
    free(snap);
    free(cs);
    free(head);
    if (owned) tape_free(t);
    return rc;
}

/* ---- sweep ---------------------------------------------------------------- */

int cmd_sweep(Session *s, const Stmt *st, Diag *d)
{
    const Ast *target = st->e[0];
    int owned;
    Tape *t;
    char fname[128], not_scalar[200];
    span_text(target, fname, sizeof fname);
    /* (a name has no %: it is safe in a format) */
    snprintf(not_scalar, sizeof not_scalar, "sweep needs a scalar %%s and a scalar %s", st->names[0]);
    int rc = diff_target(s, target, fname, not_scalar, DIFF_BACKWARD, &t, &owned, d);
    if (rc) return rc;
    double *scratch = NULL;
    Entry *e = session_find(s, st->names[0]);
    int slot = e ? tape_slot_of(t, e) : -1;
    if (!e || e->kind == ENT_UNDEF) {
        rc = diag_set(d, E_NAME, &st->name_locs[0], "%s is not defined", st->names[0]);
        goto out;
    }
    if (slot < 0) {
        rc = diag_set(d, E_USAGE, &st->name_locs[0], "%s does not use %s", fname, e->name);
        goto out;
    }
    long k = 0, count = 1;   /* sweep f wrt W[0,1]: that entry */
    if (st->name_index && (rc = entry_index(s, st->name_index[0], tape_shape(t, slot), &k, &count, d)))
        goto out;
    if (tape_shape(t, t->root).rank != 0 || (!st->name_index && tape_shape(t, slot).rank != 0) || count != 1) {
        int rank = tape_shape(t, slot).rank;
        rc = diag_set(d, E_SHAPE, &target->loc, "sweep needs a scalar %s and a scalar %s%s%s%s", fname,
                      e->name, rank ? " (or one entry of it: wrt " : "", rank ? e->name : "",
                      rank == 1 ? "[0])" : rank == 2 ? "[0, 1])" : "");
        goto out;
    }
    double bp = tape_grad(t, slot)[k], p = tape_val(t, slot)[k];
    char ename[160];
    entry_name(ename, sizeof ename, e->name, tape_shape(t, slot), k);
    scratch = xmalloc((size_t)t->nval * sizeof *scratch);

    enum { N = 15 };
    double eps[N], ef[N], ec[N];
    int lost[N], bf = -1, bc = -1;
    for (int i = 0; i < N; i++) {
        if (bp_interrupted) {   /* between points: the tape is whole again */
            rc = diag_set(d, E_INTERRUPT, &st->loc, "interrupted: sweep stopped after %d of %d steps",
                          i, N);
            goto out;
        }
        eps[i] = pow(10, -(i + 1));
        double c, f;
        lost[i] = numdiff_sweep_point(t, slot, k, eps[i], scratch, &c, &f) != 0;
        ef[i] = lost[i] ? NAN : fabs(f - bp);
        ec[i] = lost[i] ? NAN : fabs(c - bp);
        if (!lost[i] && isfinite(ef[i]) && (bf < 0 || ef[i] < ef[bf])) bf = i;
        if (!lost[i] && isfinite(ec[i]) && (bc < 0 || ec[i] < ec[bc])) bc = i;
    }
    char bv[64], pv[64];
    report_fmt_value(bv, sizeof bv, bp, s->set.digits);
    report_fmt_value(pv, sizeof pv, p, s->set.digits);
    report_text(s, "sweep %s wrt %s at %s = %s: error of finite differences against backprop (%s)",
                fname, ename, ename, pv, bv);
    report_text(s, "  h = eps * max(1, |%s|), rounded so that %s + h is exact", ename, ename);
    report_text(s, "  %7s  %12s  %14s  %14s", "eps", "h", "forward error", "central error");
    for (int i = 0; i < N; i++) {
        double h = eps[i] * fmax(1, fabs(p));
        volatile double pp = p + h;
        if (lost[i]) {
            report_text(s, "  %7.0e  %12.4e  %14s  %14s", eps[i], h, "step lost", "step lost");
            continue;
        }
        char a[32], b[32];
        snprintf(a, sizeof a, "%.2e", ef[i]);
        snprintf(b, sizeof b, "%.2e", ec[i]);
        report_text(s, "  %7.0e  %12.4e  %14s  %14s%s%s", eps[i], pp - p, a, b,
                    i == bf ? "  <- best forward" : "", i == bc ? "  <- best central" : "");
    }
    report_text(s, "  large eps: truncation error (forward ~ eps, central ~ eps^2);"
                   " small eps: round-off (~ u/eps)");
    plot_sweep(s, eps, ef, ec, N, bf, bc);
out:
    free(scratch);
    if (owned) tape_free(t);
    return rc;
}

/* ---- check -------------------------------------------------------------- */

/* One check's verdict.  worst: the entry named (a tensor's worst), or
 * NULL; atol < 0: check f (no absolute tolerance). */
static void check_result(Session *s, const char *what, int pass, double got, double want,
                         double tol, double atol, const char *worst, const char *detail)
{
    if (!pass) s->failed_checks++;
    if (s->json) {
        char g[64], w[64], tl[64];
        report_fmt_json(g, sizeof g, got);
        report_fmt_json(w, sizeof w, want);
        report_fmt_json(tl, sizeof tl, tol);
        fputs("{\"check\": ", s->out);
        report_json_string(s->out, what);
        fprintf(s->out, ", \"pass\": %s, \"got\": %s, \"want\": %s, \"tol\": %s",
                pass ? "true" : "false", g, w, tl);
        if (atol >= 0) {
            report_fmt_json(tl, sizeof tl, atol);
            fprintf(s->out, ", \"atol\": %s", tl);
        }
        if (worst) {
            fputs(", \"worst\": ", s->out);
            report_json_string(s->out, worst);
        }
        fputs("}\n", s->out);
        return;
    }
    const char *on = s->color ? (pass ? "\033[1;32m" : "\033[1;31m") : "", *off = s->color ? "\033[0m" : "";
    report_text(s, "%s%s%s: check %s: %s", on, pass ? "PASS" : "FAIL", off, what, detail);
}

/* check a, b [tol [atol]]: every entry passes when |a − b| <= atol +
 * tol·|b| (NumPy's allclose), written so that NaN fails. */
static int check_values(Session *s, const Stmt *st, double tol, double atol, Diag *d)
{
    char what[300], detail[600];
    Value a = { 0 }, b = { 0 };
    int rc = eval_now(s, st->e[0], &a, d);
    if (!rc) rc = eval_now(s, st->e[1], &b, d);
    if (!rc && !shape_eq(a.shape, b.shape)) {
        char sa[48], sb[48];
        shape_str(a.shape, sa, sizeof sa);
        shape_str(b.shape, sb, sizeof sb);
        rc = diag_set(d, E_SHAPE, &st->loc, "check: shapes %s and %s differ", sa, sb);
    }
    if (rc) { value_free(&a); value_free(&b); return rc; }
    /* the worst entry: the largest |a − b| against its bound (NaN worst of all) */
    double ratio = -1;
    long worst = 0;
    int pass = 1;
    for (long k = 0, n = shape_size(a.shape); k < n; k++) {
        double x = a.data[k], y = b.data[k], diff = fabs(x - y), bound = atol + tol * fabs(y);
        if (!(diff <= bound)) pass = 0;
        double q = x == y ? 0 : isnan(diff) || isinf(diff) ? INFINITY : bound > 0 ? diff / bound : INFINITY;
        if (q > ratio) { ratio = q; worst = k; }
    }
    double ga = a.data[worst], gb = b.data[worst];
    char ta[140], tb[140], x[64], y[64], wa[180] = "", wb[180];
    span_text(st->e[0], ta, sizeof ta);
    span_text(st->e[1], tb, sizeof tb);
    snprintf(what, sizeof what, "%s, %s", ta, tb);
    report_fmt_value(x, sizeof x, ga, s->set.digits);
    report_fmt_value(y, sizeof y, gb, s->set.digits);
    if (a.shape.rank > 0) {
        /* W[1,1]; (W + 1)[1,1] for an operator's result */
        char pa[150], pb[150];
        snprintf(pa, sizeof pa, st->e[0]->kind == AST_BIN || st->e[0]->kind == AST_NEG ? "(%s)" : "%s", ta);
        snprintf(pb, sizeof pb, st->e[1]->kind == AST_BIN || st->e[1]->kind == AST_NEG ? "(%s)" : "%s", tb);
        entry_name(wa, sizeof wa, pa, a.shape, worst);
        entry_name(wb, sizeof wb, pb, b.shape, worst);
    } else {
        snprintf(wa, sizeof wa, "%s", ta);
        snprintf(wb, sizeof wb, "%s", tb);
    }
    snprintf(detail, sizeof detail, "%s%s = %s, %s = %s (|a - b| %.1e, allowed atol + tol*|b| = %.1e)",
             a.shape.rank > 0 ? "worst entry " : "", wa, x, wb, y, fabs(ga - gb),
             atol + tol * fabs(gb));
    check_result(s, what, pass, ga, gb, tol, atol, a.shape.rank > 0 ? wa : NULL, detail);
    value_free(&a);
    value_free(&b);
    return E_OK;
}

int cmd_check(Session *s, const Stmt *st, Diag *d)
{
    char what[300], detail[600];
    double tol = s->set.tol, atol = s->set.atol;
    if (st->nargs > 2)
        return diag_set(d, E_USAGE, &st->args[2].loc, "check takes at most two tolerances (tol, then atol)");
    if (st->nargs >= 1) {
        if (arg_number(s, &st->args[0], &tol, d)) return d->kind;
        if (!(tol > 0)) return diag_set(d, E_USAGE, &st->args[0].loc, "the tolerance must be positive");
    }
    if (st->nargs == 2) {
        if (st->ne != 2)
            return diag_set(d, E_USAGE, &st->args[1].loc, "check f takes one tolerance (atol is for check a, b)");
        if (arg_number(s, &st->args[1], &atol, d)) return d->kind;
        if (!(atol >= 0) || !isfinite(atol))
            return diag_set(d, E_USAGE, &st->args[1].loc, "atol must be zero or a positive number");
    }
    if (st->ne == 2)
        return check_values(s, st, tol, atol, d);
    /* check f: every partial of f against central differences */
    const Ast *target = st->e[0];
    int owned;
    Tape *t;
    span_text(target, what, sizeof what);
    int rc = diff_target(s, target, what, "check f needs a scalar f without grad(...)",
                         DIFF_BACKWARD, &t, &owned, d);
    if (rc) return rc;
    double *scratch = NULL;
    long *pick = NULL;
    scratch = xmalloc((size_t)t->nval * sizeof *scratch);
    Settings set = s->set;
    set.fd = FD_CENTRAL;
    set.tol = tol;
    FdCost cost = { 0 };
    /* past maxcheck entries over all parameters: the sample grad takes */
    long total = 0, n = 0, bad = 0, gi = 0;
    for (int l = 0; l < t->nleaves; l++)
        if (tape_name(t, t->leaves[l])->kind == ENT_PARAM) total += tape_size(t, t->leaves[l]);
    long want = total > s->set.maxcheck ? s->set.maxcheck : total;
    if (want < total) {
        pick = xmalloc((size_t)want * sizeof *pick);
        numdiff_sample(total, want, s->set.seed, pick);
    }
    double worst = -1, wbp = 0, wc = 0, maxerr = 0;
    char worstname[96] = "", worstwhy[200] = "";
    for (int l = 0; l < t->nleaves; l++) {
        int slot = t->leaves[l];
        Entry *e = tape_name(t, slot);
        if (e->kind != ENT_PARAM) continue;
        for (long k = 0, m = tape_size(t, slot); k < m; k++, gi++) {
            if (pick && !(n < want && pick[n] == gi)) continue;
            if (bp_interrupted) {
                rc = diag_set(d, E_INTERRUPT, &st->loc, "interrupted");
                goto out;
            }
            FdResult r;
            double bp = tape_grad(t, slot)[k];
            numdiff_entry(t, slot, k, bp, &set, scratch, &r, &cost);
            n++;
            bad += r.disagree;
            double err = fabs(bp - r.central.value);
            if (!isfinite(err)) err = INFINITY;
            if (!r.disagree && err > maxerr) maxerr = err;
            /* the worst: a disagreeing row first, then the largest error */
            double score = (r.disagree ? 2 : 0) + (err == INFINITY ? 1 : err / (1 + err));
            if (score > worst) {
                worst = score; wbp = bp; wc = r.central.value;
                entry_name(worstname, sizeof worstname, e->name, tape_shape(t, slot), k);
                report_fd_why(worstwhy, sizeof worstwhy, &r);
            }
        }
    }
    char sample[96] = "";
    if (pick) snprintf(sample, sizeof sample, "; %ld of %ld entries checked, a random sample (set maxcheck)", n, total);
    if (n == 0)
        snprintf(detail, sizeof detail, "%s depends on no parameters", what);
    else if (bad == 0)
        snprintf(detail, sizeof detail, "%ld partial%s agree with central differences "
                 "(max |bp - central| = %.1e, tol %g%s)", n, n == 1 ? "" : "s", maxerr, tol, sample);
    else if (worstwhy[0])
        snprintf(detail, sizeof detail, "%ld of %ld partials disagree with central differences "
                 "(worst: %s, %.200s%s)", bad, n, worstname, worstwhy, sample);
    else
        snprintf(detail, sizeof detail, "%ld of %ld partials disagree with central differences "
                 "(worst: %s, backprop %.6e, central %.6e%s)", bad, n, worstname, wbp, wc, sample);
    check_result(s, what, bad == 0, bad ? fabs(wbp - wc) : maxerr, 0, tol, -1, bad ? worstname : NULL, detail);
out:
    free(scratch);
    free(pick);
    if (owned) tape_free(t);
    return rc;
}
