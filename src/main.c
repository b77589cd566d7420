/* main.c: the command line.  Decides once whether the session is
 * interactive, runs scripts and -e statements in the order given, and
 * turns the outcome into an exit status: 0, 1 (a statement or check
 * failed), 2 (usage). */
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "repl.h"
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
"Exit status: 0 on success, 1 if a statement failed or a check failed,\n"
"2 on a usage error.  In the REPL, type help.\n");
}

/* A script on standard input: read it all, run it like a file (SPEC: no
 * prompt, no colour). */
static int run_stdin(Session *s)
{
    s->color = 0;
    char *buf = NULL;
    size_t len = 0, cap = 0, k;
    do {
        if (len == cap) {
            if (cap >= (size_t)1 << 28) {   /* as load: a script is not that big */
                fprintf(stderr, "<stdin>: error: the script on standard input is too large "
                                "(more than 256 MiB)\n");
                free(buf);
                return E_LIMIT;
            }
            buf = realloc(buf, cap = cap ? 2 * cap : 65536);
        }
        if (!buf) { fprintf(stderr, "bp: out of memory\n"); exit(3); }
        k = fread(buf + len, 1, cap - len, stdin);
        len += k;
    } while (k > 0);
    int rc = cmd_run_text(s, "<stdin>", buf, len, 1, 0);
    free(buf);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "eval", required_argument, NULL, 'e' },
        { "interactive", no_argument, NULL, 'i' },
        { "quiet", no_argument, NULL, 'q' },
        { "json", no_argument, NULL, 'J' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 }
    };
    argv[0] = "bp";   /* getopt's messages say bp:, not the build path */
    /* First pass: options that change how everything runs. */
    int interactive = 0, quiet = 0, json = 0, nwork = 0;
    int c;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "-e:iqhV", longopts, NULL)) != -1) {
        switch (c) {
        case 1: case 'e': nwork++; break;
        case 'i': interactive = 1; break;
        case 'q': quiet = 1; break;
        case 'J': json = 1; break;
        case 'h': usage(stdout); return 0;
        case 'V':
            printf("bp %s\nA calculator for the chain rule: backpropagation beside finite differences.\n",
                   PACKAGE_VERSION);
            return 0;
        default:
            fprintf(stderr, "Try 'bp --help' for more information.\n");
            return 2;
        }
    }

    Session *s = session_new();
    s->json = json;
    s->color = !json && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO) && !getenv("NO_COLOR");

    /* Second pass: run the work in order. */
    int failed = 0, tty = isatty(STDIN_FILENO);
    optind = 0;
    opterr = 0;
    while (!failed && !s->quit &&
           (c = getopt_long(argc, argv, "-e:iqhV", longopts, NULL)) != -1) {
        int rc = 0;
        if (c == 'e') {
            rc = cmd_run_text(s, "-e", optarg, strlen(optarg), 1, 0);
        } else if (c == 1 && strcmp(optarg, "-") == 0) {
            rc = run_stdin(s);
        } else if (c == 1) {
            struct stat sb;
            if (access(optarg, R_OK) != 0 || (stat(optarg, &sb) == 0 && S_ISDIR(sb.st_mode))) {
                fprintf(stderr, "bp: cannot open %s: %s\n", optarg,
                        access(optarg, R_OK) != 0 ? strerror(errno) : "Is a directory");
                session_free(s);
                return 2;
            }
            rc = cmd_run_file(s, optarg, NULL);
        }
        if (rc) failed = 1;
    }

    if (!s->quit && nwork == 0 && !tty && !interactive)
        failed = run_stdin(s) != 0;                   /* cmd | bp */
    else if (!s->quit && (nwork == 0 || interactive))
        repl_run(s, tty, !quiet && nwork == 0);       /* errors do not end it */
    int status = failed || s->failed_checks ? 1 : 0;
    fflush(stdout);
    session_free(s);
    return status;
}
