using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels.Cpu;

/// <summary>
/// The fp32 vector operations of <see cref="LowRankStrips{TOps, TVector}"/>, as static members of a struct: the kernel is
/// compiled once per vector width, with every call inlined.
/// </summary>
internal unsafe interface IStripVector<TVector> where TVector : struct
{
    /// <summary>fp32 lanes per vector.</summary>
    static abstract int Lanes { get; }

    /// <summary>
    /// Coefficients a pass holds in registers, within the ISA's vector registers (32 with AVX-512, 16 with AVX2): two
    /// each, beside two rows of G, a broadcast and two sums of squares in the first sweep (2k + 5), and beside four partial
    /// sums, a broadcast and the scale in the second (2k + 6).
    /// </summary>
    static abstract int MaxPass { get; }

    static abstract TVector Load(float* source);
    static abstract void Store(TVector value, float* destination);
    static abstract TVector Broadcast(float value);
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector addend);
    static abstract TVector Multiply(TVector a, TVector b);
    static abstract TVector Add(TVector a, TVector b);
    static abstract float Sum(TVector value);
}

/// <summary>AVX-512: 16 lanes, 13 coefficients a pass (31 and 32 of the 32 registers).</summary>
internal unsafe struct StripVector512 : IStripVector<Vector512<float>>
{
    public static int Lanes => Vector512<float>.Count;
    public static int MaxPass => 13;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* source) => Vector512.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<float> value, float* destination) => value.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> addend) => Vector512.FusedMultiplyAdd(a, b, addend);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector512<float> value) => Vector512.Sum(value);
}

/// <summary>AVX2: 8 lanes, 5 coefficients a pass (15 and 16 of the 16 registers).</summary>
internal unsafe struct StripVector256 : IStripVector<Vector256<float>>
{
    public static int Lanes => Vector256<float>.Count;
    public static int MaxPass => 5;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* source) => Vector256.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<float> value, float* destination) => value.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> addend) => Vector256.FusedMultiplyAdd(a, b, addend);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> value) => Vector256.Sum(value);
}
