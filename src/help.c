/* help.c: help pages.  Each fits 80 columns. */
#include <stdio.h>
#include <string.h>
#include "help.h"
#include "ops.h"
#include "report.h"
#include "suggest.h"

const char *const help_commands[] = {
    "grad", "trace", "graph", "dot", "plot", "sweep", "step", "train", "check",
    "print", "show", "vars", "delete", "clear", "load", "save", "set",
    "help", "quit", "exit", "const", "diff", "hessian", "wrt", "jacobian", NULL
};

const char *const help_settings[] = {
    "eps", "fd", "digits", "tol", "atol", "lr", "seed", "maxcheck", "maxnodes", "maxmem", "format",
    "optimizer", "momentum", "betas", "adam_eps", NULL
};

static const char overview[] =
"bp: a calculator for the chain rule.  Type expressions; `grad f` shows every\n"
"partial derivative by backpropagation beside finite-difference estimates.\n"
"\n"
"  w = -3; x = 2; b = 1       parameters (values)\n"
"  f = tanh(w*x + b)          a formula: live, recomputed from w, x, b\n"
"  grad f                     backprop vs central/forward differences\n"
"  w := 0.5                   update a parameter (f follows)\n"
"\n"
"Statements (separated by newlines or ;)\n"
"  expr                  print the value (kept as ans)\n"
"  name = expr           a parameter if expr uses no names, else a formula\n"
"  const name = expr     data: evaluated now, never in grad tables or training\n"
"  name := expr          update now; a, b := e1, e2 at once; += -= *= /=\n"
"  f(x, y) = expr        a user function\n"
"Commands\n"
"  grad f [wrt a, b] [all]  gradient table; grad(f, w) inside expressions\n"
"  trace f [wrt w] [all] the backward pass step by step (the chain rule)\n"
"  trace forward f wrt x  forward mode: each node's value and tangent dv/dx\n"
"  jacobian F [wrt p]    a vector's Jacobian: reverse, forward mode, central\n"
"  graph f   dot f [\"file.dot|svg|png\"]    the graph, in the terminal / Graphviz\n"
"  plot f wrt x [from a to b] [\"f.svg\"]   f and df/dx; plot L wrt p, q: the\n"
"                        loss map and descent path; plot S over X, y: regions\n"
"  sweep f wrt w         finite-difference error against the step size\n"
"  diff f wrt x [latex]  the derivative df/dx written as a formula (or LaTeX)\n"
"  hessian f [wrt p, q]  second partials: backprop of the gradient vs central\n"
"  step f [wrt p] [lr]   one gradient-descent step; train f [wrt p] [lr [steps]]\n"
"                        [batch B of X, y]; set optimizer gd|momentum|adam\n"
"  check a, b [tol [atol]]  PASS/FAIL; check f: every partial against central\n"
"  print e, \"text\"  show name  vars  delete a, b  clear  load/save \"f.bp\"\n"
"  save \"w.csv\" W      one tensor as CSV (load_csv reads it back exactly)\n"
"  set [name value]  help [topic]  quit\n"
"Operators: < <= > >= == !=   + -   * / @   unary -   ^ (right-assoc)\n";
/* then the functions of the op list (overview_functions), then: */
static const char overview_tail[] =
"Settings:  eps fd digits tol atol lr seed maxcheck maxnodes maxmem format\n"
"           optimizer momentum betas adam_eps    (help set)\n"
"Topics: help grad, help trace, help tensors, help fd, help set, help syntax.\n";

typedef struct Topic { const char *name; const char *text; } Topic;

