/* ops.c: forward and backward rule of every operation, side by side.
 *
 * Backward rules follow llm.c's convention: gradient outputs first, then the
 * upstream gradient, then the forward inputs and output; they only
 * accumulate.  Where the output y is cheaper than recomputing (exp, tanh,
 * sigmoid, sqrt) the rule uses the y that forward cached. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"
#include "kernels.h"

/* ---- unary ---------------------------------------------------------- */

static const char *neg_f(double a, double b, double *y) { (void)b; *y = -a; return NULL; }
static void neg_b(double *ga, double *gb, double g, double a, double b, double y)
{ (void)gb; (void)a; (void)b; (void)y; *ga -= g; }

static const char *exp_f(double a, double b, double *y)
{
    (void)b;
    *y = exp(a);
    return isinf(*y) ? "exp overflows (the result is larger than 1.8e308)" : NULL;
}
static void exp_b(double *ga, double *gb, double g, double a, double b, double y)
{ (void)gb; (void)a; (void)b; *ga += g * y; }

static const char *log_f(double a, double b, double *y)
{
    (void)b;
    if (a < 0) return "log of a negative number";
    if (a == 0) return "log of zero";
    *y = log(a);
    return NULL;
}
static void log_b(double *ga, double *gb, double g, double a, double b, double y)
{ (void)gb; (void)b; (void)y; *ga += g / a; }

static const char *sqrt_f(double a, double b, double *y)
{
    (void)b;
    if (a < 0) return "sqrt of a negative number";
    *y = sqrt(a);
    return NULL;
}
/* At a = 0 the derivative is +inf, as in PyTorch. */
static void sqrt_b(double *ga, double *gb, double g, double a, double b, double y)
{ (void)gb; (void)a; (void)b; *ga += g * 0.5 / y; }

static const char *sin_f(double a, double b, double *y) { (void)b; *y = sin(a); return NULL; }
static void sin_b(double *ga, double *gb, double g, double a, double b, double y)
{ (void)gb; (void)b; (void)y; *ga += g * cos(a); }

static const char *cos_f(double a, double b, double *y) { (void)b; *y = cos(a); return NULL; }
static void cos_b(double *ga, double *gb, double g, double a, double b, double y)
{ (void)gb; (void)b; (void)y; *ga -= g * sin(a); }

static const char *tan_f(double a, double b, double *y) { (void)b; *y = tan(a); return NULL; }
static void tan_b(double *ga, double *gb, double g, double a, double b, double y)
{ (void)gb; (void)a; (void)b; *ga += g * (1 + y * y); }

static const char *tanh_f(double a, double b, double *y) { (void)b; *y = tanh(a); return NULL; }
static void tanh_b(double *ga, double *gb, double g, double a, double b, double y)
{ (void)gb; (void)a; (void)b; *ga += g * (1 - y * y); }

/* Written so that exp never overflows: for a < 0, e^a / (1 + e^a). */
static const char *sigmoid_f(double a, double b, double *y)
{
    (void)b;
    if (a >= 0) *y = 1 / (1 + exp(-a));
    else { double t = exp(a); *y = t / (1 + t); }
    return NULL;
}
static void sigmoid_b(double *ga, double *gb, double g, double a, double b, double y)
{ (void)gb; (void)a; (void)b; *ga += g * y * (1 - y); }

static const char *relu_f(double a, double b, double *y) { (void)b; *y = a > 0 ? a : 0; return NULL; }
/* relu'(0) = 0 (PyTorch). */
static void relu_b(double *ga, double *gb, double g, double a, double b, double y)
{ (void)gb; (void)b; (void)y; if (a > 0) *ga += g; }

/* softplus(a) = log(1 + e^a) = max(a, 0) + log1p(e^-|a|): no overflow. */
static const char *softplus_f(double a, double b, double *y)
{ (void)b; *y = (a > 0 ? a : 0) + log1p(exp(-fabs(a))); return NULL; }
static void softplus_b(double *ga, double *gb, double g, double a, double b, double y)
{
    (void)gb; (void)b; (void)y;
    double s;
    sigmoid_f(a, 0, &s);
    *ga += g * s;
}

static const char *abs_f(double a, double b, double *y) { (void)b; *y = fabs(a); return NULL; }
/* abs'(0) = 0 (PyTorch). */
static void abs_b(double *ga, double *gb, double g, double a, double b, double y)
{ (void)gb; (void)b; (void)y; if (a > 0) *ga += g; else if (a < 0) *ga -= g; }

