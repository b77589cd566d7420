/* teach.c: the commands that show the chain rule at work: trace (the
 * backward pass step by step), sweep (finite-difference error against the
 * step size) and check (PASS/FAIL, for autograding). */
#include <ctype.h>
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
/* Cut the UTF-8 text in buf to `cols` columns in the middle, "head…tail":
 * "a + b + c" and "a + b" keep apart when both are cut. */
static void mid_shorten(char *buf, int cols)
{
    int n = report_cols(buf);
    if (cols < 5 || n <= cols) return;
    int head = (cols - 1) / 2, tail = cols - 1 - head, c = 0;
    char *p = buf, *q;
    for (; *p && c < head; p++) c += ((unsigned char)*p & 0xC0) != 0x80;
    while (((unsigned char)*p & 0xC0) == 0x80) p++;
    q = p;
    for (c = 0; *q && c < n - head - tail; q++) c += ((unsigned char)*q & 0xC0) != 0x80;
    while (((unsigned char)*q & 0xC0) == 0x80) q++;
    memmove(p + 3, q, strlen(q) + 1);
    memcpy(p, "\xe2\x80\xa6", 3);
}

static int label_cap = 24;       /* columns of a label; trace lowers it to fit a line */

static void slot_label(const Tape *t, int i, char *buf, size_t n)
{
    if (tape_name(t, i)) snprintf(buf, n, "%s", tape_name(t, i)->name);
    else if (!tape_label_src(t, i) || !report_flat_text(&tape_label_src(t, i)->loc, buf, n, n > 4 ? n - 4 : 0))
        snprintf(buf, n, "#%d", i);
    mid_shorten(buf, label_cap);  /* a long subexpression: the lines stay in 80 columns */
}

/* "∂f/∂z", "∂f/∂(w*x + b)" */
static void partial(char *buf, size_t n, const char *f, const char *x, int named)
{
    snprintf(buf, n, named ? "\u2202%s/\u2202%s" : "\u2202%s/\u2202(%s)", f, x);
}

/* A rule written for x ("s(x)(1 - s(x))") in the input's own name:
 * "s(z)(1 - s(z))", "1/(w*x + b)".  A name or a number replaces x bare;
 * anything else in parentheses, unless the x already has them. */
static void own_rule(char *buf, size_t n, const char *rule, const char *in, int simple)
{
    size_t o = 0;
    for (const char *p = rule; *p && o + 1 < n; p++) {
        int word = *p == 'x' && (p == rule || !isalnum((unsigned char)p[-1]))
                   && !isalnum((unsigned char)p[1]);
        if (!word) { buf[o++] = *p; continue; }
        int bare = simple || (p > rule && p[-1] == '(' && p[1] == ')');
        o += (size_t)snprintf(buf + o, n - o, bare ? "%s" : "(%s)", in);
        if (o >= n) o = n - 1;
    }
    buf[o] = '\0';
}

static void fmt_at(char *buf, size_t n, const Tape *t, int slot, const double *x, int digits,
                   int indent)
{
    Value v = { tape_shape(t, slot), (double *)x };
    char *str = report_value_fit(&v, digits, indent, 80);
    snprintf(buf, n, "%s", str);
    free(str);
}

