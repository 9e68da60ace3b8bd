// Per-row cross-entropy: loss[r] = logsumexp(logits[r, :]) - logits[r, targets[r]].
// One work-group per row (WG_SIZE threads from the build options); targets were range-checked on the host
// side by the index_check kernel before this runs.

#include "rows.h"

KERNEL void cross_entropy_rows(GLOBAL const float* RESTRICT logits, LONG logits_off,
                               GLOBAL const int* RESTRICT targets, LONG targets_off,
                               GLOBAL float* RESTRICT losses, LONG losses_off, int cols)
{
    LOCAL_MEM float max_scratch[WG_SIZE];
    LOCAL_MEM acc_t sum_scratch[WG_SIZE];
    const LONG row = (LONG)GROUP_ID(0);
    GLOBAL const float* x = logits + logits_off + row * cols;

    const float m = row_max(max_scratch, x, cols);
    const float total = row_sum_exp(sum_scratch, x, cols, m);
    if (LOCAL_ID(0) == 0) losses[losses_off + row] = m + LOGF(total) - x[targets[targets_off + row]];
}
