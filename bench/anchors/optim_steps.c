/* Anchor for Engine's optimizer-step overheads: the same two-pass steps written by hand in C/OpenMP over one flat
   10M-float parameter tensor, so the machine's own ratio between them can be set beside Engine's.
   - adamw:        R reads g (sum of squares for the global clip); U reads p, g, m, v and writes p, m, v.  32 B/param.
   - sgg:          R reads g, g_s, m (the six Gram sums); U as AdamW's on u = a g + c m (b = 0, g_s not read).  40 B/param.
   - sgg_conflict: the same with b != 0, so U reads g_s too.                                                   44 B/param.
   - sgg_bf16, sgg_conflict_bf16: both with g_s kept in bfloat16 (Engine's SggOptions.SourcePrecision).   38, 40 B/param.
   - cgfm:         G viewed as [100, 100000]; per strip of 16 columns, the 13 coefficients P^T G in registers, then
                   G <- 0.5 G + 0.5 P (P^T G) in place while the strip is in L1 (Engine's cpu scheme); U as AdamW's.  36 B/param.
   SGG's sums are float vectors flushed to double every 256 elements per thread (as Engine's cpu reduce kernels do);
   CGFM's are float lanes down one strip (100 rows), then double across strips. Each
   chain's steps alternate with AdamW steps; its overhead is the median of its time over the mean of the AdamW steps
   either side (as in Engine's bench). Prints JSON lines in the bench program's format. */
#include <immintrin.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <omp.h>

#define N 10000000L
#define BLOCK 256
#define PAIRS 21
#define ROWS 100
#define COLS (N / ROWS)
#define RANK 13

#ifndef __AVX512F__
#error "optim_steps.c needs AVX-512 (gcc -march=native on an AVX-512 machine)"
#endif

static uint16_t* gh;   /* g_s in bfloat16, for the _bf16 steps */
static float *p, *g, *gs, *m, *v, *ms, *vs, *mc, *vc, *basis, *coefficients;

static int cmp(const void* a, const void* b) { double x = *(const double*)a, y = *(const double*)b; return (x > y) - (x < y); }

static double median(double* t, int n) { qsort(t, n, sizeof(double), cmp); return t[n / 2]; }

static double sum_squares(const float* x)
{
    double total = 0;
    #pragma omp parallel for schedule(static) reduction(+:total)
    for (long b = 0; b < N; b += BLOCK)
    {
        float s = 0;
        #pragma omp simd reduction(+:s)
        for (long i = b; i < b + BLOCK; i++) s += x[i] * x[i];
        total += s;
    }
    return total;
}

static inline float bf16(uint16_t h) { union { uint32_t u; float f; } x = { (uint32_t)h << 16 }; return x.f; }
static inline float fp32(float f) { return f; }

/* The six Gram sums of (x, y, z), y stored as Y and widened by LOAD. */
#define GRAM(name, Y, LOAD)                                                                     \
static void name(const float* x, const Y* y, const float* z, double out[6])                     \
{                                                                                               \
    double xx = 0, xy = 0, xz = 0, yy = 0, yz = 0, zz = 0;                                      \
    _Pragma("omp parallel for schedule(static) reduction(+:xx, xy, xz, yy, yz, zz)")            \
    for (long b = 0; b < N; b += BLOCK)                                                         \
    {                                                                                           \
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0;                                   \
        _Pragma("omp simd reduction(+:s0, s1, s2, s3, s4, s5)")                                 \
        for (long i = b; i < b + BLOCK; i++)                                                    \
        {                                                                                       \
            float yi = LOAD(y[i]);                                                              \
            s0 += x[i] * x[i]; s1 += x[i] * yi; s2 += x[i] * z[i];                              \
            s3 += yi * yi; s4 += yi * z[i]; s5 += z[i] * z[i];                                  \
        }                                                                                       \
        xx += s0; xy += s1; xz += s2; yy += s3; yz += s4; zz += s5;                             \
    }                                                                                           \
    out[0] = xx; out[1] = xy; out[2] = xz; out[3] = yy; out[4] = yz; out[5] = zz;               \
}
GRAM(gram, float, fp32)
GRAM(gram_bf16, uint16_t, bf16)

/* One AdamW pass on u = U (an expression of element i). */
#define ADAMW_PASS(U)                                                                           \
    _Pragma("omp parallel for simd schedule(static)")                                           \
    for (long i = 0; i < N; i++)                                                                \
    {                                                                                           \
        float u = U;                                                                            \
        float mi = b1 * mm[i] + (1 - b1) * u, vi = b2 * vv[i] + (1 - b2) * u * u;               \
        mm[i] = mi; vv[i] = vi;                                                                 \
        p[i] -= lr * (mi * c1 / (sqrtf(vi * c2) + eps) + wd * p[i]);                            \
    }

/* AdamW on u = a g + b g_s + c d (g_s read only where b != 0, from gh when source_bf16), lr 3e-4, betas (0.9, 0.999),
   eps 1e-8, wd 0.1. */
