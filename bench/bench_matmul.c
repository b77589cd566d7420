/* bench_matmul.c: bp's side of bench/compare/blas_compare.py (matrix
 * products against NumPy and PyTorch), and the matrix-product kernels alone.
 *
 *   bench_matmul mm N SECS    one training step of L = sum(A @ B), A and B
 *                             N x N parameters
 *   bench_matmul mlp SECS     one step of a 784-256-10 ReLU MLP with
 *                             cross_entropy on a batch of 128 (X, Y const)
 *   bench_matmul kernel       GFLOP/s of gemm_mul (this build's: CBLAS or
 *                             the C kernel) and of gemm_mul_c, N = 64 .. 512
 *
 * A step is what `train` does (src/train.c): forward, backward, and
 * p -= lr dp for every non-const parameter.  The values are not random:
 * entry i (row-major) of each matrix is a fixed formula (sin(0.37 i) ...),
 * the one blas_compare.py uses, so the three programs start from the same
 * loss, which each prints.  mm and mlp print one line,
 * `RESULT ms_per_step=T loss0=L`: T is the best of 3 batches of steps, each
 * batch at least SECS/3 long. */
#include <math.h>
#include "bench_util.h"
#include "gemm.h"

static void fill(Session *s, const char *name, double scale, double freq, double phase, int trig)
{
    Entry *e = session_find(s, name);
    for (long i = 0, n = shape_size(e->val.shape); i < n; i++)
        e->val.data[i] = scale * (trig ? cos(freq * (double)i + phase) : sin(freq * (double)i + phase));
    session_changed(s, e);
}

static void update(Tape *t, double lr)
{
    for (int i = 0; i < t->nleaves; i++) {
        if (t->leafent[i]->kind != ENT_PARAM) continue;
        int slot = t->leaves[i];
        double *w = t->leafent[i]->val.data;
        const double *g = tape_grad(t, slot);
        for (long k = 0, n = tape_size(t, slot); k < n; k++) w[k] -= lr * g[k];
    }
}

static void step(Tape *t, double lr)
{
    bench_forward(t);
    backprop_params(t);   /* as train does (src/train.c) */
    update(t, lr);
}

/* The best time per step of 3 batches, each at least secs/3 long. */
static double time_steps(Tape *t, double lr, double secs)
{
    step(t, lr);
    double t0 = bench_now();
    step(t, lr);
    double one = bench_now() - t0;
    long reps = one > 0 ? (long)(secs / 3 / one) + 1 : 1000;
    double best = INFINITY;
    for (int b = 0; b < 3; b++) {
        t0 = bench_now();
        for (long r = 0; r < reps; r++) step(t, lr);
        best = fmin(best, (bench_now() - t0) / (double)reps);
    }
    return best;
}

static void run_model(Session *s, const char *text)
{
    Buf b = { 0 };
    buf_printf(&b, "%s", text);
    bench_run(s, "model", &b);
    free(b.p);
}

static void report(Session *s, double lr, double secs)
{
    Tape *t = bench_tape(s, "L", NULL);
    bench_forward(t);
    double loss0 = tape_val(t, t->root)[0];
    double per = time_steps(t, lr, secs);
    printf("RESULT ms_per_step=%.6f loss0=%.17g backend=\"%s\"\n", per * 1e3, loss0, gemm_backend());
}

static void kernels(void)
{
    static const long sizes[] = { 64, 128, 256, 512 };
    static const char *names[] = { "A B", "A Bᵀ", "Aᵀ B" };
    for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
        long n = sizes[z];
        double *A = malloc((size_t)(n * n) * sizeof *A), *B = malloc((size_t)(n * n) * sizeof *B);
        double *C = malloc((size_t)(n * n) * sizeof *C);
        for (long i = 0; i < n * n; i++) { A[i] = sin(0.37 * (double)i); B[i] = cos(0.11 * (double)i); }
        for (int v = 0; v < 3; v++) {
            double best[2] = { INFINITY, INFINITY };
            for (int impl = 0; impl < 2; impl++) {
                long reps = (long)(2e8 / (2.0 * (double)n * (double)n * (double)n)) + 1;
                for (int r = 0; r < 3; r++) {
                    double t0 = bench_now();
                    for (long k = 0; k < reps; k++)
                        (impl ? gemm_mul_c : gemm_mul)(v == 2, v == 1, n, n, n, A, B, 0, C);
                    best[impl] = fmin(best[impl], (bench_now() - t0) / (double)reps);
                }
            }
            double fl = 2.0 * (double)n * (double)n * (double)n;
            char w[64], size[32], tm[64], ratio[96];
            snprintf(w, sizeof w, "gemm C = %s: C kernel", names[v]);
            snprintf(size, sizeof size, "n = %ld", n);
            snprintf(tm, sizeof tm, "%.1f GFLOP/s", fl / best[1] * 1e-9);
            snprintf(ratio, sizeof ratio, "gemm_mul (%s): %.1f GFLOP/s", gemm_backend(),
                     fl / best[0] * 1e-9);
            bench_row(w, size, tm, ratio);
        }
        free(A); free(B); free(C);
    }
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "kernel") == 0) {
        kernels();
        return 0;
    }
    if (argc < 3 || (strcmp(argv[1], "mm") && strcmp(argv[1], "mlp")) ||
        (!strcmp(argv[1], "mm") && argc < 4)) {
        fprintf(stderr, "usage: bench_matmul mm N SECS | mlp SECS | kernel\n");
        return 2;
    }
    Session *s = bench_session();
    if (!strcmp(argv[1], "mm")) {
        long n = atol(argv[2]);
        char text[200];
        snprintf(text, sizeof text, "A = zeros(%ld, %ld)\nB = zeros(%ld, %ld)\nL = sum(A @ B)\n",
                 n, n, n, n);
        run_model(s, text);
        fill(s, "A", 1, 0.37, 0, 0);
        fill(s, "B", 1, 0.11, 0, 1);
        report(s, 1e-9, atof(argv[3]));
    } else {
        run_model(s,
                  "const X = zeros(128, 784)\nconst Y = zeros(128, 10)\n"
                  "W1 = zeros(784, 256)\nb1 = zeros(256)\nW2 = zeros(256, 10)\nb2 = zeros(10)\n"
                  "L = cross_entropy(relu(X @ W1 + b1) @ W2 + b2, Y)\n");
        fill(s, "X", 1, 0.37, 0, 0);
        fill(s, "W1", 0.05, 0.11, 0, 1);
        fill(s, "b1", 0.01, 1, 0, 0);
        fill(s, "W2", 0.06, 0.23, 1, 0);
        Entry *y = session_find(s, "Y");
        for (long r = 0; r < 128; r++) y->val.data[r * 10 + r % 10] = 1;
        session_changed(s, y);
        report(s, 0.01, atof(argv[2]));
    }
    session_free(s);
    return 0;
}
