using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels.Cpu;

/// <summary>
/// G ← λ_l G + δ·P(PᵀG) on a strip of two vectors' columns (32 with AVX-512, 16 with AVX2) of an m×n matrix G (P: m×r,
/// orthonormal), in two sweeps down the strip: the strip's coefficients PᵀG (up to <see cref="IStripVector{TVector}.MaxPass"/>
/// of the r coefficients per pass, two vectors each, in registers) with ||G||² beside them, then each row rewritten from
/// the same registers while the strip (m × 128 or 64 B) is still in cache (with 128-byte rows L1 up to m ≈ 350, L2 up to
/// m ≈ 8K here, twice that with 64-byte ones; taller P-side matrices — m &lt; n, so also wider — reread the strip from L3).
/// <para>
/// Why not two GEMMs: each of the r = m/8 coefficients costs one multiply-add per element twice, and with the coefficients
/// in registers and P broadcast from L1 every broadcast feeds two multiply-adds (one per vector of the strip; one-vector
/// strips, one each: 2.66–2.95 ms a step on one [100, 100000] matrix against 2.42–2.76, six runs each; the rest of the
/// time is the strided rows' memory traffic). A GEMM with K = r and M or N = r spends its time in packing and edge tiles
/// instead (on the AVX2 path 11.6–12.0 ms a step on one [100, 100000] matrix against the 256-bit strips' 5.3–8.6). Rows are 4·n bytes apart, too many streams for the hardware prefetcher, so the
/// first sweep prefetches each row eight strips ahead (AVX-512, 1 KB: 4 strips 2.65–3.56 ms a step on one [100, 100000]
/// matrix, 8: 2.42–2.67, 16: 2.38–3.00, four runs each; AVX2, 512 B: 5.3–5.9 ms, 16 strips 8.2–8.5).
/// </para>
/// A strip narrower than <see cref="Width"/> columns (the matrix's last) runs on a zero-padded copy. Sums of squares run in
/// fp32 lanes down one strip (m terms per lane) and in double across strips.
/// </summary>
internal unsafe struct LowRankStrips<TOps, TVector> : IDisposable
    where TOps : struct, IStripVector<TVector>
    where TVector : struct
{
    public static int Width => 2 * TOps.Lanes;
    private static int Half => TOps.Lanes;
    private static int PrefetchAhead => 8 * Width;
    /// <summary>Floats per cache line: the prefetches of one row of the strip.</summary>
    private const int LineFloats = 16;

    private readonly int _rows, _rank;
    /// <summary>The coefficients of one strip, [rank, Width]; a narrow strip's zero-padded copy, [rows, Width].</summary>
    private float* _coefficients, _narrow;

    public LowRankStrips(int rows, int rank)
    {
        if (TOps.MaxPass > CoefficientKernels.Length)
            throw new InvalidOperationException($"{typeof(TOps).Name}: {TOps.MaxPass} coefficients a pass, the kernels go up to {CoefficientKernels.Length}");
        _rows = rows;
        _rank = rank;
        _coefficients = (float*)NativeMemory.AlignedAlloc((nuint)(((long)rank + rows) * Width * sizeof(float)), 64);
        _narrow = _coefficients + (long)rank * Width;
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
        // Passes of equal size (r = 16 with AVX-512: 8 + 8, not 13 + 3), each a kernel compiled for its count.
        int passes = (_rank + TOps.MaxPass - 1) / TOps.MaxPass;
        double gradSq = 0, globalSq = 0;
        for (int pass = 0, k0 = 0; pass < passes; k0 += PassSize(pass++, passes))
        {
            var (stripSq, coefficientSq) = CoefficientKernels[PassSize(pass, passes) - 1](
                strip, step, p + k0, _rank, _rows, _coefficients + (long)k0 * Width, width == Width && pass == 0);
            if (pass == 0) gradSq = stripSq;
            globalSq += coefficientSq;
        }
        for (int k = 0; k < _rank; k++)
            new ReadOnlySpan<float>(_coefficients + (long)k * Width, width).CopyTo(new Span<float>(c + k * stride, width));
        for (int pass = 0, k0 = 0; pass < passes; k0 += PassSize(pass++, passes))
            ApplyKernels[PassSize(pass, passes) - 1](strip, step, p + k0, _rank, _rows, _coefficients + (long)k0 * Width,
                                                     pass == 0 ? lambdaLocal : 1f, lambdaDelta);
        if (width < Width)
            for (int i = 0; i < _rows; i++)
                new ReadOnlySpan<float>(_narrow + (long)i * Width, width).CopyTo(new Span<float>(g + i * stride, width));
        return (globalSq, gradSq);
    }

    /// <summary>Coefficients in pass <paramref name="pass"/> of <paramref name="passes"/>: the rank shared out evenly.</summary>
    private int PassSize(int pass, int passes) => _rank / passes + (pass < _rank % passes ? 1 : 0);

    /// <summary>
    /// How many coefficients (registers) a pass holds, as a type argument: each count compiles to its own kernel, so a rank
    /// that is not a multiple of the pass size costs no wasted multiply-adds and no per-row test.
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

    // Entry k - 1 compiles for k coefficients; those beyond TOps.MaxPass are never called, so never compiled.
    private static readonly delegate*<float*, long, float*, int, int, float*, bool, (double, double)>[] CoefficientKernels =
        [&Coefficients<W1>, &Coefficients<W2>, &Coefficients<W3>, &Coefficients<W4>, &Coefficients<W5>, &Coefficients<W6>, &Coefficients<W7>, &Coefficients<W8>, &Coefficients<W9>, &Coefficients<W10>, &Coefficients<W11>, &Coefficients<W12>, &Coefficients<W13>];

    private static readonly delegate*<float*, long, float*, int, int, float*, float, float, void>[] ApplyKernels =
        [&Apply<W1>, &Apply<W2>, &Apply<W3>, &Apply<W4>, &Apply<W5>, &Apply<W6>, &Apply<W7>, &Apply<W8>, &Apply<W9>, &Apply<W10>, &Apply<W11>, &Apply<W12>, &Apply<W13>];

    /// <summary>
    /// coefficients[k] = Σ_i basis[i, k]·strip[i] for the <typeparamref name="TWidth"/> columns k of this pass; returns Σ strip²
    /// and Σ coefficients² (a narrow strip's padding columns give zero coefficients, so every lane counts).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double StripSq, double CoefficientSq) Coefficients<TWidth>(float* strip, long stride, float* basis, int basisStride, int rows,
                                                                               float* coefficients, bool prefetch)
        where TWidth : struct, IPassWidth
    {
        TVector a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default, a4 = default, b4 = default, a5 = default, b5 = default, a6 = default, b6 = default, a7 = default, b7 = default, a8 = default, b8 = default, a9 = default, b9 = default, a10 = default, b10 = default, a11 = default, b11 = default, a12 = default, b12 = default;
        TVector squaresLow = default, squaresHigh = default;
        for (int i = 0; i < rows; i++)
        {
            float* row = strip + i * stride;
            if (prefetch && Sse.IsSupported)
            {
                Sse.Prefetch0(row + PrefetchAhead);
                if (Width > LineFloats) Sse.Prefetch0(row + PrefetchAhead + LineFloats);
            }
            var x = TOps.Load(row);
            var y = TOps.Load(row + Half);
            float* pk = basis + (long)i * basisStride;
            squaresLow = TOps.MultiplyAdd(x, x, squaresLow);
            squaresHigh = TOps.MultiplyAdd(y, y, squaresHigh);
            if (TWidth.Count > 0) { var s = TOps.Broadcast(pk[0]); a0 = TOps.MultiplyAdd(s, x, a0); b0 = TOps.MultiplyAdd(s, y, b0); }
            if (TWidth.Count > 1) { var s = TOps.Broadcast(pk[1]); a1 = TOps.MultiplyAdd(s, x, a1); b1 = TOps.MultiplyAdd(s, y, b1); }
            if (TWidth.Count > 2) { var s = TOps.Broadcast(pk[2]); a2 = TOps.MultiplyAdd(s, x, a2); b2 = TOps.MultiplyAdd(s, y, b2); }
            if (TWidth.Count > 3) { var s = TOps.Broadcast(pk[3]); a3 = TOps.MultiplyAdd(s, x, a3); b3 = TOps.MultiplyAdd(s, y, b3); }
            if (TWidth.Count > 4) { var s = TOps.Broadcast(pk[4]); a4 = TOps.MultiplyAdd(s, x, a4); b4 = TOps.MultiplyAdd(s, y, b4); }
            if (TWidth.Count > 5) { var s = TOps.Broadcast(pk[5]); a5 = TOps.MultiplyAdd(s, x, a5); b5 = TOps.MultiplyAdd(s, y, b5); }
            if (TWidth.Count > 6) { var s = TOps.Broadcast(pk[6]); a6 = TOps.MultiplyAdd(s, x, a6); b6 = TOps.MultiplyAdd(s, y, b6); }
            if (TWidth.Count > 7) { var s = TOps.Broadcast(pk[7]); a7 = TOps.MultiplyAdd(s, x, a7); b7 = TOps.MultiplyAdd(s, y, b7); }
            if (TWidth.Count > 8) { var s = TOps.Broadcast(pk[8]); a8 = TOps.MultiplyAdd(s, x, a8); b8 = TOps.MultiplyAdd(s, y, b8); }
            if (TWidth.Count > 9) { var s = TOps.Broadcast(pk[9]); a9 = TOps.MultiplyAdd(s, x, a9); b9 = TOps.MultiplyAdd(s, y, b9); }
            if (TWidth.Count > 10) { var s = TOps.Broadcast(pk[10]); a10 = TOps.MultiplyAdd(s, x, a10); b10 = TOps.MultiplyAdd(s, y, b10); }
            if (TWidth.Count > 11) { var s = TOps.Broadcast(pk[11]); a11 = TOps.MultiplyAdd(s, x, a11); b11 = TOps.MultiplyAdd(s, y, b11); }
            if (TWidth.Count > 12) { var s = TOps.Broadcast(pk[12]); a12 = TOps.MultiplyAdd(s, x, a12); b12 = TOps.MultiplyAdd(s, y, b12); }
        }
        TVector coefficientSq = default;
        if (TWidth.Count > 0) { TOps.Store(a0, coefficients + 0 * Width); TOps.Store(b0, coefficients + 0 * Width + Half); coefficientSq = TOps.MultiplyAdd(a0, a0, TOps.MultiplyAdd(b0, b0, coefficientSq)); }
        if (TWidth.Count > 1) { TOps.Store(a1, coefficients + 1 * Width); TOps.Store(b1, coefficients + 1 * Width + Half); coefficientSq = TOps.MultiplyAdd(a1, a1, TOps.MultiplyAdd(b1, b1, coefficientSq)); }
        if (TWidth.Count > 2) { TOps.Store(a2, coefficients + 2 * Width); TOps.Store(b2, coefficients + 2 * Width + Half); coefficientSq = TOps.MultiplyAdd(a2, a2, TOps.MultiplyAdd(b2, b2, coefficientSq)); }
        if (TWidth.Count > 3) { TOps.Store(a3, coefficients + 3 * Width); TOps.Store(b3, coefficients + 3 * Width + Half); coefficientSq = TOps.MultiplyAdd(a3, a3, TOps.MultiplyAdd(b3, b3, coefficientSq)); }
        if (TWidth.Count > 4) { TOps.Store(a4, coefficients + 4 * Width); TOps.Store(b4, coefficients + 4 * Width + Half); coefficientSq = TOps.MultiplyAdd(a4, a4, TOps.MultiplyAdd(b4, b4, coefficientSq)); }
        if (TWidth.Count > 5) { TOps.Store(a5, coefficients + 5 * Width); TOps.Store(b5, coefficients + 5 * Width + Half); coefficientSq = TOps.MultiplyAdd(a5, a5, TOps.MultiplyAdd(b5, b5, coefficientSq)); }
        if (TWidth.Count > 6) { TOps.Store(a6, coefficients + 6 * Width); TOps.Store(b6, coefficients + 6 * Width + Half); coefficientSq = TOps.MultiplyAdd(a6, a6, TOps.MultiplyAdd(b6, b6, coefficientSq)); }
        if (TWidth.Count > 7) { TOps.Store(a7, coefficients + 7 * Width); TOps.Store(b7, coefficients + 7 * Width + Half); coefficientSq = TOps.MultiplyAdd(a7, a7, TOps.MultiplyAdd(b7, b7, coefficientSq)); }
        if (TWidth.Count > 8) { TOps.Store(a8, coefficients + 8 * Width); TOps.Store(b8, coefficients + 8 * Width + Half); coefficientSq = TOps.MultiplyAdd(a8, a8, TOps.MultiplyAdd(b8, b8, coefficientSq)); }
        if (TWidth.Count > 9) { TOps.Store(a9, coefficients + 9 * Width); TOps.Store(b9, coefficients + 9 * Width + Half); coefficientSq = TOps.MultiplyAdd(a9, a9, TOps.MultiplyAdd(b9, b9, coefficientSq)); }
        if (TWidth.Count > 10) { TOps.Store(a10, coefficients + 10 * Width); TOps.Store(b10, coefficients + 10 * Width + Half); coefficientSq = TOps.MultiplyAdd(a10, a10, TOps.MultiplyAdd(b10, b10, coefficientSq)); }
        if (TWidth.Count > 11) { TOps.Store(a11, coefficients + 11 * Width); TOps.Store(b11, coefficients + 11 * Width + Half); coefficientSq = TOps.MultiplyAdd(a11, a11, TOps.MultiplyAdd(b11, b11, coefficientSq)); }
        if (TWidth.Count > 12) { TOps.Store(a12, coefficients + 12 * Width); TOps.Store(b12, coefficients + 12 * Width + Half); coefficientSq = TOps.MultiplyAdd(a12, a12, TOps.MultiplyAdd(b12, b12, coefficientSq)); }
        return (TOps.Sum(TOps.Add(squaresLow, squaresHigh)), TOps.Sum(coefficientSq));
    }

    /// <summary>strip[i] = scale·strip[i] + delta·Σ_k basis[i, k]·coefficients[k] over the <typeparamref name="TWidth"/> columns k of this pass.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Apply<TWidth>(float* strip, long stride, float* basis, int basisStride, int rows, float* coefficients, float scale,
                                      float deltaScalar)
        where TWidth : struct, IPassWidth
    {
        var delta = TOps.Broadcast(deltaScalar);
        var keep = TOps.Broadcast(scale);
        var a0 = TWidth.Count > 0 ? TOps.Multiply(delta, TOps.Load(coefficients + 0 * Width)) : default;
        var b0 = TWidth.Count > 0 ? TOps.Multiply(delta, TOps.Load(coefficients + 0 * Width + Half)) : default;
        var a1 = TWidth.Count > 1 ? TOps.Multiply(delta, TOps.Load(coefficients + 1 * Width)) : default;
        var b1 = TWidth.Count > 1 ? TOps.Multiply(delta, TOps.Load(coefficients + 1 * Width + Half)) : default;
        var a2 = TWidth.Count > 2 ? TOps.Multiply(delta, TOps.Load(coefficients + 2 * Width)) : default;
        var b2 = TWidth.Count > 2 ? TOps.Multiply(delta, TOps.Load(coefficients + 2 * Width + Half)) : default;
        var a3 = TWidth.Count > 3 ? TOps.Multiply(delta, TOps.Load(coefficients + 3 * Width)) : default;
        var b3 = TWidth.Count > 3 ? TOps.Multiply(delta, TOps.Load(coefficients + 3 * Width + Half)) : default;
        var a4 = TWidth.Count > 4 ? TOps.Multiply(delta, TOps.Load(coefficients + 4 * Width)) : default;
        var b4 = TWidth.Count > 4 ? TOps.Multiply(delta, TOps.Load(coefficients + 4 * Width + Half)) : default;
        var a5 = TWidth.Count > 5 ? TOps.Multiply(delta, TOps.Load(coefficients + 5 * Width)) : default;
        var b5 = TWidth.Count > 5 ? TOps.Multiply(delta, TOps.Load(coefficients + 5 * Width + Half)) : default;
        var a6 = TWidth.Count > 6 ? TOps.Multiply(delta, TOps.Load(coefficients + 6 * Width)) : default;
        var b6 = TWidth.Count > 6 ? TOps.Multiply(delta, TOps.Load(coefficients + 6 * Width + Half)) : default;
        var a7 = TWidth.Count > 7 ? TOps.Multiply(delta, TOps.Load(coefficients + 7 * Width)) : default;
        var b7 = TWidth.Count > 7 ? TOps.Multiply(delta, TOps.Load(coefficients + 7 * Width + Half)) : default;
        var a8 = TWidth.Count > 8 ? TOps.Multiply(delta, TOps.Load(coefficients + 8 * Width)) : default;
        var b8 = TWidth.Count > 8 ? TOps.Multiply(delta, TOps.Load(coefficients + 8 * Width + Half)) : default;
        var a9 = TWidth.Count > 9 ? TOps.Multiply(delta, TOps.Load(coefficients + 9 * Width)) : default;
        var b9 = TWidth.Count > 9 ? TOps.Multiply(delta, TOps.Load(coefficients + 9 * Width + Half)) : default;
        var a10 = TWidth.Count > 10 ? TOps.Multiply(delta, TOps.Load(coefficients + 10 * Width)) : default;
        var b10 = TWidth.Count > 10 ? TOps.Multiply(delta, TOps.Load(coefficients + 10 * Width + Half)) : default;
        var a11 = TWidth.Count > 11 ? TOps.Multiply(delta, TOps.Load(coefficients + 11 * Width)) : default;
        var b11 = TWidth.Count > 11 ? TOps.Multiply(delta, TOps.Load(coefficients + 11 * Width + Half)) : default;
        var a12 = TWidth.Count > 12 ? TOps.Multiply(delta, TOps.Load(coefficients + 12 * Width)) : default;
        var b12 = TWidth.Count > 12 ? TOps.Multiply(delta, TOps.Load(coefficients + 12 * Width + Half)) : default;
        for (int i = 0; i < rows; i++)
        {
            float* row = strip + i * stride;
            float* pk = basis + (long)i * basisStride;
            // Two independent sums per half: one chain of dependent multiply-adds per row would leave the FMA units waiting.
            var low0 = TOps.Multiply(keep, TOps.Load(row));
            var high0 = TOps.Multiply(keep, TOps.Load(row + Half));
            TVector low1 = default, high1 = default;
            if (TWidth.Count > 0) { var s = TOps.Broadcast(pk[0]); low0 = TOps.MultiplyAdd(s, a0, low0); high0 = TOps.MultiplyAdd(s, b0, high0); }
            if (TWidth.Count > 1) { var s = TOps.Broadcast(pk[1]); low1 = TOps.MultiplyAdd(s, a1, low1); high1 = TOps.MultiplyAdd(s, b1, high1); }
            if (TWidth.Count > 2) { var s = TOps.Broadcast(pk[2]); low0 = TOps.MultiplyAdd(s, a2, low0); high0 = TOps.MultiplyAdd(s, b2, high0); }
            if (TWidth.Count > 3) { var s = TOps.Broadcast(pk[3]); low1 = TOps.MultiplyAdd(s, a3, low1); high1 = TOps.MultiplyAdd(s, b3, high1); }
            if (TWidth.Count > 4) { var s = TOps.Broadcast(pk[4]); low0 = TOps.MultiplyAdd(s, a4, low0); high0 = TOps.MultiplyAdd(s, b4, high0); }
            if (TWidth.Count > 5) { var s = TOps.Broadcast(pk[5]); low1 = TOps.MultiplyAdd(s, a5, low1); high1 = TOps.MultiplyAdd(s, b5, high1); }
            if (TWidth.Count > 6) { var s = TOps.Broadcast(pk[6]); low0 = TOps.MultiplyAdd(s, a6, low0); high0 = TOps.MultiplyAdd(s, b6, high0); }
            if (TWidth.Count > 7) { var s = TOps.Broadcast(pk[7]); low1 = TOps.MultiplyAdd(s, a7, low1); high1 = TOps.MultiplyAdd(s, b7, high1); }
            if (TWidth.Count > 8) { var s = TOps.Broadcast(pk[8]); low0 = TOps.MultiplyAdd(s, a8, low0); high0 = TOps.MultiplyAdd(s, b8, high0); }
            if (TWidth.Count > 9) { var s = TOps.Broadcast(pk[9]); low1 = TOps.MultiplyAdd(s, a9, low1); high1 = TOps.MultiplyAdd(s, b9, high1); }
            if (TWidth.Count > 10) { var s = TOps.Broadcast(pk[10]); low0 = TOps.MultiplyAdd(s, a10, low0); high0 = TOps.MultiplyAdd(s, b10, high0); }
            if (TWidth.Count > 11) { var s = TOps.Broadcast(pk[11]); low1 = TOps.MultiplyAdd(s, a11, low1); high1 = TOps.MultiplyAdd(s, b11, high1); }
            if (TWidth.Count > 12) { var s = TOps.Broadcast(pk[12]); low0 = TOps.MultiplyAdd(s, a12, low0); high0 = TOps.MultiplyAdd(s, b12, high0); }
            TOps.Store(TOps.Add(low0, low1), row);
            TOps.Store(TOps.Add(high0, high1), row + Half);
        }
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_coefficients);
        _coefficients = _narrow = null;
    }
}