/* ---- binary --------------------------------------------------------- */

static const char *add_f(double a, double b, double *y) { *y = a + b; return NULL; }
static void add_b(double *ga, double *gb, double g, double a, double b, double y)
{ (void)a; (void)b; (void)y; *ga += g; *gb += g; }

static const char *sub_f(double a, double b, double *y) { *y = a - b; return NULL; }
static void sub_b(double *ga, double *gb, double g, double a, double b, double y)
{ (void)a; (void)b; (void)y; *ga += g; *gb -= g; }

static const char *mul_f(double a, double b, double *y) { *y = a * b; return NULL; }
static void mul_b(double *ga, double *gb, double g, double a, double b, double y)
{ (void)y; *ga += g * b; *gb += g * a; }

static const char *div_f(double a, double b, double *y)
{
    if (b == 0) return "division by zero";
    *y = a / b;
    return NULL;
}
static void div_b(double *ga, double *gb, double g, double a, double b, double y)
{ (void)a; *ga += g / b; *gb -= g * y / b; }

/* a^b.  A negative base needs an integer exponent; 0 to a negative power
 * divides by zero. */
static const char *pow_f(double a, double b, double *y)
{
    if (a < 0 && b != floor(b)) return "power of a negative number to a non-integer exponent";
    if (a == 0 && b < 0) return "division by zero (0 to a negative power)";
    *y = pow(a, b);
    return isinf(*y) ? "power overflows (the result is larger than 1.8e308)" : NULL;
}
/* ∂/∂a = b·a^(b-1); ∂/∂b = a^b·ln a, defined for a > 0 (0 at a = 0 with
 * b > 0, where a^b is flat in b from the right; NaN for a < 0). */
static void pow_b(double *ga, double *gb, double g, double a, double b, double y)
{
    if (b == 0) { /* d/da a^0 = 0, including at a = 0 */ }
    else if (b == 1) *ga += g;
    else if (b == 2) *ga += g * 2 * a;
    else *ga += g * b * pow(a, b - 1);
    if (a > 0) *gb += g * y * log(a);
    else if (a < 0) *gb += g * NAN;
}


/* min and max: a tie sends half the gradient to each side (PyTorch). */
static const char *min_f(double a, double b, double *y) { *y = a < b ? a : b; return NULL; }
static void min_b(double *ga, double *gb, double g, double a, double b, double y)
{
    (void)y;
    if (a < b) *ga += g;
    else if (b < a) *gb += g;
    else { *ga += g / 2; *gb += g / 2; }
}

static const char *max_f(double a, double b, double *y) { *y = a > b ? a : b; return NULL; }
static void max_b(double *ga, double *gb, double g, double a, double b, double y)
{
    (void)y;
    if (a > b) *ga += g;
    else if (b > a) *gb += g;
    else { *ga += g / 2; *gb += g / 2; }
}

/* Comparisons: value 1 or 0, derivative 0 on both sides. */
static void cmp_b(double *ga, double *gb, double g, double a, double b, double y)
{ (void)ga; (void)gb; (void)g; (void)a; (void)b; (void)y; }
static const char *lt_f(double a, double b, double *y) { *y = a < b; return NULL; }
static const char *le_f(double a, double b, double *y) { *y = a <= b; return NULL; }
static const char *gt_f(double a, double b, double *y) { *y = a > b; return NULL; }
static const char *ge_f(double a, double b, double *y) { *y = a >= b; return NULL; }
static const char *eq_f(double a, double b, double *y) { *y = a == b; return NULL; }
static const char *ne_f(double a, double b, double *y) { *y = a != b; return NULL; }

/* ---- complex-step rules --------------------------------------------- */
/* f(a + ih) in complex arithmetic: Im f(a + ih)/h = f'(a) to rounding for
 * h = 1e-20, with no subtraction and so no cancellation.  Branching
 * functions decide on the real part (SPEC section 4). */

