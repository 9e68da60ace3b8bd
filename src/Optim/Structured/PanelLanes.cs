using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Optim.Structured;

/// <summary>
/// The double-precision vector operations of the panel kernels (<see cref="RotationBatch"/>, <see cref="HouseholderReduction"/>),
/// as static members of a struct: each kernel is compiled once per vector width, every call inlined. Those kernels are
/// bound by their multiply-adds once the panel sits in L2, and <see cref="System.Numerics.Vector{T}"/> stays 256 bits wide
/// on AVX-512 machines, so the widest vectors the machine has are chosen here, explicitly.
/// </summary>
internal interface IPanelLanes<TVector> where TVector : struct
{
    /// <summary>Doubles per vector.</summary>
    static abstract int Count { get; }

    /// <summary>Whether this machine runs these vectors in hardware.</summary>
    static abstract bool IsSupported { get; }

    static abstract TVector Load(ref double origin, nuint offset);
    static abstract void Store(TVector value, ref double origin, nuint offset);
    static abstract TVector Broadcast(double value);
    static abstract TVector Multiply(TVector a, TVector b);
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector addend);
}

internal struct PanelLanes512 : IPanelLanes<Vector512<double>>
{
    public static int Count => Vector512<double>.Count;
    public static bool IsSupported => Vector512.IsHardwareAccelerated;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Load(ref double origin, nuint offset) => Vector512.LoadUnsafe(ref origin, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<double> value, ref double origin, nuint offset) => value.StoreUnsafe(ref origin, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Broadcast(double value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<double> Multiply(Vector512<double> a, Vector512<double> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> MultiplyAdd(Vector512<double> a, Vector512<double> b, Vector512<double> addend) => Vector512.FusedMultiplyAdd(a, b, addend);
}

internal struct PanelLanes256 : IPanelLanes<Vector256<double>>
{
    public static int Count => Vector256<double>.Count;
    public static bool IsSupported => Vector256.IsHardwareAccelerated;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Load(ref double origin, nuint offset) => Vector256.LoadUnsafe(ref origin, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<double> value, ref double origin, nuint offset) => value.StoreUnsafe(ref origin, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Broadcast(double value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<double> Multiply(Vector256<double> a, Vector256<double> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> MultiplyAdd(Vector256<double> a, Vector256<double> b, Vector256<double> addend) => Vector256.FusedMultiplyAdd(a, b, addend);
}
