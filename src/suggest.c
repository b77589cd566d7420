/* suggest.c: "did you mean ...?" (suggest.h). */
#include <string.h>
#include "suggest.h"
#include "ops.h"

/* Edit distance with transpositions (optimal string alignment); words are short. */
static int distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 30 || lb > 30) return 99;
    int d[32][32];
    for (int i = 0; i <= la; i++) d[i][0] = i;
    for (int j = 0; j <= lb; j++) d[0][j] = j;
    for (int i = 1; i <= la; i++)
        for (int j = 1; j <= lb; j++) {
            int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < c)
                c = d[i - 2][j - 2] + 1;   /* a transposition: tahn, tanh */
            d[i][j] = c;
        }
    return d[la][lb];
}

Suggest suggest_start(const char *word)
{
    return (Suggest){ word, NULL, 99 };
}

void suggest_word(Suggest *g, const char *cand)
{
    const char *word = g->word;
    if (strcmp(word, cand) == 0) return;
    size_t len = strlen(word);
    if (len <= 2) return;            /* x -> e helps nobody */
    int dd = distance(word, cand);
    int lim = len <= 4 ? 1 : 2;
    /* on a tie, prefer the candidate as long as the word (tahn: tanh, not tan) */
    if (dd <= lim && (dd < g->dist || (dd == g->dist && strlen(cand) == strlen(word) &&
                                       strlen(g->best) != strlen(word)))) {
        g->dist = dd;
        g->best = cand;
    }
}

void suggest_list(Suggest *g, const char *const *words)
{
    for (int i = 0; words[i]; i++) suggest_word(g, words[i]);
}

const char *suggest_name(const Session *s, const char *word)
{
    static const char *const extra[] = { "pi", "e", NULL };
    Suggest g = suggest_start(word);
    for (int i = 0; i < OP_COUNT; i++)   /* the functions (pow, dot, zeros...), in the table's order */
        if (op_info[i].fname) suggest_word(&g, op_info[i].fname);
    suggest_list(&g, extra);
    for (const Entry *e = s ? s->first : NULL; e; e = e->next) suggest_word(&g, e->name);
    return g.best;
}
