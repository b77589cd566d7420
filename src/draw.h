/* draw.h: pictures of a tape, for `graph f` and `dot f` (SPEC section 2).
 *
 * Both walk the tape from its root without recursion (a chain of a million
 * slots draws), name a slot as the user wrote it (`z = w*x + b` for a
 * formula, `w` for a parameter, else its operation or its source text) and
 * show its value and, when asked, its gradient: call them after a forward
 * pass, and with with_grad set only after backprop. */
#ifndef BP_DRAW_H
#define BP_DRAW_H

#include "session.h"
#include "diag.h"
#include "tape.h"

/* How deep the tree is indented before a chain goes on flush left, and how
 * many lines `graph` prints at most. */
enum { DRAW_MAX_INDENT = 40, DRAW_MAX_LINES = 2000 };

/* Draw t in the terminal as a tree from its root, one report_text line per
 * node: `label = value` (a tensor: its shape) and, when with_grad,
 * `grad g`.  A slot reached a second time (a node used twice) is drawn once
 * in full and then referenced as `(see above: NAME)`, or `(see above: #N)`
 * for an unnamed slot, which its first drawing tags `#N`.  Box-drawing
 * characters when the locale's character set is UTF-8, ASCII otherwise;
 * the environment variable BP_ASCII=1 forces ASCII, BP_ASCII=0 forces
 * UTF-8 (for tests).  The locale is left as it was found.  Past
 * DRAW_MAX_INDENT levels a chain goes on without further indentation (a
 * line says so); past DRAW_MAX_LINES lines the drawing stops with a note. */
void draw_graph(Session *s, const Tape *t, int with_grad);

/* Graphviz DOT of t, like micrograd's draw_dot, left to right: a record
 * `{ label | data v | grad g }` per value slot, an ellipse per operation
 * with an edge into the value it computes, an edge from each input to the
 * operation; when with_grad, a scalar edge is labelled with the gradient
 * that flows along it into the input (upstream gradient times the local
 * derivative, as backprop added it).
 *
 * path NULL: one report_text line per DOT line.  A path ending in .svg,
 * .png or .pdf: the DOT goes to a temporary file that Graphviz's `dot`
 * renders into path.  Any other path: the DOT text is written there.
 * Returns 0, or an error kind with d filled (E_IO: a file that cannot be
 * written, `dot` not installed or failing). */
int draw_dot(Session *s, const Tape *t, int with_grad, const char *path, Diag *d);

#endif
