/* commands.h: the commands, one function per kind of statement, which
 * run.c dispatches to: commands.c (names and values, grad, graph, dot),
 * settings.c (set), files.c (save), teach.c (trace, sweep, check),
 * train.c (step, train); help.c's help_show is `help`.
 *
 * Each statement is a transaction: it is resolved and checked completely
 * (reserved words, cycles, evaluation of what must be evaluated now) before
 * the session changes, so a failed statement leaves the session as it was.
 * Each returns E_OK, or an error kind with d filled (run.c reports it). */
#ifndef BP_COMMANDS_H
#define BP_COMMANDS_H

#include "session.h"
#include "diag.h"

/* commands.c */
int cmd_expr(Session *s, const Stmt *st, Diag *d);     /* expr: print it, keep it as ans */
int cmd_define(Session *s, const Stmt *st, Diag *d);   /* name = e, const name = e, f(x) = e */
int cmd_update(Session *s, const Stmt *st, Diag *d);   /* a, b := e1, e2; name op= e */
int cmd_grad(Session *s, const Stmt *st, Diag *d);     /* grad f [wrt ...] */
int cmd_print(Session *s, const Stmt *st, Diag *d);
int cmd_show(Session *s, const Stmt *st, Diag *d);
int cmd_vars(Session *s);
int cmd_delete(Session *s, const Stmt *st, Diag *d);
int cmd_clear(Session *s);
int cmd_draw(Session *s, const Stmt *st, Diag *d);     /* graph f, dot f ["file"] */
/* settings.c, files.c, teach.c, train.c */
int cmd_set(Session *s, const Stmt *st, Diag *d);
int cmd_save(Session *s, const Stmt *st, Diag *d);
int cmd_trace(Session *s, const Stmt *st, Diag *d);
int cmd_sweep(Session *s, const Stmt *st, Diag *d);
/* plotcmd.c: plot f wrt x, plot L wrt p, q, plot S over X, y (SPEC section 9) */
int cmd_plot(Session *s, const Stmt *st, Diag *d);
int cmd_check(Session *s, const Stmt *st, Diag *d);    /* a failed check: E_OK, counted
                                                          in s->failed_checks */
int cmd_step(Session *s, const Stmt *st, Diag *d);
int cmd_train(Session *s, const Stmt *st, Diag *d);
/* vars: the optimizer's state of each parameter, a line each (train.c). */
void train_show_state(Session *s);
/* diff.c */
int cmd_diff(Session *s, const Stmt *st, Diag *d);     /* diff f wrt x [latex] */
int cmd_hessian(Session *s, const Stmt *st, Diag *d);  /* hessian f [wrt p, q] (hessian.c) */
/* jacobian.c */
int cmd_jacobian(Session *s, const Stmt *st, Diag *d); /* jacobian F [wrt p, ...] */

#endif
