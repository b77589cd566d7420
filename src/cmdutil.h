/* cmdutil.h: what the command modules (commands.c, settings.c, teach.c,
 * train.c) share, in cmdutil.c: evaluating now, the target of a command
 * that differentiates, numeric arguments, naming things as the user wrote
 * them, the interrupt flag. */
#ifndef BP_CMDUTIL_H
#define BP_CMDUTIL_H

#include <signal.h>
#include "tape.h"

/* Set by Ctrl-C (repl.c); long commands check it and stop cleanly. */
extern volatile sig_atomic_t bp_interrupted;

/* The tape of expression e: the session's cached one when e names a
 * formula (*owned = 0), else a new one (*owned = 1: free it). */
Tape *tape_for(Session *s, const Ast *e, int *owned, Diag *d);
/* A forward pass; a domain error is reported in d with its caret. */
int cmd_forward(Tape *t, Diag *d);
/* The prologue of every command that differentiates its target (grad,
 * trace, check f, sweep, step, train): the tape of e (as tape_for; text:
 * e as written, for the messages), which must be a scalar (else an
 * E_SHAPE error, not_scalar being its format, given text, the shape and
 * text again); then as many passes as asked.  Returns E_OK with *tp set, or the
 * error's kind with d filled and *tp NULL (nothing to free). */
enum { DIFF_NONE, DIFF_FORWARD, DIFF_BACKWARD };
int diff_target(Session *s, const Ast *e, const char *text, const char *not_scalar,
                int passes, Tape **tp, int *owned, Diag *d);
/* The names a command differentiates by (grad, hessian, jacobian): those
 * after `wrt` (each defined and a value, not a function: else an E_NAME
 * error at its name), else every parameter t reads, in order.  Fills
 * *out (malloc'd, *n of them) with each entry, its slot in t (-1 when t
 * does not read it) and its index in st->names (-1 without wrt). */
typedef struct CmdWrt { Entry *e; int slot; int name; } CmdWrt;
int cmd_wrt(Session *s, const Stmt *st, const Tape *t, CmdWrt **out, int *n, Diag *d);
/* A buffer for a copy of t's values (numeric differences save the tape
 * in it and restore it after each perturbed pass): t->nval doubles, or
 * NULL with an E_MEMORY error at loc in d (its size comes from the user's
 * data, so running out is an error, not an exit).  Free it. */
double *cmd_tape_copy(const Tape *t, const Loc *loc, Diag *d);
/* Evaluate e now into *out (which it owns) / as a scalar. */
int eval_now(Session *s, const Ast *e, Value *out, Diag *d);
int eval_scalar(Session *s, const Ast *e, double *out, Diag *d);
/* A command's numeric argument: a number, or a name with a scalar value. */
int arg_number(Session *s, const Arg *a, double *v, Diag *d);
/* The source text of e (at most n - 1 bytes). */
int span_text(const Ast *e, char *buf, size_t n);
/* "w", "b[2]", "W[0,1]": entry k of a value of shape sh named name. */
void entry_name(char *buf, size_t n, const char *name, Shape sh, long k);

/* Which entries W[i, j] (one: *count 1) or W[i] of a matrix (a row:
 * *count its columns) name in a value of shape sh: whole-number indices,
 * negative from the end, checked against sh.  idx is the AST_INDEX node
 * (kid[0] the name).  *first is the first entry's offset. */
int entry_index(Session *s, const Ast *idx, Shape sh, long *first, long *count, Diag *d);

/* A file that dot or plot is about to write: an error at loc when it is
 * "", or exists and is not a regular file (a device, FIFO, socket, directory), as
 * save refuses them, so that `dot f "/dev/sda"` run as root writes no disk. */
int cmd_out_file(const char *path, const Loc *loc, const char *cmd, Diag *d);

#endif
