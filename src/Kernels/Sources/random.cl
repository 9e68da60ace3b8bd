// Counter-based random numbers: Philox4x32-10, the same algorithm as the cpu backend (Random/Philox.cs).
// Element i: counter {lo32(i), hi32(i), 0, 0}, key {lo32(seed), hi32(seed)}. Only x0 (uniform) or x0, x1
// (normal) of the four outputs are used, so element i depends on (seed, i) alone.

// Uniform values must match the cpu backend bit for bit: a + (b - a) * u without a fused multiply-add.
#if defined(__CUDACC__) && !defined(__clang__)
#define MUL_RN(x, y) __fmul_rn(x, y)
#elif defined(__CUDACC__)
// clang's CUDA mode, used only to check that the sources compile to PTX, lacks __fmul_rn without the CUDA headers.
#define MUL_RN(x, y) __nvvm_mul_rn_f(x, y)
#else
#pragma OPENCL FP_CONTRACT OFF
#define MUL_RN(x, y) ((x) * (y))
#endif

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u
#define TWO_POW_MINUS_24 5.9604644775390625e-8f
#define TWO_PI 6.28318530717958647692f

// Runs the ten Philox rounds on counter {c0, c1, 0, 0}; returns x0 and x1.
DEVICE_FN void philox_x0_x1(UINT c0, UINT c1, UINT k0, UINT k1, UINT* x0, UINT* x1)
{
    UINT c2 = 0u, c3 = 0u;
    for (int round = 0; round < 10; ++round)
    {
        ULONG p0 = (ULONG)PHILOX_M0 * (ULONG)c0;
        ULONG p1 = (ULONG)PHILOX_M1 * (ULONG)c2;
        UINT hi0 = (UINT)(p0 >> 32), lo0 = (UINT)p0;
        UINT hi1 = (UINT)(p1 >> 32), lo1 = (UINT)p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    *x0 = c0;
    *x1 = c1;
}

// dst[i] = a + (b - a) * u_i, u_i = (x0 >> 8) * 2^-24 in [0, 1).
KERNEL void random_uniform(GLOBAL float* dst, LONG dst_off, LONG count, LONG seed, float a, float b)
{
    const LONG i = GLOBAL_ID(0);
    if (i >= count) return;
    const UINT k0 = (UINT)((ULONG)seed), k1 = (UINT)((ULONG)seed >> 32);
    const float span = b - a;
    UINT x0, x1;
    philox_x0_x1((UINT)((ULONG)i), (UINT)((ULONG)i >> 32), k0, k1, &x0, &x1);
    float u = (float)(x0 >> 8) * TWO_POW_MINUS_24;
    float scaled = MUL_RN(span, u);
    dst[dst_off + i] = a + scaled;
}

// dst[i] = a + b * z_i, z_i = sqrt(-2 ln u1) cos(2 pi u2) (Box-Muller), u1 in (0, 1], u2 in [0, 1).
KERNEL void random_normal(GLOBAL float* dst, LONG dst_off, LONG count, LONG seed, float a, float b)
{
    const LONG i = GLOBAL_ID(0);
    if (i >= count) return;
    const UINT k0 = (UINT)((ULONG)seed), k1 = (UINT)((ULONG)seed >> 32);
    UINT x0, x1;
    philox_x0_x1((UINT)((ULONG)i), (UINT)((ULONG)i >> 32), k0, k1, &x0, &x1);
    float u1 = (float)((x0 >> 8) + 1u) * TWO_POW_MINUS_24;
    float u2 = (float)(x1 >> 8) * TWO_POW_MINUS_24;
    float z = SQRTF(-2.0f * LOGF(u1)) * COSF(TWO_PI * u2);
    float scaled = MUL_RN(b, z);
    dst[dst_off + i] = a + scaled;
}