static const Topic topics[] = {
{ "grad",
"grad f [wrt a, b, ...]\n"
"  One forward pass and one backward pass give every partial derivative of f.\n"
"  Beside each, finite-difference estimates (set fd) computed by perturbing\n"
"  that parameter alone: central (f(p+h) - f(p-h)) / (p+h - (p-h)) with\n"
"  h = cbrt(u)*max(1,|p|), forward (f(p+h) - f(p)) / (p+h - p) with\n"
"  h = sqrt(u)*max(1,|p|), u = 2.2e-16 (or set eps H).  A row is marked\n"
"  MISMATCH when |bp - c| > tol*max(|bp|,|c|) + 10*u*F/h + T (F: the size of\n"
"  f(p+-h) or of the numbers f is computed from; T = |c(2h) - c(h)|/3, the\n"
"  truncation error, computed only when the row would otherwise disagree;\n"
"  a one-sided difference at a domain's edge, which can converge slower than\n"
"  h (w^1.5 at 0), also at 4h: backprop agrees when it is the limit the\n"
"  estimates' own order extrapolates to).\n"
"  A row is never ok when backprop or the estimate is not finite; it says\n"
"  why: step lost, overflow, not differentiable here (the node and cause).\n"
"  The cost line counts the passes each method ran: backprop 1 + 1, central\n"
"  2 per parameter, forward 1 per parameter + 1.\n"
"  Without wrt: every non-const parameter f uses, in order of appearance.\n"
"  wrt may name consts and formulas (df/dz at an intermediate node z).\n"
"  A tensor is shown entry by entry (W[0,1]), then, when it fits the\n"
"  terminal, its gradient as an aligned matrix.  More rows than fit a\n"
"  screen: per tensor one summary line (entries, checked, the worst\n"
"  |bp - est| and where, mismatches) and only the rows that matter\n"
"  (mismatches, kinks, the worst few); grad f all shows every row.\n"
"  The table fits 80 columns (or a wider terminal): narrower numbers when\n"
"  many methods are on, notes on a line of their own under their row.\n"
"  grad(f, w) in an expression is df/dw by backprop:  w := w - 0.1*grad(L, w)\n"
"  grad(f, w) is built as graph nodes, so it is a formula like any other:\n"
"  grad(grad(f, x), y), grad g, check g, step g all work (any order).\n"
"  Through argmax, one_hot or a comparison nothing flows back (derivative 0):\n"
"  a note says so once, at the node.\n" },
{ "trace",
"trace f [wrt w] [all]: the backward pass in order, one node per step: the\n"
"node, its value, the gradient arriving at it (df/dnode), and what it sends\n"
"to each input: df/din += df/dnode * [dnode/din], the local derivative in\n"
"brackets with its rule in the input's own name.  A tensor step names its\n"
"matrix rule (delta @ x^T for a product's weight; a bias sums delta over the\n"
"rows).  A node used twice lists the contributions that were summed.\n"
"wrt w: only the steps on the way to w.  Past 40 steps trace stops and\n"
"counts the rest; trace f all shows every step.\n"
"trace forward f wrt x: forward mode (Baydin et al. 2018), nodes in the order\n"
"of the forward pass, each with its value v and its tangent v' = dv/dx for the\n"
"seed x' = 1, and for a scalar op the chain rule's sum dv/da*a' + dv/db*b'.\n"
"The last tangent is df/dx: one pass per seed, where backprop gets every\n"
"partial in one backward pass.  Without wrt, f's only parameter is the seed.\n" },
{ "jacobian",
"jacobian F [wrt p, q]: for a vector F of m entries, the m x n matrix of\n"
"dF[i]/dp_j over the n parameter entries, three ways: reverse mode (one\n"
"backward pass per output, seeded with a one-hot vector), forward mode (one\n"
"dual-number pass per input) and central differences (two forward passes per\n"
"input), shown agreeing.  The cost line says which mode is cheaper: m < n\n"
"favours reverse mode (a wide function, a loss), n < m forward mode (a tall\n"
"one).  A scalar F: use grad.  A matrix F: take a row, F[0, :].\n" },
{ "graph",
"graph f: the graph drawn as a tree, each node with its value (and gradient\n"
"after grad); a node used twice is drawn once and referred to after that.\n" },
{ "dot",
"dot f [\"file\"]: the graph in Graphviz DOT, values and gradients in each node\n"
"and the gradient flowing along each edge; to standard output, a .dot file,\n"
"or (when Graphviz is installed) a picture: dot f \"f.svg\", dot f \"f.png\"\n"
"(a regular file: a device, FIFO or directory is refused, as by plot).\n"
"Laid out top to bottom (inputs above, f at the bottom) to fit a projector;\n"
"parameters filled blue, consts grey and dashed (no gradient), numbers written\n"
"in the formula small and plain (no gradient); tensors of up to 4x4 entries\n"
"show them, bigger ones their shape.\n" },
{ "plot",
"plot f wrt x [from a to b] [\"file\"]: f and its derivative (backprop at each\n"
"  point) on one chart, the points where df/dx = 0 marked and listed.  x need\n"
"  not be defined: plot binds it over the range and leaves the session as it\n"
"  was.  Without from: x +- 3*max(1, |x|) around x's value, or -3 ... 3.\n"
"plot L wrt p, q [from a to b] [\"file\"]: the loss shaded over two scalar\n"
"  parameters (the others at their values), with the path the last train (or\n"
"  steps) took drawn on it, S to E.  Without from: around the path.\n"
"plot S over X, y [\"file\"]: a classifier's decision regions over the points of\n"
"  the const X (2 columns), each point drawn by its label y: S > 0.5 (labels\n"
"  0/1) or S > 0 (labels -1/1), or the largest column of S for classes.\n"
"In the terminal: braille and block characters at a UTF-8 locale, ASCII else\n"
"(BP_ASCII=1 forces ASCII).  To a .svg or .png file through gnuplot, when it\n"
"is installed (apt-get install gnuplot-nox).\n" },
{ "sweep",
"sweep f wrt w: forward and central difference errors against backprop for\n"
"steps eps = 1e-1 ... 1e-15 (h = eps*max(1,|w|), made exactly representable),\n"
"as a table and a log-log plot: truncation error falls as eps shrinks, then\n"
"round-off error rises.  Rows where w + h == w say \"step lost\".\n" },
{ "hessian",
"hessian f [wrt p, q]: the matrix of second partials d2f/dp dq, each row by\n"
"one backward pass of the gradient graph grad(f, q) (seeded with a one-hot),\n"
"beside central differences of the gradient, (df/dq(p+h) - df/dq(p-h))/2h,\n"
"marked ok or MISMATCH (set tol); says whether it is symmetric; the cost\n"
"line.  Up to 6 entries every pair and the matrix; past that a summary, and\n"
"past maxcheck entries a seeded sample of the columns is checked, as grad\n"
"samples entries (some columns of every parameter).\n" },
{ "diff",
"diff f wrt x [latex|text]: df/dx written as a formula in bp's syntax, so it\n"
"pastes back (df/dw = x*(1 - tanh(w*x + b)^2)), or in LaTeX for slides\n"
"(latex, or set format latex).  Simplified: no *1, +0, 0*, ^1, -(-x);\n"
"numbers folded.  A part used twice is named once (where t = ...); other\n"
"formulas appear by name.  x is a scalar parameter or const; f a scalar\n"
"formula of scalars (+ - * / ^, functions of one number, min, max,\n"
"comparisons, grad(...) of these); tensors are refused.  A long line\n"
"breaks after an operator, so it still pastes back as one statement.\n" },
{ "step",
"step f [wrt p, q] [lr]: one update of every non-const parameter of f (or\n"
"those listed), all at once, by set optimizer: gd is p := p - lr*df/dp.\n"
"lr defaults to set lr (0.1); it may be a number or a name.\n" },
{ "train",
"train f [wrt p, q] [lr [steps]]: repeated step (defaults: set lr, 100 steps).\n"
"It says what it will update, shows the loss as it goes and plots it at the\n"
"end.  Each step is atomic: Ctrl-C or an error keeps the completed steps.\n"
"train f ... batch B of X, y: minibatch SGD: each step sees the same B rows\n"
"of the consts X, y (an epoch: every row once, shuffled from set seed); the\n"
"loss on all rows is shown at each epoch's end, and plotted as o.\n"
"Optimizers (set optimizer): gd; momentum (v = mu*v + g, p -= lr*v; v = g at\n"
"first); adam (PyTorch's, with bias correction).  Their state belongs to the\n"
"session: vars shows it, save keeps it, set optimizer ... reset clears it.\n"
"After a bare name or a wrt list everything is arguments: train L -0.1 2\n"
"and train L wrt w -0.1 2 are lr -0.1 (gradient ascent, with a note);\n"
"train (L + 1) 0.1 trains an expression.\n"
"A step that would make a parameter (or its optimizer state) inf or nan is\nrefused, naming it.\n" },
{ "check",
"check a, b [tol [atol]]: PASS when every entry has |a - b| <= atol + tol*|b|\n"
"(NumPy's allclose; defaults set tol 1e-6, set atol 1e-12; check a, b 0 0:\n"
"equal bit for bit); a NaN never passes, and a tensor's FAIL names its worst\n"
"entry (W[1,1]).  check f: every partial derivative of f by backprop against\n"
"central differences.  A script with a failed check runs to its end and\n"
"exits with status 1 (for autograding).\n" },
{ "tensors",
"Vectors and matrices; rows are samples.  [1, 2, 3], [[1, 2], [3, 4]],\n"
"zeros(n[, m]), ones(...), randn(...) (seeded by set seed), load_csv(\"f.csv\")\n"
"(a first row of words only is a header; a byte-order mark is skipped; lines\n"
"end at LF, CRLF or CR; a regular file only).  Indexing is 0-based, negative\n"
"from the end: W[i, j], v[-1], X[0] (a row), X[:, 0:2]; gradients flow through.\n"
"W[i, j] := e updates one entry, W[i] := row a row; grad f wrt W[0,1] and\n"
"sweep f wrt W[0,1] take one entry.\n"
"Operators and functions act entry by entry with NumPy broadcasting\n"
"(X @ W + b adds b to every row).  @ is the matrix product (vector @ vector:\n"
"the dot product; dot(u, v) too); outer(u, v) is u v^T.  sum, mean (all\n"
"entries), transpose, softmax (last axis), mse(pred, target) (mean of squared\n"
"differences), cross_entropy(logits, target) (softmax + log loss per row,\n"
"mean over rows; target: rows, or a vector of class indices, one per row).\n"
"Reductions take an axis, as NumPy's: sum(X, 0) or sum(X, axis=0) (each\n"
"column), mean(X, 1) (each row); max(X), min(X) of all entries, max(X, axis=0)\n"
"(the axis of max and min is always axis=K: max(X, 0) is element-wise);\n"
"logsumexp(X[, axis]), argmax(X[, axis]) (an index: no gradient).  A tie of\n"
"k entries in max/min sends 1/k of the gradient to each.  log_softmax(X),\n"
"one_hot(labels, k), reshape(X, r[, c]).  grad shows a tensor parameter entry\n"
"by entry; past set maxcheck entries (over all parameters) it checks a sample.\n" },
{ "fd",
"The estimates beside backprop (set fd LIST):\n"
"  central   (f(p+h) - f(p-h)) / (p+h - (p-h)),  h = cbrt(u)*max(1,|p|)\n"
"  forward   (f(p+h) - f(p)) / (p+h - p),        h = sqrt(u)*max(1,|p|)\n"
"  ridders   Richardson extrapolation from h = 0.1*max(1,|p|), shrinking by 1.4\n"
"  complex   Im f(p + ih)/h with h = 1e-20: exact to rounding, no subtraction\n"
"  dual      forward-mode AD, dual numbers: exact to rounding, one pass each\n"
"When a step leaves the domain on one side, h shrinks until both sides fit,\n"
"then 1000 times more (or, at the edge itself, the valid side alone is used).\n"
"At a kink (relu abs min max comparisons) the step shrinks by 10 up to 3\n"
"times; then the row shows the left and right slopes, or, when they agree,\n"
"is judged as any other (y*abs(y) at 0); a jump ((x >= 0) at 0) says jump.\n" },
{ "set",
"set                 list the settings\n"
"set eps auto|H      finite-difference step: auto (scaled to |p|) or absolute H\n"
"set fd LIST | off   estimates grad shows: central, forward, ridders, complex,\n"
"                    dual\n"
"set digits N        significant digits in values (1-17, default 10)\n"
"set tol T           relative tolerance of the mismatch mark and check (1e-6)\n"
"set atol A          absolute tolerance of check a, b (default 1e-12)\n"
"set lr R            learning rate for step/train (default 0.1)\n"
"set seed N          seed of random numbers (default 42)\n"
"set maxcheck N      entries checked by FD in one grad or check, over all\n"
"                    parameters together (a seeded sample; default 200):\n"
"                    min(size, 4) of each parameter while N allows (with\n"
"                    more parameters than N, N at random over them all)\n"
"set maxnodes N      the most nodes one graph may have (default 10000000)\n"
"set maxmem MIB      the most memory for the names' values, and for one\n"
"                    graph's values and gradients (default 2048 MiB; 1024\n"
"                    in the browser, where memory is the tab's)\n"
"set format text|latex  how diff writes a derivative (default text)\n"

"set optimizer gd|momentum|adam [reset]   the rule of step and train\n"
"                    (default gd); another optimizer or reset clears its state\n"
"set momentum M      momentum's mu, 0 <= M < 1 (default 0.9)\n"
"set betas B1, B2    Adam's betas, each 0 <= B < 1 (default 0.9, 0.999)\n"
"set adam_eps E      Adam's eps, >= 0 (default 1e-8)\n"
"set state W t m [v] the optimizer's state of W, as save writes it\n" },
{ "syntax",
"Statements end at a newline or ;.  A newline does not end a statement when\n"
"a ( or [ is open, or the line ends with a binary operator, =, :=, +=, ,\n"
"or wrt.  # starts a comment; a first line #! is ignored.\n"
"Precedence, loosest first: comparisons; + -; * / @; unary -; ^ (right).\n"
"So -x^2 is -(x^2) and 2^3^2 is 512.  Comparisons give 1 or 0.\n" },
{ "kinks", op_kink_conventions },
{ "define",
"name = expr: if expr mentions no names (x = 2*pi), name is a parameter\n"
"holding the value.  Otherwise it is a formula, recomputed from the current\n"
"values of the names it uses, like a spreadsheet cell.  Names may be defined\n"
"later (a note says so).  A definition that would make a name depend on\n"
"itself is refused; use name := ... to update a name from its own value.\n"
"f = v with v a parameter makes f an alias of v; with v a formula or a const,\n"
"f is a node of its own (grad g wrt f is dg/df there, not dg/dv).  A randn in\n"
"a formula that uses other names is drawn once and kept (redefine to redraw),\n"
"and so is one in a user function the formula calls, a draw per call.\n"
"A formula keeps its last value until a name it depends on changes (grad\n"
"always runs the graph).\n" },
{ "const",
"const name = expr: data, not a weight.  Evaluated now; left out of grad\n"
"tables (unless named in wrt).  The mark stays until delete or clear.\n" },
{ "update",
"name := expr evaluates expr now and makes name a parameter with that value:\n"
"  w := w - 0.1*grad(L, w)\n"
"a, b := e1, e2 evaluates every right side before changing any name.\n"
"name += expr (also -= *= /=) is name := name + (expr).\n" },
{ "print", "print e1, \"text\", e2 ...: values and strings on one line, separated by spaces.\n" },
{ "show", "show name: the definition of name as written and its value (a big tensor\nshortened as print shortens it; --json shows every entry).\n" },
{ "vars", "vars: every name with its definition, in the order defined, one line\neach (a long definition cut with ...: show name prints it whole).\n" },
{ "delete", "delete a, b: remove names; refused while other definitions use them.\n" },
{ "clear", "clear: remove every name (settings stay).\n" },
{ "load", "load \"file.bp\": run a script in this session.\n" },
{ "save",
"save \"file.bp\": write every definition (with the settings that are not the\n"
"default, and the optimizer's state) as a script that load restores\n"
"exactly, numbers in the shortest form that reads back; a formula's kept\n"
"randn(...) is written as the values it drew, so load gives them back.\n"
"save \"w.csv\" W:\n"
"one tensor (or scalar) as CSV, no header (a vector one entry a line), which\n"
"load_csv reads back bit for bit.  A name in a script is found as load finds\n"
"it.  The file is written beside the old one, then renamed over it, keeping\n"
"its permissions and owner; a failed or interrupted save leaves the old file\n"
"as it was.  A symlink is written through (it stays a link); a directory,\n"
"FIFO, device or read-only file is refused; a file with other hard links is\n"
"replaced by a new one (a note says so; the other names keep the old\n"
"content).  A nan or inf value is refused (load could not read it), naming it.\n" },
{ "quit", "quit, exit (or Ctrl-D at the prompt): leave bp.\n" },
{ "errors",
"Errors show file:line:col, the line and a caret.  A script stops at its\n"
"first error (exit status 1); at the prompt nothing is lost: a statement\n"
"that fails changes nothing.  log(-1), sqrt(-1), 1/0 are errors naming the\n"
"operation, not silent NaN.\n" },
{ NULL, NULL }
};

