// Batched GEMM: C[b] = alpha * op(A[b]) * op(B[b]) + beta * C[b], row-major, see GemmSpec.
// A work-group of 16 x GEMM_TY threads computes a square GEMM_BM x GEMM_BM block of C; each thread holds 8 x GEMM_W
// accumulators: sub-blocks of 4 x 4, 4 * GEMM_TY rows and 64 columns apart, so that a thread reads its operands from local
// memory as float4 and a warp's reads of one row are contiguous (no bank conflicts). Eight rows per thread in both
// variants: with 4 x 4 a thread read two float4 from local memory per 16 multiply-adds, and the 64 x 64 blocks of the
// H100's mid-size products were bound by local-memory throughput (Nsight Compute: L1 90 % busy, FMA pipe 43 %).
// K advances in GEMM_BK-deep tiles, double-buffered in local memory: the next tile's global loads are issued into
// registers before the current tile's FMAs, and stored to the other buffer after them (one barrier per tile).
// Launch: local {16, GEMM_TY, 1}, global {ceil(N / GEMM_BM) * 16, ceil(M / GEMM_BM) * GEMM_TY, batch}.
// Build-time variants (the host picks one per launch, see GpuDevice.Ops.Gemm.cs):
//   GEMM_W        4: 64 x 64 blocks, 16 x 8 threads of 8 x 4; 8: 128 x 128 blocks, 16 x 16 threads of 8 x 8.
//   GEMM_TRANS_A, GEMM_TRANS_B   0 or 1: op(X) = X or X^T, so the staging code has no runtime layout branches.
//   GEMM_VEC      1 when every operand's offset, leading dimension and batch stride, and the extent of its contiguous
//                 dimension, are multiples of 4: each thread then loads float4s (a float4 lies wholly inside or wholly
//                 outside the matrix, so one bounds check covers it) and stores C as float4. 0: coalesced scalar loads,
//                 each bounds-checked.

#ifndef GEMM_W
#define GEMM_W 4
#endif
#ifndef GEMM_TRANS_A
#define GEMM_TRANS_A 0
#endif
#ifndef GEMM_TRANS_B
#define GEMM_TRANS_B 0
#endif
#ifndef GEMM_VEC
#define GEMM_VEC 0
#endif

#define GEMM_TX 16
#define GEMM_TY (2 * GEMM_W)
#define GEMM_WM 8                         /* rows of C per thread */
#define GEMM_THREADS (GEMM_TX * GEMM_TY)
#define GEMM_SUB_M (GEMM_TY * 4)          /* distance between a thread's 4-row sub-blocks */
#define GEMM_SUB_N (GEMM_TX * 4)          /* distance between a thread's 4-column sub-blocks */
#define GEMM_BM (GEMM_TX * GEMM_W)        /* = GEMM_TY * GEMM_WM */
#define GEMM_BK (64 / GEMM_W)
#define GEMM_PER_THREAD (GEMM_BM * GEMM_BK / GEMM_THREADS)   /* elements of each operand's tile a thread loads: 8 or 4 */
#define GEMM_LD (GEMM_BM + 4)             /* padding spreads transposing stores over banks; + 4 keeps rows float4-aligned */

#ifdef __OPENCL_VERSION__
typedef float4 gemm_vec4;
#else
typedef struct __attribute__((aligned(16))) { float x, y, z, w; } gemm_vec4;
#endif