static void fmt(char *buf, size_t n, const Tape *t, int slot, const double *x, int digits)
{
    Value v = { tape_shape(t, slot), (double *)x };
    char *str = report_value_fit(&v, digits, 0, 40);   /* after a label of up to 40 */
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

static void wrap_text(Session *s, const char *first, int indent, const char *text);

/* trace forward f wrt x: forward mode as Baydin et al. (2018) tabulate
 * it, one line per node in the order of the forward pass, its value and
 * its tangent for the seed x' = 1 (dual.c computes each with dual_slot);
 * a scalar op shows its tangent as the chain rule's sum of products. */
static int trace_forward(Session *s, const Stmt *st, Diag *d)
{
    const Ast *target = st->e[0];
    int owned, rc;
    Tape *t;
    char fname[64], x[64], lab[256], v[13], td[13], rule[128], line[400];   /* columns of 26, 12, 12 */
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
    int width = report_width(s);
    snprintf(line, sizeof line, "trace forward %s wrt %s:", fname, x);
    const char *baydin = "forward mode, as Baydin et al. (2018) tabulate it:";
    if (report_cols(line) + 1 + report_cols(baydin) <= width) report_text(s, "%s %s", line, baydin);
    else report_text(s, "%s\n  %s", line, baydin);   /* the phrase whole on a line of its own */
    report_text(s, "  each node in the order of the forward pass, its value and its tangent");
    snprintf(line, sizeof line, "derivative d/d%s, from the seed %s' = 1)", x, x);
    wrap_text(s, "  (its", 3, line);
    report_text(s, "  %-26s %-12s %-12s %s", "node", "value", "tangent", "tangent by the chain rule");
    if (dual_seed(t, seed, 0)) {
        rc = diag_set(d, E_MEMORY, &st->loc, "%s", DUAL_NO_MEMORY);
        goto out;
    }
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
        else if (t->op[i] == OP_LEAF)   /* the short form when the seed's name is long */
        {
            if (55 + 20 + report_cols(x) <= width) snprintf(rule, sizeof rule, "(does not depend on %s)", x);
            else snprintf(rule, sizeof rule, "(not the seed)");
        }
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
        /* the label padded by columns ("…" is one); a rule that would run
         * past the width goes on a line of its own below */
        snprintf(line, sizeof line, "  %s%*s %-12s %-12s", lab, 26 - report_cols(lab), "", v, td);
        if (report_cols(line) + 1 + report_cols(rule) <= width) report_text(s, "%s %s", line, rule);
        else report_text(s, "%s\n%*s%s", line, 29, "", rule);
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

enum { TRACE_STEPS = 40 };   /* past this, trace f all */

/* reach[i]: slot i leads to one of the wrt names (trace f wrt W1 shows
 * only those steps).  Inputs come before their users on the tape. */
static int trace_reach(const Tape *t, const Stmt *st, char *reach, Diag *d)
{
    for (int i = 0; i < t->n; i++) reach[i] = !st->has_wrt;
    if (!st->has_wrt) return E_OK;
    for (int k = 0; k < st->nnames; k++) {
        int found = 0;
        for (int l = 0; l < t->nleaves; l++)
            if (strcmp(tape_name(t, t->leaves[l])->name, st->names[k]) == 0) {
                reach[t->leaves[l]] = 1;
                found = 1;
            }
        if (!found)
            return diag_set(d, E_USAGE, &st->name_locs[k], "the target does not use %s", st->names[k]);
    }
    for (int i = 0; i < t->n; i++) {
        const OpInfo *o = &op_info[t->op[i]];
        if (o->arity == 0 && t->op[i] != OP_STACK) continue;
        if (t->op[i] == OP_STACK) {
            for (int k = 0; k < t->b[i]; k++) reach[i] |= reach[t->args[t->a[i] + k]];
        } else {
            if (t->a[i] >= 0) reach[i] |= reach[t->a[i]];
            if (o->arity == 2 && t->op[i] != OP_INDEX && t->b[i] >= 0) reach[i] |= reach[t->b[i]];
        }
    }
    return E_OK;
}

/* A tensor step's rule, with δ the gradient arriving at the node:
 * "δ @ xᵀ" for the left factor of a product, a bias's sum over rows. */
static void tensor_rule(const Tape *t, int i, int k, const char *other, char *buf, size_t n)
{
    int in = k == 0 ? t->a[i] : t->b[i];
    Shape si = tape_shape(t, in), so = tape_shape(t, i);
    const OpInfo *o = &op_info[t->op[i]];
    buf[0] = '\0';
    if (t->op[i] == OP_MATMUL && si.rank > 0 && tape_shape(t, k ? t->a[i] : t->b[i]).rank > 0)
        snprintf(buf, n, k == 0 ? "   [\u03b4 @ %s\u1d40]" : "   [%s\u1d40 @ \u03b4]", other);
    else if ((t->op[i] == OP_ADD || t->op[i] == OP_SUB) && !shape_eq(si, so))
        snprintf(buf, n, "   [%s\u03b4 summed over the rows]", t->op[i] == OP_SUB && k ? "-" : "");
    else if (o->arity == 1 && (o->flags & OPF_ELEM) && o->deriv[0])
        snprintf(buf, n, "   [\u03b4 \u2299 %s'(%s)]", o->name, other);
}

/* Text as lines that fit the width, cut at blanks, the first after
 * `first`, the rest indented by `indent` columns. */
static void wrap_text(Session *s, const char *first, int indent, const char *text)
{
    int width = report_width(s);
    char line[1400];
    snprintf(line, sizeof line, "%s", first);
    int col = report_cols(line);
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, " ");
        char w[400];
        snprintf(w, sizeof w, "%.*s", (int)n, p);
        p += n;
        while (*p == ' ') p++;
        int wc = report_cols(w);
        if (col + 1 + wc > width && col > indent) {
            report_text(s, "%s", line);
            snprintf(line, sizeof line, "%*s", indent, "");
            col = indent;
        }
        size_t o = strlen(line);
        snprintf(line + o, sizeof line - o, "%s%s", col > indent && o ? " " : "", w);
        col = report_cols(line);
    }
    report_text(s, "%s", line);
}