typedef double complex cplx;
#ifndef CMPLX   /* C11, but glibc's header defines it only for GCC */
#define CMPLX(x, y) ((cplx)((double)(x) + _Complex_I * (double)(y)))
#endif
static const char *neg_c(cplx a, cplx b, cplx *y) { (void)b; *y = -a; return NULL; }
static const char *exp_c(cplx a, cplx b, cplx *y)
{ (void)b; *y = cexp(a); return isinf(creal(*y)) ? "exp overflows (the result is larger than 1.8e308)" : NULL; }
static const char *log_c(cplx a, cplx b, cplx *y)
{
    (void)b;
    if (creal(a) < 0) return "log of a negative number";
    if (creal(a) == 0) return "log of zero";
    *y = clog(a);
    return NULL;
}
static const char *sqrt_c(cplx a, cplx b, cplx *y)
{ (void)b; if (creal(a) < 0) return "sqrt of a negative number"; *y = csqrt(a); return NULL; }
static const char *sin_c(cplx a, cplx b, cplx *y) { (void)b; *y = csin(a); return NULL; }
static const char *cos_c(cplx a, cplx b, cplx *y) { (void)b; *y = ccos(a); return NULL; }
static const char *tan_c(cplx a, cplx b, cplx *y) { (void)b; *y = ctan(a); return NULL; }
static const char *tanh_c(cplx a, cplx b, cplx *y) { (void)b; *y = ctanh(a); return NULL; }
static const char *sigmoid_c(cplx a, cplx b, cplx *y)
{
    (void)b;
    if (creal(a) >= 0) *y = 1 / (1 + cexp(-a));
    else { cplx t = cexp(a); *y = t / (1 + t); }
    return NULL;
}
static const char *relu_c(cplx a, cplx b, cplx *y) { (void)b; *y = creal(a) > 0 ? a : 0; return NULL; }
static const char *softplus_c(cplx a, cplx b, cplx *y)
{
    (void)b;
    *y = creal(a) > 0 ? a + clog(1 + cexp(-a)) : clog(1 + cexp(a));
    return NULL;
}
static const char *abs_c(cplx a, cplx b, cplx *y)
{ (void)b; *y = creal(a) > 0 ? a : creal(a) < 0 ? -a : 0; return NULL; }
static const char *add_c(cplx a, cplx b, cplx *y) { *y = a + b; return NULL; }
static const char *sub_c(cplx a, cplx b, cplx *y) { *y = a - b; return NULL; }
static const char *mul_c(cplx a, cplx b, cplx *y) { *y = a * b; return NULL; }
static const char *div_c(cplx a, cplx b, cplx *y)
{ if (creal(b) == 0) return "division by zero"; *y = a / b; return NULL; }
/* (a + ib)^(c + id) as SPEC section 4 says: a^c + i(b c a^(c-1) + d a^c ln a),
 * which avoids the branch cut of a complex power at a negative base. */
static const char *pow_c(cplx x, cplx e, cplx *y)
{
    double a = creal(x), b = cimag(x), c = creal(e), d = cimag(e), r;
    const char *err = pow_f(a, c, &r);
    if (err) return err;
    double im = b == 0 ? 0 : c == 0 ? 0 : b * c * pow(a, c - 1);
    if (d != 0) im += a > 0 ? d * r * log(a) : a == 0 ? 0 : NAN;
    *y = CMPLX(r, im);
    return NULL;
}
static const char *min_c(cplx a, cplx b, cplx *y)
{ *y = creal(a) < creal(b) ? a : creal(b) < creal(a) ? b : (a + b) / 2; return NULL; }
static const char *max_c(cplx a, cplx b, cplx *y)
{ *y = creal(a) > creal(b) ? a : creal(b) > creal(a) ? b : (a + b) / 2; return NULL; }
#define CMP_C(name, op) \
    static const char *name##_c(cplx a, cplx b, cplx *y) { *y = creal(a) op creal(b); return NULL; }
CMP_C(lt, <) CMP_C(le, <=) CMP_C(gt, >) CMP_C(ge, >=) CMP_C(eq, ==) CMP_C(ne, !=)

int op_branch(int op, double a, double b)
{
    switch (op) {
    case OP_RELU: case OP_ABS: return (a > 0) - (a < 0);
    default:      return (a > b) - (a < b);   /* min, max, comparisons */
    }
}

/* ---- the table (ORDER OP) ------------------------------------------ */

