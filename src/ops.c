/* ops.c: the rules of every operation, one block each, and the table made
 * from the list in oplist.h.
 *
 * An element-wise op's block holds, together: forward p_f(a, b, &y),
 * backward p_b, the complex-step rule p_c and, for ops with branches, the
 * kink test p_k.  Backward rules follow llm.c's convention: gradient
 * outputs first, then the upstream gradient, then the forward inputs and
 * output; they only accumulate (+=).  Where the output y is cheaper than
 * recomputing (exp, tanh, sigmoid, sqrt) the rule uses the y that forward
 * cached.  The complex rule is f(a + ih) in complex arithmetic: Im f(a +
 * ih)/h = f'(a) to rounding for h = 1e-20, with no subtraction and so no
 * cancellation; branching functions decide on the real part (SPEC
 * section 4).  Tensor operations' rules are kernels (kernels.c). */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"
#include "kernels.h"

typedef double complex cplx;
#ifndef CMPLX   /* C11, but glibc's header defines it only for GCC */
#define CMPLX(x, y) ((cplx)((double)(x) + _Complex_I * (double)(y)))
#endif

/* The signatures of a block's rules (OpFwd, OpBwd, OpCfwd, OpBranch in
 * ops.h); a rule uses the arguments it needs (the build does not warn of
 * unused parameters). */
#define FWD(p) static const char *p##_f(double a, double b, double *y)
#define BWD(p) static void p##_b(double *ga, double *gb, double g, double a, double b, double y)
#define CPX(p) static const char *p##_c(cplx a, cplx b, cplx *y)
#define KNK(p) static int p##_k(double a, double b)

/* The sign of a (relu, abs) and of a - b (min, max, comparisons). */
static int sign_k(double a, double b) { return (a > 0) - (a < 0); }
static int cmp_k(double a, double b) { return (a > b) - (a < b); }

/* ---- unary ---------------------------------------------------------- */

FWD(neg) { *y = -a; return NULL; }
BWD(neg) { *ga += -g; }
CPX(neg) { *y = -a; return NULL; }

FWD(exp) { *y = exp(a); return isinf(*y) ? "exp overflows (the result is larger than 1.8e308)" : NULL; }
BWD(exp) { *ga += g * y; }
CPX(exp) { *y = cexp(a); return isinf(creal(*y)) ? "exp overflows (the result is larger than 1.8e308)" : NULL; }

FWD(log)
{
    if (a < 0) return "log of a negative number";
    if (a == 0) return "log of zero";
    *y = log(a);
    return NULL;
}
BWD(log) { *ga += g / a; }
CPX(log)
{
    if (creal(a) < 0) return "log of a negative number";
    if (creal(a) == 0) return "log of zero";
    *y = clog(a);
    return NULL;
}

/* At a = 0 the derivative is +inf, as in PyTorch. */
FWD(sqrt) { if (a < 0) return "sqrt of a negative number"; *y = sqrt(a); return NULL; }
BWD(sqrt) { *ga += g * 0.5 / y; }
CPX(sqrt) { if (creal(a) < 0) return "sqrt of a negative number"; *y = csqrt(a); return NULL; }

FWD(sin) { *y = sin(a); return NULL; }
BWD(sin) { *ga += g * cos(a); }
CPX(sin) { *y = csin(a); return NULL; }

FWD(cos) { *y = cos(a); return NULL; }
BWD(cos) { *ga += -g * sin(a); }
CPX(cos) { *y = ccos(a); return NULL; }

FWD(tan) { *y = tan(a); return NULL; }
BWD(tan) { *ga += g * (1 + y * y); }
CPX(tan) { *y = ctan(a); return NULL; }

FWD(tanh) { *y = tanh(a); return NULL; }
BWD(tanh) { *ga += g * (1 - y * y); }
CPX(tanh) { *y = ctanh(a); return NULL; }

