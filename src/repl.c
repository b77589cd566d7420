/* repl.c: the prompt.
 *
 * Readline is used through its callback interface: the loop waits in
 * select() for input, so a Ctrl-C (SIGINT sets a flag) can clear the line
 * and show a new prompt without jumping out of a signal handler.  The same
 * flag abandons a running computation (commands check bp_interrupted).
 *
 * A statement that ends inside brackets or after an operator is incomplete:
 * the parser says "unexpected end of input", and the loop reads another
 * line with the continuation prompt (as Lua's REPL does). */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>
#include <readline/readline.h>
#include <readline/history.h>
#include "repl.h"
#include "commands.h"
#include "run.h"
#include "help.h"
#include "report.h"
#include "ops.h"
#include "xalloc.h"

extern volatile sig_atomic_t bp_interrupted;

static const char PROMPT[] = "bp> ", CONT[] = "..> ";

/* ---- the statement being typed -------------------------------------- */

typedef struct Pending {
    char *buf;
    size_t len, cap;
    int first_line;          /* line number of its first line */
    int nlines;
    int depth;               /* brackets open so far (a quick scan, see open_after) */
} Pending;

/* A quick scan of one line, so that a statement spread over many lines is
 * not parsed again at every line (that would be quadratic): the brackets it
 * leaves open (strings and comments skipped), and whether its last token is
 * one after which a newline continues the statement (an operator, =, :=,
 * ',', wrt).  Only when neither holds is the text worth parsing. */
static int open_after(const char *line, size_t n, int *depth)
{
    int cont = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c == '#') break;
        if (c == '"') {
            while (++i < n && line[i] != '"') ;
            cont = 0;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') continue;
        if (c == '(' || c == '[') (*depth)++;
        else if ((c == ')' || c == ']') && *depth > 0) (*depth)--;
        cont = strchr("+-*/@^<>=,!:", c) != NULL && c != '\0';
        if (!cont && i + 3 <= n && !strncmp(line + i, "wrt", 3) &&
            (i == 0 || !(isalnum((unsigned char)line[i - 1]) || line[i - 1] == '_')) &&
            (i + 3 == n || !(isalnum((unsigned char)line[i + 3]) || line[i + 3] == '_'))) {
            i += 2;
            cont = 1;
        } else if (isalnum(c) || c == '_' || c == '.') {
            cont = 0;
        }
    }
    return *depth > 0 || cont;
}

static void pending_add(Pending *p, const char *line, size_t n)
{
    if (p->len + n + 2 > p->cap) {
        p->cap = (p->len + n + 2) * 2;
        p->buf = xrealloc(p->buf, p->cap);
    }
    memcpy(p->buf + p->len, line, n);
    p->len += n;
    p->buf[p->len++] = '\n';
    p->buf[p->len] = '\0';
    p->nlines++;
}

static void pending_reset(Pending *p, int next_line)
{
    p->len = 0;
    p->nlines = 0;
    p->depth = 0;
    p->first_line = next_line;
    if (p->buf) p->buf[0] = '\0';
}

/* Feed one line (n bytes: a NUL inside is kept, for the lexer to refuse).
 * Returns 1 while the statement is incomplete.  *failed keeps the kind of
 * the first statement that failed. */
static int feed(Session *s, Pending *p, const char *line, size_t n, int *failed)
{
    pending_add(p, line, n);
    if (open_after(line, n, &p->depth))
        return 1;               /* surely incomplete: no need to parse yet */
    bp_interrupted = 0;         /* a Ctrl-C that stopped the last statement is spent */
    int rc = run_text(s, "<stdin>", p->buf, p->len, p->first_line, 1);
    if (rc == S_INCOMPLETE)
        return 1;
    if (rc && !*failed) *failed = rc;
    s->line = p->first_line + p->nlines;
    pending_reset(p, s->line);
    return 0;
}

/* ---- history --------------------------------------------------------- */

const char *repl_history_path(char *buf, size_t n)
{
    const char *v = getenv("BP_HISTORY");
    if (v && *v) { snprintf(buf, n, "%s", v); return buf; }
    v = getenv("XDG_STATE_HOME");
    if (v && *v) {
        snprintf(buf, n, "%s/bp", v);
        mkdir(buf, 0700);   /* may exist already */
        snprintf(buf, n, "%s/bp/history", v);
        return buf;
    }
    v = getenv("HOME");
    if (v && *v) { snprintf(buf, n, "%s/.bp_history", v); return buf; }
    return NULL;
}

/* ---- completion ------------------------------------------------------ */

static Session *cur;
static int completing_settings;
static int completing_help;       /* after `help `: topics, commands, functions, settings */

