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

/* The known word nearest to `word` (commands, functions, settings, help
 * topics and the session's names; kinds selects: 1 values/functions,
 * 2 settings, 4 help topics), or NULL when nothing is close. */
const char *help_suggest(Session *s, const char *word, int kinds);

/* The words completion offers besides the functions (op_info's fname):
 * commands and settings (NULL-ended). */
extern const char *const help_commands[];
extern const char *const help_settings[];

#endif
