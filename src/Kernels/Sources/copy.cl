// Copies of 4-byte elements (fp32 or int32 alike: moved as bit patterns, never converted).
// One work-item per element, no loop: PoCL vectorizes such kernels across work-items (a grid-stride loop
// made them ~10x slower there).

#define COPY_MAX_RANK 8

KERNEL void copy_dense(GLOBAL const UINT* RESTRICT src, LONG src_off,
                       GLOBAL UINT* RESTRICT dst, LONG dst_off, LONG count)
{
    const LONG i = GLOBAL_ID(0);
    if (i >= count) return;
    dst[dst_off + i] = src[src_off + i];
}

// dst[i * dst_stride] = src[i * src_stride]: one strided row (also a broadcast when src_stride is 0).
KERNEL void copy_row(GLOBAL const UINT* RESTRICT src, LONG src_off, LONG src_stride,
                     GLOBAL UINT* RESTRICT dst, LONG dst_off, LONG dst_stride, LONG count)
{
    const LONG i = GLOBAL_ID(0);
    if (i >= count) return;
    dst[dst_off + i * dst_stride] = src[src_off + i * src_stride];
}

// Strided copy of rank 2 to 4 (shape padded with leading 1s) and fewer than 2^31 elements: the layout travels as
// arguments (no upload per launch) and the index decomposes in 32-bit arithmetic (64-bit division is a long software
// sequence on GPUs: the general kernel below moved a small preset's head transposes at ~280 GB/s on an H100).
KERNEL void copy_strided4(GLOBAL const UINT* RESTRICT src, LONG src_off, GLOBAL UINT* RESTRICT dst, LONG dst_off,
                          int n1, int n2, int n3, LONG s0, LONG s1, LONG s2, LONG s3,
                          LONG t0, LONG t1, LONG t2, LONG t3, int count)
{
    const LONG id = GLOBAL_ID(0);
    if (id >= count) return;
    const int i = (int)id;
    const int k3 = i % n3, r2 = i / n3;
    const int k2 = r2 % n2, r1 = r2 / n2;
    const int k1 = r1 % n1, k0 = r1 / n1;
    dst[dst_off + k0 * t0 + k1 * t1 + k2 * t2 + k3 * t3] = src[src_off + k0 * s0 + k1 * s1 + k2 * s2 + k3 * s3];
}

// General strided copy of rank <= 8. layout holds 3 * rank LONGs: shape, then source strides, then
// destination strides, innermost dimension last. Element i is decomposed into its multi-index.
KERNEL void copy_strided(GLOBAL const UINT* RESTRICT src, LONG src_off,
                         GLOBAL UINT* RESTRICT dst, LONG dst_off,
                         GLOBAL const LONG* RESTRICT layout, LONG layout_off, int rank, LONG count)
{
    const LONG i = GLOBAL_ID(0);
    if (i >= count) return;
    LONG shape[COPY_MAX_RANK], src_strides[COPY_MAX_RANK], dst_strides[COPY_MAX_RANK];
    for (int d = 0; d < rank; ++d)
    {
        shape[d] = layout[layout_off + d];
        src_strides[d] = layout[layout_off + rank + d];
        dst_strides[d] = layout[layout_off + 2 * rank + d];
    }
    LONG rest = i, s = src_off, t = dst_off;
    for (int d = rank - 1; d >= 0; --d)
    {
        LONG k = rest % shape[d];
        rest /= shape[d];
        s += k * src_strides[d];
        t += k * dst_strides[d];
    }
    dst[t] = src[s];
}
