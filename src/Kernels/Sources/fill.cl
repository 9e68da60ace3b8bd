// Fills: a 32-bit pattern (fp32 or int32, chosen on the host) and arange.

KERNEL void fill_bits(GLOBAL UINT* dst, LONG dst_off, LONG count, UINT bits)
{
    const LONG i = GLOBAL_ID(0);
    if (i >= count) return;
    dst[dst_off + i] = bits;
}

// dst[i] = start + i * step, computed in double where the device has it (as the cpu backend does),
// so long ranges do not drift.
KERNEL void arange(GLOBAL float* dst, LONG dst_off, LONG count, float start, float step)
{
    const LONG i = GLOBAL_ID(0);
    if (i >= count) return;
#if HAS_FP64
    dst[dst_off + i] = (float)((double)start + (double)i * (double)step);
#else
    dst[dst_off + i] = start + (float)i * step;
#endif
}