int help_is_command(const char *name)
{
    for (int i = 0; help_commands[i]; i++)
        if (strcmp(help_commands[i], name) == 0)
            return 1;
    return 0;
}

static void print_lines(Session *s, const char *text)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        report_text(s, "%.*s", len, p);
        p += len + (nl ? 1 : 0);
    }
}

/* The overview's function lines, from the op list: a label, then words,
 * wrapped at 80 columns under the first. */
typedef struct Wrap { Session *s; char line[128]; int len; } Wrap;

static void wrap_start(Wrap *w, Session *s, const char *label)
{
    w->s = s;
    w->len = snprintf(w->line, sizeof w->line, "%-11s", label);
}

static void wrap_word(Wrap *w, const char *word)
{
    int n = (int)strlen(word);
    if (w->len > 11 && w->len + 1 + n > 80) {
        report_text(w->s, "%s", w->line);
        w->len = snprintf(w->line, sizeof w->line, "%11s", "");
    }
    w->len += snprintf(w->line + w->len, sizeof w->line - w->len, "%s%s",
                       w->len > 11 ? " " : "", word);
}

/* the names of the functions whose flags have any of `want`, in list order */
static void wrap_ops(Wrap *w, int want)
{
    for (int op = 0; op < OP_COUNT; op++)
        if (op_info[op].fname && (op_info[op].flags & want))
            wrap_word(w, op_info[op].fname);
}