/* Written so that exp never overflows: for a < 0, e^a / (1 + e^a). */
FWD(sigmoid)
{
    if (a >= 0) *y = 1 / (1 + exp(-a));
    else { double t = exp(a); *y = t / (1 + t); }
    return NULL;
}
BWD(sigmoid) { *ga += g * y * (1 - y); }
CPX(sigmoid)
{
    if (creal(a) >= 0) *y = 1 / (1 + cexp(-a));
    else { cplx t = cexp(a); *y = t / (1 + t); }
    return NULL;
}

/* relu'(0) = 0 (PyTorch). */
FWD(relu) { *y = a > 0 ? a : 0; return NULL; }
BWD(relu) { if (a > 0) *ga += g; }
CPX(relu) { *y = creal(a) > 0 ? a : 0; return NULL; }
KNK(relu) { return sign_k(a, b); }

/* softplus(a) = log(1 + e^a) = max(a, 0) + log1p(e^-|a|): no overflow. */
FWD(softplus) { *y = (a > 0 ? a : 0) + log1p(exp(-fabs(a))); return NULL; }
BWD(softplus) { double s; sigmoid_f(a, 0, &s); *ga += g * s; }
CPX(softplus) { *y = creal(a) > 0 ? a + clog(1 + cexp(-a)) : clog(1 + cexp(a)); return NULL; }

/* abs'(0) = 0 (PyTorch). */
FWD(abs) { *y = fabs(a); return NULL; }
BWD(abs) { if (a > 0) *ga += g; else if (a < 0) *ga += -g; }
CPX(abs) { *y = creal(a) > 0 ? a : creal(a) < 0 ? -a : 0; return NULL; }
KNK(abs) { return sign_k(a, b); }

/* For |a| past 1e154, a·a is inf and the derivative 0: right to rounding. */
FWD(atan) { *y = atan(a); return NULL; }
BWD(atan) { *ga += g / (1 + a * a); }
CPX(atan) { *y = catan(a); return NULL; }

/* hypot: 1/sqrt(1 + a²) without overflow for large |a|. */
FWD(asinh) { *y = asinh(a); return NULL; }
BWD(asinh) { *ga += g / hypot(1, a); }
CPX(asinh) { *y = casinh(a); return NULL; }

FWD(log1p)
{
    if (a < -1) return "log1p of a number below -1";
    if (a == -1) return "log1p of -1 (the log of zero)";
    *y = log1p(a);
    return NULL;
}
BWD(log1p) { *ga += g / (1 + a); }
CPX(log1p)
{
    if (creal(a) < -1) return "log1p of a number below -1";
    if (creal(a) == -1) return "log1p of -1 (the log of zero)";
    *y = clog(1 + a);    /* only the imaginary part is used: atan2(Im a, 1 + Re a) */
    return NULL;
}

/* exp(a), not y + 1, which loses e^a for a below about -37. */
FWD(expm1) { *y = expm1(a); return isinf(*y) ? "expm1 overflows (the result is larger than 1.8e308)" : NULL; }
BWD(expm1) { *ga += g * exp(a); }
CPX(expm1) { *y = cexp(a) - 1; return isinf(creal(*y)) ? "expm1 overflows (the result is larger than 1.8e308)" : NULL; }

/* ---- binary --------------------------------------------------------- */

FWD(add) { *y = a + b; return NULL; }
BWD(add) { *ga += g; *gb += g; }
CPX(add) { *y = a + b; return NULL; }

FWD(sub) { *y = a - b; return NULL; }
BWD(sub) { *ga += g; *gb += -g; }
CPX(sub) { *y = a - b; return NULL; }

FWD(mul) { *y = a * b; return NULL; }
BWD(mul) { *ga += g * b; *gb += g * a; }
CPX(mul) { *y = a * b; return NULL; }

FWD(div) { if (b == 0) return "division by zero"; *y = a / b; return NULL; }
BWD(div) { *ga += g / b; *gb += -g * y / b; }
CPX(div) { if (creal(b) == 0) return "division by zero"; *y = a / b; return NULL; }

/* a^b.  A negative base needs an integer exponent; 0 to a negative power
 * divides by zero. */