/* Text cut at tabs into pieces, packed onto lines that fit the width
 * (a blank between pieces), the lines after the first indented. */
static void pack_text(Session *s, const char *text, int indent)
{
    int width = report_width(s), col = 0;
    char line[2400] = "", piece[1200];
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\t");
        snprintf(piece, sizeof piece, "%.*s", (int)n, p);
        p += n + (p[n] == '\t');
        report_shorten(piece, width - indent);
        int pc = report_cols(piece);
        if (col && col + 1 + pc > width) {
            report_text(s, "%s", line);
            snprintf(line, sizeof line, "%*s", indent - 1, "");
            col = indent - 1;
        }
        size_t o = strlen(line);
        snprintf(line + o, sizeof line - o, "%s%s", col ? " " : "", piece);
        col += (col ? 1 : 0) + pc;
    }
    report_text(s, "%s", line);
}

int cmd_trace(Session *s, const Stmt *st, Diag *d)
{
    if (st->nargs == 1 && st->args[0].is_word && strcmp(st->args[0].word, "forward") == 0)
        return trace_forward(s, st, d);
    const Ast *target = st->e[0];
    int owned;
    Tape *t;
    char fname[128], lab[256], lab2[256], p1[600], v1[256], v2[256];
    int all = 0;
    for (int i = 0; i < st->nargs; i++) {
        if (!st->args[i].is_word || strcmp(st->args[i].word, "all") != 0 || i > 0)
            return diag_set(d, E_USAGE, &st->args[i].loc, "trace takes one word after its target: "
                            "all (every step)");
        all = 1;
    }
    span_text(target, fname, sizeof fname);
    report_shorten(fname, 24);
    int rc = diff_target(s, target, fname, "trace needs a scalar: try trace sum(%s)",
                         DIFF_FORWARD, &t, &owned, d);
    if (rc) return rc;
    int dg = s->set.digits < 6 ? s->set.digits : 6;
    double *snap = NULL;
    Contrib *cs = NULL;
    int *head = NULL, ncs = 0, ccap = 0;
    char *reach = xmalloc((size_t)t->n + 1);
    if ((rc = trace_reach(t, st, reach, d))) goto out;

    /* The backward pass, one backprop_slot at a time, recording each
     * contribution: a slot's gradient is the sum of what its users send
     * it (the chain rule). */
    tape_zero_grad(t);
    tape_grad(t, t->root)[0] = 1;
    snap = xmalloc((size_t)(t->nval ? t->nval : 1) * sizeof *snap);
    head = xmalloc((size_t)t->n * sizeof *head);
    for (int i = 0; i < t->n; i++) head[i] = -1;

    char wrt[200] = "";
    for (int k = 0, o = 0; st->has_wrt && k < st->nnames && o < (int)sizeof wrt - 64; k++)
        o += snprintf(wrt + o, sizeof wrt - (size_t)o, "%s%.60s", k ? ", " : " wrt ", st->names[k]);
    report_text(s, "trace %s%s: the backward pass, one node at a time%s", fname, wrt,
                st->has_wrt ? " (the steps on the way)" : "");
    int tensors = 0;
    for (int i = 0; i < t->n; i++) tensors |= tape_shape(t, i).rank > 0;
    report_text(s, "  (\u2202: partial derivative; [ ]: a node's local derivative%s)",
                tensors ? "; \u03b4: the gradient at it" : ", its own rule");
    report_text(s, "  forward pass: %s = %s", fname, (fmt(v1, sizeof v1, t, t->root, tape_val(t, t->root), s->set.digits), v1));
    report_text(s, "  step 0: \u2202%s/\u2202%s = 1 (the seed)", fname, fname);
    int stepno = 0, shown = 0;
#define SAY(...) do { if (show) report_text(s, __VA_ARGS__); } while (0)
    for (int i = t->root; i >= 0; i--) {
        const OpInfo *o = &op_info[t->op[i]];
        if (!o->kbwd && o->arity == 0) continue;
        if (bp_interrupted) { rc = diag_set(d, E_INTERRUPT, &st->loc, "interrupted"); goto out; }
        int ins[2] = { t->a[i], o->arity == 2 && t->op[i] != OP_INDEX ? t->b[i] : -1 };
        int nin = t->op[i] == OP_STACK ? t->b[i] : ins[1] >= 0 ? 2 : 1;
        const double *g = tape_grad(t, i);
        int zero = 1;
        for (long k = 0, n = tape_size(t, i); k < n; k++) zero &= g[k] == 0;
        /* shown: on the way to the wrt names, within the step limit */
        int show = reach[i] && (all || shown < TRACE_STEPS);
        if (reach[i]) { stepno++; shown++; }

        slot_label(t, i, lab, sizeof lab);
        fmt(v1, sizeof v1, t, i, tape_val(t, i), dg);
        if (tape_name(t, i) && tape_name(t, i)->kind == ENT_FORMULA) {
            char def[300];
            span_text(tape_name(t, i)->expr, def, sizeof def);
            report_shorten(def, 40);
            SAY("  step %d: %s = %s = %s", stepno, lab, def, v1);
        } else {
            SAY("  step %d: %s = %s", stepno, lab, v1);
        }
        partial(p1, sizeof p1, fname, lab, tape_name(t, i) != NULL || strlen(lab) < 2);
        fmt(v2, sizeof v2, t, i, g, dg);
        /* where this gradient came from: one line per user when shared */
        int nc = 0;
        for (int c = head[i]; c >= 0; c = cs[c].next) nc++;
        if (i == t->root)
            SAY("      %s = 1", p1);
        else if (nc > 1) {
            char sum[400];
            sum_text(cs, head[i], tape_shape(t, i).rank == 0, dg, sum, sizeof sum);
            if (show) {
                char first[700], rest[1200];
                snprintf(first, sizeof first, "      %s =", p1);
                snprintf(rest, sizeof rest, "%s%s  (used %d times: the contributions add up)", sum, v2, nc);
                wrap_text(s, first, 10, rest);
            }
        } else {
            SAY("      %s = %s", p1, v2);
        }
        if (zero) {
            SAY("      (zero: nothing flows further from here)");
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
        /* the node as the numerator of its local derivative: ∂(w*x)/∂w */
        char node[300];
        snprintf(node, sizeof node, tape_name(t, i) || strlen(lab) < 2 ? "%s" : "(%s)", lab);
        double dup_rest = 0;                      /* z*z: the second use's share */
        for (int k = 0; k < nin; k++) {
            int in = t->op[i] == OP_STACK ? t->args[t->a[i] + k] : ins[k];
            if (t->op[in] == OP_NUM) continue;       /* constants need no gradient */
            long n = tape_size(t, in);
            double *gi = tape_grad(t, in), *sn = snap + t->off[in];
            for (long j = 0; j < n; j++) { double now = gi[j]; gi[j] = now - sn[j]; sn[j] = now; }
            if (scalar && nin == 2 && ins[0] == ins[1]) {
                /* z*z: both uses arrived in one step; show the first as
                 * g·la and the second as the rest, not all and then 0 */
                if (k == 0) { dup_rest = gi[0] - g[0] * la; gi[0] = g[0] * la; }
                else gi[0] = dup_rest;
            }
            double amount = gi[0];                    /* (the first entry, for tensors) */
            fmt(v1, sizeof v1, t, in, gi, dg);        /* this user's contribution */
            double *contrib = xmalloc((size_t)n * sizeof *contrib);
            memcpy(contrib, gi, (size_t)n * sizeof *gi);
            memcpy(gi, sn, (size_t)n * sizeof *gi);   /* the running total again */
            slot_label(t, in, lab2, sizeof lab2);
            char p2[600];
            int simple = tape_name(t, in) != NULL || strlen(lab2) < 2;
            partial(p2, sizeof p2, fname, lab2, simple);
            const char *in_name = lab2;
            char inb[300];
            if (!simple) { snprintf(inb, sizeof inb, "(%s)", lab2); in_name = inb; }
            for (label_cap = 24; show && reach[in] && scalar && label_cap >= 24; label_cap -= 4) {
                /* the labels shorter until the line fits */
                slot_label(t, i, lab, sizeof lab);
                snprintf(node, sizeof node, tape_name(t, i) || strlen(lab) < 2 ? "%s" : "(%s)", lab);
                partial(p1, sizeof p1, fname, lab, tape_name(t, i) != NULL || strlen(lab) < 2);
                slot_label(t, in, lab2, sizeof lab2);
                simple = tape_name(t, in) != NULL || strlen(lab2) < 2;
                partial(p2, sizeof p2, fname, lab2, simple);
                in_name = lab2;
                if (!simple) { snprintf(inb, sizeof inb, "(%s)", lab2); in_name = inb; }
                char tl[2400], lv[64], gv[64];
                report_fmt_value(lv, sizeof lv, k == 0 ? la : lb, dg);
                report_fmt_value(gv, sizeof gv, g[0], dg);
                snprintf(tl, sizeof tl, "      -> %s += %s \u00b7 [\u2202%s/\u2202%s] = %s \u00b7 %s = %s",
                         p2, p1, node, in_name, gv, lv, v1);
                if (report_cols(tl) <= report_width(s)) break;
            }
            if (label_cap < 24) label_cap = 24;
            if (show && reach[in] && scalar) {
                /* the chain rule, one link: ∂f/∂in += ∂f/∂node · [∂node/∂in] */
                char lv[64], gv[64], rule[600] = "";
                report_fmt_value(lv, sizeof lv, k == 0 ? la : lb, dg);
                report_fmt_value(gv, sizeof gv, g[0], dg);
                if (o->arity == 1 && o->deriv[0]) {
                    char r[160];
                    own_rule(r, sizeof r, o->deriv, lab2, simple);
                    snprintf(rule, sizeof rule, "   [%s'(%s) = %s]", o->name, lab2, r);
                }
                /* one line when it fits; else pieces packed onto lines */
                char line[2400];
                snprintf(line, sizeof line, "      -> %s +=\t%s \u00b7\t[\u2202%s/\u2202%s]\t= %s \u00b7 %s = %s%s",
                         p2, p1, node, in_name, gv, lv, v1, rule[0] ? "\t" : "");
                if (rule[0]) snprintf(line + strlen(line), sizeof line - strlen(line), "%s", rule + 3);
                pack_text(s, line, 9);
                label_cap = 24;
            } else if (show && reach[in]) {
                /* "-> ∂L/∂W += δ @ xᵀ = [[...]]", the matrix indented under itself */
                char rule[400], other[300], pre[1200], val[2000];
                int o2 = k == 0 ? ins[1] : ins[0];
                if (t->op[i] == OP_MATMUL && o2 >= 0) slot_label(t, o2, other, sizeof other);
                else snprintf(other, sizeof other, "%s", lab2);
                tensor_rule(t, i, t->op[i] == OP_STACK ? 0 : k, other, rule, sizeof rule);
                if (rule[0]) {
                    rule[strlen(rule) - 1] = '\0';          /* "[δ @ xᵀ]" without brackets */
                    snprintf(pre, sizeof pre, "      -> %s += %s = ", p2, rule + 4);
                } else {
                    snprintf(pre, sizeof pre, "      -> %s += ", p2);
                }
                fmt_at(val, sizeof val, t, in, contrib, dg, report_cols(pre) - 1);
                char *nl = strchr(val, '\n');
                if (nl) *nl = '\0';
                int fits = report_cols(pre) <= 56 && report_cols(pre) + report_cols(val) <= report_width(s);
                if (nl) *nl = '\n';
                if (fits) {
                    report_text(s, "%s%s", pre, val);
                } else {                              /* the value on a line of its own */
                    pre[strlen(pre) - 1] = '\0';
                    report_text(s, "%s", pre);
                    fmt_at(val, sizeof val, t, in, contrib, dg, 8);
                    report_text(s, "         %s", val);
                }
            }
            free(contrib);
            xgrow((void **)&cs, &ccap, ncs + 1, sizeof *cs);
            cs[ncs] = (Contrib){ i, head[in], amount };
            head[in] = ncs++;
        }
    }
#undef SAY
    if (!all && shown > TRACE_STEPS)
        report_text(s, "  \u2026 %d more steps (trace %s all)", shown - TRACE_STEPS, fname);
    /* the result: the leaves' gradients */
    report_text(s, "  result:");
    for (int k = 0; k < t->nleaves; k++) {
        int l = t->leaves[k];
        if (!reach[l]) continue;
        int nc = 0;
        for (int c = head[l]; c >= 0; c = cs[c].next) nc++;
        fmt_at(v1, sizeof v1, t, l, tape_grad(t, l), s->set.digits,
               9 + report_cols(fname) + report_cols(tape_name(t, l)->name));
        char sum[400] = "";
        if (nc > 1) sum_text(cs, head[l], tape_shape(t, l).rank == 0, dg, sum, sizeof sum);
        char first[400], rest[1200];
        snprintf(first, sizeof first, "    \u2202%s/\u2202%s =", fname, tape_name(t, l)->name);
        snprintf(rest, sizeof rest, "%s%s%s%s", sum, v1,
                 tape_name(t, l)->kind == ENT_CONST ? "  (const)" : "",
                 nc > 1 ? "  (the sum over its uses)" : "");
        if (strchr(v1, '\n')) report_text(s, "%s %s", first, rest);   /* a matrix keeps its rows */
        else wrap_text(s, first, 8, rest);
    }
out:
    free(reach);
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
    report_shorten(fname, 24);
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
    if (!(scratch = cmd_tape_copy(t, &st->loc, d))) { rc = d->kind; goto out; }

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
    char head[800];
    snprintf(head, sizeof head, "sweep %s wrt %s at %s = %s:\tfinite differences' error,\tbackprop %s",
             fname, ename, ename, pv, bv);
    pack_text(s, head, 3);
    snprintf(head, sizeof head, "  h = eps * max(1, |%s|),\trounded so that %s + h is exact",
             ename, ename);
    pack_text(s, head, 5);
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
        /* both marks on one row would pass 80 columns */
        report_text(s, "  %7.0e  %12.4e  %14s  %14s%s", eps[i], pp - p, a, b,
                    i == bf && i == bc ? "  <- best of both" : i == bf ? "  <- best forward"
                    : i == bc ? "  <- best central" : "");
    }
    report_text(s, "  large eps: truncation error (forward ~ eps, central ~ eps^2)");
    report_text(s, "  small eps: round-off (~ u/eps)");
    plot_sweep(s, eps, ef, ec, N, bf, bc);
out:
    free(scratch);
    if (owned) tape_free(t);
    return rc;
}

