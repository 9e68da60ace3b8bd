// Reductions of a dense [outer, axis, inner] tensor over the middle axis into dense [outer, inner].
// op: 0 Sum, 1 Mean, 2 Max, 3 SumSquares (ArgMax has its own kernels). Sums accumulate in double where the
// device has it. Every thread folds a fixed subset of the axis in order and the partials are combined by a
// fixed tree, so results are deterministic for a given WG_SIZE.
// WG_SIZE (a power of two, the launch's local size) comes from the build options.

#include "rows.h"

#define REDUCE_OP_SUM 0
#define REDUCE_OP_MEAN 1
#define REDUCE_OP_MAX 2
#define REDUCE_OP_SUM_SQUARES 3
// Columns of one work-group in the inner > 1 kernels; WG_SIZE / REDUCE_COLS threads share each column.
#define REDUCE_COLS 32
#define REDUCE_LANES (WG_SIZE / REDUCE_COLS)
#if WG_SIZE < REDUCE_COLS
#error "reduce.cl needs WG_SIZE >= REDUCE_COLS"
#endif

// NaN wins (as in the cpu backend): a max that saw a NaN is NaN.
DEVICE_FN acc_t reduce_combine(int op, acc_t x, acc_t y)
{
    if (op != REDUCE_OP_MAX) return x + y;
    if (x != x) return x;
    if (y != y) return y;
    return x > y ? x : y;
}

DEVICE_FN acc_t reduce_identity(int op)
{
    return op == REDUCE_OP_MAX ? (acc_t)(-1.0f / 0.0f) : (acc_t)0;
}

DEVICE_FN acc_t reduce_term(int op, float v)
{
    return op == REDUCE_OP_SUM_SQUARES ? (acc_t)v * (acc_t)v : (acc_t)v;
}

DEVICE_FN float reduce_finish(int op, acc_t total, LONG axis)
{
    return op == REDUCE_OP_MEAN ? (float)(total / (acc_t)axis) : (float)total;
}

// Short axes: one work-item per output folds the whole axis in order (coalesced over inner).
KERNEL void reduce_serial(GLOBAL const float* RESTRICT src, LONG src_off,
                          GLOBAL float* RESTRICT dst, LONG dst_off,
                          LONG outer, LONG axis, LONG inner, int op)
{
    const LONG out = GLOBAL_ID(0);
    if (out >= outer * inner) return;
    const LONG o = out / inner, j = out - o * inner;
    const LONG base = src_off + o * axis * inner + j;
    acc_t acc = reduce_identity(op);
    for (LONG a = 0; a < axis; ++a)
        acc = reduce_combine(op, acc, reduce_term(op, src[base + a * inner]));
    dst[dst_off + out] = reduce_finish(op, acc, axis);
}

// inner == 1: one work-group per output, reducing one contiguous row of length axis.
KERNEL void reduce_rows(GLOBAL const float* RESTRICT src, LONG src_off,
                        GLOBAL float* RESTRICT dst, LONG dst_off, LONG axis, int op)
{
    LOCAL_MEM acc_t partial[WG_SIZE];
    const int lid = (int)LOCAL_ID(0);
    const LONG row = (LONG)GROUP_ID(0);
    const LONG base = src_off + row * axis;

    acc_t acc = reduce_identity(op);
    for (LONG a = lid; a < axis; a += WG_SIZE)
        acc = reduce_combine(op, acc, reduce_term(op, src[base + a]));
    partial[lid] = acc;
    BARRIER();
    for (int s = WG_SIZE / 2; s > 0; s >>= 1)
    {
        if (lid < s) partial[lid] = reduce_combine(op, partial[lid], partial[lid + s]);
        BARRIER();
    }
    if (lid == 0) dst[dst_off + row] = reduce_finish(op, partial[0], axis);
}

// inner > 1: a work-group owns REDUCE_COLS neighbouring columns of one outer slice; REDUCE_LANES threads
// split the axis of each column. Groups: outer * ceil(inner / REDUCE_COLS).
KERNEL void reduce_cols(GLOBAL const float* RESTRICT src, LONG src_off,
                        GLOBAL float* RESTRICT dst, LONG dst_off,
                        LONG axis, LONG inner, int op)
{
    LOCAL_MEM acc_t partial[WG_SIZE];
    const int lid = (int)LOCAL_ID(0);
    const int col = lid % REDUCE_COLS, lane = lid / REDUCE_COLS;
    const LONG col_blocks = (inner + REDUCE_COLS - 1) / REDUCE_COLS;
    const LONG o = (LONG)GROUP_ID(0) / col_blocks;
    const LONG j = ((LONG)GROUP_ID(0) % col_blocks) * REDUCE_COLS + col;

    acc_t acc = reduce_identity(op);
    if (j < inner)
    {
        const LONG base = src_off + o * axis * inner + j;
        for (LONG a = lane; a < axis; a += REDUCE_LANES)
            acc = reduce_combine(op, acc, reduce_term(op, src[base + a * inner]));
    }
    partial[lid] = acc;
    BARRIER();
    for (int s = REDUCE_LANES / 2; s > 0; s >>= 1)
    {
        if (lane < s) partial[lid] = reduce_combine(op, partial[lid], partial[lid + s * REDUCE_COLS]);
        BARRIER();
    }
    if (lane == 0 && j < inner) dst[dst_off + o * inner + j] = reduce_finish(op, partial[lid], axis);
}

