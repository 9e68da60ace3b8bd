// Row softmax / log-softmax, numerically stable: one work-group per row (WG_SIZE threads from the build
// options), max and sum of exponentials combined by a fixed tree, so results are deterministic.

#ifndef WG_SIZE
#define WG_SIZE 256
#endif

#if HAS_FP64
typedef double acc_t;
#else
typedef float acc_t;
#endif

KERNEL void softmax_rows(GLOBAL const float* src, LONG src_off,
                         GLOBAL float* dst, LONG dst_off, int cols, int log_softmax)
{
    LOCAL_MEM float row_max[WG_SIZE];
    LOCAL_MEM acc_t row_sum[WG_SIZE];
    const int lid = (int)LOCAL_ID(0);
    const LONG row = (LONG)GROUP_ID(0);
    GLOBAL const float* x = src + src_off + row * cols;
    GLOBAL float* y = dst + dst_off + row * cols;

    float m = -1.0f / 0.0f;
    for (int c = lid; c < cols; c += WG_SIZE) m = FMAXF(m, x[c]);
    row_max[lid] = m;
    BARRIER();
    for (int s = WG_SIZE / 2; s > 0; s >>= 1)
    {
        if (lid < s) row_max[lid] = FMAXF(row_max[lid], row_max[lid + s]);
        BARRIER();
    }
    m = row_max[0];

    acc_t sum = 0;
    for (int c = lid; c < cols; c += WG_SIZE) sum += (acc_t)EXPF(x[c] - m);
    row_sum[lid] = sum;
    BARRIER();
    for (int s = WG_SIZE / 2; s > 0; s >>= 1)
    {
        if (lid < s) row_sum[lid] += row_sum[lid + s];
        BARRIER();
    }
    const float total = (float)row_sum[0];

    if (log_softmax)
    {
        const float log_total = LOGF(total);
        for (int c = lid; c < cols; c += WG_SIZE) y[c] = x[c] - m - log_total;
    }
    else
    {
        const float inv_total = 1.0f / total;
        for (int c = lid; c < cols; c += WG_SIZE) y[c] = EXPF(x[c] - m) * inv_total;
    }
}
