/* timecmd.c: run a command several times and print its wall-clock times,
 * for machines without hyperfine.
 *
 * usage: timecmd [-r RUNS] [-w WARMUP] [-C DIR] -- COMMAND [ARG]...
 *
 * The command's standard output goes to /dev/null; its standard error is
 * kept.  Prints one line "median MEDIAN min MIN max MAX" in seconds, or
 * exits 1 (saying why) when the command fails once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/wait.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One run: seconds from fork to the child's exit, or -1 on failure. */
static double run(char **argv, const char *dir)
{
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) { perror("timecmd: fork"); return -1; }
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) dup2(fd, STDOUT_FILENO);
        if (dir && chdir(dir) != 0) { perror(dir); _exit(127); }
        execvp(argv[0], argv);
        fprintf(stderr, "timecmd: %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) { perror("timecmd: waitpid"); return -1; }
    double t = now() - t0;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "timecmd: %s exited with status %d\n", argv[0],
                WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        return -1;
    }
    return t;
}

int main(int argc, char **argv)
{
    int runs = 5, warm = 1, c;
    const char *dir = NULL;
    while ((c = getopt(argc, argv, "+r:w:C:")) != -1) {
        switch (c) {
        case 'r': runs = atoi(optarg); break;
        case 'w': warm = atoi(optarg); break;
        case 'C': dir = optarg; break;
        default: goto usage;
        }
    }
    if (optind < argc && !strcmp(argv[optind], "--")) optind++;
    if (optind >= argc || runs < 1 || warm < 0) goto usage;
    for (int i = 0; i < warm; i++)
        if (run(argv + optind, dir) < 0) return 1;
    double *t = malloc((size_t)runs * sizeof *t);
    for (int i = 0; i < runs; i++)
        if ((t[i] = run(argv + optind, dir)) < 0) return 1;
    qsort(t, (size_t)runs, sizeof *t, cmp);
    double med = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
    printf("median %.6f min %.6f max %.6f\n", med, t[0], t[runs - 1]);
    free(t);
    return 0;
usage:
    fprintf(stderr, "usage: timecmd [-r RUNS] [-w WARMUP] [-C DIR] -- COMMAND [ARG]...\n");
    return 2;
}
