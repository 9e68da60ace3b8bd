// CGFM's low-rank adjust on the P side (an m x n G with m < n, basis P [m, r], coefficients C = P^T G [r, n]) for ranks up
// to LR_MAX_RANK, in two passes over each G of the batch, a work-item per column in both (neighbouring work-items read
// neighbouring addresses of a row of G):
//   low_rank_coefficients: C and, per work-group, the sums of C^2 and of G^2 (G as it was) into partials [2, groups];
//   low_rank_apply: G <- lambda_local G + lambda_delta P C, the column's r coefficients held in registers.
// P's rows are staged in local memory LR_ROWS at a time. G is read twice and written once: the portable path (a GEMM,
// then a fused map forming P C per element from global memory, with G^2 in a pass of its own) read it three times.
// Launch both: local {WG_SIZE, 1, 1}, global {ceil(n / WG_SIZE) * WG_SIZE, batch, 1}.

#ifndef WG_SIZE
#define WG_SIZE 256
#endif
#define LR_MAX_RANK 16
#define LR_ROWS 64
// Rows of G a work-item loads before it uses the first: one load at a time left each warp waiting out the memory's
// latency (~1 TB/s on an H100, where the same bytes stream at ~2.6 TB/s). LR_ROWS is a multiple of it.
#define LR_BATCH 16

// Rows [i0, i0 + LR_ROWS) of P into tile, zero past row m and past rank r.
DEVICE_FN void low_rank_stage(LOCAL_PTR float* tile, GLOBAL const float* RESTRICT p, int m, int r, int i0, int lid)
{
    for (int e = lid; e < LR_ROWS * LR_MAX_RANK; e += WG_SIZE)
    {
        const int ii = e / LR_MAX_RANK, k = e % LR_MAX_RANK;
        tile[e] = i0 + ii < m && k < r ? p[(LONG)(i0 + ii) * r + k] : 0.0f;
    }
}

// Column col of rows [i0, i0 + LR_BATCH) of G into x, all loads issued before any is used; zero from row i0 + count on.
DEVICE_FN void low_rank_load(GLOBAL const float* RESTRICT g, int n, LONG col, int i0, int count, float* x)
{
#pragma unroll
    for (int u = 0; u < LR_BATCH; ++u) x[u] = u < count ? g[(LONG)(i0 + u) * n + col] : 0.0f;
}

KERNEL void low_rank_coefficients(int m, int n, int r,
                                  GLOBAL const float* RESTRICT g, LONG g_off,
                                  GLOBAL const float* RESTRICT p, LONG p_off,
                                  GLOBAL float* RESTRICT c, LONG c_off,
                                  GLOBAL float* RESTRICT partials, LONG partials_off)
{
    LOCAL_MEM float tile[LR_ROWS * LR_MAX_RANK];
    LOCAL_MEM float sums[2][WG_SIZE];
    const int lid = (int)LOCAL_ID(0);
    const LONG col = GROUP_ID(0) * WG_SIZE + lid;
    const LONG batch = GROUP_ID(1);
    GLOBAL const float* gb = g + g_off + batch * (LONG)m * n;
    GLOBAL const float* pb = p + p_off + batch * (LONG)m * r;

    float acc[LR_MAX_RANK];
#pragma unroll
    for (int k = 0; k < LR_MAX_RANK; ++k) acc[k] = 0.0f;
    float grad_sq = 0.0f;
    for (int i0 = 0; i0 < m; i0 += LR_ROWS)
    {
        low_rank_stage(tile, pb, m, r, i0, lid);
        BARRIER();
        const int rows = m - i0 < LR_ROWS ? m - i0 : LR_ROWS;
        if (col < n)
            for (int ib = 0; ib < rows; ib += LR_BATCH)
            {
                float x[LR_BATCH];
                low_rank_load(gb, n, col, i0 + ib, rows - ib, x);
#pragma unroll
                for (int u = 0; u < LR_BATCH; ++u)
                {
                    // Rows past m are zero in x and in the tile: they add nothing.
                    grad_sq = FMA(x[u], x[u], grad_sq);
#pragma unroll
                    for (int k = 0; k < LR_MAX_RANK; ++k) acc[k] = FMA(tile[(ib + u) * LR_MAX_RANK + k], x[u], acc[k]);
                }
            }
        BARRIER();
    }

    float coefficient_sq = 0.0f;
    if (col < n)
    {
        GLOBAL float* cb = c + c_off + batch * (LONG)r * n + col;
#pragma unroll
        for (int k = 0; k < LR_MAX_RANK; ++k)
            if (k < r)
            {
                cb[(LONG)k * n] = acc[k];
                coefficient_sq = FMA(acc[k], acc[k], coefficient_sq);
            }
    }
    sums[0][lid] = coefficient_sq;
    sums[1][lid] = grad_sq;
    BARRIER();
    for (int s = WG_SIZE / 2; s > 0; s >>= 1)
    {
        if (lid < s)
        {
            sums[0][lid] += sums[0][lid + s];
            sums[1][lid] += sums[1][lid + s];
        }
        BARRIER();
    }
    if (lid == 0)
    {
        const LONG groups = NUM_GROUPS(0) * NUM_GROUPS(1);
        const LONG group = GROUP_ID(1) * NUM_GROUPS(0) + GROUP_ID(0);
        partials[partials_off + group] = sums[0][0];
        partials[partials_off + groups + group] = sums[1][0];
    }
}

KERNEL void low_rank_apply(int m, int n, int r,
                           GLOBAL float* RESTRICT g, LONG g_off,
                           GLOBAL const float* RESTRICT p, LONG p_off,
                           GLOBAL const float* RESTRICT c, LONG c_off,
                           float lambda_local, float lambda_delta)
{
    LOCAL_MEM float tile[LR_ROWS * LR_MAX_RANK];
    const int lid = (int)LOCAL_ID(0);
    const LONG col = GROUP_ID(0) * WG_SIZE + lid;
    const LONG batch = GROUP_ID(1);
    GLOBAL float* gb = g + g_off + batch * (LONG)m * n;
    GLOBAL const float* pb = p + p_off + batch * (LONG)m * r;

    // lambda_delta C: ranks past r stay zero, so their multiply-adds add nothing.
    float coefficient[LR_MAX_RANK];
#pragma unroll
    for (int k = 0; k < LR_MAX_RANK; ++k)
        coefficient[k] = col < n && k < r ? lambda_delta * c[c_off + batch * (LONG)r * n + (LONG)k * n + col] : 0.0f;
    for (int i0 = 0; i0 < m; i0 += LR_ROWS)
    {
        low_rank_stage(tile, pb, m, r, i0, lid);
        BARRIER();
        const int rows = m - i0 < LR_ROWS ? m - i0 : LR_ROWS;
        if (col < n)
            for (int ib = 0; ib < rows; ib += LR_BATCH)
            {
                float x[LR_BATCH];
                low_rank_load(gb, n, col, i0 + ib, rows - ib, x);
#pragma unroll
                for (int u = 0; u < LR_BATCH; ++u)
                {
                    if (ib + u >= rows) break;
                    float global_part = 0.0f;
#pragma unroll
                    for (int k = 0; k < LR_MAX_RANK; ++k)
                        global_part = FMA(tile[(ib + u) * LR_MAX_RANK + k], coefficient[k], global_part);
                    gb[(LONG)(i0 + ib + u) * n + col] = FMA(lambda_local, x[u], global_part);
                }
            }
        BARRIER();
    }
}