// ArgMax: (value, index) pairs; the larger value wins, the smaller index on ties, a NaN beats any number
// (the first NaN wins among NaNs).
DEVICE_FN int argmax_better(float v, LONG i, float best, LONG best_i)
{
    if (v != v) return best == best || i < best_i;
    if (best != best) return 0;
    return v > best || (v == best && i < best_i);
}

KERNEL void argmax_serial(GLOBAL const float* RESTRICT src, LONG src_off,
                          GLOBAL int* RESTRICT dst, LONG dst_off, LONG outer, LONG axis, LONG inner)
{
    const LONG out = GLOBAL_ID(0);
    if (out >= outer * inner) return;
    const LONG o = out / inner, j = out - o * inner;
    const LONG base = src_off + o * axis * inner + j;
    float best = src[base];
    LONG best_i = 0;
    for (LONG a = 1; a < axis; ++a)
    {
        const float v = src[base + a * inner];
        if (argmax_better(v, a, best, best_i)) { best = v; best_i = a; }
    }
    dst[dst_off + out] = (int)best_i;
}

KERNEL void argmax_rows(GLOBAL const float* RESTRICT src, LONG src_off,
                        GLOBAL int* RESTRICT dst, LONG dst_off, LONG axis)
{
    LOCAL_MEM float best_value[WG_SIZE];
    LOCAL_MEM LONG best_index[WG_SIZE];
    const int lid = (int)LOCAL_ID(0);
    const LONG row = (LONG)GROUP_ID(0);
    const LONG base = src_off + row * axis;

    float best = 0.0f;
    LONG best_i = -1;
    for (LONG a = lid; a < axis; a += WG_SIZE)
    {
        float v = src[base + a];
        if (best_i < 0 || argmax_better(v, a, best, best_i)) { best = v; best_i = a; }
    }
    best_value[lid] = best;
    best_index[lid] = best_i;
    BARRIER();
    for (int s = WG_SIZE / 2; s > 0; s >>= 1)
    {
        if (lid < s && best_index[lid + s] >= 0 &&
            (best_index[lid] < 0 ||
             argmax_better(best_value[lid + s], best_index[lid + s], best_value[lid], best_index[lid])))
        {
            best_value[lid] = best_value[lid + s];
            best_index[lid] = best_index[lid + s];
        }
        BARRIER();
    }
    if (lid == 0) dst[dst_off + row] = (int)best_index[0];
}

KERNEL void argmax_cols(GLOBAL const float* RESTRICT src, LONG src_off,
                        GLOBAL int* RESTRICT dst, LONG dst_off, LONG axis, LONG inner)
{
    LOCAL_MEM float best_value[WG_SIZE];
    LOCAL_MEM LONG best_index[WG_SIZE];
    const int lid = (int)LOCAL_ID(0);
    const int col = lid % REDUCE_COLS, lane = lid / REDUCE_COLS;
    const LONG col_blocks = (inner + REDUCE_COLS - 1) / REDUCE_COLS;
    const LONG o = (LONG)GROUP_ID(0) / col_blocks;
    const LONG j = ((LONG)GROUP_ID(0) % col_blocks) * REDUCE_COLS + col;

    float best = 0.0f;
    LONG best_i = -1;
    if (j < inner)
    {
        const LONG base = src_off + o * axis * inner + j;
        for (LONG a = lane; a < axis; a += REDUCE_LANES)
        {
            float v = src[base + a * inner];
            if (best_i < 0 || argmax_better(v, a, best, best_i)) { best = v; best_i = a; }
        }
    }
    best_value[lid] = best;
    best_index[lid] = best_i;
    BARRIER();
    for (int s = REDUCE_LANES / 2; s > 0; s >>= 1)
    {
        const int other = lid + s * REDUCE_COLS;
        if (lane < s && best_index[other] >= 0 &&
            (best_index[lid] < 0 ||
             argmax_better(best_value[other], best_index[other], best_value[lid], best_index[lid])))
        {
            best_value[lid] = best_value[other];
            best_index[lid] = best_index[other];
        }
        BARRIER();
    }
    if (lane == 0 && j < inner) dst[dst_off + o * inner + j] = (int)best_index[lid];
}
