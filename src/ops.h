/* ops.h: the table of operations.  For each operation: its name, arity,
 * forward rule and backward rule, written side by side in ops.c.
 *
 * A scalar rule works on one entry; element-wise operations on tensors will
 * apply the same rules entry by entry.  ORDER OP: the enum and the table in
 * ops.c must stay in the same order. */
#ifndef BP_OPS_H
#define BP_OPS_H

typedef enum {
    /* leaves and special nodes (no scalar rule) */
    OP_NUM,       /* a literal */
    OP_LEAF,      /* a parameter or const: reads the session's value */
    OP_GRADOF,    /* grad(f, w) inside an expression: runs a sub-tape */
    /* unary */
    OP_NEG, OP_EXP, OP_LOG, OP_SQRT, OP_SIN, OP_COS, OP_TAN, OP_TANH,
    OP_SIGMOID, OP_RELU, OP_SOFTPLUS, OP_ABS,
    /* binary */
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW, OP_MATMUL, OP_MIN, OP_MAX,
    OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE,
    /* tensor operations (kernels in kernels.c) */
    OP_SUM, OP_MEAN, OP_TRANSPOSE, OP_SOFTMAX, OP_OUTER, OP_MSE, OP_XENT,
    OP_INDEX,     /* x[i, a:b] */
    OP_STACK,     /* [a, b, c]: a vector of scalars or a matrix of rows */
    OP_COUNT
} OpCode;

struct Tape;

/* Tensor kernels, for operations that are not entry by entry: forward
 * fills slot i from its inputs (NULL or a message); backward accumulates
 * into its inputs' gradients; shape sets the slot's shape from its inputs'
 * (NULL, or a message in t->errbuf's words). */
typedef const char *(*OpKernelFwd)(struct Tape *t, int i);
typedef void (*OpKernelBwd)(struct Tape *t, int i);
typedef const char *(*OpKernelShape)(struct Tape *t, int i);

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

/* Kinks: which branch op takes at (a, b): -1, 0 or 1.  A finite
 * difference whose points take different branches straddles a kink. */
int op_branch(int op, double a, double b);

typedef struct OpInfo {
    const char *name;     /* as written: "tanh", "+" */
    int arity;            /* 0, 1 or 2 */
    int infix;            /* printed between its operands */
    int kink;             /* has branches (relu abs min max comparisons) */
    OpFwd fwd;            /* scalar rule (entry by entry, with broadcasting) */
    OpBwd bwd;
    const char *deriv;    /* the local derivative, for help and trace */
    const char *help;     /* one line for `help` */
    OpKernelFwd kfwd;     /* or a tensor kernel */
    OpKernelBwd kbwd;
    OpKernelShape kshape;
    OpCfwd cfwd;          /* the complex-step rule (element-wise ops) */
    OpKernelBwd kim;      /* tensor kernels: the complex step's imaginary part */
} OpInfo;

extern const OpInfo op_info[OP_COUNT];

/* The built-in function called `name` with `nargs` arguments: its OpCode,
 * or -1.  *arity is set to the function's arity when the name exists. */
int op_lookup_function(const char *name, int *arity);

/* The derivative conventions at kinks (PyTorch's), for help. */
extern const char op_kink_conventions[];

#endif
