/* expr.h: a tape slot printed back as an expression, in bp's own syntax
 * (it parses back and evaluates to the same value) and as LaTeX.
 *
 * The slot's graph is rebuilt as a small expression DAG, simplified as it
 * is built (no *1, +0, 0*, ^1, -(-x); constants folded), with equal
 * subexpressions shared.  Parameters and consts print by name, and so does
 * every formula except the one being expanded; a subexpression used more
 * than once is named once, as a `where t = ...` line.  Parentheses are
 * the fewest that SPEC section 3's precedence needs.  Scalar operations
 * only: a tensor operation is refused with a message. */
#ifndef BP_EXPR_H
#define BP_EXPR_H

#include <stddef.h>
#include "tape.h"

typedef struct ExprText {
    char *text;          /* bp syntax, malloc'd */
    char *latex;         /* the same in LaTeX, malloc'd */
    int nwhere;          /* shared subexpressions, inner first: */
    char **wname;        /*   where wname[k] = wtext[k] (wlatex[k]) */
    char **wtext, **wlatex;
} ExprText;

/* Print slot `slot` of tape t into *out.  `expand`: a formula printed by
 * its body even though its slot is named (the target of diff, or of the
 * printout itself); every other named formula prints as its name.
 * Where-names avoid the names defined in s.  Returns 0, or -1 with a
 * message in err (a tensor or an operation the printer cannot write). */
int expr_format(Session *s, const Tape *t, int slot, const Entry *expand,
                ExprText *out, char *err, size_t errn);

void expr_text_free(ExprText *x);

/* A name in LaTeX: w, w_{1}, x_{\mathrm{max}}, \alpha, \mathrm{lr}.  Malloc'd. */
char *expr_latex_name(const char *name);

#endif
