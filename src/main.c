/* main.c: the command line.  Decides once whether the session is
 * interactive, runs scripts and -e statements in the order given, and
 * turns the outcome into an exit status by the kind of the error that
 * stopped it (diag_exit_status): 0, 1 (a statement or check failed, or
 * standard output could not be written), 2 (the command line), 3 (memory).
 * Its own errors go through a Diag like every other, so --json shows them. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmdutil.h"
#include "commands.h"
#include "run.h"
#include "repl.h"
#include "report.h"
#include "session.h"

static void usage(FILE *f)
{
    fprintf(f,
"Usage: bp [OPTION]... [FILE.bp]...\n"
"A calculator for the chain rule: expressions become a computation graph;\n"
"`grad f` computes every partial derivative by backpropagation and shows it\n"
"beside finite-difference estimates.\n"
"\n"
"With no FILE and a terminal on standard input, bp is interactive.\n"
"Files and -e statements run in the order given; FILE - reads standard input.\n"
"\n"
"  -e, --eval=STATEMENTS  run STATEMENTS (repeatable)\n"
"  -i, --interactive      stay interactive after running files and -e\n"
"  -q, --quiet            no banner\n"
"      --json             print every result as one JSON object per line\n"
"  -h, --help             show this help and exit\n"
"  -V, --version          show the version and exit\n"
"\n"
"Exit status: 0 on success, 1 if a statement failed, a check failed or\n"
"standard output could not be written, 2 on a usage error.  In the REPL,\n"
"type help.\n");
}

/* A script on standard input: read it all, run it like a file (SPEC: no
 * prompt, no colour).  Returns E_OK or the kind of the error that stopped
 * it (reported). */
static int run_stdin(Session *s)
{
    s->color = 0;
    char *buf = NULL;
    size_t len = 0, cap = 0, k;
    Diag d = { 0 };
    do {
        if (len == cap) {
            if (cap >= (size_t)1 << 28) {   /* as load: a script is not that big */
                free(buf);
                diag_set(&d, E_LIMIT, NULL, "the script on standard input is too large "
                                            "(more than 256 MiB)");
                report_error(s, &d);
                return d.kind;
            }
            char *more = realloc(buf, cap = cap ? 2 * cap : 65536);
            if (!more) {
                free(buf);
                diag_set(&d, E_MEMORY, NULL, "out of memory reading the script on standard input");
                report_error(s, &d);
                return d.kind;
            }
            buf = more;
        }
        k = fread(buf + len, 1, cap - len, stdin);
        len += k;
    } while (k > 0);
    int rc = run_text(s, "<stdin>", buf, len, 1, 0);
    free(buf);
    return rc;
}

/* getopt's own message for the option just refused (opterr = 0, so that
 * it goes through a Diag and --json sees it too).  c: '?' or ':'. */
static void option_error(Diag *d, int c, char **argv, const struct option *longopts)
{
    const char *arg = argv[optind - 1];
    int is_long = strncmp(arg, "--", 2) == 0;
    if (c == ':' && is_long) {
        int n = (int)strcspn(arg, "=");
        diag_set(d, E_USAGE, NULL, "option '%.*s' requires an argument", n, arg);
    } else if (c == ':') {
        diag_set(d, E_USAGE, NULL, "option requires an argument -- '%c'", optopt);
    } else if (optopt == 0) {
        diag_set(d, E_USAGE, NULL, "unrecognized option '%s'", arg);
    } else {
        /* a known option's value: only its long form can fail, with
         * an argument it does not take (the short ones never come here) */
        const struct option *o = longopts;
        while (o->name && o->val != optopt) o++;
        if (o->name)
            diag_set(d, E_USAGE, NULL, "option '--%s' doesn't allow an argument", o->name);
        else
            diag_set(d, E_USAGE, NULL, "invalid option -- '%c'", optopt);
    }
    diag_note(d, "Try 'bp --help' for more information.");
    d->cmdline = 1;
}

/* An error of the command line: reported (with {"error": ...} in --json)
 * through a session made for it if there is none yet. */
static void cmdline_report(Session *s, int json, Diag *d)
{
    Session *own = s ? NULL : (s = session_new());
    s->json = json;
    d->cmdline = 1;
    report_error(s, d);
    if (own) session_free(own);
}