static void overview_functions(Session *s)
{
    Wrap w;
    wrap_start(&w, s, "Functions:");
    wrap_ops(&w, OPF_ELEM);
    report_text(s, "%s", w.line);
    wrap_start(&w, s, "Tensors:");
    wrap_word(&w, "[1, 2]  [[1, 2], [3, 4]]  W[i,j] X[:,0:2]");
    wrap_ops(&w, OPF_CTOR);
    wrap_ops(&w, OPF_KERNEL);
    wrap_word(&w, "(help tensors)");
    report_text(s, "%s", w.line);
}

const char *help_topic(int i)
{
    static int n = -1;
    if (n < 0) for (n = 0; topics[n].name; n++) {}
    return i >= 0 && i < n ? topics[i].name : NULL;
}

int help_show(Session *s, const char *topic, const Loc *loc, Diag *d)
{
    if (!topic) {
        print_lines(s, overview);
        overview_functions(s);
        print_lines(s, overview_tail);
        return E_OK;
    }
    for (int i = 0; topics[i].name; i++)
        if (strcmp(topics[i].name, topic) == 0) {
            print_lines(s, topics[i].text);
            return E_OK;
        }
    for (int i = 0; help_settings[i]; i++)
        if (strcmp(help_settings[i], topic) == 0)
            return help_show(s, "set", loc, d);
    int arity;
    int op = op_lookup_function(topic, &arity);
    if (op >= 0) {
        report_text(s, "%s", op_info[op].help);
        report_text(s, "  derivative: %s", op_info[op].deriv);
        for (int i = 0; i < OP_COUNT; i++)   /* its other forms: sum(X, axis) */
            if ((op_info[i].flags & OPF_FORM) && strcmp(op_info[i].name, topic) == 0) {
                report_text(s, "%s", op_info[i].help);
                report_text(s, "  derivative: %s", op_info[i].deriv);
            }
        if (op_info[op].fwd) {
            /* an example, computed by the rule itself */
            double a = op == OP_LOG || op == OP_SQRT ? 2 : 0.5, b = 3, y;
            char ya[64];
            if (!op_info[op].fwd(a, b, &y)) {
                report_fmt_value(ya, sizeof ya, y, s->set.digits);
                if (arity == 2) report_text(s, "  example: %s(%g, %g) = %s", topic, a, b, ya);
                else report_text(s, "  example: %s(%g) = %s", topic, a, ya);
            }
        }
        if (op_info[op].flags & OPF_KINK)
            print_lines(s, op_kink_conventions);
        return E_OK;
    }
    if (strcmp(topic, "pi") == 0 || strcmp(topic, "e") == 0) {
        report_text(s, "pi = 3.14159..., e = 2.71828...: built-in constants; a definition may shadow them.");
        return E_OK;
    }
    if (help_is_command(topic)) {
        report_text(s, "%s: see `help` for its form.", topic);
        return E_OK;
    }
    Suggest g = suggest_start(topic);
    suggest_list(&g, help_commands);
    for (int i = 0; topics[i].name; i++) suggest_word(&g, topics[i].name);
    for (int i = 0; i < OP_COUNT; i++)
        if (op_info[i].fname) suggest_word(&g, op_info[i].fname);
    const char *near = g.best;
    if (near)
        return diag_set(d, E_USAGE, loc, "no help on %s; did you mean %s?", topic, near);
    return diag_set(d, E_USAGE, loc, "no help on %s (try help)", topic);
}
