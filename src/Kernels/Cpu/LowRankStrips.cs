using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels.Cpu;

/// <summary>
/// G ← λ_l G + δ·P(PᵀG) on a strip of 32 columns (two vectors) of an m×n matrix G (P: m×r, orthonormal), in two sweeps
/// down the strip: the strip's coefficients PᵀG (up to <see cref="MaxPass"/> of the r coefficients per pass, two vectors
/// each, in registers) with ||G||² beside them, then each row rewritten from the same registers while the strip
/// (m × 128 B) is still in cache (L1 up to m ≈ 350, L2 up to m ≈ 8K here; taller P-side matrices — m &lt; n, so also
/// wider — reread the strip from L3).
/// <para>
/// Why not two GEMMs: each of the r = m/8 coefficients costs one multiply-add per element twice, and with the coefficients
/// in registers and P broadcast from L1 every broadcast feeds two multiply-adds (one per vector of the strip; one-vector
/// strips, one each: 2.66–2.95 ms a step on one [100, 100000] matrix against 2.42–2.76, six runs each; the rest of the
/// time is the strided rows' memory traffic). A GEMM with K = r and M or N = r spends its time in packing and edge tiles
/// instead. Rows are 4·n bytes apart, too many streams for the
/// hardware prefetcher, so the first sweep prefetches each row eight strips (1 KB) ahead (4 strips: 2.65–3.56 ms a step on
/// one [100, 100000] matrix, 8: 2.42–2.67, 16: 2.38–3.00, four runs each).
/// </para>
/// A strip narrower than 32 columns (the matrix's last) runs on a zero-padded copy. Sums of squares run in fp32 lanes down
/// one strip (m terms per lane) and in double across strips.
/// </summary>
internal unsafe struct LowRankStrips : IDisposable
{
    public const int Width = 32;
    private const int Half = 16;
    private const int PrefetchAhead = 8 * Width;

    /// <summary>Coefficients per pass: 2 × 13 accumulators, two rows of G and a broadcast fill 31 of the 32 vector registers.</summary>
    private const int MaxPass = 13;

    private readonly int _rows, _rank;
    /// <summary>The coefficients of one strip, [rank, Width]; a narrow strip's zero-padded copy, [rows, Width].</summary>
    private float* _coefficients, _narrow;