/* Standard output closed under us (bp ... | head): stop what runs, as
 * Ctrl-C does, and let the write error end bp with status 1 and a message
 * (SPEC 5) instead of dying of SIGPIPE (status 141) in the middle. */
static void on_sigpipe(int sig)
{
    (void)sig;
    bp_interrupted = 1;
}

/* Leave with status: standard output flushed and closed first, since a
 * write error there (a full disk, a closed pipe) fails bp too (SPEC 5),
 * with a message unless a run reported it already. */
static int leave(int status, int reported)
{
    Diag d = { 0 };
    int rc = diag_check_output(stdout, "standard output", &d);
    if (fclose(stdout) != 0 && !rc)
        rc = diag_set(&d, E_IO, NULL, "cannot write to standard output: %s", strerror(errno));
    if (rc && !reported)
        diag_print(stderr, &d, 0);
    return rc && !status ? diag_exit_status(rc) : status;
}

int main(int argc, char **argv)
{
    enum { OPT_JSON = 256 };   /* no short form */
    static const struct option longopts[] = {
        { "eval", required_argument, NULL, 'e' },
        { "interactive", no_argument, NULL, 'i' },
        { "quiet", no_argument, NULL, 'q' },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 }
    };
    static const char shortopts[] = "-:e:iqhV";   /* -: in order, ':' for a missing argument */
    argv[0] = "bp";
    /* First pass: options that change how everything runs.  The whole
     * line is read even after a bad option, so that --json anywhere
     * shapes the error; --help and --version act only before one. */
    int interactive = 0, quiet = 0, json = 0, nwork = 0;
    int c;
    Diag bad = { 0 };
    opterr = 0;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        switch (c) {
        case 1: case 'e': nwork++; break;
        case 'i': interactive = 1; break;
        case 'q': quiet = 1; break;
        case OPT_JSON: json = 1; break;
        case 'h':
            if (bad.kind) break;
            usage(stdout);
            return leave(0, 0);
        case 'V':
            if (bad.kind) break;
            printf("bp %s\nA calculator for the chain rule: backpropagation beside finite differences.\n",
                   PACKAGE_VERSION);
            return leave(0, 0);
        default:
            if (!bad.kind) option_error(&bad, c, argv, longopts);
        }
    }
    if (bad.kind) {
        cmdline_report(NULL, json, &bad);
        return leave(EXIT_CMDLINE, 0);
    }

    struct sigaction pipe_sa = { 0 };
    pipe_sa.sa_handler = on_sigpipe;
    sigemptyset(&pipe_sa.sa_mask);
    sigaction(SIGPIPE, &pipe_sa, NULL);
    Session *s = session_new();
    s->json = json;
    s->color = !json && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO) && !getenv("NO_COLOR");

    /* Second pass: run the work in order; the first failure stops it and
     * its kind decides the exit status. */
    int failed = E_OK, tty = isatty(STDIN_FILENO);
    optind = 0;
    while (!failed && !s->quit &&
           (c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (c == 'e') {
            failed = run_text(s, "-e", optarg, strlen(optarg), 1, 0);
        } else if (c == 1 && strcmp(optarg, "-") == 0) {
            failed = run_stdin(s);
        } else if (c == 1) {
            struct stat sb;
            int err = access(optarg, R_OK) != 0 ? errno
                    : stat(optarg, &sb) == 0 && S_ISDIR(sb.st_mode) ? EISDIR : 0;
            if (err) {
                Diag d = { 0 };
                diag_set(&d, E_IO, NULL, "cannot open %s: %s", optarg, strerror(err));
                cmdline_report(s, json, &d);
                session_free(s);
                return leave(EXIT_CMDLINE, 0);
            }
            failed = run_file(s, optarg, NULL);
        }
    }

    if (!s->quit && nwork == 0 && !tty && !interactive) {
        failed = run_stdin(s);                        /* cmd | bp */
    } else if (!s->quit && (nwork == 0 || interactive)) {
        /* Errors typed at a terminal do not count; a script piped in
         * after -i is a script, and its failures do (SPEC 5). */
        int rc = repl_run(s, tty, !quiet && nwork == 0);
        if (!tty && !failed) failed = rc;
    }
    int status = failed ? diag_exit_status(failed) : s->failed_checks || s->write_failed ? 1 : 0;
    int reported = s->write_failed;
    session_free(s);
    return leave(status, reported);
}