// Loads this thread's GEMM_PER_THREAD elements of the tile op(X)[mn0 .. mn0+BM, k0 .. k0+BK] into s (zero outside the
// matrix). k_contig: X is stored with k contiguous (A not transposed, B transposed).
DEVICE_FN void gemm_fetch(GLOBAL const float* RESTRICT X, LONG base, LONG ld, int MN, int K, int mn0, int k0,
                          int k_contig, int tid, float* s)
{
#if GEMM_VEC
    // Consecutive threads take consecutive float4s of X.
#pragma unroll
    for (int c = 0; c < GEMM_PER_THREAD / 4; ++c)
    {
        const int e = tid + c * GEMM_THREADS;
        const int mn = k_contig ? e / (GEMM_BK / 4) : e % (GEMM_BM / 4) * 4;
        const int k = k_contig ? e % (GEMM_BK / 4) * 4 : e / (GEMM_BM / 4);
        if (mn0 + mn < MN && k0 + k < K)
        {
            const LONG at = base + (k_contig ? (LONG)(mn0 + mn) * ld + (k0 + k) : (LONG)(k0 + k) * ld + (mn0 + mn));
            const gemm_vec4 v = *(GLOBAL const gemm_vec4*)(X + at);
            s[4 * c] = v.x; s[4 * c + 1] = v.y; s[4 * c + 2] = v.z; s[4 * c + 3] = v.w;
        }
        else
        {
            s[4 * c] = 0.0f; s[4 * c + 1] = 0.0f; s[4 * c + 2] = 0.0f; s[4 * c + 3] = 0.0f;
        }
    }
#else
    // Consecutive threads take consecutive addresses of X.
#pragma unroll
    for (int i = 0; i < GEMM_PER_THREAD; ++i)
    {
        const int e = tid + i * GEMM_THREADS;
        const int mn = k_contig ? e / GEMM_BK : e % GEMM_BM;
        const int k = k_contig ? e % GEMM_BK : e / GEMM_BM;
        s[i] = mn0 + mn < MN && k0 + k < K
             ? X[base + (k_contig ? (LONG)(mn0 + mn) * ld + (k0 + k) : (LONG)(k0 + k) * ld + (mn0 + mn))]
             : 0.0f;
    }
#endif
}

// Stores what gemm_fetch loaded into tile[k][mn].
DEVICE_FN void gemm_stage(LOCAL_PTR float* tile, int k_contig, int tid, const float* s)
{
#if GEMM_VEC
#pragma unroll
    for (int c = 0; c < GEMM_PER_THREAD / 4; ++c)
    {
        const int e = tid + c * GEMM_THREADS;
        if (k_contig)
        {
            const int mn = e / (GEMM_BK / 4), k = e % (GEMM_BK / 4) * 4;
#pragma unroll
            for (int i = 0; i < 4; ++i) tile[(k + i) * GEMM_LD + mn] = s[4 * c + i];
        }
        else
        {
            const int mn = e % (GEMM_BM / 4) * 4, k = e / (GEMM_BM / 4);
            gemm_vec4 v;
            v.x = s[4 * c]; v.y = s[4 * c + 1]; v.z = s[4 * c + 2]; v.w = s[4 * c + 3];
            *(LOCAL_PTR gemm_vec4*)(tile + k * GEMM_LD + mn) = v;
        }
    }
#else
#pragma unroll
    for (int i = 0; i < GEMM_PER_THREAD; ++i)
    {
        const int e = tid + i * GEMM_THREADS;
        const int mn = k_contig ? e / GEMM_BK : e % GEMM_BM;
        const int k = k_contig ? e % GEMM_BK : e / GEMM_BM;
        tile[k * GEMM_LD + mn] = s[i];
    }
#endif
}

// Four consecutive floats of a local tile row (16-byte aligned: GEMM_LD and the offsets used are multiples of 4).
DEVICE_FN void gemm_read4(LOCAL_PTR const float* at, float* r)
{
    const gemm_vec4 v = *(LOCAL_PTR const gemm_vec4*)at;
    r[0] = v.x; r[1] = v.y; r[2] = v.z; r[3] = v.w;
}

// Writes alpha * acc[0..4] (+ beta * C) to the four columns gn .. gn+3 of one row of C that lie left of N.
DEVICE_FN void gemm_store4(GLOBAL float* RESTRICT row, int gn, int N, const float* acc, float alpha, float beta)
{
    // beta == 0 overwrites C without reading it (BLAS convention: NaN or garbage in C is ignored).
#if GEMM_VEC
    if (gn >= N) return;
    GLOBAL gemm_vec4* at = (GLOBAL gemm_vec4*)(row + gn);
    gemm_vec4 v;
    v.x = alpha * acc[0]; v.y = alpha * acc[1]; v.z = alpha * acc[2]; v.w = alpha * acc[3];
    if (beta != 0.0f)
    {
        const gemm_vec4 old = *at;
        v.x = FMA(beta, old.x, v.x); v.y = FMA(beta, old.y, v.y); v.z = FMA(beta, old.z, v.z); v.w = FMA(beta, old.w, v.w);
    }
    *at = v;
#else
#pragma unroll
    for (int j = 0; j < 4; ++j)
        if (gn + j < N)
            row[gn + j] = beta == 0.0f ? alpha * acc[j] : FMA(beta, row[gn + j], alpha * acc[j]);
#endif
}