const OpInfo op_info[OP_COUNT] = {
    [OP_NUM]      = { "number", 0, 0, 0, NULL, NULL, "", "" },
    [OP_LEAF]     = { "leaf",   0, 0, 0, NULL, NULL, "", "" },
    [OP_GRADOF]   = { "grad",   0, 0, 0, NULL, NULL, "", "grad(f, w): the partial derivative of f with respect to w, by backprop" },
    [OP_NEG]      = { "-",        1, 0, 0, neg_f,      neg_b,      "-1", "" , .cfwd = neg_c },
    [OP_EXP]      = { "exp",      1, 0, 0, exp_f,      exp_b,      "exp(x)", "exp(x): e to the power x" , .cfwd = exp_c },
    [OP_LOG]      = { "log",      1, 0, 0, log_f,      log_b,      "1/x", "log(x): natural logarithm (x > 0)" , .cfwd = log_c },
    [OP_SQRT]     = { "sqrt",     1, 0, 0, sqrt_f,     sqrt_b,     "1/(2 sqrt(x))", "sqrt(x): square root (x >= 0)" , .cfwd = sqrt_c },
    [OP_SIN]      = { "sin",      1, 0, 0, sin_f,      sin_b,      "cos(x)", "sin(x): sine (radians)" , .cfwd = sin_c },
    [OP_COS]      = { "cos",      1, 0, 0, cos_f,      cos_b,      "-sin(x)", "cos(x): cosine (radians)" , .cfwd = cos_c },
    [OP_TAN]      = { "tan",      1, 0, 0, tan_f,      tan_b,      "1 + tan(x)^2", "tan(x): tangent (radians)" , .cfwd = tan_c },
    [OP_TANH]     = { "tanh",     1, 0, 0, tanh_f,     tanh_b,     "1 - tanh(x)^2", "tanh(x): hyperbolic tangent" , .cfwd = tanh_c },
    [OP_SIGMOID]  = { "sigmoid",  1, 0, 0, sigmoid_f,  sigmoid_b,  "s(x)(1 - s(x))", "sigmoid(x): 1/(1 + exp(-x))" , .cfwd = sigmoid_c },
    [OP_RELU]     = { "relu",     1, 0, 1, relu_f,     relu_b,     "1 if x > 0 else 0", "relu(x): max(x, 0); relu'(0) = 0" , .cfwd = relu_c },
    [OP_SOFTPLUS] = { "softplus", 1, 0, 0, softplus_f, softplus_b, "sigmoid(x)", "softplus(x): log(1 + exp(x))" , .cfwd = softplus_c },
    [OP_ABS]      = { "abs",      1, 0, 1, abs_f,      abs_b,      "sign(x)", "abs(x): |x|; abs'(0) = 0" , .cfwd = abs_c },
    [OP_ADD]      = { "+",   2, 1, 0, add_f,    add_b,    "1, 1", "" , .cfwd = add_c },
    [OP_SUB]      = { "-",   2, 1, 0, sub_f,    sub_b,    "1, -1", "" , .cfwd = sub_c },
    [OP_MUL]      = { "*",   2, 1, 0, mul_f,    mul_b,    "b, a", "" , .cfwd = mul_c },
    [OP_DIV]      = { "/",   2, 1, 0, div_f,    div_b,    "1/b, -a/b^2", "" , .cfwd = div_c },
    [OP_POW]      = { "^",   2, 1, 0, pow_f,    pow_b,    "b a^(b-1), a^b ln a", "pow(x, y): x^y" , .cfwd = pow_c },
    [OP_MATMUL]   = { "@",   2, 1, 0, NULL, NULL, "B^T, A^T", "A @ B: matrix product (vector @ vector: dot product)",
                      k_matmul_fwd, k_matmul_bwd, k_matmul_shape , .kim = k_matmul_im },
    [OP_MIN]      = { "min", 2, 0, 1, min_f,    min_b,    "1 to the smaller (half each on a tie)", "min(x, y): the smaller; a tie splits the gradient" , .cfwd = min_c },
    [OP_MAX]      = { "max", 2, 0, 1, max_f,    max_b,    "1 to the larger (half each on a tie)", "max(x, y): the larger; a tie splits the gradient" , .cfwd = max_c },
    [OP_LT]       = { "<",   2, 1, 1, lt_f,     cmp_b,    "0", "" , .cfwd = lt_c },
    [OP_LE]       = { "<=",  2, 1, 1, le_f,     cmp_b,    "0", "" , .cfwd = le_c },
    [OP_GT]       = { ">",   2, 1, 1, gt_f,     cmp_b,    "0", "" , .cfwd = gt_c },
    [OP_GE]       = { ">=",  2, 1, 1, ge_f,     cmp_b,    "0", "" , .cfwd = ge_c },
    [OP_EQ]       = { "==",  2, 1, 1, eq_f,     cmp_b,    "0", "" , .cfwd = eq_c },
    [OP_NE]       = { "!=",  2, 1, 1, ne_f,     cmp_b,    "0", "" , .cfwd = ne_c },
    [OP_SUM]      = { "sum", 1, 0, 0, NULL, NULL, "1 for every entry", "sum(x): the sum of all entries",
                      k_sum_fwd, k_sum_bwd, k_reduce_shape , .kim = k_sum_im },
    [OP_MEAN]     = { "mean", 1, 0, 0, NULL, NULL, "1/n for every entry", "mean(x): the mean of all entries",
                      k_mean_fwd, k_mean_bwd, k_reduce_shape , .kim = k_mean_im },
    [OP_TRANSPOSE] = { "transpose", 1, 0, 0, NULL, NULL, "the transpose of the gradient", "transpose(A): rows become columns (a vector stays as it is)",
                      k_transpose_fwd, k_transpose_bwd, k_transpose_shape , .kim = k_transpose_im },
    [OP_SOFTMAX]  = { "softmax", 1, 0, 0, NULL, NULL, "y (g - sum(g y)) per row", "softmax(x): exp(x)/sum(exp(x)) along the last axis (each row)",
                      k_softmax_fwd, k_softmax_bwd, k_same_shape , .kim = k_softmax_im },
    [OP_OUTER]    = { "outer", 2, 0, 0, NULL, NULL, "G v, G^T u", "outer(u, v): the matrix u v^T",
                      k_outer_fwd, k_outer_bwd, k_outer_shape , .kim = k_outer_im },
    [OP_MSE]      = { "mse", 2, 0, 0, NULL, NULL, "2 (p - t) / n", "mse(pred, target): mean of squared differences over all entries",
                      k_mse_fwd, k_mse_bwd, k_pair_reduce_shape , .kim = k_mse_im },
    [OP_XENT]     = { "cross_entropy", 2, 0, 0, NULL, NULL, "(softmax(z) sum(t) - t) / rows",
                      "cross_entropy(logits, target): softmax + log loss per row, mean over rows",
                      k_xent_fwd, k_xent_bwd, k_pair_reduce_shape , .kim = k_xent_im },
    [OP_INDEX]    = { "[]", 1, 0, 0, NULL, NULL, "1 at the entries taken", "",
                      k_index_fwd, k_index_bwd, k_index_shape , .kim = k_index_im },
    [OP_STACK]    = { "[,]", 0, 0, 0, NULL, NULL, "1 to each element", "",
                      k_stack_fwd, k_stack_bwd, k_stack_shape , .kim = k_stack_im },
};

