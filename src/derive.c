/* derive.c: grad(f, w) emitted as slots (SPEC section 7).
 *
 * Each operation's derivative rule is written below as operations of the
 * op list, beside the numeric rule it mirrors (ops.c, kernels.c): tanh's
 * is g*(1 - y^2), mul's g*b and g*a, matmul's g @ transpose(b) and
 * transpose(a) @ g.  derive_grad walks f's slots once in reverse (a loop,
 * no recursion), keeping each slot's adjoint as a slot; fan-out adds.
 * The builders fold constants and drop *1, +0 and 0* as they go, and an
 * adjoint that is zero is "no slot" (-1), so nothing off the path from w
 * to f is emitted.  Broadcast inputs get their adjoint summed back to
 * their shape with products by constant ones; indexing scatters with
 * products by constant selection matrices, so no new kernel is needed and
 * every emitted slot is itself differentiable (any order).  Every
 * operation of the op list has its case in rule() below, in the list's
 * order (oplist.h); an op without a gradient (a comparison, argmax,
 * one_hot) has an empty one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ast.h"
#include "derive.h"
#include "ops.h"
#include "xalloc.h"

typedef struct Der {
    Tape *t;
    const DeriveEmit *em;
    int fail;            /* an emit failed: stop */
} Der;

static const Shape SCALAR = { 0, { 0, 0 } };

static Shape shp(Der *D, int s) { return tape_shape(D->t, s); }

/* A raw slot op(a, b); -1 on failure (then D->fail). */
static int E(Der *D, int op, int a, int b)
{
    if (D->fail) return -1;
    int s = D->em->emit(D->em->ctx, op, a, b, NULL);
    if (s < 0) D->fail = 1;
    return s;
}

/* A constant of shape sh, every entry v. */
static int Kfill(Der *D, Shape sh, double v)
{
    if (D->fail) return -1;
    int s = D->em->emit(D->em->ctx, OP_NUM, -1, -1, &sh);
    if (s < 0) { D->fail = 1; return -1; }
    double *x = tape_val(D->t, s);
    for (long k = 0, n = shape_size(sh); k < n; k++) x[k] = v;
    return s;
}

static int K(Der *D, double v) { return Kfill(D, SCALAR, v); }

/* Is s a scalar constant?  Its value in *v. */
static int isk(Der *D, int s, double *v)
{
    if (s < 0 || D->t->op[s] != OP_NUM || shp(D, s).rank != 0) return 0;
    *v = tape_val(D->t, s)[0];
    return 1;
}

static int iskv(Der *D, int s, double want)
{
    double v;
    return isk(D, s, &v) && v == want;
}

/* op(a, b) on scalar constants, computed now when it can be. */
static int fold(Der *D, int op, int a, int b)
{
    double x, y = 0, r;
    const OpInfo *o = &op_info[op];
    if (o->fwd && isk(D, a, &x) && (o->arity == 1 || isk(D, b, &y)) &&
        !o->fwd(x, y, &r) && isfinite(r))
        return K(D, r);
    return E(D, op, a, b);
}

/* The builders: -1 is a zero (no slot). */
static int neg(Der *D, int x)
{
    if (x < 0) return -1;
    if (D->t->op[x] == OP_NEG) return D->t->a[x];
    return fold(D, OP_NEG, x, -1);
}

static int mul(Der *D, int x, int y)
{
    if (x < 0 || y < 0 || iskv(D, x, 0) || iskv(D, y, 0)) return -1;
    if (iskv(D, x, 1) && shp(D, y).rank >= shp(D, x).rank) return y;
    if (iskv(D, y, 1) && shp(D, x).rank >= shp(D, y).rank) return x;
    if (iskv(D, x, -1) && shp(D, x).rank == 0) return neg(D, y);
    if (iskv(D, y, -1) && shp(D, y).rank == 0) return neg(D, x);
    return fold(D, OP_MUL, x, y);
}

static int add(Der *D, int x, int y)
{
    if (x < 0 || iskv(D, x, 0)) return y;
    if (y < 0 || iskv(D, y, 0)) return x;
    return fold(D, OP_ADD, x, y);
}

