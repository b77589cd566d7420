/* oplist.h: the one list of operations, an X-macro.  Include it after
 * defining OP(...); every row becomes what the includer makes of it: the
 * OpCode enum (ops.h), the op table (ops.c), and through the table help's
 * function list, completion's words and the reserved words.
 *
 * Adding a function: one row here, one block of rules in ops.c (named by
 * the row's rules column), its graph rule in derive.c, one test row
 * (tests/unit/check_backprop.c) and one in check_derive.c.
 *
 * OP(ID, name, fname, arity, flags, rules, deriv, help)
 *   ID      OP_ID in the enum
 *   name    as printed in graphs and messages: "tanh", "+"
 *   fname   the name it is called by, name(...), or NULL (an operator)
 *   arity   0, 1 or 2; -1: checks its own arguments (constructors)
 *   flags   OPF_* (ops.h)
 *   rules   where its rules are, expanded by ops.c:
 *             NONE            no rule of its own (leaves, constructors)
 *             ELEM(p)         entry by entry: p_f forward, p_b backward,
 *                             p_c complex step (a block in ops.c)
 *             KINK(p)         ELEM(p) and p_k, the branch (kink) test
 *             CMP(p)          a comparison: p_f, p_c, derivative 0
 *             KERNEL_KINK(p, s)  KERNEL(p, s) whose winner can change (max(X),
 *                             argmax): the kink test is k_ties_flipped
 *             KERNEL(p, s)    tensor kernels k_p_fwd, k_p_bwd, k_p_im and
 *                             the shape rule k_s_shape (kernels.c)
 *   deriv   the local derivative, for help and trace
 *   help    one line for `help name` ("" when there is no help page)
 *
 * Each op's derivative as a graph (grad(f, w) in an expression, hessian,
 * any order) is its case in derive.c's rule(), in this list's order,
 * written with operations of this list; tests/unit/check_derive.c walks
 * the list and fails for a differentiable op whose second derivative
 * disagrees with central differences of its first.
 *
 * ORDER OP: rows are the enum's order.  Nothing may depend on where a row
 * sits (ask the flags instead) unless it carries the tag ORDER OP; today
 * nothing does.
 */

/* leaves and special nodes */
OP(NUM,      "number", NULL, 0, OPF_NODE, NONE, "", "")
OP(LEAF,     "leaf",   NULL, 0, OPF_NODE, NONE, "", "")

/* element-wise, unary */
OP(NEG,      "-",        NULL,       1, OPF_ELEM | OPF_INFIX | OPF_FINITE, ELEM(neg), "-1", "")
OP(EXP,      "exp",      "exp",      1, OPF_ELEM, ELEM(exp), "exp(x)", "exp(x): e to the power x")
OP(LOG,      "log",      "log",      1, OPF_ELEM, ELEM(log), "1/x", "log(x): natural logarithm (x > 0)")
OP(SQRT,     "sqrt",     "sqrt",     1, OPF_ELEM, ELEM(sqrt), "1/(2 sqrt(x))", "sqrt(x): square root (x >= 0)")
OP(SIN,      "sin",      "sin",      1, OPF_ELEM | OPF_FINITE, ELEM(sin), "cos(x)", "sin(x): sine (radians)")
OP(COS,      "cos",      "cos",      1, OPF_ELEM | OPF_FINITE, ELEM(cos), "-sin(x)", "cos(x): cosine (radians)")
OP(TAN,      "tan",      "tan",      1, OPF_ELEM, ELEM(tan), "1 + tan(x)^2", "tan(x): tangent (radians)")
OP(TANH,     "tanh",     "tanh",     1, OPF_ELEM | OPF_FINITE, ELEM(tanh), "1 - tanh(x)^2", "tanh(x): hyperbolic tangent")
OP(SIGMOID,  "sigmoid",  "sigmoid",  1, OPF_ELEM, ELEM(sigmoid), "s(x)(1 - s(x))", "sigmoid(x): 1/(1 + exp(-x))")
OP(RELU,     "relu",     "relu",     1, OPF_ELEM | OPF_KINK | OPF_FINITE, KINK(relu), "1 if x > 0 else 0", "relu(x): max(x, 0); relu'(0) = 0")
OP(SOFTPLUS, "softplus", "softplus", 1, OPF_ELEM, ELEM(softplus), "sigmoid(x)", "softplus(x): log(1 + exp(x))")
OP(ABS,      "abs",      "abs",      1, OPF_ELEM | OPF_KINK, KINK(abs), "sign(x)", "abs(x): |x|; abs'(0) = 0")
OP(ATAN,     "atan",     "atan",     1, OPF_ELEM, ELEM(atan), "1/(1 + x^2)", "atan(x): arctangent (radians, in (-pi/2, pi/2))")
OP(ASINH,    "asinh",    "asinh",    1, OPF_ELEM, ELEM(asinh), "1/sqrt(1 + x^2)", "asinh(x): inverse hyperbolic sine")
OP(LOG1P,    "log1p",    "log1p",    1, OPF_ELEM, ELEM(log1p), "1/(1 + x)", "log1p(x): log(1 + x), accurate for small x (x > -1)")
OP(EXPM1,    "expm1",    "expm1",    1, OPF_ELEM, ELEM(expm1), "exp(x)", "expm1(x): exp(x) - 1, accurate for small x")

