/*
 * sgemm_peak — the machine's measured single-precision GEMM limit: OpenBLAS
 * cblas_sgemm on large square matrices, median of several runs, for 1 and 2
 * OpenBLAS threads. bench/run.sh reports nasc's GFLOP/s against this.
 *
 *     build/bench/sgemm_peak [size] [repeats]
 *
 * The matrices are filled by formula, not drawn, so there is no seed to
 * offset (bench/util/seed_offset.h).
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2048;
    int reps = argc > 2 ? atoi(argv[2]) : 7;
    if (n < 64 || n > 16384 || reps < 1 || reps > 100) {
        fprintf(stderr, "usage: sgemm_peak [size 64..16384] [repeats 1..100]\n");
        return 2;
    }
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n);
    float *c = malloc(sizeof(float) * n * n);
    if (!a || !b || !c)
        return 1;
    for (long i = 0; i < (long)n * n; i++) {
        a[i] = (float)(i % 17) * 0.01f;
        b[i] = (float)(i % 13) * 0.01f;
    }
    printf("{\"size\":%d", n);
    for (int th = 1; th <= 2; th++) {
        openblas_set_num_threads(th);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
        double g[100];
        for (int r = 0; r < reps; r++) {
            double t0 = now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n,
                        b, n, 0, c, n);
            g[r] = 2.0 * n * (double)n * n / (now() - t0) / 1e9;
        }
        qsort(g, reps, sizeof(double), cmp);
        printf(",\"gflops_t%d\":%.1f", th, g[reps / 2]);
    }
    printf("}\n");
    free(a);
    free(b);
    free(c);
    return 0;
}
