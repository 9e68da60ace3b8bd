using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Engine.Kernels.Devices;

namespace Engine.Kernels.Fusion;

/// <summary>
/// Memory access for the compiled CPU kernels. Expression trees cannot use pointers, so kernels pass
/// addresses as nint and call these (inlined) helpers.
/// </summary>
internal static unsafe class CpuKernelMemory
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(nint p, long i) => Vector512.Load((float*)p + i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(nint p, long i) => Vector256.Load((float*)p + i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store512(nint p, long i, Vector512<float> v) => v.Store((float*)p + i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store256(nint p, long i, Vector256<float> v) => v.Store((float*)p + i);

    /// <summary>Non-temporal store where the address is 64-byte aligned: large outputs skip the read-for-ownership.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Stream512(nint p, long i, Vector512<float> v)
    {
        float* a = (float*)p + i;
        if (((nint)a & 63) == 0) v.StoreAlignedNonTemporal(a);
        else v.Store(a);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Stream256(nint p, long i, Vector256<float> v)
    {
        float* a = (float*)p + i;
        if (((nint)a & 31) == 0) v.StoreAlignedNonTemporal(a);
        else v.Store(a);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LoadScalar(nint p, long i) => ((float*)p)[i];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreScalar(nint p, long i, float v) => ((float*)p)[i] = v;

    // bfloat16 storage: the upper 16 bits of an fp32, so a load is a zero-extension and a shift, and a store rounds the
    // lower half away to nearest even (a NaN keeps its sign and stays quiet). The same formulas as DTypes and the preludes.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LoadBf16x512(nint p, long i) =>
        Vector512.ShiftLeft(Vector512.WidenLower(Vector256.Load((ushort*)p + i).ToVector512Unsafe()), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LoadBf16x256(nint p, long i) =>
        Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load((ushort*)p + i).ToVector256Unsafe()), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBf16x512(nint p, long i, Vector512<float> v)
    {
        var bits = v.AsUInt32();
        var rounded = (bits + Vector512.Create(0x7FFFu) + ((bits >>> 16) & Vector512<uint>.One)) >>> 16;
        var nan = Vector512.GreaterThan(bits & Vector512.Create(0x7FFF_FFFFu), Vector512.Create(0x7F80_0000u));
        var halves = Vector512.ConditionalSelect(nan, (bits >>> 16) | Vector512.Create(0x40u), rounded);
        Vector512.Narrow(halves, halves).GetLower().Store((ushort*)p + i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBf16x256(nint p, long i, Vector256<float> v)
    {
        var bits = v.AsUInt32();
        var rounded = (bits + Vector256.Create(0x7FFFu) + ((bits >>> 16) & Vector256<uint>.One)) >>> 16;
        var nan = Vector256.GreaterThan(bits & Vector256.Create(0x7FFF_FFFFu), Vector256.Create(0x7F80_0000u));
        var halves = Vector256.ConditionalSelect(nan, (bits >>> 16) | Vector256.Create(0x40u), rounded);
        Vector256.Narrow(halves, halves).GetLower().Store((ushort*)p + i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LoadBf16Scalar(nint p, long i) => DTypes.FromBFloat16(((ushort*)p)[i]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBf16Scalar(nint p, long i, float v) => ((ushort*)p)[i] = DTypes.ToBFloat16(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nint LoadPointer(nint table, int k) => ((nint*)table)[k];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long LoadLong(nint table, int k) => ((long*)table)[k];

    public static void AddPartial(nint partials, int k, double v) => ((double*)partials)[k] += v;

    public static void MaxPartial(nint partials, int k, float v) => ((double*)partials)[k] = Math.Max(((double*)partials)[k], v);

    public static float HorizontalMax(Vector512<float> v) => MathF.Max(HorizontalMax(v.GetLower()), HorizontalMax(v.GetUpper()));

    public static float HorizontalMax(Vector256<float> v)
    {
        float m = v[0];
        for (int k = 1; k < Vector256<float>.Count; k++) m = MathF.Max(m, v[k]);
        return m;
    }
}
