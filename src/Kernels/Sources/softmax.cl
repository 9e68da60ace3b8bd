// Row softmax / log-softmax, numerically stable: one work-group per row (WG_SIZE threads from the build
// options), max and sum of exponentials combined by a fixed tree, so results are deterministic.

#include "rows.h"

KERNEL void softmax_rows(GLOBAL const float* src, LONG src_off,
                         GLOBAL float* dst, LONG dst_off, int cols, int log_softmax)
{
    LOCAL_MEM float max_scratch[WG_SIZE];
    LOCAL_MEM acc_t sum_scratch[WG_SIZE];
    const int lid = (int)LOCAL_ID(0);
    const LONG row = (LONG)GROUP_ID(0);
    GLOBAL const float* x = src + src_off + row * cols;
    GLOBAL float* y = dst + dst_off + row * cols;

    const float m = row_max(max_scratch, x, cols);
    const float total = row_sum_exp(sum_scratch, x, cols, m);

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
