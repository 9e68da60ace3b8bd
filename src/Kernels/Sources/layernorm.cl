// LayerNorm forward, one work-group per row (WG_SIZE threads from the build options):
// y = (x - mean) * rstd * gamma + beta, rstd = 1 / sqrt(var + eps), var the biased variance computed in a
// second pass over (x - mean)^2. Writes mean[row] and rstd[row] for the backward pass.

#include "rows.h"

KERNEL void layernorm_rows(GLOBAL const float* RESTRICT x, LONG x_off,
                           GLOBAL const float* RESTRICT gamma, LONG gamma_off,
                           GLOBAL const float* RESTRICT beta, LONG beta_off,
                           GLOBAL float* RESTRICT y, LONG y_off,
                           GLOBAL float* RESTRICT mean_out, LONG mean_off,
                           GLOBAL float* RESTRICT rstd_out, LONG rstd_off,
                           int cols, float eps)
{
    LOCAL_MEM acc_t scratch[WG_SIZE];
    const int lid = (int)LOCAL_ID(0);
    const LONG row = (LONG)GROUP_ID(0);
    GLOBAL const float* xr = x + x_off + row * cols;
    GLOBAL float* yr = y + y_off + row * cols;

    acc_t sum = 0;
    for (int c = lid; c < cols; c += WG_SIZE) sum += (acc_t)xr[c];
    const acc_t mean = group_sum(scratch, sum) / (acc_t)cols;

    acc_t squares = 0;
    for (int c = lid; c < cols; c += WG_SIZE)
    {
        const acc_t d = (acc_t)xr[c] - mean;
        squares += d * d;
    }
    const float variance = (float)(group_sum(scratch, squares) / (acc_t)cols);
    const float rstd = 1.0f / SQRTF(variance + eps);
    const float mean_f = (float)mean;

    for (int c = lid; c < cols; c += WG_SIZE)
        yr[c] = FMA((xr[c] - mean_f) * rstd, gamma[gamma_off + c], beta[beta_off + c]);
    if (lid == 0)
    {
        mean_out[mean_off + row] = mean_f;
        rstd_out[rstd_off + row] = rstd;
    }
}