/* element-wise, binary (and @) */
OP(ADD,      "+",   NULL,  2, OPF_ELEM | OPF_INFIX, ELEM(add), "1, 1", "")
OP(SUB,      "-",   NULL,  2, OPF_ELEM | OPF_INFIX, ELEM(sub), "1, -1", "")
OP(MUL,      "*",   NULL,  2, OPF_ELEM | OPF_INFIX, ELEM(mul), "b, a", "")
OP(DIV,      "/",   NULL,  2, OPF_ELEM | OPF_INFIX, ELEM(div), "1/b, -a/b^2", "")
OP(POW,      "^",   "pow", 2, OPF_ELEM | OPF_INFIX, ELEM(pow), "b a^(b-1), a^b ln a", "pow(x, y): x^y")
OP(MATMUL,   "@",   "dot", 2, OPF_KERNEL | OPF_INFIX, KERNEL(matmul, matmul), "B^T, A^T",
   "A @ B: matrix product (vector @ vector: dot product)")
OP(MIN,      "min", "min", 2, OPF_ELEM | OPF_KINK, KINK(min), "1 to the smaller (half each on a tie)",
   "min(x, y): the smaller; a tie splits the gradient")
OP(MAX,      "max", "max", 2, OPF_ELEM | OPF_KINK, KINK(max), "1 to the larger (half each on a tie)",
   "max(x, y): the larger; a tie splits the gradient")
OP(LT,       "<",   NULL,  2, OPF_ELEM | OPF_INFIX | OPF_CMP, CMP(lt), "0", "")
OP(LE,       "<=",  NULL,  2, OPF_ELEM | OPF_INFIX | OPF_CMP, CMP(le), "0", "")
OP(GT,       ">",   NULL,  2, OPF_ELEM | OPF_INFIX | OPF_CMP, CMP(gt), "0", "")
OP(GE,       ">=",  NULL,  2, OPF_ELEM | OPF_INFIX | OPF_CMP, CMP(ge), "0", "")
OP(EQ,       "==",  NULL,  2, OPF_ELEM | OPF_INFIX | OPF_CMP, CMP(eq), "0", "")
OP(NE,       "!=",  NULL,  2, OPF_ELEM | OPF_INFIX | OPF_CMP, CMP(ne), "0", "")

/* tensor operations (kernels in kernels.c) */
OP(SUM,       "sum",       "sum",       1, OPF_KERNEL | OPF_REDUCE, KERNEL(sum, reduce), "1 for every entry",
   "sum(x): the sum of all entries")
OP(MEAN,      "mean",      "mean",      1, OPF_KERNEL | OPF_REDUCE, KERNEL(mean, reduce), "1/n for every entry",
   "mean(x): the mean of all entries")
OP(TRANSPOSE, "transpose", "transpose", 1, OPF_KERNEL, KERNEL(transpose, transpose), "the transpose of the gradient",
   "transpose(A): rows become columns (a vector stays as it is)")
OP(SOFTMAX,   "softmax",   "softmax",   1, OPF_KERNEL, KERNEL(softmax, same), "y (g - sum(g y)) per row",
   "softmax(x): exp(x)/sum(exp(x)) along the last axis (each row)")
OP(OUTER,     "outer",     "outer",     2, OPF_KERNEL, KERNEL(outer, outer), "G v, G^T u",
   "outer(u, v): the matrix u v^T")
OP(MSE,       "mse",       "mse",       2, OPF_KERNEL | OPF_REDUCE, KERNEL(mse, pair_reduce), "2 (p - t) / n",
   "mse(pred, target): mean of squared differences over all entries")
OP(XENT,      "cross_entropy", "cross_entropy", 2, OPF_KERNEL | OPF_REDUCE, KERNEL(xent, pair_reduce),
   "(softmax(z) sum(t) - t) / rows",
   "cross_entropy(logits, target): softmax + log loss per row, mean over rows")
