// Batched GEMM: C[b] = alpha * op(A[b]) * op(B[b]) + beta * C[b], row-major, see GemmSpec.
// A work-group of 16 x 16 threads computes a square GEMM_BM x GEMM_BM block of C; each thread holds GEMM_W x GEMM_W
// accumulators: GEMM_W / 4 x GEMM_W / 4 sub-blocks of 4 x 4, 64 rows / columns apart, so that a thread reads its
// operands from local memory as float4 and a warp's reads of one row are contiguous (no bank conflicts).
// K advances in GEMM_BK-deep tiles, double-buffered in local memory: the next tile's global loads are issued into
// registers before the current tile's FMAs, and stored to the other buffer after them (one barrier per tile).
// Launch: local {16, 16, 1}, global {ceil(N / GEMM_BM) * 16, ceil(M / GEMM_BM) * 16, batch}.
// Build-time variants (the host picks one per launch, see GpuDevice.Ops.Gemm.cs):
//   GEMM_W        4 (64 x 64 blocks) or 8 (128 x 128 blocks, twice the FMAs per local-memory read).
//   GEMM_TRANS_A, GEMM_TRANS_B   0 or 1: op(X) = X or X^T, so the staging code has no runtime layout branches.
//   GEMM_VEC      1 when every operand's offset, leading dimension and batch stride, and the extent of its contiguous
//                 dimension, are multiples of 4: each thread then loads one float4 per operand and tile (a float4
//                 lies wholly inside or wholly outside the matrix, so one bounds check covers it) and stores C as
//                 float4. 0: four coalesced scalar loads per operand and tile, each bounds-checked.

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

#define GEMM_T 16
#define GEMM_THREADS (GEMM_T * GEMM_T)
#define GEMM_SUB (GEMM_T * 4)             /* distance between a thread's 4 x 4 sub-blocks */
#define GEMM_BM (GEMM_T * GEMM_W)
#define GEMM_BK (64 / GEMM_W)             /* GEMM_BM * GEMM_BK = 4 * GEMM_THREADS: four elements per thread and operand */
#define GEMM_LD (GEMM_BM + 4)             /* padding spreads transposing stores over banks; + 4 keeps rows float4-aligned */

#ifdef __OPENCL_VERSION__
typedef float4 gemm_vec4;
#else
typedef struct __attribute__((aligned(16))) { float x, y, z, w; } gemm_vec4;
#endif

// Loads this thread's four elements of the tile op(X)[mn0 .. mn0+BM, k0 .. k0+BK] into s (zero outside the matrix).
// k_contig: X is stored with k contiguous (A not transposed, B transposed).
DEVICE_FN void gemm_fetch(GLOBAL const float* RESTRICT X, LONG base, LONG ld, int MN, int K, int mn0, int k0,
                          int k_contig, int tid, float* s)
{
#if GEMM_VEC
    const int mn = k_contig ? tid / (GEMM_BK / 4) : tid % (GEMM_BM / 4) * 4;
    const int k = k_contig ? tid % (GEMM_BK / 4) * 4 : tid / (GEMM_BM / 4);
    if (mn0 + mn < MN && k0 + k < K)
    {
        const LONG at = base + (k_contig ? (LONG)(mn0 + mn) * ld + (k0 + k) : (LONG)(k0 + k) * ld + (mn0 + mn));
        const gemm_vec4 v = *(GLOBAL const gemm_vec4*)(X + at);
        s[0] = v.x; s[1] = v.y; s[2] = v.z; s[3] = v.w;
    }
    else
    {
        s[0] = 0.0f; s[1] = 0.0f; s[2] = 0.0f; s[3] = 0.0f;
    }
#else
    // Consecutive threads take consecutive addresses of X.
#pragma unroll
    for (int i = 0; i < 4; ++i)
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
    if (k_contig)
    {
        const int mn = tid / (GEMM_BK / 4), k = tid % (GEMM_BK / 4) * 4;
#pragma unroll
        for (int i = 0; i < 4; ++i) tile[(k + i) * GEMM_LD + mn] = s[i];
    }
    else
    {
        const int mn = tid % (GEMM_BM / 4) * 4, k = tid / (GEMM_BM / 4);
        gemm_vec4 v;
        v.x = s[0]; v.y = s[1]; v.z = s[2]; v.w = s[3];
        *(LOCAL_PTR gemm_vec4*)(tile + k * GEMM_LD + mn) = v;
    }
#else
#pragma unroll
    for (int i = 0; i < 4; ++i)
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
    const int tid = ty * GEMM_T + tx;
    const LONG batch = (LONG)GROUP_ID(2);
    const int m0 = (int)GROUP_ID(1) * GEMM_BM;
    const int n0 = (int)GROUP_ID(0) * GEMM_BM;
    const LONG a_base = a_off + batch * batch_stride_a;
    const LONG b_base = b_off + batch * batch_stride_b;
    const LONG c_base = c_off + batch * batch_stride_c;

    float acc[GEMM_W][GEMM_W];
#pragma unroll
    for (int i = 0; i < GEMM_W; ++i)
#pragma unroll
        for (int j = 0; j < GEMM_W; ++j)
            acc[i][j] = 0.0f;

    float a_next[4], b_next[4];
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
            float a_reg[GEMM_W], b_reg[GEMM_W];
#pragma unroll
            for (int q = 0; q < GEMM_W / 4; ++q)
            {
                gemm_read4(a_cur + kk * GEMM_LD + q * GEMM_SUB + ty * 4, a_reg + q * 4);
                gemm_read4(b_cur + kk * GEMM_LD + q * GEMM_SUB + tx * 4, b_reg + q * 4);
            }
#pragma unroll
            for (int i = 0; i < GEMM_W; ++i)
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
    for (int i = 0; i < GEMM_W; ++i)
    {
        const int gm = m0 + i / 4 * GEMM_SUB + ty * 4 + i % 4;
        if (gm >= M) continue;
        GLOBAL float* row = C + c_base + (LONG)gm * ldc;
#pragma unroll
        for (int q = 0; q < GEMM_W / 4; ++q)
            gemm_store4(row, n0 + q * GEMM_SUB + tx * 4, N, acc[i] + q * 4, alpha, beta);
    }
}