/* ---- check -------------------------------------------------------------- */

/* One check's verdict.  worst: the entry named (a tensor's worst), or
 * NULL; atol < 0: check f (no absolute tolerance), whose --json object
 * also says how many of its entries were checked (checked < 0: not). */
static void check_result(Session *s, const char *what, int pass, double got, double want,
                         double tol, double atol, const char *worst, long entries, long checked,
                         const char *detail)
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
        if (checked >= 0) fprintf(s->out, ", \"entries\": %ld, \"checked\": %ld", entries, checked);
        fputs("}\n", s->out);
        return;
    }
    const char *on = s->color ? (pass ? "\033[1;32m" : "\033[1;31m") : "", *off = s->color ? "\033[0m" : "";
    /* the verdict, then the detail's pieces (cut at tabs) packed onto
     * lines that fit the width: two lines rather than one that wraps */
    int width = report_width(s);
    char w[300], line[1200], piece[700];
    snprintf(w, sizeof w, "%s", what);
    report_shorten(w, width / 2);
    snprintf(line, sizeof line, "%s%s%s: check %s:", on, pass ? "PASS" : "FAIL", off, w);
    int col = report_cols(line) - (int)(strlen(on) + strlen(off));
    for (const char *p = detail; *p;) {
        size_t n = strcspn(p, "\t");
        snprintf(piece, sizeof piece, "%.*s", (int)n, p);
        p += n + (p[n] == '\t');
        int pc = report_cols(piece);
        if (col + 1 + pc > width && col > 2) {
            report_text(s, "%s", line);
            report_shorten(piece, width - 2);
            snprintf(line, sizeof line, " ");
            col = 1;
        }
        size_t o = strlen(line);
        snprintf(line + o, sizeof line - o, " %s", piece);
        col += 1 + report_cols(piece);
    }
    report_text(s, "%s", line);
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
    if (!pass && strcmp(x, y) == 0 && ga != gb && isfinite(ga) && isfinite(gb)) {
        /* "0.3 vs 0.3" FAILs: the shortest forms that read back differ */
        report_fmt_json(x, sizeof x, ga);
        report_fmt_json(y, sizeof y, gb);
    }
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
    /* "worst [0,0]: a vs b, |a - b| 0, allowed atol + tol*|b|" in two pieces */
    char at[64] = "";
    if (a.shape.rank > 0) {
        char idx[48];
        entry_name(idx, sizeof idx, "", a.shape, worst);
        snprintf(at, sizeof at, "worst %s: ", idx);
    }
    snprintf(detail, sizeof detail, "%s%s vs %s,\t|a - b| %.1e, allowed %.1e",
             at, x, y, fabs(ga - gb), atol + tol * fabs(gb));
    check_result(s, what, pass, ga, gb, tol, atol, a.shape.rank > 0 ? wa : NULL, 0, -1, detail);
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
        /* check a, b 0 0 asks for equality, as allclose(rtol=0, atol=0);
         * check f's tolerance is the mark's, which needs one */
        if (st->ne == 2 ? !(tol >= 0) || !isfinite(tol) : !(tol > 0))
            return diag_set(d, E_USAGE, &st->args[0].loc, st->ne == 2
                            ? "the tolerance must be zero or a positive number"
                            : "the tolerance must be positive");
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
    if (!(scratch = cmd_tape_copy(t, &st->loc, d))) { rc = d->kind; goto out; }
    Settings set = s->set;
    set.fd = FD_CENTRAL;
    set.tol = tol;
    FdCost cost = { 0 };
    /* past maxcheck entries over all parameters: the sample grad takes */
    long total = 0, n = 0, bad = 0, gi = 0, *sizes = xmalloc((size_t)(t->nleaves + 1) * sizeof *sizes);
    int np = 0;
    for (int l = 0; l < t->nleaves; l++)
        if (tape_name(t, t->leaves[l])->kind == ENT_PARAM) total += sizes[np++] = tape_size(t, t->leaves[l]);
    long want = total;
    if (total > s->set.maxcheck) want = numdiff_sample_parts(np, sizes, s->set.maxcheck, s->set.seed, &pick);
    free(sizes);
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
    if (pick) snprintf(sample, sizeof sample, ";\t%ld of %ld entries checked at random (set maxcheck)", n, total);
    if (n == 0)
        snprintf(detail, sizeof detail, "%s depends on no parameters", what);
    else if (bad == 0)
        snprintf(detail, sizeof detail, "%ld partial%s with central differences\t"
                 "(max |bp - central| = %.1e, tol %g%s)", n, n == 1 ? " agrees" : "s agree", maxerr,
                 tol, sample);
    else if (worstwhy[0])
        snprintf(detail, sizeof detail, "%ld of %ld partials disagree with central differences\t"
                 "(worst: %s, %.200s%s)", bad, n, worstname, worstwhy, sample);
    else
        snprintf(detail, sizeof detail, "%ld of %ld partials disagree with central differences\t"
                 "(worst: %s, backprop %.6e, central %.6e%s)", bad, n, worstname, wbp, wc, sample);
    check_result(s, what, bad == 0, bad ? fabs(wbp - wc) : maxerr, 0, tol, -1, bad ? worstname : NULL,
                 total, n, detail);
out:
    free(scratch);
    free(pick);
    if (owned) tape_free(t);
    return rc;
}