FWD(pow)
{
    if (a < 0 && b != floor(b)) return "power of a negative number to a non-integer exponent";
    if (a == 0 && b < 0) return "division by zero (0 to a negative power)";
    *y = pow(a, b);
    return isinf(*y) ? "power overflows (the result is larger than 1.8e308)" : NULL;
}
/* ∂/∂a = b·a^(b-1); ∂/∂b = a^b·ln a, defined for a > 0 (0 at a = 0 with
 * b > 0, where a^b is flat in b from the right; NaN for a < 0). */
BWD(pow)
{
    if (b == 0) { /* d/da a^0 = 0, including at a = 0 */ }
    else if (b == 1) *ga += g;
    else if (b == 2) *ga += g * 2 * a;
    else *ga += g * b * pow(a, b - 1);
    if (a > 0) *gb += g * y * log(a);
    else if (a < 0) *gb += g * NAN;
}
/* (x + iu)^(c + id) as SPEC section 4 says: x^c + i(u c x^(c-1) + d x^c ln x),
 * which avoids the branch cut of a complex power at a negative base. */
CPX(pow)
{
    double x = creal(a), u = cimag(a), c = creal(b), d = cimag(b), r;
    const char *err = pow_f(x, c, &r);
    if (err) return err;
    double im = u == 0 ? 0 : c == 0 ? 0 : u * c * pow(x, c - 1);
    if (d != 0) im += x > 0 ? d * r * log(x) : x == 0 ? 0 : NAN;
    *y = CMPLX(r, im);
    return NULL;
}

/* min and max: a tie sends half the gradient to each side (PyTorch). */
FWD(min) { *y = a < b ? a : b; return NULL; }
BWD(min)
{
    if (a < b) *ga += g;
    else if (b < a) *gb += g;
    else { *ga += g / 2; *gb += g / 2; }
}
CPX(min) { *y = creal(a) < creal(b) ? a : creal(b) < creal(a) ? b : (a + b) / 2; return NULL; }
KNK(min) { return cmp_k(a, b); }

FWD(max) { *y = a > b ? a : b; return NULL; }
BWD(max)
{
    if (a > b) *ga += g;
    else if (b > a) *gb += g;
    else { *ga += g / 2; *gb += g / 2; }
}
CPX(max) { *y = creal(a) > creal(b) ? a : creal(b) > creal(a) ? b : (a + b) / 2; return NULL; }
KNK(max) { return cmp_k(a, b); }

/* Comparisons: value 1 or 0, derivative 0 on both sides; their kink is
 * where a - b changes sign. */
BWD(cmp) { }
#define COMPARISON(p, op) \
    FWD(p) { *y = a op b; return NULL; } \
    CPX(p) { *y = creal(a) op creal(b); return NULL; }
COMPARISON(lt, <) COMPARISON(le, <=) COMPARISON(gt, >) COMPARISON(ge, >=)
COMPARISON(eq, ==) COMPARISON(ne, !=)

/* ---- the table, from the list --------------------------------------- */

#define NONE
#define ELEM(p) .fwd = p##_f, .bwd = p##_b, .cfwd = p##_c
#define KINK(p) ELEM(p), .branch = p##_k
#define CMP(p) .fwd = p##_f, .bwd = cmp_b, .cfwd = p##_c, .branch = cmp_k
#define KERNEL(p, s) .kfwd = k_##p##_fwd, .kbwd = k_##p##_bwd, .kim = k_##p##_im, \
                     .kshape = k_##s##_shape
/* .branch only marks it: k_branch_flipped asks k_ties_flipped for kernels */
#define KERNEL_KINK(p, s) KERNEL(p, s), .branch = cmp_k

/* tape.h keeps a slot's op in an unsigned char. */
_Static_assert(OP_COUNT <= 256, "too many operations for Tape.op");

const OpInfo op_info[OP_COUNT] = {
#define OP(id, name_, fname_, arity_, flags_, rules, deriv_, help_) \
    [OP_##id] = { .name = name_, .fname = fname_, .arity = arity_, .flags = flags_, \
                  .deriv = deriv_, .help = help_, rules },
#include "oplist.h"
#undef OP
};