static void update(float* mm, float* vv, float a, float b, float c, const float* d, int step, int source_bf16)
{
    const float b1 = 0.9f, b2 = 0.999f, lr = 3e-4f, eps = 1e-8f, wd = 0.1f;
    const float c1 = 1.0f / (1.0f - powf(b1, (float)step)), c2 = 1.0f / (1.0f - powf(b2, (float)step));
    if (b != 0 && source_bf16) { ADAMW_PASS(a * g[i] + b * bf16(gh[i]) + c * d[i]) }
    else if (b != 0) { ADAMW_PASS(a * g[i] + b * gs[i] + c * d[i]) }
    else { ADAMW_PASS(a * g[i] + c * d[i]) }
}

static int adamw_steps, sgg_steps, cgfm_steps;
static double last_projection;

static void adamw_step(void)
{
    double norm = sqrt(sum_squares(g));
    float clip = norm > 1.0 ? (float)(1.0 / (norm + 1e-6)) : 1.0f;
    update(m, v, clip, 0, 0, g, ++adamw_steps, 0);
}

/* SGG form B's coefficients from the Gram sums (conflict projection, direction blend with alpha 0.3, the clip folded
   into a; the adaptive clip's tau taken as infinite: the scalar work is the same and does not change the passes). */
static void sgg_steps_of(int source_bf16)
{
    double e[6];
    if (source_bf16) gram_bf16(g, gh, ms, e); else gram(g, gs, ms, e);
    double gg = e[0], gsd = e[1], gd = e[2], ss = e[3], sd = e[4], dd = e[5];
    double clip = sqrt(gg) > 1.0 ? 1.0 / (sqrt(gg) + 1e-6) : 1.0;
    gg *= clip * clip; gsd *= clip; gd *= clip;
    double proj = gsd < 0 && ss > 0 ? -gsd / ss : 0, alpha = 0.3;
    double n1 = sqrt(fmax(gg + 2 * proj * gsd + proj * proj * ss, 0)), nd = sqrt(dd), dot = gd + proj * sd;
    double cosine = n1 > 0 && nd > 0 ? dot / (n1 * nd) : 0;
    double nw = sqrt(fmax((1 - alpha) * (1 - alpha) + alpha * alpha + 2 * alpha * (1 - alpha) * cosine, 0));
    last_projection = proj;
    double k1 = 1, k2 = 0;
    if (n1 > 0 && nd > 0 && nw > 1e-12) { k1 = (1 - alpha) / nw; k2 = alpha * n1 / (nd * nw); }
    update(ms, vs, (float)(clip * k1), (float)(k1 * proj), (float)k2, ms, ++sgg_steps, source_bf16);
}

static void sgg_step(void) { sgg_steps_of(0); }
static void sgg_bf16_step(void) { sgg_steps_of(1); }

/* g_s rounded to bfloat16, to nearest even (finite inputs). */
static void narrow_source(void)
{
    for (long i = 0; i < N; i++)
    {
        union { float f; uint32_t u; } x = { gs[i] };
        gh[i] = (uint16_t)((x.u + 0x7FFFu + ((x.u >> 16) & 1u)) >> 16);
    }
}

/* CGFM-LR's adjust on one 16-column strip; returns ||G||^2 and adds ||P^T G||^2 to *global. */
static double adjust_strip(long j, double* global)
{
    __m512 a[RANK], squares = _mm512_setzero_ps();
    for (int k = 0; k < RANK; k++) a[k] = _mm512_setzero_ps();
    for (int i = 0; i < ROWS; i++)
    {
        float* row = g + i * COLS + j;
        _mm_prefetch((const char*)(row + 64), _MM_HINT_T0);
        __m512 x = _mm512_loadu_ps(row);
        squares = _mm512_fmadd_ps(x, x, squares);
        for (int k = 0; k < RANK; k++) a[k] = _mm512_fmadd_ps(_mm512_set1_ps(basis[i * RANK + k]), x, a[k]);
    }
    __m512 coefficientSq = _mm512_setzero_ps();
    for (int k = 0; k < RANK; k++)
    {
        _mm512_storeu_ps(coefficients + k * COLS + j, a[k]);
        coefficientSq = _mm512_fmadd_ps(a[k], a[k], coefficientSq);
        a[k] = _mm512_mul_ps(_mm512_set1_ps(0.5f), a[k]);
    }
    for (int i = 0; i < ROWS; i++)
    {
        float* row = g + i * COLS + j;
        __m512 y0 = _mm512_mul_ps(_mm512_set1_ps(0.5f), _mm512_loadu_ps(row)), y1 = _mm512_setzero_ps();
        for (int k = 0; k + 1 < RANK; k += 2)
        {
            y0 = _mm512_fmadd_ps(_mm512_set1_ps(basis[i * RANK + k]), a[k], y0);
            y1 = _mm512_fmadd_ps(_mm512_set1_ps(basis[i * RANK + k + 1]), a[k + 1], y1);
        }
        if (RANK % 2) y0 = _mm512_fmadd_ps(_mm512_set1_ps(basis[i * RANK + RANK - 1]), a[RANK - 1], y0);
        _mm512_storeu_ps(row, _mm512_add_ps(y0, y1));
    }
    *global += _mm512_reduce_add_ps(coefficientSq);
    return _mm512_reduce_add_ps(squares);
}