OP(INDEX,     "[]",  NULL, 1, OPF_KERNEL | OPF_NODE, KERNEL(index, index), "1 at the entries taken", "")   /* x[i, a:b] */
OP(STACK,     "[,]", NULL, 0, OPF_KERNEL | OPF_NODE, KERNEL(stack, stack), "1 to each element", "")    /* [a, b, c] */

/* reductions along an axis and their friends (kernels_reduce.c).  A row
 * with OPF_FORM is another form of the function its name says (sum(X, 0)
 * beside sum(x)), chosen when the call is compiled (ops.c, op_call_form). */
OP(SUM_AXIS,  "sum",  NULL, 1, OPF_KERNEL | OPF_FORM | OPF_AXIS, KERNEL(sum_axis, axis),
   "1 for every entry of its column (axis 0) or row (axis 1)",
   "sum(X, axis) or sum(X, axis=K): 0 sums each column, 1 each row (NumPy's axes)")
OP(MEAN_AXIS, "mean", NULL, 1, OPF_KERNEL | OPF_FORM | OPF_AXIS, KERNEL(mean_axis, axis),
   "1/n for each of the n entries of its column or row",
   "mean(X, axis) or mean(X, axis=K): of each column (axis 0) or row (axis 1)")
OP(AMAX,      "max",  NULL, 1, OPF_KERNEL | OPF_FORM | OPF_AXIS, KERNEL_KINK(amax, axis),
   "1 to the largest entry (1/k to each of a k-way tie)",
   "max(X) or max(X, axis=K): the largest (of each column/row); k tied: 1/k each")
OP(AMIN,      "min",  NULL, 1, OPF_KERNEL | OPF_FORM | OPF_AXIS, KERNEL_KINK(amin, axis),
   "1 to the smallest entry (1/k to each of a k-way tie)",
   "min(X) or min(X, axis=K): the smallest (of each column/row); k tied: 1/k each")
OP(LOGSUMEXP, "logsumexp", "logsumexp", 1, OPF_KERNEL | OPF_AXIS, KERNEL(logsumexp, axis),
   "softmax(x) over the entries reduced",
   "logsumexp(X[, axis]): log(sum(exp(X))), all entries or along an axis; stable")
OP(ARGMAX,    "argmax", "argmax", 1, OPF_KERNEL | OPF_AXIS, KERNEL_KINK(argmax, axis),
   "0: an index has no gradient",
   "argmax(X[, axis]): the index of the largest entry (the first of a tie); no grad")
OP(LOG_SOFTMAX, "log_softmax", "log_softmax", 1, OPF_KERNEL, KERNEL(log_softmax, same),
   "g - softmax(x) sum(g) per row",
   "log_softmax(X): X - logsumexp(X) along the last axis (each row), stable")
OP(ONE_HOT,   "one_hot", "one_hot", 1, OPF_KERNEL | OPF_COUNT, KERNEL(one_hot, one_hot),
   "0: labels are indices, no gradient",
   "one_hot(labels, k): class indices 0..k-1 as rows of k entries, 1 at the label")
OP(RESHAPE,   "reshape", "reshape", 1, OPF_KERNEL | OPF_COUNT | OPF_COUNT2, KERNEL(reshape, reshape),
   "the gradient, reshaped back",
   "reshape(X, r[, c]): the same entries, row-major, as a vector (r) or matrix (r,c)")
OP(XENT_IDX,  "cross_entropy", NULL, 2, OPF_KERNEL | OPF_FORM | OPF_REDUCE, KERNEL(xent_idx, xent_idx),
   "(softmax(z) - one_hot(y)) / rows; 0 for y",
   "cross_entropy(logits, y), y class indices (one per row): mean of lse(z) - z[y]")

/* constructors: values made when the graph is compiled (constant slots) */
OP(ZEROS,    "zeros",    "zeros",    -1, OPF_CTOR, NONE, "0 (a constant)",
   "zeros(n[, m]): a vector of n zeros, or an n x m matrix")
OP(ONES,     "ones",     "ones",     -1, OPF_CTOR, NONE, "0 (a constant)",
   "ones(n[, m]): a vector of n ones, or an n x m matrix")
OP(RANDN,    "randn",    "randn",    -1, OPF_CTOR | OPF_RANDOM, NONE, "0 (a constant)",
   "randn(n[, m]): normal random numbers (set seed); a definition draws them once")
OP(LOAD_CSV, "load_csv", "load_csv", -1, OPF_CTOR, NONE, "0 (a constant)",
   "load_csv(\"file.csv\"): a matrix from a CSV file (a non-numeric first row is a header)")