const char op_kink_conventions[] =
    "At a kink the derivative follows PyTorch: relu'(0) = 0, abs'(0) = 0,\n"
    "and a tie in min/max sends half the gradient to each argument;\n"
    "in max(X) or min(X), a tie of k entries sends 1/k to each.\n"
    "Comparisons (< <= > >= == !=) have value 1 or 0 and derivative 0.\n";

/* Function names, sorted once, for binary search: definitions and
 * compiles look names up all the time. */
typedef struct FnName { const char *name; int op; } FnName;
static FnName fn_names[OP_COUNT];
static int n_fn_names;

static int fn_cmp(const void *a, const void *b)
{
    return strcmp(((const FnName *)a)->name, ((const FnName *)b)->name);
}

int op_lookup_function(const char *name, int *arity)
{
    if (!n_fn_names) {
        for (int i = 0; i < OP_COUNT; i++)
            if (op_info[i].fname)
                fn_names[n_fn_names++] = (FnName){ op_info[i].fname, i };
        qsort(fn_names, n_fn_names, sizeof *fn_names, fn_cmp);
    }
    FnName key = { name, 0 };
    const FnName *hit = bsearch(&key, fn_names, n_fn_names, sizeof *fn_names, fn_cmp);
    if (!hit) return -1;
    *arity = op_info[hit->op].arity;
    return hit->op;
}

/* The form of function `fname` that takes an axis: the op itself when it
 * has one (logsumexp), else its OPF_FORM row (sum -> sum(X, axis)); -1. */
static int axis_form(int op)
{
    if (op_info[op].flags & OPF_AXIS) return op;
    for (int i = 0; i < OP_COUNT; i++)
        if ((op_info[i].flags & (OPF_FORM | OPF_AXIS)) == (OPF_FORM | OPF_AXIS) &&
            strcmp(op_info[i].name, op_info[op].fname) == 0)
            return i;
    return -1;
}

/* "sum(x) or sum(X, axis) or sum(X, axis=K)": the calls of op's help
 * lines (each up to its ": "), its own and its forms'. */
static void usage(int op, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < OP_COUNT && len < n; i++) {
        if (i != op && !((op_info[i].flags & OPF_FORM) && strcmp(op_info[i].name, op_info[op].fname) == 0))
            continue;
        const char *h = op_info[i].help, *colon = strstr(h, ": ");
        int w = colon ? (int)(colon - h) : (int)strlen(h);
        len += (size_t)snprintf(buf + len, n - len, "%s%.*s", len ? " or " : "", w, h);
    }
}

/* Forms: a call as the row's arity says is the op itself (max(a, b),
 * sum(x), logsumexp(X) over all entries); one input and an axis=K keyword,
 * or one input alone where the op takes two (max(X)), or a positional
 * axis where it takes one (sum(X, 0)), is the axis form.  The axis of max
 * and min is always a keyword: max(X, 0) is the element-wise maximum. */
int op_call_form(int op, int npos, int nkw, int *nin, char *msg, size_t n)
{
    const OpInfo *o = &op_info[op];
    int ax = axis_form(op);
    *nin = 1;
    if (nkw == 0 && npos == o->arity && !(o->flags & OPF_COUNT)) {
        *nin = o->arity;
        return op;
    }
    if ((o->flags & OPF_COUNT) && nkw == 0 && (npos == 2 || (npos == 3 && (o->flags & OPF_COUNT2))))
        return op;
    if (ax >= 0 && ((nkw == 1 && npos == 1) || (nkw == 0 && npos == 1) ||
                    (nkw == 0 && npos == 2 && o->arity == 1)))
        return ax;
    int given = npos + nkw;
    if (ax < 0 && !(o->flags & OPF_COUNT)) {
        if (nkw)
            snprintf(msg, n, "%s takes no keyword arguments", o->fname);
        else
            snprintf(msg, n, "%s takes %d argument%s, not %d", o->fname, o->arity,
                     o->arity == 1 ? "" : "s", given);
        return -1;
    }
    char u[200];
    usage(op, u, sizeof u);
    snprintf(msg, n, "%s is called as %s, not with %d argument%s", o->fname, u, given,
             given == 1 ? "" : "s");
    return -1;
}
