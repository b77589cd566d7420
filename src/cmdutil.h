/* cmdutil.h: what the command modules (commands.c, teach.c, train.c)
 * share: evaluating now, and naming things as the user wrote them. */
#ifndef BP_CMDUTIL_H
#define BP_CMDUTIL_H

#include "tape.h"


/* The tape of expression e: the session's cached one when e names a
 * formula (*owned = 0), else a new one (*owned = 1: free it). */
Tape *tape_for(Session *s, const Ast *e, int *owned, Diag *d);
/* A forward pass; a domain error is reported in d with its caret. */
int cmd_forward(Tape *t, Diag *d);
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

/* The commands in settings.c, files.c, teach.c and train.c. */
int cmd_set(Session *s, const Stmt *st, Diag *d);
int cmd_save(Session *s, const Stmt *st, Diag *d);
int cmd_trace(Session *s, const Stmt *st, Diag *d);
int cmd_sweep(Session *s, const Stmt *st, Diag *d);
int cmd_check(Session *s, const Stmt *st, Diag *d);
int cmd_step(Session *s, const Stmt *st, Diag *d);
int cmd_train(Session *s, const Stmt *st, Diag *d);
/* vars: the optimizer's state of each parameter, a line each (train.c). */
void train_show_state(Session *s);

#endif
