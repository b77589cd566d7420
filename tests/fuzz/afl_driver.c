/* afl_driver.c: run the libFuzzer target (bp_fuzz.c) under AFL++.
 *
 *   afl-fuzz -i tests/fuzz/corpus -o OUT -- tests/fuzz/bp_afl
 *
 * Built with afl-clang-fast it runs in AFL++'s persistent, shared-memory
 * mode (many inputs per process, no file written per input).  To reproduce
 * a crash, `tests/fuzz/bp_afl FILE` runs one input from a file; without an
 * argument and outside afl-fuzz it reads one input from standard input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX = 64 * 1024 + 1 };   /* one byte over bp_fuzz.c's limit */

static int run_file(FILE *f)
{
    static uint8_t buf[MAX];
    size_t n = 0, k;
    while (n < MAX && (k = fread(buf + n, 1, MAX - n, f)) > 0)
        n += k;
    LLVMFuzzerTestOneInput(buf, n);
    return 0;
}

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#endif

int main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
    if (argc > 1) {
        FILE *f = fopen(argv[1], "rb");
        if (!f) { perror(argv[1]); return 2; }
        run_file(f);
        fclose(f);
        return 0;
    }
#ifdef __AFL_FUZZ_TESTCASE_LEN
    __AFL_INIT();
    unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;
    while (__AFL_LOOP(10000))
        LLVMFuzzerTestOneInput(buf, (size_t)__AFL_FUZZ_TESTCASE_LEN);
    return 0;
#else
    return run_file(stdin);
#endif
}
