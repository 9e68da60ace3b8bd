using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels.Cpu;

/// <summary>
/// G ← λ_l G + δ·P(PᵀG) on a strip of 16 columns of an m×n matrix G (P: m×r, orthonormal), in two sweeps down the strip:
/// the strip's coefficients PᵀG (up to 16 of the r coefficients per pass, one vector of 16 columns each, in registers) with
/// ||G||² beside them, then each row rewritten from the same registers while the strip (m × 64 B) is still in cache (L1 up
/// to m ≈ 700, L2 up to m ≈ 16K here; taller P-side matrices — m &lt; n, so also wider — reread the strip from L3).
/// <para>
/// Why not two GEMMs: each of the r = m/8 coefficients costs one multiply-add per element twice, and with the coefficients
/// in registers and P broadcast from L1 every load feeds as many multiply-adds as there are coefficients; a GEMM with
/// K = r and M or N = r spends its time in packing and edge tiles instead. Rows are 4·n bytes apart, too many streams for
/// the hardware prefetcher, so the first sweep prefetches each row four strips ahead.
/// </para>
/// A strip narrower than 16 columns (the matrix's last) runs on a zero-padded copy. Sums of squares run in fp32 lanes down
/// one strip (m terms per lane) and in double across strips.
/// </summary>
internal unsafe struct LowRankStrips : IDisposable
{
    public const int Width = 16;
    private const int PrefetchAhead = 4 * Width;

    private readonly int _rows, _rank;
    /// <summary>The coefficients of one strip, [passes·16, Width]; a narrow strip's zero-padded copy, [rows, Width].</summary>
    private float* _coefficients, _narrow;

    public LowRankStrips(int rows, int rank)
    {
        _rows = rows;
        _rank = rank;
        long coefficientRows = (rank + Width - 1) / Width * Width;
        _coefficients = (float*)NativeMemory.AlignedAlloc((nuint)((coefficientRows + rows) * Width * sizeof(float)), 64);
        _narrow = _coefficients + coefficientRows * Width;
    }

    /// <summary>
    /// Adjusts columns [0, <paramref name="width"/>) of the strip at <paramref name="g"/> (row stride <paramref name="stride"/>) in
    /// the basis <paramref name="p"/> (rows × rank, row-major) and writes the strip's coefficients to <paramref name="c"/> (rank
    /// rows, same stride). Returns Σ coefficients² and Σ G² before the adjust.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public (double GlobalSq, double GradSq) Adjust(float* p, float* g, float* c, long stride, int width, float lambdaLocal, float lambdaDelta)
    {
        float* strip = g;
        long step = stride;
        if (width < Width)
        {
            for (int i = 0; i < _rows; i++)
            {
                float* row = _narrow + (long)i * Width;
                new ReadOnlySpan<float>(g + i * stride, width).CopyTo(new Span<float>(row, width));
                new Span<float>(row + width, Width - width).Clear();
            }
            strip = _narrow;
            step = Width;
        }
        double gradSq = 0, globalSq = 0;
        for (int k0 = 0; k0 < _rank; k0 += Width)
        {
            var (stripSq, coefficientSq) = CoefficientKernels[Math.Min(Width, _rank - k0) - 1](
                strip, step, p + k0, _rank, _rows, _coefficients + (long)k0 * Width, width == Width && k0 == 0);
            if (k0 == 0) gradSq = stripSq;
            globalSq += coefficientSq;
        }
        for (int k = 0; k < _rank; k++)
        {
            float* source = _coefficients + (long)k * Width;
            if (width == Width) Vector512.Load(source).Store(c + k * stride);
            else new ReadOnlySpan<float>(source, width).CopyTo(new Span<float>(c + k * stride, width));
        }
        for (int k0 = 0; k0 < _rank; k0 += Width)
            ApplyKernels[Math.Min(Width, _rank - k0) - 1](strip, step, p + k0, _rank, _rows, _coefficients + (long)k0 * Width,
                                                          k0 == 0 ? lambdaLocal : 1f, lambdaDelta);
        if (width < Width)
            for (int i = 0; i < _rows; i++)
                new ReadOnlySpan<float>(_narrow + (long)i * Width, width).CopyTo(new Span<float>(g + i * stride, width));
        return (globalSq, gradSq);
    }

