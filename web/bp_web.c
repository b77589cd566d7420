/* bp_web.c: the browser's entry point, in place of main.c and repl.c.
 *
 * The page (web/term.js) does the line editing; it hands over one line at
 * a time to web_line, which runs the same statement loop as the REPL's
 * plain loop: the line joins the pending text, run_text parses it with
 * allow_incomplete, and S_INCOMPLETE means "show the continuation prompt
 * and read on".  Output goes to stdout/stderr as in the terminal; the page
 * receives the bytes (web/pre.js).
 *
 * Interruption: see web_hooks.h.  web_poll is called wherever the C code
 * reads bp_interrupted; at most every YIELD_MS it yields to the browser
 * (emscripten_sleep(0) under Asyncify), so the page can draw the output so
 * far and a Ctrl-C keypress can write 1 into the flag (its address comes
 * from web_flag).  Every export that can reach web_poll is called from
 * JavaScript with ccall(..., {async: true}), one at a time. */
#include <dirent.h>
#include <emscripten.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "commands.h"
#include "run.h"
#include "help.h"
#include "ops.h"
#include "session.h"
#include "xalloc.h"

/* bp_interrupted is a macro here too (web_hooks.h): the flag itself. */
static volatile sig_atomic_t web_flag_value;

enum { YIELD_MS = 50 };
static double web_last_yield, web_last_check;
static unsigned web_calls, web_every = 1;

volatile sig_atomic_t *web_poll(void)
{
    /* Reading the clock is a call into JavaScript (about 0.4 us, as much
     * as a small train step): while polls come fast, read it only every
     * web_every polls, keeping that at a millisecond or two. */
    if (++web_calls < web_every) return &web_flag_value;
    web_calls = 0;
    double now = emscripten_get_now();
    if (now - web_last_check < 1 && web_every < 4096) web_every *= 2;
    else if (now - web_last_check > 5) web_every = 1;
    web_last_check = now;
    if (now - web_last_yield >= YIELD_MS) {
        fflush(stdout);
        emscripten_sleep(0);        /* the page runs: drawing, keys */
        web_last_yield = web_last_check = emscripten_get_now();
    }
    return &web_flag_value;
}

/* The address JavaScript writes 1 into on Ctrl-C (an int in wasm32). */
EMSCRIPTEN_KEEPALIVE
volatile sig_atomic_t *web_flag(void)
{
    return &web_flag_value;
}

/* ---- the terminal's size ---------------------------------------------
 * report.c asks ioctl(TIOCGWINSZ) how wide the terminal is; Emscripten
 * 3.1's syscall answers "yes" without filling the struct.  This ioctl
 * (the program's own definition wins over libc's at static link time)
 * answers with the size of the page's terminal. */
static int web_cols = 80, web_rows = 24;

EMSCRIPTEN_KEEPALIVE
void web_resize(int cols, int rows)
{
    if (cols > 0) web_cols = cols;
    if (rows > 0) web_rows = rows;
}

int ioctl(int fd, int req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (req == TIOCGWINSZ && (fd == STDOUT_FILENO || fd == STDERR_FILENO) && arg) {
        struct winsize *ws = arg;
        memset(ws, 0, sizeof *ws);
        ws->ws_col = (unsigned short)web_cols;
        ws->ws_row = (unsigned short)web_rows;
        return 0;
    }
    errno = ENOTTY;
    return -1;
}

/* The page runs no programs: `dot f "f.svg"` (Graphviz) says it cannot
 * run dot; `dot f` shows the DOT text, which the page also puts in its
 * DOT panel.  Emscripten's libc has no posix_spawnp at all. */
int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    return ENOSYS;
}

/* ---- the session and the statement being typed ------------------------ */

static Session *web_sess;
static char *pend;                 /* the lines of an incomplete statement */
static size_t pend_len, pend_cap;
static int pend_first, pend_lines;

static void web_pending_reset(void)
{
    pend_len = 0;
    pend_lines = 0;
    pend_first = web_sess->line;
    if (pend) pend[0] = '\0';
}

static void web_new_session(void)
{
    web_sess = session_new();
    web_sess->color = 1;                     /* xterm.js shows ANSI colours */
    /* The page's memory is the tab's: a smaller default limit, so that a
     * huge tensor is refused with the usual message instead of the tab
     * running out of memory (set maxmem raises it). */
    web_sess->set.maxmem = 1024;
    web_pending_reset();
}