    public LowRankStrips(int rows, int rank)
    {
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
        // Passes of equal size (r = 16: 8 + 8, not 13 + 3), each a kernel compiled for its count.
        int passes = (_rank + MaxPass - 1) / MaxPass;
        double gradSq = 0, globalSq = 0;
        for (int pass = 0, k0 = 0; pass < passes; k0 += PassSize(pass++, passes))
        {
            var (stripSq, coefficientSq) = CoefficientKernels[PassSize(pass, passes) - 1](
                strip, step, p + k0, _rank, _rows, _coefficients + (long)k0 * Width, width == Width && pass == 0);
            if (pass == 0) gradSq = stripSq;
            globalSq += coefficientSq;
        }
        for (int k = 0; k < _rank; k++)
        {
            float* source = _coefficients + (long)k * Width;
            if (width == Width)
            {
                Vector512.Load(source).Store(c + k * stride);
                Vector512.Load(source + Half).Store(c + k * stride + Half);
            }
            else new ReadOnlySpan<float>(source, width).CopyTo(new Span<float>(c + k * stride, width));
        }
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
        Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default, a4 = default, b4 = default, a5 = default, b5 = default, a6 = default, b6 = default, a7 = default, b7 = default, a8 = default, b8 = default, a9 = default, b9 = default, a10 = default, b10 = default, a11 = default, b11 = default, a12 = default, b12 = default;
        Vector512<float> squaresLow = default, squaresHigh = default;
        for (int i = 0; i < rows; i++)
        {
            float* row = strip + i * stride;
            if (prefetch && Sse.IsSupported)
            {
                Sse.Prefetch0(row + PrefetchAhead);
                Sse.Prefetch0(row + PrefetchAhead + Half);
            }
            var x = Vector512.Load(row);
            var y = Vector512.Load(row + Half);
            float* pk = basis + (long)i * basisStride;
            squaresLow = Vector512.FusedMultiplyAdd(x, x, squaresLow);
            squaresHigh = Vector512.FusedMultiplyAdd(y, y, squaresHigh);
            if (TWidth.Count > 0) { var s = Vector512.Create(pk[0]); a0 = Vector512.FusedMultiplyAdd(s, x, a0); b0 = Vector512.FusedMultiplyAdd(s, y, b0); }
            if (TWidth.Count > 1) { var s = Vector512.Create(pk[1]); a1 = Vector512.FusedMultiplyAdd(s, x, a1); b1 = Vector512.FusedMultiplyAdd(s, y, b1); }
            if (TWidth.Count > 2) { var s = Vector512.Create(pk[2]); a2 = Vector512.FusedMultiplyAdd(s, x, a2); b2 = Vector512.FusedMultiplyAdd(s, y, b2); }
            if (TWidth.Count > 3) { var s = Vector512.Create(pk[3]); a3 = Vector512.FusedMultiplyAdd(s, x, a3); b3 = Vector512.FusedMultiplyAdd(s, y, b3); }
            if (TWidth.Count > 4) { var s = Vector512.Create(pk[4]); a4 = Vector512.FusedMultiplyAdd(s, x, a4); b4 = Vector512.FusedMultiplyAdd(s, y, b4); }
            if (TWidth.Count > 5) { var s = Vector512.Create(pk[5]); a5 = Vector512.FusedMultiplyAdd(s, x, a5); b5 = Vector512.FusedMultiplyAdd(s, y, b5); }
            if (TWidth.Count > 6) { var s = Vector512.Create(pk[6]); a6 = Vector512.FusedMultiplyAdd(s, x, a6); b6 = Vector512.FusedMultiplyAdd(s, y, b6); }
            if (TWidth.Count > 7) { var s = Vector512.Create(pk[7]); a7 = Vector512.FusedMultiplyAdd(s, x, a7); b7 = Vector512.FusedMultiplyAdd(s, y, b7); }
            if (TWidth.Count > 8) { var s = Vector512.Create(pk[8]); a8 = Vector512.FusedMultiplyAdd(s, x, a8); b8 = Vector512.FusedMultiplyAdd(s, y, b8); }
            if (TWidth.Count > 9) { var s = Vector512.Create(pk[9]); a9 = Vector512.FusedMultiplyAdd(s, x, a9); b9 = Vector512.FusedMultiplyAdd(s, y, b9); }
            if (TWidth.Count > 10) { var s = Vector512.Create(pk[10]); a10 = Vector512.FusedMultiplyAdd(s, x, a10); b10 = Vector512.FusedMultiplyAdd(s, y, b10); }
            if (TWidth.Count > 11) { var s = Vector512.Create(pk[11]); a11 = Vector512.FusedMultiplyAdd(s, x, a11); b11 = Vector512.FusedMultiplyAdd(s, y, b11); }
            if (TWidth.Count > 12) { var s = Vector512.Create(pk[12]); a12 = Vector512.FusedMultiplyAdd(s, x, a12); b12 = Vector512.FusedMultiplyAdd(s, y, b12); }
        }
        var coefficientSq = Vector512<float>.Zero;
        if (TWidth.Count > 0) { a0.Store(coefficients + 0); b0.Store(coefficients + 16); coefficientSq = Vector512.FusedMultiplyAdd(a0, a0, Vector512.FusedMultiplyAdd(b0, b0, coefficientSq)); }
        if (TWidth.Count > 1) { a1.Store(coefficients + 32); b1.Store(coefficients + 48); coefficientSq = Vector512.FusedMultiplyAdd(a1, a1, Vector512.FusedMultiplyAdd(b1, b1, coefficientSq)); }
        if (TWidth.Count > 2) { a2.Store(coefficients + 64); b2.Store(coefficients + 80); coefficientSq = Vector512.FusedMultiplyAdd(a2, a2, Vector512.FusedMultiplyAdd(b2, b2, coefficientSq)); }
        if (TWidth.Count > 3) { a3.Store(coefficients + 96); b3.Store(coefficients + 112); coefficientSq = Vector512.FusedMultiplyAdd(a3, a3, Vector512.FusedMultiplyAdd(b3, b3, coefficientSq)); }
        if (TWidth.Count > 4) { a4.Store(coefficients + 128); b4.Store(coefficients + 144); coefficientSq = Vector512.FusedMultiplyAdd(a4, a4, Vector512.FusedMultiplyAdd(b4, b4, coefficientSq)); }
        if (TWidth.Count > 5) { a5.Store(coefficients + 160); b5.Store(coefficients + 176); coefficientSq = Vector512.FusedMultiplyAdd(a5, a5, Vector512.FusedMultiplyAdd(b5, b5, coefficientSq)); }
        if (TWidth.Count > 6) { a6.Store(coefficients + 192); b6.Store(coefficients + 208); coefficientSq = Vector512.FusedMultiplyAdd(a6, a6, Vector512.FusedMultiplyAdd(b6, b6, coefficientSq)); }
        if (TWidth.Count > 7) { a7.Store(coefficients + 224); b7.Store(coefficients + 240); coefficientSq = Vector512.FusedMultiplyAdd(a7, a7, Vector512.FusedMultiplyAdd(b7, b7, coefficientSq)); }
        if (TWidth.Count > 8) { a8.Store(coefficients + 256); b8.Store(coefficients + 272); coefficientSq = Vector512.FusedMultiplyAdd(a8, a8, Vector512.FusedMultiplyAdd(b8, b8, coefficientSq)); }
        if (TWidth.Count > 9) { a9.Store(coefficients + 288); b9.Store(coefficients + 304); coefficientSq = Vector512.FusedMultiplyAdd(a9, a9, Vector512.FusedMultiplyAdd(b9, b9, coefficientSq)); }
        if (TWidth.Count > 10) { a10.Store(coefficients + 320); b10.Store(coefficients + 336); coefficientSq = Vector512.FusedMultiplyAdd(a10, a10, Vector512.FusedMultiplyAdd(b10, b10, coefficientSq)); }
        if (TWidth.Count > 11) { a11.Store(coefficients + 352); b11.Store(coefficients + 368); coefficientSq = Vector512.FusedMultiplyAdd(a11, a11, Vector512.FusedMultiplyAdd(b11, b11, coefficientSq)); }
        if (TWidth.Count > 12) { a12.Store(coefficients + 384); b12.Store(coefficients + 400); coefficientSq = Vector512.FusedMultiplyAdd(a12, a12, Vector512.FusedMultiplyAdd(b12, b12, coefficientSq)); }
        return (Vector512.Sum(squaresLow + squaresHigh), Vector512.Sum(coefficientSq));
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
        var b0 = TWidth.Count > 0 ? delta * Vector512.Load(coefficients + 16) : default;
        var a1 = TWidth.Count > 1 ? delta * Vector512.Load(coefficients + 32) : default;
        var b1 = TWidth.Count > 1 ? delta * Vector512.Load(coefficients + 48) : default;
        var a2 = TWidth.Count > 2 ? delta * Vector512.Load(coefficients + 64) : default;
        var b2 = TWidth.Count > 2 ? delta * Vector512.Load(coefficients + 80) : default;
        var a3 = TWidth.Count > 3 ? delta * Vector512.Load(coefficients + 96) : default;
        var b3 = TWidth.Count > 3 ? delta * Vector512.Load(coefficients + 112) : default;
        var a4 = TWidth.Count > 4 ? delta * Vector512.Load(coefficients + 128) : default;
        var b4 = TWidth.Count > 4 ? delta * Vector512.Load(coefficients + 144) : default;
        var a5 = TWidth.Count > 5 ? delta * Vector512.Load(coefficients + 160) : default;
        var b5 = TWidth.Count > 5 ? delta * Vector512.Load(coefficients + 176) : default;
        var a6 = TWidth.Count > 6 ? delta * Vector512.Load(coefficients + 192) : default;
        var b6 = TWidth.Count > 6 ? delta * Vector512.Load(coefficients + 208) : default;
        var a7 = TWidth.Count > 7 ? delta * Vector512.Load(coefficients + 224) : default;
        var b7 = TWidth.Count > 7 ? delta * Vector512.Load(coefficients + 240) : default;
        var a8 = TWidth.Count > 8 ? delta * Vector512.Load(coefficients + 256) : default;
        var b8 = TWidth.Count > 8 ? delta * Vector512.Load(coefficients + 272) : default;
        var a9 = TWidth.Count > 9 ? delta * Vector512.Load(coefficients + 288) : default;
        var b9 = TWidth.Count > 9 ? delta * Vector512.Load(coefficients + 304) : default;
        var a10 = TWidth.Count > 10 ? delta * Vector512.Load(coefficients + 320) : default;
        var b10 = TWidth.Count > 10 ? delta * Vector512.Load(coefficients + 336) : default;
        var a11 = TWidth.Count > 11 ? delta * Vector512.Load(coefficients + 352) : default;
        var b11 = TWidth.Count > 11 ? delta * Vector512.Load(coefficients + 368) : default;
        var a12 = TWidth.Count > 12 ? delta * Vector512.Load(coefficients + 384) : default;
        var b12 = TWidth.Count > 12 ? delta * Vector512.Load(coefficients + 400) : default;
        for (int i = 0; i < rows; i++)
        {
            float* row = strip + i * stride;
            float* pk = basis + (long)i * basisStride;
            // Two independent sums per half: one chain of dependent multiply-adds per row would leave the FMA units waiting.
            var low0 = keep * Vector512.Load(row);
            var high0 = keep * Vector512.Load(row + Half);
            Vector512<float> low1 = default, high1 = default;
            if (TWidth.Count > 0) { var s = Vector512.Create(pk[0]); low0 = Vector512.FusedMultiplyAdd(s, a0, low0); high0 = Vector512.FusedMultiplyAdd(s, b0, high0); }
            if (TWidth.Count > 1) { var s = Vector512.Create(pk[1]); low1 = Vector512.FusedMultiplyAdd(s, a1, low1); high1 = Vector512.FusedMultiplyAdd(s, b1, high1); }
            if (TWidth.Count > 2) { var s = Vector512.Create(pk[2]); low0 = Vector512.FusedMultiplyAdd(s, a2, low0); high0 = Vector512.FusedMultiplyAdd(s, b2, high0); }
            if (TWidth.Count > 3) { var s = Vector512.Create(pk[3]); low1 = Vector512.FusedMultiplyAdd(s, a3, low1); high1 = Vector512.FusedMultiplyAdd(s, b3, high1); }
            if (TWidth.Count > 4) { var s = Vector512.Create(pk[4]); low0 = Vector512.FusedMultiplyAdd(s, a4, low0); high0 = Vector512.FusedMultiplyAdd(s, b4, high0); }
            if (TWidth.Count > 5) { var s = Vector512.Create(pk[5]); low1 = Vector512.FusedMultiplyAdd(s, a5, low1); high1 = Vector512.FusedMultiplyAdd(s, b5, high1); }
            if (TWidth.Count > 6) { var s = Vector512.Create(pk[6]); low0 = Vector512.FusedMultiplyAdd(s, a6, low0); high0 = Vector512.FusedMultiplyAdd(s, b6, high0); }
            if (TWidth.Count > 7) { var s = Vector512.Create(pk[7]); low1 = Vector512.FusedMultiplyAdd(s, a7, low1); high1 = Vector512.FusedMultiplyAdd(s, b7, high1); }
            if (TWidth.Count > 8) { var s = Vector512.Create(pk[8]); low0 = Vector512.FusedMultiplyAdd(s, a8, low0); high0 = Vector512.FusedMultiplyAdd(s, b8, high0); }
            if (TWidth.Count > 9) { var s = Vector512.Create(pk[9]); low1 = Vector512.FusedMultiplyAdd(s, a9, low1); high1 = Vector512.FusedMultiplyAdd(s, b9, high1); }
            if (TWidth.Count > 10) { var s = Vector512.Create(pk[10]); low0 = Vector512.FusedMultiplyAdd(s, a10, low0); high0 = Vector512.FusedMultiplyAdd(s, b10, high0); }
            if (TWidth.Count > 11) { var s = Vector512.Create(pk[11]); low1 = Vector512.FusedMultiplyAdd(s, a11, low1); high1 = Vector512.FusedMultiplyAdd(s, b11, high1); }
            if (TWidth.Count > 12) { var s = Vector512.Create(pk[12]); low0 = Vector512.FusedMultiplyAdd(s, a12, low0); high0 = Vector512.FusedMultiplyAdd(s, b12, high0); }
            (low0 + low1).Store(row);
            (high0 + high1).Store(row + Half);
        }
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_coefficients);
        _coefficients = _narrow = null;
    }
}