static int sub(Der *D, int x, int y)
{
    if (y < 0 || iskv(D, y, 0)) return x;
    if (x < 0 || iskv(D, x, 0)) return neg(D, y);
    return fold(D, OP_SUB, x, y);
}

static int dvd(Der *D, int x, int y)
{
    if (x < 0 || iskv(D, x, 0)) return -1;
    if (iskv(D, y, 1)) return x;
    return fold(D, OP_DIV, x, y);
}

static int un(Der *D, int op, int x) { return fold(D, op, x, -1); }
static int bin(Der *D, int op, int x, int y) { return fold(D, op, x, y); }
static int mm(Der *D, int x, int y) { return x < 0 || y < 0 ? -1 : E(D, OP_MATMUL, x, y); }
static int tr(Der *D, int x) { return x < 0 ? -1 : shp(D, x).rank < 2 ? x : E(D, OP_TRANSPOSE, x, -1); }
static int ones(Der *D, Shape sh) { return Kfill(D, sh, 1); }
static Shape vec(long n) { return (Shape){ 1, { n, 0 } }; }
static Shape mat(long r, long c) { return (Shape){ 2, { r, c } }; }

/* Sum g (a broadcast result) back to shape `to`: the rule for an input
 * that was stretched.  Sums are products with constant ones, so they stay
 * differentiable. */
static int unbroadcast(Der *D, int g, Shape to)
{
    if (g < 0) return -1;
    Shape gs = shp(D, g);
    if (shape_eq(gs, to)) return g;
    if (to.rank == 0) return E(D, OP_SUM, g, -1);
    if (gs.rank == 1) return mm(D, ones(D, mat(1, gs.d[0])), g);    /* (n) -> (1) */
    long R = gs.d[0], C = gs.d[1];
    if (to.rank == 1) {
        int h = mm(D, ones(D, vec(R)), g);                           /* (R, C) -> (C) */
        if (to.d[0] == 1 && C > 1) h = mm(D, h, ones(D, mat(C, 1)));
        return h;
    }
    int h = g;
    if (to.d[0] == 1 && R > 1) h = mm(D, ones(D, mat(1, R)), h);
    if (to.d[1] == 1 && C > 1) h = mm(D, h, ones(D, mat(C, 1)));
    return h;
}

/* adj[s] += contribution c (summed back to s's shape). */
static void acc(Der *D, int *adj, const char *dep, int s, int c)
{
    if (c < 0 || !dep[s] || D->fail) return;
    c = unbroadcast(D, c, shp(D, s));
    /* the new term first: terms arrive in reverse order of the formula's
     * text, so a printed sum reads in its order */
    adj[s] = add(D, c, adj[s]);
}

/* A constant selection matrix: rows n, cols len, 1 at (start + k, k). */
static int select_mat(Der *D, long n, long start, long len)
{
    int s = Kfill(D, mat(n, len), 0);
    if (s < 0) return -1;
    double *x = tape_val(D->t, s);
    for (long k = 0; k < len; k++) x[(start + k) * len + k] = 1;
    return s;
}

/* A constant one-hot vector of n entries, 1 at k. */
static int onehot(Der *D, long n, long k)
{
    int s = Kfill(D, vec(n), 0);
    if (s >= 0) tape_val(D->t, s)[k] = 1;
    return s;
}

/* x[spec] with g its adjoint: g scattered into x's shape.  With Sr, Sc
 * the selection matrices of the rows and columns taken, y = Srᵀ X Sc and
 * dX = Sr G Scᵀ (an axis dropped by an integer index: an outer product
 * with a one-hot vector instead). */
