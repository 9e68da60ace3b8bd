namespace Engine.Kernels.Devices;

/// <summary>
/// Element type of a buffer's contents. Buffers are allocated in 4-byte units; an offset into one counts elements of
/// the type it is read as (a BFloat16 element is 2 bytes, so a buffer of n units holds 2n of them).
/// </summary>
public enum DType
{
    Float32,
    Int32,

    /// <summary>
    /// bfloat16: the upper half of an fp32 (8-bit exponent, 8-bit significand), for storage only: fused programs read
    /// it widened to fp32 exactly and write it rounded to nearest even.
    /// </summary>
    BFloat16,
}

/// <summary>Element sizes and the fp32 ↔ bfloat16 conversions every backend implements the same way.</summary>
public static class DTypes
{
    public static int Size(this DType dtype) => dtype == DType.BFloat16 ? 2 : 4;

    /// <summary>Buffer units (4 bytes) that hold <paramref name="count"/> elements of <paramref name="dtype"/>.</summary>
    public static long Units(this DType dtype, long count) => dtype == DType.BFloat16 ? (count + 1) / 2 : count;

    /// <summary>fp32 → bfloat16, rounded to nearest even; a NaN stays a (quiet) NaN, overflow goes to ±∞.</summary>
    public static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFF_FFFFu) > 0x7F80_0000u) return (ushort)((bits >> 16) | 0x40u);
        return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
    }

    /// <summary>bfloat16 → fp32 (exact).</summary>
    public static float FromBFloat16(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);

    /// <summary>The fp32 value a bfloat16 store of <paramref name="value"/> reads back as.</summary>
    public static float RoundToBFloat16(float value) => FromBFloat16(ToBFloat16(value));
}