const char op_kink_conventions[] =
    "At a kink the derivative follows PyTorch: relu'(0) = 0, abs'(0) = 0,\n"
    "and a tie in min/max sends half the gradient to each argument.\n"
    "Comparisons (< <= > >= == !=) have value 1 or 0 and derivative 0.\n";

/* Function names, sorted once, for binary search: definitions and
 * compiles look names up all the time. */
typedef struct FnName { const char *name; int op; } FnName;
static FnName fn_names[OP_COUNT + 1];
static int n_fn_names;

static int fn_cmp(const void *a, const void *b)
{
    return strcmp(((const FnName *)a)->name, ((const FnName *)b)->name);
}

int op_lookup_function(const char *name, int *arity)
{
    if (!n_fn_names) {
        fn_names[n_fn_names++] = (FnName){ "pow", OP_POW };
        for (int i = OP_NEG + 1; i < OP_INDEX; i++)
            if (!op_info[i].infix)
                fn_names[n_fn_names++] = (FnName){ op_info[i].name, i };
        qsort(fn_names, n_fn_names, sizeof *fn_names, fn_cmp);
    }
    FnName key = { name, 0 };
    const FnName *hit = bsearch(&key, fn_names, n_fn_names, sizeof *fn_names, fn_cmp);
    if (!hit) return -1;
    *arity = op_info[hit->op].arity;
    return hit->op;
}
