// Per-row cross-entropy: loss[r] = logsumexp(logits[r, :]) - logits[r, targets[r]].
// One work-group per row (WG_SIZE threads from the build options); targets were range-checked on the host
// side by the index_check kernel before this runs.

#ifndef WG_SIZE
#define WG_SIZE 256
#endif

#if HAS_FP64
typedef double acc_t;
#else
typedef float acc_t;
#endif

KERNEL void cross_entropy_rows(GLOBAL const float* RESTRICT logits, LONG logits_off,
                               GLOBAL const int* RESTRICT targets, LONG targets_off,
                               GLOBAL float* RESTRICT losses, LONG losses_off, int cols)
{
    LOCAL_MEM float row_max[WG_SIZE];
    LOCAL_MEM acc_t row_sum[WG_SIZE];
    const int lid = (int)LOCAL_ID(0);
    const LONG row = (LONG)GROUP_ID(0);
    GLOBAL const float* x = logits + logits_off + row * cols;

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
    if (lid == 0)
    {
        losses[losses_off + row] = m + LOGF((float)row_sum[0]) - x[targets[targets_off + row]];
    }
}