static int scatter(Der *D, int g, Shape in, const IndexSpec *x)
{
    if (in.rank == 1) {
        if (!x->keep[0]) return mul(D, g, onehot(D, in.d[0], x->start[0]));
        return mm(D, select_mat(D, in.d[0], x->start[0], x->len[0]), g);
    }
    long R = in.d[0], C = in.d[1];
    if (!x->keep[0] && !x->keep[1]) {
        int s = Kfill(D, in, 0);
        if (s >= 0) tape_val(D->t, s)[x->start[0] * C + x->start[1]] = 1;
        return mul(D, g, s);
    }
    if (!x->keep[0]) {
        int cols = mm(D, select_mat(D, C, x->start[1], x->len[1]), g);      /* (C) */
        return E(D, OP_OUTER, onehot(D, R, x->start[0]), cols);
    }
    if (!x->keep[1]) {
        int rows = mm(D, select_mat(D, R, x->start[0], x->len[0]), g);      /* (R) */
        return E(D, OP_OUTER, rows, onehot(D, C, x->start[1]));
    }
    int h = mm(D, select_mat(D, R, x->start[0], x->len[0]), g);
    int sc = select_mat(D, C, x->start[1], x->len[1]);
    return mm(D, h, tr(D, sc));
}

/* g[k] (a scalar from a vector, or row k of a matrix): one element of a
 * stack [a, b, c]. */
static int take(Der *D, int g, int k)
{
    Tape *t = D->t;
    Shape gs = shp(D, g);
    IndexSpec x = { { k, 0 }, { 1, gs.rank == 2 ? gs.d[1] : 0 }, { 0, 1 } };
    xgrow((void **)&t->index, &t->indexcap, t->nindex + 1, sizeof *t->index);
    t->index[t->nindex] = x;
    return E(D, OP_INDEX, g, t->nindex++);
}

/* Row sums of a matrix m (R, C) stretched back to (R, C): the sum over
 * each row, for softmax and cross_entropy by row. */
static int rowsums(Der *D, int m)
{
    Shape s = shp(D, m);
    if (s.rank < 2) return E(D, OP_SUM, m, -1);
    int r = mm(D, m, ones(D, vec(s.d[1])));
    return E(D, OP_OUTER, r, ones(D, vec(s.d[1])));
}

/* v, one entry per group of an axis reduction of a value of shape `in`
 * (a scalar when the reduction took all entries, else one per column
 * (axis 0) or row (axis 1)), stretched back to `in` by an outer product
 * with constant ones.  A scalar stays a scalar: the element-wise ops
 * broadcast it, so a caller multiplies it by something of shape `in`. */
static int spread(Der *D, int v, Shape in, int axis)
{
    if (v < 0 || axis < 0 || in.rank < 2) return v;
    if (axis == 0) return E(D, OP_OUTER, ones(D, vec(in.d[0])), v);
    return E(D, OP_OUTER, v, ones(D, vec(in.d[1])));
}

/* The same axis reduction's sum of m (shape `in`): sum(m) over all
 * entries, or sum(m, axis). */
static int group_sum(Der *D, int m, Shape in, int axis)
{
    if (axis < 0 || in.rank < 2) return E(D, OP_SUM, m, -1);
    return E(D, OP_SUM_AXIS, m, axis);
}

/* Entries per group of that reduction. */
static long group_len(Shape in, int axis)
{
    if (axis < 0 || in.rank < 2) return shape_size(in);
    return in.d[axis];
}

/* Slot i's rule: g = adj[i] flows into its inputs.  Each case is the
 * graph form of the numeric rule in ops.c / kernels.c. */
