// Batched GEMM: C[b] = alpha * op(A[b]) * op(B[b]) + beta * C[b], row-major, see GemmSpec.
// A work-group of GEMM_TX x GEMM_TY threads computes a GEMM_BM x GEMM_BN block of C; each thread holds
// GEMM_WM x GEMM_WN accumulators (register blocking). K advances in GEMM_BK-deep tiles staged in local memory.
// Thread (tx, ty) owns rows ty + i * GEMM_TY and columns tx + j * GEMM_TX of the block, so neighbouring
// threads touch neighbouring columns of C. Launch: local {GEMM_TX, GEMM_TY, 1},
// global {ceil(N / GEMM_BN) * GEMM_TX, ceil(M / GEMM_BM) * GEMM_TY, batch}.
// GEMM_WM and GEMM_WN may be set at build time: 8 x 8 (128 x 128 blocks) does twice the FMAs per local-memory read,
// for products with enough blocks to fill the device.

#define GEMM_TX 16
#define GEMM_TY 16
#ifndef GEMM_WM
#define GEMM_WM 4
#endif
#ifndef GEMM_WN
#define GEMM_WN 4
#endif
#define GEMM_BM (GEMM_TY * GEMM_WM)
#define GEMM_BN (GEMM_TX * GEMM_WN)
#define GEMM_BK 16
#define GEMM_THREADS (GEMM_TX * GEMM_TY)

KERNEL void gemm(int M, int N, int K, int trans_a, int trans_b,
                 GLOBAL const float* RESTRICT A, LONG a_off, LONG lda, LONG batch_stride_a,
                 GLOBAL const float* RESTRICT B, LONG b_off, LONG ldb, LONG batch_stride_b,
                 GLOBAL float* RESTRICT C, LONG c_off, LONG ldc, LONG batch_stride_c,
                 float alpha, float beta)
{
    LOCAL_MEM float a_tile[GEMM_BK][GEMM_BM + 1];
    LOCAL_MEM float b_tile[GEMM_BK][GEMM_BN + 1];

    const int tx = (int)LOCAL_ID(0), ty = (int)LOCAL_ID(1);
    const int tid = ty * GEMM_TX + tx;
    const LONG batch = (LONG)GROUP_ID(2);
    const int m0 = (int)GROUP_ID(1) * GEMM_BM;
    const int n0 = (int)GROUP_ID(0) * GEMM_BN;
    const LONG a_base = a_off + batch * batch_stride_a;
    const LONG b_base = b_off + batch * batch_stride_b;
    const LONG c_base = c_off + batch * batch_stride_c;

    float acc[GEMM_WM][GEMM_WN];
    for (int i = 0; i < GEMM_WM; ++i)
        for (int j = 0; j < GEMM_WN; ++j)
            acc[i][j] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += GEMM_BK)
    {
        // Stage op(A)[m0 .. m0+BM, k0 .. k0+BK]; consecutive threads read consecutive addresses of A.
        for (int l = tid; l < GEMM_BM * GEMM_BK; l += GEMM_THREADS)
        {
            int mm, kk;
            if (trans_a) { mm = l % GEMM_BM; kk = l / GEMM_BM; }
            else         { kk = l % GEMM_BK; mm = l / GEMM_BK; }
            const int gm = m0 + mm, gk = k0 + kk;
            float v = 0.0f;
            if (gm < M && gk < K)
                v = trans_a ? A[a_base + (LONG)gk * lda + gm] : A[a_base + (LONG)gm * lda + gk];
            a_tile[kk][mm] = v;
        }
        // Stage op(B)[k0 .. k0+BK, n0 .. n0+BN].
        for (int l = tid; l < GEMM_BK * GEMM_BN; l += GEMM_THREADS)
        {
            int nn, kk;
            if (trans_b) { kk = l % GEMM_BK; nn = l / GEMM_BK; }
            else         { nn = l % GEMM_BN; kk = l / GEMM_BN; }
            const int gn = n0 + nn, gk = k0 + kk;
            float v = 0.0f;
            if (gn < N && gk < K)
                v = trans_b ? B[b_base + (LONG)gn * ldb + gk] : B[b_base + (LONG)gk * ldb + gn];
            b_tile[kk][nn] = v;
        }
        BARRIER();

        for (int kk = 0; kk < GEMM_BK; ++kk)
        {
            float a_reg[GEMM_WM], b_reg[GEMM_WN];
            for (int i = 0; i < GEMM_WM; ++i) a_reg[i] = a_tile[kk][ty + i * GEMM_TY];
            for (int j = 0; j < GEMM_WN; ++j) b_reg[j] = b_tile[kk][tx + j * GEMM_TX];
            for (int i = 0; i < GEMM_WM; ++i)
                for (int j = 0; j < GEMM_WN; ++j)
                    acc[i][j] = FMA(a_reg[i], b_reg[j], acc[i][j]);
        }
        BARRIER();
    }

    for (int i = 0; i < GEMM_WM; ++i)
    {
        const int gm = m0 + ty + i * GEMM_TY;
        if (gm >= M) continue;
        for (int j = 0; j < GEMM_WN; ++j)
        {
            const int gn = n0 + tx + j * GEMM_TX;
            if (gn >= N) continue;
            const LONG at = c_base + (LONG)gm * ldc + gn;
            // beta == 0 overwrites C without reading it (BLAS convention: NaN or garbage in C is ignored).
            C[at] = beta == 0.0f ? alpha * acc[i][j] : FMA(beta, C[at], alpha * acc[i][j]);
        }
    }
}
