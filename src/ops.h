/* ops.h: the operations.  The list is src/oplist.h (one row each: name,
 * arity, flags, rules, derivative text, help line); ops.c holds each op's
 * rules in one block and the table made from the list.
 *
 * A scalar rule works on one entry; element-wise operations on tensors
 * apply the same rules entry by entry (kernels.c, given the rules).
 * grep ORDER OP if you change the list: those places depend on its order. */
#ifndef BP_OPS_H
#define BP_OPS_H

#include <stddef.h>

/* What kind of operation (OpInfo.flags). */
enum {
    OPF_NODE   = 1 << 0,  /* a leaf or special node, not called by name */
    OPF_ELEM   = 1 << 1,  /* entry by entry with broadcasting: scalar rules */
    OPF_INFIX  = 1 << 2,  /* written as an operator: between (or before) operands */
    OPF_CMP    = 1 << 3,  /* a comparison: value 1 or 0, derivative 0 */
    OPF_KINK   = 1 << 4,  /* has branches (a kink test): relu abs min max comparisons */
    OPF_KERNEL = 1 << 5,  /* a tensor kernel (kernels.c) */
    OPF_REDUCE = 1 << 6,  /* reduces to a scalar */
    OPF_CTOR   = 1 << 7,  /* a constructor: a constant value made when compiled */
    OPF_RANDOM = 1 << 8,  /* draws random numbers: a definition draws once */
    OPF_AXIS   = 1 << 9,  /* an optional axis after its input: f(X), f(X, K),
                             f(X, axis=K); the slot's b holds it (-1: all entries) */
    OPF_FORM   = 1 << 10, /* another form of the function called `name` (fname
                             NULL), chosen by the call's arguments or shapes */
    OPF_COUNT  = 1 << 11, /* one whole number after its input, read when compiled
                             (one_hot's k), the slot's b */
    OPF_COUNT2 = 1 << 12, /* with OPF_COUNT: one or two (reshape's rows, columns) */
    OPF_FINITE = 1 << 13, /* finite for every finite input: the forward pass
                             need not scan its output (eval.c, fuse.c) */
};

typedef enum {
#define OP(id, ...) OP_##id,
#include "oplist.h"
#undef OP
    OP_COUNT
} OpCode;

struct Tape;

/* Tensor kernels, for operations that are not entry by entry: forward
 * fills slot i from its inputs (NULL or a message); backward accumulates
 * into its inputs' gradients; shape sets the slot's shape from its inputs'
 * (NULL, or a message in t->errbuf's words, naming the op as `name`). */
typedef const char *(*OpKernelFwd)(struct Tape *t, int i);
typedef void (*OpKernelBwd)(struct Tape *t, int i);
typedef const char *(*OpKernelShape)(struct Tape *t, int i, const char *name);

/* Forward: y = op(a, b).  Returns NULL, or a message naming the domain
 * error ("log of a negative number") for the caller to point at. */
typedef const char *(*OpFwd)(double a, double b, double *y);

/* Backward: given upstream g = ∂f/∂y, ACCUMULATE ∂f/∂a into *ga and
 * ∂f/∂b into *gb (gb is NULL for unary operations).  Never assigns: a node
 * used twice receives both contributions. */
typedef void (*OpBwd)(double *ga, double *gb, double g, double a, double b, double y);

/* Complex step: y = op(a, b) in complex arithmetic, branches (relu abs min
 * max comparisons) decided on the real part.  NULL, or a domain message. */
typedef const char *(*OpCfwd)(double _Complex a, double _Complex b, double _Complex *y);

/* Kinks: which branch the op takes at (a, b): -1, 0 or 1.  A finite
 * difference whose points take different branches straddles a kink. */
typedef int (*OpBranch)(double a, double b);

typedef struct OpInfo {
    const char *name;     /* as printed: "tanh", "+" */
    const char *fname;    /* as called, name(...): "tanh", "pow"; NULL: an operator */
    int arity;            /* 0, 1 or 2; -1: checks its own arguments (constructors) */
    int flags;            /* OPF_* */
    const char *deriv;    /* the local derivative, for help and trace */
    const char *help;     /* one line for `help` */
    OpFwd fwd;            /* scalar rules (entry by entry, with broadcasting) */
    OpBwd bwd;
    OpCfwd cfwd;          /* the complex-step rule */
    OpBranch branch;      /* the kink test (OPF_KINK) */
    OpKernelFwd kfwd;     /* or tensor kernels */
    OpKernelBwd kbwd;
    OpKernelShape kshape;
    OpKernelBwd kim;      /* tensor kernels: the complex step's imaginary part */
} OpInfo;

extern const OpInfo op_info[OP_COUNT];

/* The built-in function called `name` (an op's fname: tanh, pow, dot,
 * zeros ...): its OpCode, or -1.  *arity is set to its arity when the name
 * exists (-1 for constructors, which check their own arguments). */
int op_lookup_function(const char *name, int *arity);

/* Which op a call of built-in function op means, given npos positional
 * arguments and nkw keyword ones (axis=K) after them: op itself, or its
 * OPF_FORM with an axis (max(X), sum(X, 0)), or -1 with msg (n bytes)
 * saying how the function is called.  *nin: how many leading arguments
 * are inputs (slots); the rest are numbers read when compiled. */
int op_call_form(int op, int npos, int nkw, int *nin, char *msg, size_t n);

/* The derivative conventions at kinks (PyTorch's), for help. */
extern const char op_kink_conventions[];

#endif