    /// <summary>
    /// How many coefficients (registers) a pass holds, as a type argument: each count compiles to its own kernel, so a rank
    /// that is not a multiple of 16 (r = 13 for 100-row matrices) costs no wasted multiply-adds and no per-row test.
    /// </summary>
    private interface IPassWidth { static abstract int Count { get; } }

    private struct W1 : IPassWidth { public static int Count => 1; }
    private struct W2 : IPassWidth { public static int Count => 2; }
    private struct W3 : IPassWidth { public static int Count => 3; }
    private struct W4 : IPassWidth { public static int Count => 4; }
    private struct W5 : IPassWidth { public static int Count => 5; }
    private struct W6 : IPassWidth { public static int Count => 6; }
    private struct W7 : IPassWidth { public static int Count => 7; }
    private struct W8 : IPassWidth { public static int Count => 8; }
    private struct W9 : IPassWidth { public static int Count => 9; }
    private struct W10 : IPassWidth { public static int Count => 10; }
    private struct W11 : IPassWidth { public static int Count => 11; }
    private struct W12 : IPassWidth { public static int Count => 12; }
    private struct W13 : IPassWidth { public static int Count => 13; }
    private struct W14 : IPassWidth { public static int Count => 14; }
    private struct W15 : IPassWidth { public static int Count => 15; }
    private struct W16 : IPassWidth { public static int Count => 16; }

    private static readonly delegate*<float*, long, float*, int, int, float*, bool, (double, double)>[] CoefficientKernels =
        [&Coefficients<W1>, &Coefficients<W2>, &Coefficients<W3>, &Coefficients<W4>, &Coefficients<W5>, &Coefficients<W6>, &Coefficients<W7>, &Coefficients<W8>, &Coefficients<W9>, &Coefficients<W10>, &Coefficients<W11>, &Coefficients<W12>, &Coefficients<W13>, &Coefficients<W14>, &Coefficients<W15>, &Coefficients<W16>];

    private static readonly delegate*<float*, long, float*, int, int, float*, float, float, void>[] ApplyKernels =
        [&Apply<W1>, &Apply<W2>, &Apply<W3>, &Apply<W4>, &Apply<W5>, &Apply<W6>, &Apply<W7>, &Apply<W8>, &Apply<W9>, &Apply<W10>, &Apply<W11>, &Apply<W12>, &Apply<W13>, &Apply<W14>, &Apply<W15>, &Apply<W16>];