static void rule(Der *D, int *adj, const char *dep, int i)
{
    Tape *t = D->t;
    int g = adj[i], a = t->a[i], b = t->b[i], y = i;
    switch ((OpCode)t->op[i]) {
    case OP_NEG:      acc(D, adj, dep, a, neg(D, g)); break;
    case OP_EXP:      acc(D, adj, dep, a, mul(D, g, y)); break;
    case OP_LOG:      acc(D, adj, dep, a, dvd(D, g, a)); break;
    case OP_SQRT:     acc(D, adj, dep, a, dvd(D, g, mul(D, K(D, 2), y))); break;
    case OP_SIN:      acc(D, adj, dep, a, mul(D, g, un(D, OP_COS, a))); break;
    case OP_COS:      acc(D, adj, dep, a, neg(D, mul(D, g, un(D, OP_SIN, a)))); break;
    case OP_TAN:      acc(D, adj, dep, a, mul(D, g, add(D, K(D, 1), bin(D, OP_POW, y, K(D, 2))))); break;
    case OP_TANH:     acc(D, adj, dep, a, mul(D, g, sub(D, K(D, 1), bin(D, OP_POW, y, K(D, 2))))); break;
    case OP_SIGMOID:  acc(D, adj, dep, a, mul(D, g, mul(D, y, sub(D, K(D, 1), y)))); break;
    case OP_RELU:     acc(D, adj, dep, a, mul(D, g, bin(D, OP_GT, a, K(D, 0)))); break;
    case OP_SOFTPLUS: acc(D, adj, dep, a, mul(D, g, un(D, OP_SIGMOID, a))); break;
    case OP_ABS:
        acc(D, adj, dep, a, mul(D, g, sub(D, bin(D, OP_GT, a, K(D, 0)), bin(D, OP_LT, a, K(D, 0)))));
        break;
    case OP_ATAN:
        acc(D, adj, dep, a, dvd(D, g, add(D, K(D, 1), bin(D, OP_POW, a, K(D, 2)))));
        break;
    case OP_ASINH:
        acc(D, adj, dep, a, dvd(D, g, un(D, OP_SQRT, add(D, K(D, 1), bin(D, OP_POW, a, K(D, 2))))));
        break;
    case OP_LOG1P:    acc(D, adj, dep, a, dvd(D, g, add(D, K(D, 1), a))); break;
    case OP_EXPM1:    acc(D, adj, dep, a, mul(D, g, add(D, y, K(D, 1)))); break;

    case OP_ADD:      acc(D, adj, dep, a, g); acc(D, adj, dep, b, g); break;
    case OP_SUB:      acc(D, adj, dep, a, g); if (dep[b]) acc(D, adj, dep, b, neg(D, g)); break;
    case OP_MUL:
        if (dep[a]) acc(D, adj, dep, a, mul(D, b, g));
        if (dep[b]) acc(D, adj, dep, b, mul(D, a, g));
        break;
    case OP_DIV:
        if (dep[a]) acc(D, adj, dep, a, dvd(D, g, b));
        if (dep[b]) acc(D, adj, dep, b, neg(D, dvd(D, mul(D, a, g), bin(D, OP_POW, b, K(D, 2)))));
        break;
    case OP_POW: {
        double e;
        if (dep[a]) {
            /* b·a^(b-1); a constant exponent is folded (a^2 -> 2·a) */
            int da;
            if (isk(D, b, &e))
                da = e == 0 ? -1 : e == 1 ? K(D, 1) : e == 2 ? mul(D, K(D, 2), a)
                   : mul(D, b, bin(D, OP_POW, a, K(D, e - 1)));
            else
                da = mul(D, b, bin(D, OP_POW, a, sub(D, b, K(D, 1))));
            acc(D, adj, dep, a, mul(D, da, g));
        }
        if (dep[b]) {   /* a^b·ln a, and 0 at a = 0 (the numeric rule; a < 0: log's
                           domain error where the numeric rule gives NaN) */
            double av;
            int la = isk(D, a, &av) && av > 0 ? E(D, OP_LOG, a, -1)   /* log(2), not 0.693 */
                   : un(D, OP_LOG, add(D, a, bin(D, OP_EQ, a, K(D, 0))));
            acc(D, adj, dep, b, mul(D, mul(D, y, la), g));
        }
        break;
    }
    case OP_MATMUL: {
        int ra = shp(D, a).rank, rb = shp(D, b).rank;
        if (ra == 0 || (ra == 1 && rb == 1)) {     /* a scalar: the plain product */
            if (dep[a]) acc(D, adj, dep, a, mul(D, g, b));
            if (dep[b]) acc(D, adj, dep, b, mul(D, g, a));
        } else if (ra == 2 && rb == 2) {
            if (dep[a]) acc(D, adj, dep, a, mm(D, g, tr(D, b)));
            if (dep[b]) acc(D, adj, dep, b, mm(D, tr(D, a), g));
        } else if (ra == 1) {                      /* (n) @ (n, m) -> (m) */
            if (dep[a]) acc(D, adj, dep, a, mm(D, b, g));
            if (dep[b]) acc(D, adj, dep, b, E(D, OP_OUTER, a, g));
        } else {                                   /* (n, m) @ (m) -> (n) */
            if (dep[a]) acc(D, adj, dep, a, E(D, OP_OUTER, g, b));
            if (dep[b]) acc(D, adj, dep, b, mm(D, g, a));
        }
        break;
    }
    case OP_MIN: case OP_MAX: {
        /* 1 to the chosen side, half each on a tie (ops.c) */
        int lt = t->op[i] == OP_MIN ? OP_LT : OP_GT;
        int tie = mul(D, K(D, 0.5), bin(D, OP_EQ, a, b));
        if (dep[a]) acc(D, adj, dep, a, mul(D, g, add(D, bin(D, lt, a, b), tie)));
        if (dep[b]) acc(D, adj, dep, b, mul(D, g, add(D, bin(D, lt, b, a), tie)));
        break;
    }
    case OP_LT: case OP_LE: case OP_GT: case OP_GE: case OP_EQ: case OP_NE:
        break;   /* a step: derivative 0 (compile.c says so once, derive_zero_at) */

    case OP_SUM:  acc(D, adj, dep, a, mul(D, g, ones(D, shp(D, a)))); break;
    case OP_MEAN:
        acc(D, adj, dep, a, mul(D, g, Kfill(D, shp(D, a), 1.0 / (double)tape_size(t, a))));
        break;
    case OP_TRANSPOSE: acc(D, adj, dep, a, tr(D, g)); break;
    case OP_SOFTMAX:   /* y (g - sum(g y)) per row */
        acc(D, adj, dep, a, mul(D, y, sub(D, g, rowsums(D, mul(D, g, y)))));
        break;
    case OP_OUTER:     /* outer(u, v): G v, Gᵀ u */
        if (dep[a]) acc(D, adj, dep, a, mm(D, g, b));
        if (dep[b]) acc(D, adj, dep, b, mm(D, tr(D, g), a));
        break;
    case OP_MSE: {     /* 2 (p - t) / n */
        int dp = mul(D, mul(D, g, K(D, 2.0 / (double)tape_size(t, a))), sub(D, a, b));
        if (dep[a]) acc(D, adj, dep, a, dp);
        if (dep[b]) acc(D, adj, dep, b, neg(D, dp));
        break;
    }
    case OP_XENT: {    /* (softmax(z) sum(t) - t) / rows; t: -log softmax(z) / rows */
        Shape zs = shp(D, a);
        int gr = mul(D, g, K(D, 1.0 / (double)(zs.rank == 2 ? zs.d[0] : 1)));
        int sm = E(D, OP_SOFTMAX, a, -1);
        if (dep[a]) acc(D, adj, dep, a, mul(D, gr, sub(D, mul(D, sm, rowsums(D, b)), b)));
        if (dep[b]) acc(D, adj, dep, b, neg(D, mul(D, gr, un(D, OP_LOG, sm))));
        break;
    }
    case OP_INDEX:
        acc(D, adj, dep, a, scatter(D, g, shp(D, a), &t->index[b]));
        break;
    case OP_STACK:
        for (int k = 0; k < b && !D->fail; k++)
            if (dep[t->args[a + k]])
                acc(D, adj, dep, t->args[a + k], take(D, g, k));
        break;

    /* the axis reductions and friends (kernels_reduce.c); b is the axis
     * (-1: all entries) unless said */
    case OP_SUM_AXIS: case OP_MEAN_AXIS: {
        /* 1 (mean: 1/n) to each of the group's n entries */
        Shape in = shp(D, a);
        double sc = t->op[i] == OP_MEAN_AXIS ? 1.0 / (double)group_len(in, b) : 1;
        acc(D, adj, dep, a, b < 0 || in.rank < 2 ? mul(D, g, Kfill(D, in, sc))
                            : mul(D, K(D, sc), spread(D, g, in, b)));
        break;
    }
    case OP_AMAX: case OP_AMIN: {
        /* 1/k to each of the k entries equal to the group's extreme: the
         * mask x == y is a comparison (derivative 0), k its group sum */
        Shape in = shp(D, a);
        int m = bin(D, OP_EQ, a, spread(D, y, in, b));
        int k = group_sum(D, m, in, b);
        acc(D, adj, dep, a, mul(D, spread(D, dvd(D, g, k), in, b), m));
        break;
    }
    case OP_LOGSUMEXP: /* g exp(x - y): the softmax of each group */
        acc(D, adj, dep, a, mul(D, spread(D, g, shp(D, a), b),
                                un(D, OP_EXP, sub(D, a, spread(D, y, shp(D, a), b)))));
        break;
    case OP_ARGMAX:
        break;   /* an index: derivative 0, as the comparisons */
    case OP_LOG_SOFTMAX: /* g - exp(y) sum(g), per row (exp(y) is the softmax) */
        acc(D, adj, dep, a, sub(D, g, mul(D, un(D, OP_EXP, y), rowsums(D, g))));
        break;
    case OP_ONE_HOT:
        break;   /* labels are indices: derivative 0 */
    case OP_RESHAPE: { /* the gradient reshaped back (b: the columns, 0 a vector) */
        Shape in = shp(D, a);
        acc(D, adj, dep, a, in.rank == 0 ? E(D, OP_SUM, g, -1)
                            : E(D, OP_RESHAPE, g, in.rank == 2 ? (int)in.d[1] : 0));
        break;
    }
    case OP_XENT_IDX: { /* (softmax(z) - one_hot(y, C)) / rows; the indices get 0 */
        Shape zs = shp(D, a);
        long R = zs.rank == 2 ? zs.d[0] : 1, C = zs.rank == 2 ? zs.d[1] : zs.d[0];
        if (dep[a])
            acc(D, adj, dep, a, mul(D, mul(D, g, K(D, 1.0 / (double)R)),
                                    sub(D, E(D, OP_SOFTMAX, a, -1), E(D, OP_ONE_HOT, b, (int)C))));
        break;
    }

    default:           /* numbers, leaves: nothing flows */
        break;
    }
}