/* CGFM-LR (lambda_l 0.5, lambda_g 1, CGFM-R multiplier) + clip + AdamW: the adjust pass, then U on G_adj. Each step
   adjusts the previous step's G_adj again, as in Engine's bench (the gradient is not refreshed between steps). */
static void cgfm_step(void)
{
    double gradSq = 0, globalSq = 0;
    #pragma omp parallel for schedule(dynamic, 32) reduction(+:gradSq, globalSq)
    for (long j = 0; j < COLS; j += 16) gradSq += adjust_strip(j, &globalSq);
    double localSq = fmax(gradSq - globalSq, 0), adjNorm = sqrt(0.25 * localSq + globalSq), norm = sqrt(gradSq);
    double multiplier = 1 + adjNorm / (norm + 1e-12);
    float clip = adjNorm > 1.0 ? (float)(1.0 / (adjNorm + 1e-6)) : 1.0f;
    update(mc, vc, clip * (float)multiplier, 0, 0, g, ++cgfm_steps, 0);
}

static double timed(void (*step)(void)) { double t = omp_get_wtime(); step(); return omp_get_wtime() - t; }

static float* filled(unsigned seed, float mean, float spread)
{
    float* x = aligned_alloc(64, N * sizeof(float));
    #pragma omp parallel for schedule(static)
    for (long i = 0; i < N; i++)
    {
        unsigned h = (unsigned)i * 2654435761u ^ seed * 40503u;
        h ^= h >> 15; h *= 2246822519u; h ^= h >> 13;
        x[i] = mean + spread * ((float)(h & 0xFFFFFF) / 8388608.0f - 1.0f);
    }
    return x;
}

static void run(const char* name, int bytes, int conflict, void (*step)(void))
{
    double base[PAIRS + 1], own[PAIRS], ratio[PAIRS];
    adamw_step(); step();
    if ((step == sgg_step || step == sgg_bf16_step) && (last_projection != 0) != conflict)
    {
        fprintf(stderr, "optim_steps: %s: the gradients were meant to %sconflict\n", name, conflict ? "" : "not ");
        exit(1);
    }
    base[0] = timed(adamw_step);
    for (int i = 0; i < PAIRS; i++)
    {
        own[i] = timed(step);
        base[i + 1] = timed(adamw_step);
        ratio[i] = own[i] / ((base[i] + base[i + 1]) / 2);
    }
    double ms_own = median(own, PAIRS) * 1e3, over = (median(ratio, PAIRS) - 1) * 100, ms_base = median(base, PAIRS + 1) * 1e3;
    const char* fmt = "{\"name\":\"optim_step_anchor\",\"backend\":\"c-openmp-%d-threads\",\"shape\":\"%s 1x[100,100000]\",\"value\":%.2f,\"unit\":\"%s\"}\n";
    int threads = omp_get_max_threads();
    printf(fmt, threads, "adamw", ms_base, "ms");
    printf(fmt, threads, name, ms_own, "ms");
    printf(fmt, threads, name, (double)bytes, "B/param");
    printf(fmt, threads, name, bytes * (double)N / (ms_own * 1e-3) / 1e9, "GB/s");
    printf(fmt, threads, name, over, "% over fused adamw");
}

int main(void)
{
    p = filled(1, 0, 0.02f); m = filled(2, 0, 0); v = filled(3, 0, 0); ms = filled(4, 0, 0); vs = filled(5, 0, 0);
    g = filled(6, 1e-3f, 1.7e-3f);
    gs = filled(7, 1e-3f, 1.7e-3f);        /* the same mean: <g, g_s> > 0, no conflict */
    gh = aligned_alloc(64, N * sizeof(uint16_t));
    narrow_source();
    run("sgg", 40, 0, sgg_step);
    run("sgg_bf16", 38, 0, sgg_bf16_step);
    free(gs);
    gs = filled(7, -1e-3f, 1.7e-3f);       /* opposite means: a conflict in every step */
    narrow_source();
    run("sgg_conflict", 44, 1, sgg_step);
    run("sgg_conflict_bf16", 40, 1, sgg_bf16_step);
    mc = filled(8, 0, 0); vc = filled(9, 0, 0);
    /* Orthonormal columns (column k: equal weights on the rows i = k mod RANK), as an SVD basis would be, so repeated
       adjusts halve only the local part and the values stay normal floats. */
    basis = calloc(ROWS * RANK, sizeof(float)); coefficients = calloc((size_t)RANK * COLS, sizeof(float));
    for (int i = 0; i < ROWS; i++) basis[i * RANK + i % RANK] = 1.0f / sqrtf((float)((ROWS - 1 - i % RANK) / RANK + 1));
    free(g);
    g = filled(6, 1e-3f, 1.7e-3f);
    run("cgfm", 36, 0, cgfm_step);
    return p[N / 2] == 12345.0f;
}