    /// <summary>
    /// coefficients[k] = Σ_i basis[i, k]·strip[i] for the <typeparamref name="TWidth"/> columns k of this pass; returns Σ strip²
    /// and Σ coefficients² (a narrow strip's padding columns give zero coefficients, so every lane counts).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double StripSq, double CoefficientSq) Coefficients<TWidth>(float* strip, long stride, float* basis, int basisStride, int rows,
                                                                               float* coefficients, bool prefetch)
        where TWidth : struct, IPassWidth
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        var squares = Vector512<float>.Zero;
        for (int i = 0; i < rows; i++)
        {
            float* row = strip + i * stride;
            if (prefetch && Sse.IsSupported) Sse.Prefetch0(row + PrefetchAhead);
            var x = Vector512.Load(row);
            float* pk = basis + (long)i * basisStride;
            squares = Vector512.FusedMultiplyAdd(x, x, squares);
            if (TWidth.Count > 0) a0 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[0]), x, a0);
            if (TWidth.Count > 1) a1 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[1]), x, a1);
            if (TWidth.Count > 2) a2 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[2]), x, a2);
            if (TWidth.Count > 3) a3 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[3]), x, a3);
            if (TWidth.Count > 4) a4 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[4]), x, a4);
            if (TWidth.Count > 5) a5 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[5]), x, a5);
            if (TWidth.Count > 6) a6 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[6]), x, a6);
            if (TWidth.Count > 7) a7 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[7]), x, a7);
            if (TWidth.Count > 8) a8 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[8]), x, a8);
            if (TWidth.Count > 9) a9 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[9]), x, a9);
            if (TWidth.Count > 10) a10 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[10]), x, a10);
            if (TWidth.Count > 11) a11 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[11]), x, a11);
            if (TWidth.Count > 12) a12 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[12]), x, a12);
            if (TWidth.Count > 13) a13 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[13]), x, a13);
            if (TWidth.Count > 14) a14 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[14]), x, a14);
            if (TWidth.Count > 15) a15 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[15]), x, a15);
        }
        if (TWidth.Count > 0) a0.Store(coefficients + 0);
        if (TWidth.Count > 1) a1.Store(coefficients + 16);
        if (TWidth.Count > 2) a2.Store(coefficients + 32);
        if (TWidth.Count > 3) a3.Store(coefficients + 48);
        if (TWidth.Count > 4) a4.Store(coefficients + 64);
        if (TWidth.Count > 5) a5.Store(coefficients + 80);
        if (TWidth.Count > 6) a6.Store(coefficients + 96);
        if (TWidth.Count > 7) a7.Store(coefficients + 112);
        if (TWidth.Count > 8) a8.Store(coefficients + 128);
        if (TWidth.Count > 9) a9.Store(coefficients + 144);
        if (TWidth.Count > 10) a10.Store(coefficients + 160);
        if (TWidth.Count > 11) a11.Store(coefficients + 176);
        if (TWidth.Count > 12) a12.Store(coefficients + 192);
        if (TWidth.Count > 13) a13.Store(coefficients + 208);
        if (TWidth.Count > 14) a14.Store(coefficients + 224);
        if (TWidth.Count > 15) a15.Store(coefficients + 240);
        var coefficientSq = Vector512<float>.Zero;
        if (TWidth.Count > 0) coefficientSq = Vector512.FusedMultiplyAdd(a0, a0, coefficientSq);
        if (TWidth.Count > 1) coefficientSq = Vector512.FusedMultiplyAdd(a1, a1, coefficientSq);
        if (TWidth.Count > 2) coefficientSq = Vector512.FusedMultiplyAdd(a2, a2, coefficientSq);
        if (TWidth.Count > 3) coefficientSq = Vector512.FusedMultiplyAdd(a3, a3, coefficientSq);
        if (TWidth.Count > 4) coefficientSq = Vector512.FusedMultiplyAdd(a4, a4, coefficientSq);
        if (TWidth.Count > 5) coefficientSq = Vector512.FusedMultiplyAdd(a5, a5, coefficientSq);
        if (TWidth.Count > 6) coefficientSq = Vector512.FusedMultiplyAdd(a6, a6, coefficientSq);
        if (TWidth.Count > 7) coefficientSq = Vector512.FusedMultiplyAdd(a7, a7, coefficientSq);
        if (TWidth.Count > 8) coefficientSq = Vector512.FusedMultiplyAdd(a8, a8, coefficientSq);
        if (TWidth.Count > 9) coefficientSq = Vector512.FusedMultiplyAdd(a9, a9, coefficientSq);
        if (TWidth.Count > 10) coefficientSq = Vector512.FusedMultiplyAdd(a10, a10, coefficientSq);
        if (TWidth.Count > 11) coefficientSq = Vector512.FusedMultiplyAdd(a11, a11, coefficientSq);
        if (TWidth.Count > 12) coefficientSq = Vector512.FusedMultiplyAdd(a12, a12, coefficientSq);
        if (TWidth.Count > 13) coefficientSq = Vector512.FusedMultiplyAdd(a13, a13, coefficientSq);
        if (TWidth.Count > 14) coefficientSq = Vector512.FusedMultiplyAdd(a14, a14, coefficientSq);
        if (TWidth.Count > 15) coefficientSq = Vector512.FusedMultiplyAdd(a15, a15, coefficientSq);
        return (Vector512.Sum(squares), Vector512.Sum(coefficientSq));
    }

    /// <summary>strip[i] = scale·strip[i] + delta·Σ_k basis[i, k]·coefficients[k] over the <typeparamref name="TWidth"/> columns k of this pass.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Apply<TWidth>(float* strip, long stride, float* basis, int basisStride, int rows, float* coefficients, float scale,
                                      float deltaScalar)
        where TWidth : struct, IPassWidth
    {
        var delta = Vector512.Create(deltaScalar);
        var keep = Vector512.Create(scale);
        var a0 = TWidth.Count > 0 ? delta * Vector512.Load(coefficients + 0) : default;
        var a1 = TWidth.Count > 1 ? delta * Vector512.Load(coefficients + 16) : default;
        var a2 = TWidth.Count > 2 ? delta * Vector512.Load(coefficients + 32) : default;
        var a3 = TWidth.Count > 3 ? delta * Vector512.Load(coefficients + 48) : default;
        var a4 = TWidth.Count > 4 ? delta * Vector512.Load(coefficients + 64) : default;
        var a5 = TWidth.Count > 5 ? delta * Vector512.Load(coefficients + 80) : default;
        var a6 = TWidth.Count > 6 ? delta * Vector512.Load(coefficients + 96) : default;
        var a7 = TWidth.Count > 7 ? delta * Vector512.Load(coefficients + 112) : default;
        var a8 = TWidth.Count > 8 ? delta * Vector512.Load(coefficients + 128) : default;
        var a9 = TWidth.Count > 9 ? delta * Vector512.Load(coefficients + 144) : default;
        var a10 = TWidth.Count > 10 ? delta * Vector512.Load(coefficients + 160) : default;
        var a11 = TWidth.Count > 11 ? delta * Vector512.Load(coefficients + 176) : default;
        var a12 = TWidth.Count > 12 ? delta * Vector512.Load(coefficients + 192) : default;
        var a13 = TWidth.Count > 13 ? delta * Vector512.Load(coefficients + 208) : default;
        var a14 = TWidth.Count > 14 ? delta * Vector512.Load(coefficients + 224) : default;
        var a15 = TWidth.Count > 15 ? delta * Vector512.Load(coefficients + 240) : default;
        for (int i = 0; i < rows; i++)
        {
            float* row = strip + i * stride;
            float* pk = basis + (long)i * basisStride;
            // Four independent sums: one chain of 16 dependent multiply-adds per row would leave the FMA units waiting.
            var y0 = keep * Vector512.Load(row);
            Vector512<float> y1 = default, y2 = default, y3 = default;
            if (TWidth.Count > 0) y0 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[0]), a0, y0);
            if (TWidth.Count > 1) y1 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[1]), a1, y1);
            if (TWidth.Count > 2) y2 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[2]), a2, y2);
            if (TWidth.Count > 3) y3 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[3]), a3, y3);
            if (TWidth.Count > 4) y0 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[4]), a4, y0);
            if (TWidth.Count > 5) y1 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[5]), a5, y1);
            if (TWidth.Count > 6) y2 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[6]), a6, y2);
            if (TWidth.Count > 7) y3 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[7]), a7, y3);
            if (TWidth.Count > 8) y0 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[8]), a8, y0);
            if (TWidth.Count > 9) y1 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[9]), a9, y1);
            if (TWidth.Count > 10) y2 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[10]), a10, y2);
            if (TWidth.Count > 11) y3 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[11]), a11, y3);
            if (TWidth.Count > 12) y0 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[12]), a12, y0);
            if (TWidth.Count > 13) y1 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[13]), a13, y1);
            if (TWidth.Count > 14) y2 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[14]), a14, y2);
            if (TWidth.Count > 15) y3 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[15]), a15, y3);
            ((y0 + y1) + (y2 + y3)).Store(row);
        }
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_coefficients);
        _coefficients = _narrow = null;
    }
}