KERNEL void gemm(int M, int N, int K,
                 GLOBAL const float* RESTRICT A, LONG a_off, LONG lda, LONG batch_stride_a,
                 GLOBAL const float* RESTRICT B, LONG b_off, LONG ldb, LONG batch_stride_b,
                 GLOBAL float* RESTRICT C, LONG c_off, LONG ldc, LONG batch_stride_c,
                 float alpha, float beta)
{
    LOCAL_MEM float a_tile[2][GEMM_BK * GEMM_LD] __attribute__((aligned(16)));
    LOCAL_MEM float b_tile[2][GEMM_BK * GEMM_LD] __attribute__((aligned(16)));

    const int tx = (int)LOCAL_ID(0), ty = (int)LOCAL_ID(1);
    const int tid = ty * GEMM_TX + tx;
    const LONG batch = (LONG)GROUP_ID(2);
    const int m0 = (int)GROUP_ID(1) * GEMM_BM;
    const int n0 = (int)GROUP_ID(0) * GEMM_BM;
    const LONG a_base = a_off + batch * batch_stride_a;
    const LONG b_base = b_off + batch * batch_stride_b;
    const LONG c_base = c_off + batch * batch_stride_c;

    float acc[GEMM_WM][GEMM_W];
#pragma unroll
    for (int i = 0; i < GEMM_WM; ++i)
#pragma unroll
        for (int j = 0; j < GEMM_W; ++j)
            acc[i][j] = 0.0f;

    float a_next[GEMM_PER_THREAD], b_next[GEMM_PER_THREAD];
    const int tiles = (K + GEMM_BK - 1) / GEMM_BK;
    if (tiles > 0)
    {
        gemm_fetch(A, a_base, lda, M, K, m0, 0, !GEMM_TRANS_A, tid, a_next);
        gemm_fetch(B, b_base, ldb, N, K, n0, 0, GEMM_TRANS_B, tid, b_next);
        gemm_stage(a_tile[0], !GEMM_TRANS_A, tid, a_next);
        gemm_stage(b_tile[0], GEMM_TRANS_B, tid, b_next);
    }
    BARRIER();

    for (int t = 0; t < tiles; ++t)
    {
        const int cur = t & 1;
        const int more = t + 1 < tiles;
        if (more)
        {
            gemm_fetch(A, a_base, lda, M, K, m0, (t + 1) * GEMM_BK, !GEMM_TRANS_A, tid, a_next);
            gemm_fetch(B, b_base, ldb, N, K, n0, (t + 1) * GEMM_BK, GEMM_TRANS_B, tid, b_next);
        }
        LOCAL_PTR const float* a_cur = a_tile[cur];
        LOCAL_PTR const float* b_cur = b_tile[cur];
#pragma unroll
        for (int kk = 0; kk < GEMM_BK; ++kk)
        {
            float a_reg[GEMM_WM], b_reg[GEMM_W];
#pragma unroll
            for (int q = 0; q < GEMM_WM / 4; ++q)
                gemm_read4(a_cur + kk * GEMM_LD + q * GEMM_SUB_M + ty * 4, a_reg + q * 4);
#pragma unroll
            for (int q = 0; q < GEMM_W / 4; ++q)
                gemm_read4(b_cur + kk * GEMM_LD + q * GEMM_SUB_N + tx * 4, b_reg + q * 4);
#pragma unroll
            for (int i = 0; i < GEMM_WM; ++i)
#pragma unroll
                for (int j = 0; j < GEMM_W; ++j)
                    acc[i][j] = FMA(a_reg[i], b_reg[j], acc[i][j]);
        }
        // The other buffer was last read before the previous iteration's barrier.
        if (more)
        {
            gemm_stage(a_tile[cur ^ 1], !GEMM_TRANS_A, tid, a_next);
            gemm_stage(b_tile[cur ^ 1], GEMM_TRANS_B, tid, b_next);
        }
        BARRIER();
    }

#pragma unroll
    for (int i = 0; i < GEMM_WM; ++i)
    {
        const int gm = m0 + i / 4 * GEMM_SUB_M + ty * 4 + i % 4;
        if (gm >= M) continue;
        GLOBAL float* row = C + c_base + (LONG)gm * ldc;
#pragma unroll
        for (int q = 0; q < GEMM_W / 4; ++q)
            gemm_store4(row, n0 + q * GEMM_SUB_N + tx * 4, N, acc[i] + q * 4, alpha, beta);
    }
}
