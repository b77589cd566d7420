/* suggest.h: "did you mean ...?": the known word nearest to a misspelt
 * one.  Below the compiler and the commands, so that each may ask; the
 * word lists are the callers' (help's topics, the settings), except
 * suggest_name's, which come from the op table and the session. */
#ifndef BP_SUGGEST_H
#define BP_SUGGEST_H

#include "session.h"

/* A search in progress: the word asked about, the nearest candidate so
 * far (NULL: none close enough) and its distance. */
typedef struct Suggest { const char *word; const char *best; int dist; } Suggest;

/* Start a search for the word nearest to `word`. */
Suggest suggest_start(const char *word);
/* Consider one candidate.  Close enough: an edit distance (with
 * transpositions) of 1 for words of up to 4 letters, else 2; never for
 * words of 1 or 2 letters.  On a tie the first wins, unless a later one
 * has the word's length and the first has not (tahn: tanh, not tan). */
void suggest_word(Suggest *g, const char *cand);
/* Consider every word of the NULL-ended list `words`. */
void suggest_list(Suggest *g, const char *const *words);

/* The name nearest to `word` that a value or a call could mean: the
 * built-in functions (the op table's fnames: tanh, pow, zeros...), pi, e,
 * and the names s defines (s may be NULL).  NULL when nothing is close. */
const char *suggest_name(const Session *s, const char *word);

#endif
