/* Anchor for Engine's triad figure: STREAM-style a = b + s*c over 16M floats with OpenMP, 12 bytes per element,
   median GB/s of 11 runs. */
#include <stdio.h>
#include <stdlib.h>
#include <omp.h>

static int cmp(const void* a, const void* b) { double x = *(const double*)a, y = *(const double*)b; return (x > y) - (x < y); }

int main(void)
{
    const long n = 16L << 20;
    float *a = aligned_alloc(64, n * sizeof(float)), *b = aligned_alloc(64, n * sizeof(float)), *c = aligned_alloc(64, n * sizeof(float));
    #pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) { a[i] = 0; b[i] = 1; c[i] = 2; }
    const float s = 3.0f;
    double t[11];
    for (int r = -2; r < 11; r++)
    {
        double start = omp_get_wtime();
        #pragma omp parallel for schedule(static)
        for (long i = 0; i < n; i++) a[i] = b[i] + s * c[i];
        if (r >= 0) t[r] = omp_get_wtime() - start;
    }
    qsort(t, 11, sizeof(double), cmp);
    printf("{\"name\":\"triad_anchor\",\"backend\":\"c-openmp-%d-threads\",\"shape\":\"%ld\",\"value\":%.2f,\"unit\":\"GB/s\"}\n",
           omp_get_max_threads(), n, 12.0 * n / t[5] / 1e9);
    return a[n / 2] == 7.0f ? 0 : 1;
}
