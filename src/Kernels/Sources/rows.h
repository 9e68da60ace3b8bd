// Work-group reductions over one row, shared by the row kernels (softmax, cross-entropy, LayerNorm), and the
// WG_SIZE / acc_t conventions every reduction kernel uses.
// Every work-item of the group calls them with its partial value; all get the group's result. The tree has a
// fixed shape, so results are deterministic. scratch is a LOCAL_MEM array of WG_SIZE elements, free again on return.

#ifndef WG_SIZE
#define WG_SIZE 256
#endif

#if HAS_FP64
typedef double acc_t;
#else
typedef float acc_t;
#endif

DEVICE_FN float group_max(LOCAL_PTR float* scratch, float value)
{
    const int lid = (int)LOCAL_ID(0);
    scratch[lid] = value;
    BARRIER();
    for (int s = WG_SIZE / 2; s > 0; s >>= 1)
    {
        if (lid < s) scratch[lid] = FMAXF(scratch[lid], scratch[lid + s]);
        BARRIER();
    }
    const float result = scratch[0];
    BARRIER();
    return result;
}

DEVICE_FN acc_t group_sum(LOCAL_PTR acc_t* scratch, acc_t value)
{
    const int lid = (int)LOCAL_ID(0);
    scratch[lid] = value;
    BARRIER();
    for (int s = WG_SIZE / 2; s > 0; s >>= 1)
    {
        if (lid < s) scratch[lid] += scratch[lid + s];
        BARRIER();
    }
    const acc_t result = scratch[0];
    BARRIER();
    return result;
}

// max over the row, then the sum of exp(x - max): the two halves of a stable logsumexp.
DEVICE_FN float row_max(LOCAL_PTR float* scratch, GLOBAL const float* x, int cols)
{
    float m = -1.0f / 0.0f;
    for (int c = (int)LOCAL_ID(0); c < cols; c += WG_SIZE) m = FMAXF(m, x[c]);
    return group_max(scratch, m);
}

DEVICE_FN float row_sum_exp(LOCAL_PTR acc_t* scratch, GLOBAL const float* x, int cols, float max)
{
    acc_t sum = 0;
    for (int c = (int)LOCAL_ID(0); c < cols; c += WG_SIZE) sum += (acc_t)EXPF(x[c] - max);
    return (float)group_sum(scratch, sum);
}
