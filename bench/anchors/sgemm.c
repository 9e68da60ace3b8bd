/* Anchor for Engine's GEMM figures: OpenBLAS sgemm, C = A*B, n x n x n fp32, median GFLOP/s of 7 runs. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static int cmp(const void* a, const void* b) { double x = *(const double*)a, y = *(const double*)b; return (x > y) - (x < y); }

int main(int argc, char** argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1024;
    const char* label = argc > 2 ? argv[2] : "openblas";
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n), *c = malloc(sizeof(float) * n * n);
    for (long i = 0; i < (long)n * n; i++) { a[i] = (float)(i % 7) - 3; b[i] = (float)(i % 5) - 2; c[i] = 0; }
    double t[7];
    for (int r = -2; r < 7; r++)
    {
        double s = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        if (r >= 0) t[r] = now() - s;
    }
    qsort(t, 7, sizeof(double), cmp);
    printf("{\"name\":\"gemm_anchor\",\"backend\":\"%s\",\"shape\":\"%dx%dx%d\",\"value\":%.2f,\"unit\":\"GFLOP/s\"}\n",
           label, n, n, n, 2.0 * n * n * (double)n / t[3] / 1e9);
    return 0;
}