/* The idx-th word after `help `: "" to skip, NULL at the end. */
static const char *help_word(int idx)
{
    static int ntopics = -1, ncmds, nsets;
    if (ntopics < 0) {
        for (ntopics = 0; help_topic(ntopics); ntopics++) {}
        for (ncmds = 0; help_commands[ncmds]; ncmds++) {}
        for (nsets = 0; help_settings[nsets]; nsets++) {}
    }
    if (idx < ntopics) return help_topic(idx);
    idx -= ntopics;
    if (idx < ncmds) {     /* a command that is also a topic is offered once */
        for (int k = 0; k < ntopics; k++)
            if (!strcmp(help_topic(k), help_commands[idx])) return "";
        return help_commands[idx];
    }
    idx -= ncmds;
    if (idx < nsets) return help_settings[idx];
    idx -= nsets;
    if (idx < OP_COUNT) return op_info[idx].fname && !help_is_command(op_info[idx].fname)
                               ? op_info[idx].fname : "";
    return NULL;
}

/* The idx-th word of list 1, the functions of the op list (a command
 * word such as dot is offered once, as a command): "" to skip, NULL at
 * the end. */
static const char *function_word(int idx)
{
    if (idx >= OP_COUNT) return NULL;
    const char *w = op_info[idx].fname;
    return w && !help_is_command(w) ? w : "";
}

static char *generator(const char *text, int state)
{
    static int list, idx;
    static Entry *ent;
    static size_t slot;
    size_t len = strlen(text);
    if (!state) { list = completing_settings ? 2 : 0; idx = 0; ent = NULL; slot = 0; }
    if (completing_help) {
        for (const char *w; (w = help_word(idx)) != NULL;) {
            idx++;
            if (*w && strncmp(w, text, len) == 0) return xstrdup(w);
        }
        return NULL;
    }
    while (list < 3) {
        const char *w = list == 0 ? help_commands[idx] : list == 1 ? function_word(idx)
                      : help_settings[idx];
        if (w && !*w) { idx++; continue; }
        if (!w) {
            if (completing_settings) return NULL;
            list++; idx = 0;
            if (list == 2) break;   /* settings only after `set` */
            continue;
        }
        idx++;
        if (strncmp(w, text, len) == 0) return xstrdup(w);
    }
    if (completing_settings) return NULL;
    /* session names */
    while (slot < cur->cap) {
        Entry *e = cur->tab[slot++];
        (void)ent;
        if (e && e->kind != ENT_UNDEF && strncmp(e->name, text, len) == 0)
            return xstrdup(e->name);
    }
    return NULL;
}

static char **complete(const char *text, int start, int end)
{
    (void)end;
    const char *line = rl_line_buffer;
    while (*line == ' ') line++;
    int first_word = (int)(line - rl_line_buffer) >= start;
    if (!strncmp(line, "load", 4) || !strncmp(line, "save", 4)) {
        if (!first_word) return NULL;   /* file names (Readline's default) */
    }
    completing_settings = !first_word && !strncmp(line, "set ", 4);
    completing_help = !first_word && !strncmp(line, "help ", 5);
    rl_attempted_completion_over = 1;
    char **m = rl_completion_matches(text, generator);
    /* one function: its "(" instead of a space (sig -> "sigmoid(") */
    int ar;
    if (m && !m[1] && !completing_help && op_lookup_function(m[0], &ar) >= 0
        && !(first_word && help_is_command(m[0])))
        rl_completion_append_character = '(';
    return m;
}

/* ---- the loop -------------------------------------------------------- */

static void on_sigint(int sig)
{
    (void)sig;
    bp_interrupted = 1;
}

static Pending pend;
static int failed, done;
static Session *sess;

/* History is saved as each line is entered (SPEC 5: a closed terminal
 * loses none of it), and the file kept to its last HISTORY_MAX lines. */
enum { HISTORY_MAX = 1000 };
static const char *hist_path;
static int hist_warned;

static void history_save(const char *line)
{
    add_history(line);
    if (!hist_path) return;
    int err = access(hist_path, F_OK) == 0 ? append_history(1, hist_path)
                                           : write_history(hist_path);
    if (!err) err = history_truncate_file(hist_path, HISTORY_MAX);
    if (err && !hist_warned) {   /* once: the session goes on without it */
        diag_warn(stderr, "cannot save history to %s: %s", hist_path, strerror(err));
        hist_warned = 1;
    }
}

static void on_line(char *line);

static void stop_loop(void)
{
    done = 1;
    rl_callback_handler_remove();
}

/* After Ctrl-D, Readline 8.1 and later (with bracketed paste, the
 * default) end the line themselves, and go on doing so at the end of
 * every later line while rl_eof_found stays set: a blank line after each
 * one.  Returns whether Readline ended this line, and clears the flag. */
static int repl_eof_newline(void)
{
#if defined(RL_READLINE_VERSION) && RL_READLINE_VERSION >= 0x0801
    const char *bp = rl_variable_value("enable-bracketed-paste");
    int ended = rl_eof_found && bp && strcmp(bp, "on") == 0;
    rl_eof_found = 0;
    return ended;
#else
    return 0;
#endif
}

/* The answer to "drop the unfinished statement and quit?": y (or Ctrl-D
 * again, or the input gone) quits; anything else goes back to the
 * statement, which is kept. */