/* Start bp: the session and the banner.  cols/rows: the terminal. */
EMSCRIPTEN_KEEPALIVE
int web_start(int cols, int rows)
{
    web_resize(cols, rows);
    if (chdir("/home/bp") != 0) perror("bp: /home/bp");
    /* Emscripten's umask starts at 0777 (emscripten_syscall_stubs.c): the
     * files save made (0666 & ~umask, as a new file would be) had mode 0,
     * and load could not read them ("Permission denied").  022, as at a
     * terminal. */
    umask(022);
    web_new_session();
    printf("bp %s: the chain rule, computed.  Type help for help; the examples "
           "are in this folder: load \"neuron.bp\".\n", PACKAGE_VERSION);
    fflush(stdout);
    return 0;
}

/* One line typed at the prompt (without its newline).  Returns 0 when a
 * statement was run (or failed), 1 when the statement goes on (show the
 * continuation prompt), 2 when `quit` ended the session (a new one has
 * started). */
EMSCRIPTEN_KEEPALIVE
int web_line(const char *line)
{
    size_t n = strlen(line);
    if (pend_len + n + 2 > pend_cap) {
        pend_cap = (pend_len + n + 2) * 2;
        pend = xrealloc(pend, pend_cap);
    }
    memcpy(pend + pend_len, line, n);
    pend_len += n;
    pend[pend_len++] = '\n';
    pend[pend_len] = '\0';
    pend_lines++;
    web_flag_value = 0;
    web_last_yield = web_last_check = emscripten_get_now();
    web_calls = 0;
    web_every = 1;
    int rc = run_text(web_sess, "<stdin>", pend, pend_len, pend_first, 1);
    web_flag_value = 0;
    fflush(stdout);
    fflush(stderr);
    if (rc == S_INCOMPLETE) return 1;
    web_sess->line = pend_first + pend_lines;
    web_pending_reset();
    if (web_sess->quit) {
        session_free(web_sess);
        printf("(quit: that session is over; a new one starts)\n");
        fflush(stdout);
        web_new_session();
        return 2;
    }
    return 0;
}

/* Ctrl-C at the prompt: forget the statement being typed. */
EMSCRIPTEN_KEEPALIVE
void web_cancel(void)
{
    web_pending_reset();
}

/* ---- completion --------------------------------------------------------
 * The REPL's rules (repl.c): the word before the cursor, broken at
 * Readline's characters; commands and functions, then the session's
 * names; only settings after `set`; file names after load/save. */

static const char WORD_BREAKS[] = " \t\n\"\\'`@$><=;|&{(,+-*/^)]";
static char *comp;
static size_t comp_len, comp_cap;

static void web_comp_add(const char *w)
{
    size_t n = strlen(w);
    if (comp_len + n + 2 > comp_cap) {
        comp_cap = (comp_len + n + 2) * 2;
        comp = xrealloc(comp, comp_cap);
    }
    memcpy(comp + comp_len, w, n);
    comp_len += n;
    comp[comp_len++] = '\n';
    comp[comp_len] = '\0';
}

/* The candidates for completing line at byte offset cursor: a text whose
 * first line is the offset where the completed word starts, then one
 * candidate a line (possibly none).  Valid until the next call. */
EMSCRIPTEN_KEEPALIVE
const char *web_complete(const char *line, int cursor)
{
    int len = (int)strlen(line);
    if (cursor < 0 || cursor > len) cursor = len;
    int start = cursor;
    while (start > 0 && !strchr(WORD_BREAKS, line[start - 1])) start--;
    const char *text = line + start;
    size_t tlen = (size_t)(cursor - start);
    char head[32];
    snprintf(head, sizeof head, "%d", start);
    comp_len = 0;
    web_comp_add(head);

    const char *p = line;
    while (*p == ' ') p++;
    int first_word = (int)(p - line) >= start;
    if (!first_word && (!strncmp(p, "load", 4) || !strncmp(p, "save", 4))) {
        DIR *dir = opendir(".");
        struct dirent *de;
        while (dir && (de = readdir(dir)))
            if (de->d_name[0] != '.' && !strncmp(de->d_name, text, tlen))
                web_comp_add(de->d_name);
        if (dir) closedir(dir);
        return comp;
    }
    int settings = !first_word && !strncmp(p, "set ", 4);
    const char *const *lists[] = { help_commands, help_settings };
    for (int l = settings ? 1 : 0; l < (settings ? 2 : 1); l++)
        for (int i = 0; lists[l][i]; i++)
            if (!strncmp(lists[l][i], text, tlen)) web_comp_add(lists[l][i]);
    for (int i = 0; !settings && i < OP_COUNT; i++)   /* the functions, from the op list */
        if (op_info[i].fname && !strncmp(op_info[i].fname, text, tlen)) web_comp_add(op_info[i].fname);
    if (!settings)
        for (size_t k = 0; k < web_sess->cap; k++) {
            Entry *e = web_sess->tab[k];
            if (e && e->kind != ENT_UNDEF && !strncmp(e->name, text, tlen))
                web_comp_add(e->name);
        }
    return comp;
}
