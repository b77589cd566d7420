/* repl.h: the interactive loop.  Readline hides behind this module; when
 * stdin is not a terminal a plain fgets loop takes its place. */
#ifndef BP_REPL_H
#define BP_REPL_H

#include "session.h"

/* Read statements until quit or end of input.  tty: use Readline (line
 * editing, history saved as each line is entered, completion) and
 * prompts; Ctrl-D inside a statement asks before dropping it.  Returns
 * E_OK, or the kind of the first statement that failed (reported). */
int repl_run(Session *s, int tty, int banner);

/* Where history is kept: $BP_HISTORY, $XDG_STATE_HOME/bp/history, or
 * ~/.bp_history.  Writes into buf; returns NULL if there is no home. */
const char *repl_history_path(char *buf, size_t n);

#endif