static void on_answer(char *line)
{
    int yes = !line || line[0] == 'y' || line[0] == 'Y';
    if (!line && !repl_eof_newline()) putchar('\n');
    free(line);
    if (yes) { stop_loop(); return; }
    rl_callback_handler_remove();
    rl_callback_handler_install(CONT, on_line);
}

static void on_line(char *line)
{
    if (!line) {                /* Ctrl-D */
        if (!pend.len) {
            if (!repl_eof_newline()) putchar('\n');
            stop_loop();
            return;
        }
        /* inside a statement: ask before dropping it (SPEC 5) */
        char ask[160];
        snprintf(ask, sizeof ask, "drop the unfinished statement (%d line%s, from line %d) "
                 "and quit? [y/N] ", pend.nlines, pend.nlines == 1 ? "" : "s", pend.first_line);
        if (!repl_eof_newline()) putchar('\n');
        rl_callback_handler_remove();
        rl_callback_handler_install(ask, on_answer);
        return;
    }
    if (*line) history_save(line);
    int more = feed(sess, &pend, line, strlen(line), &failed);
    free(line);
    if (sess->quit) {
        stop_loop();
        return;
    }
    rl_set_prompt(more ? CONT : PROMPT);
}

static int readline_loop(Session *s)
{
    char hist[4096];
    hist_path = repl_history_path(hist, sizeof hist);
    using_history();
    if (hist_path) read_history(hist_path);
    stifle_history(HISTORY_MAX);

    rl_readline_name = "bp";
    rl_attempted_completion_function = complete;
    rl_basic_word_break_characters = " \t\n\"\\'`@$><=;|&{(,+-*/^)]";
    cur = sess = s;

    struct sigaction sa = { 0 };
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);   /* no SA_RESTART: select() returns EINTR */

    pending_reset(&pend, s->line);
    rl_callback_handler_install(PROMPT, on_line);
    while (!done) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(fileno(rl_instream), &fds);
        int r = select(fileno(rl_instream) + 1, &fds, NULL, NULL, NULL);
        if (r < 0 && errno == EINTR) {
            if (bp_interrupted) {
                /* Ctrl-C: abandon the line (and a pending statement) */
                bp_interrupted = 0;
                rl_free_line_state();
                rl_callback_sigcleanup();
                rl_replace_line("", 0);
                rl_crlf();
                pending_reset(&pend, s->line);
                rl_callback_handler_remove();
                rl_callback_handler_install(PROMPT, on_line);
            }
            continue;
        }
        if (r < 0) break;
        rl_callback_read_char();
    }
    rl_callback_handler_remove();
    hist_path = NULL;
    free(pend.buf);
    pend.buf = NULL;
    return failed;
}

/* One line of at most MAX_LINE bytes (a NUL inside is kept): its length,
 * or LINE_EOF at the end of the input, LINE_TOO_LONG for a longer line
 * (endless input). */
enum { MAX_LINE = 1 << 28, LINE_EOF = -1, LINE_TOO_LONG = -2 };
static ssize_t read_line(char **line, size_t *cap)
{
    size_t n = 0;
    int c;
    while ((c = getchar()) != EOF) {
        if (n + 2 > *cap) {
            if (*cap >= MAX_LINE) return LINE_TOO_LONG;
            *cap = *cap ? 2 * *cap : 256;
            *line = xrealloc(*line, *cap);
        }
        (*line)[n++] = (char)c;
        if (c == '\n') break;
    }
    if (c == EOF && n == 0) return LINE_EOF;
    (*line)[n] = '\0';
    return (ssize_t)n;
}

static int plain_loop(Session *s, int prompts)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    pending_reset(&pend, s->line);
    int more = 0;
    for (;;) {
        if (prompts) { fputs(more ? CONT : PROMPT, stdout); fflush(stdout); }
        if ((n = read_line(&line, &cap)) == LINE_TOO_LONG) {
            Diag d = { 0 };
            diag_set(&d, E_LIMIT, NULL, "line %d of standard input is too long "
                     "(more than 256 MiB): stopped reading", pend.first_line + pend.nlines);
            report_error(s, &d);
            if (!failed) failed = d.kind;
            more = 0;
            break;
        }
        if (n == LINE_EOF) break;
        if (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
        more = feed(s, &pend, line, (size_t)n, &failed);
        if (s->quit) break;
    }
    if (more && !s->quit) {   /* the input ended inside a statement */
        int rc = run_text(s, "<stdin>", pend.buf, pend.len, pend.first_line, 0);
        if (!failed) failed = rc ? rc : E_SYNTAX;
    }
    free(line);
    free(pend.buf);
    pend.buf = NULL;
    return failed;
}

int repl_run(Session *s, int tty, int banner)
{
    if (banner && tty)
        printf("bp %s: the chain rule, computed.  Type help for help, quit to leave.\n",
               PACKAGE_VERSION);
    failed = E_OK;
    return tty ? readline_loop(s) : plain_loop(s, 0);
}
