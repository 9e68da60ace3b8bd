/* bfloat16 storage (fused programs' BFloat16 inputs and outputs): the upper half of an fp32. A load widens exactly; a
   store rounds to nearest even, and a NaN keeps its sign and stays quiet. The CPU backend (CpuKernelMemory, DTypes) uses
   the same formulas. Written against the prelude's macros (USHORT, UINT, AS_FLOAT, AS_UINT), included by both preludes. */

DEVICE_FN float engine_bf16_load(USHORT h) { return AS_FLOAT(((UINT)h) << 16); }

DEVICE_FN USHORT engine_bf16_store(float x)
{
    UINT u = AS_UINT(x);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (USHORT)((u >> 16) | 0x40u);
    return (USHORT)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