/* Does slot i read slot s directly? */
static int reads_dep(const Tape *t, const char *dep, int i)
{
    int op = t->op[i];
    if (op == OP_STACK) {
        for (int k = 0; k < t->b[i]; k++)
            if (dep[t->args[t->a[i] + k]]) return 1;
        return 0;
    }
    int ar = op_info[op].arity;
    return (ar >= 1 && dep[t->a[i]]) || (ar == 2 && dep[t->b[i]]);
}

int derive_zero_at(const Tape *t, int f, int w)
{
    if (w > f) return -1;
    char *dep = xcalloc((size_t)f + 1, 1);
    int at = -1;
    for (int i = w; i <= f && at < 0; i++) {
        dep[i] = i == w || reads_dep(t, dep, i);
        int op = t->op[i];
        if (i != w && dep[i] && ((op_info[op].flags & OPF_CMP) || op == OP_ARGMAX || op == OP_ONE_HOT) &&
            t->src[i] && t->src[i]->kind != AST_GRAD)
            at = i;
    }
    free(dep);
    return at;
}

int derive_grad(Tape *t, int f, int w, const DeriveEmit *em)
{
    Der D = { t, em, 0 };
    int result = -1;
    if (w <= f) {
        char *dep = xcalloc((size_t)f + 1, 1);
        int *adj = xmalloc(((size_t)f + 1) * sizeof *adj);
        for (int i = 0; i <= f; i++) adj[i] = -1;
        for (int i = w; i <= f; i++)
            dep[i] = i == w || reads_dep(t, dep, i);
        if (dep[f]) {
            adj[f] = K(&D, 1);        /* the seed: df/df = 1 */
            for (int i = f; i > w && !D.fail; i--)
                if (adj[i] >= 0 && dep[i])
                    rule(&D, adj, dep, i);
            result = adj[w];
        }
        free(dep);
        free(adj);
    }
    if (D.fail) return -1;
    if (result < 0) result = Kfill(&D, tape_shape(t, w), 0);   /* f does not use w */
    return D.fail ? -1 : result;
}
