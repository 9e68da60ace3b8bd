// Batched GEMM for a few rows of C (M <= FEW_ROWS) over many columns, B not transposed: C[b] = alpha * op(A[b]) * B[b]
// + beta * C[b]. Work-item n computes column n of every row: it walks K once, reading B[k, n] (neighbouring work-items
// read neighbouring addresses) and multiplying it by the K-tile of op(A) staged in local memory, so B — the large
// operand, e.g. CGFM's gradient in its coefficients P^T G — is read exactly once, where 64 x 64 tiles would spend most
// of their multiply-adds and barriers on rows that do not exist.
// Launch: local {WG_SIZE, 1, 1}, global {ceil(N / WG_SIZE) * WG_SIZE, batch, 1}. FEW_TRANS_A: op(A) = A^T.

#ifndef WG_SIZE
#define WG_SIZE 256
#endif
#define FEW_ROWS 16
#define FEW_BK 64
#ifndef FEW_TRANS_A
#define FEW_TRANS_A 0
#endif

KERNEL void gemm_few_rows(int M, int N, int K,
                          GLOBAL const float* RESTRICT A, LONG a_off, LONG lda, LONG batch_stride_a,
                          GLOBAL const float* RESTRICT B, LONG b_off, LONG ldb, LONG batch_stride_b,
                          GLOBAL float* RESTRICT C, LONG c_off, LONG ldc, LONG batch_stride_c,
                          float alpha, float beta)
{
    LOCAL_MEM float a_tile[FEW_BK][FEW_ROWS];
    const int lid = (int)LOCAL_ID(0);
    const LONG n = (LONG)GROUP_ID(0) * WG_SIZE + lid;
    const LONG batch = (LONG)GROUP_ID(1);
    const LONG a_base = a_off + batch * batch_stride_a;
    const LONG b_base = b_off + batch * batch_stride_b;
    const LONG c_base = c_off + batch * batch_stride_c;

    float acc[FEW_ROWS];
#pragma unroll
    for (int m = 0; m < FEW_ROWS; ++m) acc[m] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += FEW_BK)
    {
        // Rows of op(A) past M and depths past K stage as zeros: their multiply-adds add nothing.
        for (int e = lid; e < FEW_BK * FEW_ROWS; e += WG_SIZE)
        {
            const int kk = e / FEW_ROWS, m = e % FEW_ROWS, k = k0 + kk;
            float v = 0.0f;
            if (m < M && k < K)
                v = FEW_TRANS_A ? A[a_base + (LONG)k * lda + m] : A[a_base + (LONG)m * lda + k];
            a_tile[kk][m] = v;
        }
        BARRIER();
        const int depth = K - k0 < FEW_BK ? K - k0 : FEW_BK;
        if (n < N)
            for (int kk = 0; kk < depth; ++kk)
            {
                const float b = B[b_base + (LONG)(k0 + kk) * ldb + n];
#pragma unroll
                for (int m = 0; m < FEW_ROWS; ++m) acc[m] = FMA(a_tile[kk][m], b, acc[m]);
            }
        BARRIER();
    }

    if (n >= N) return;
#pragma unroll
    for (int m = 0; m < FEW_ROWS; ++m)
    {
        if (m >= M) break;
        const LONG at = c_base + (LONG)m * ldc + n;
        // beta == 0 overwrites C without reading it (BLAS convention: NaN or garbage in C is ignored).
        C[at] = beta == 0.0f ? alpha * acc[m] : FMA(beta, C[at], alpha * acc[m]);
    }
}
