/* help.h: the `help` command's pages, kept in step with the README and
 * bp.1. */
#ifndef BP_HELP_H
#define BP_HELP_H

#include "session.h"
#include "diag.h"

/* Print the overview (topic NULL) or one topic. */
int help_show(Session *s, const char *topic, const Loc *loc, Diag *d);

/* Is name a command word (grad, print, ...)? */
int help_is_command(const char *name);

/* The words completion offers besides the functions (op_info's fname):
 * commands and settings (NULL-ended). */
extern const char *const help_commands[];
extern const char *const help_settings[];

/* The i-th help topic's name ("grad", "tensors"), NULL past the last:
 * completion offers them after `help`. */
const char *help_topic(int i);

#endif
