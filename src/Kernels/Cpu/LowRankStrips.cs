using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels.Cpu;

/// <summary>
/// G ← λ_l G + δ·P(PᵀG) on a strip of 16 columns of an m×n matrix G (P: m×r, orthonormal), in two sweeps down the strip:
/// the strip's coefficients PᵀG (16 × 16 per pass: 16 of the r coefficients, one vector each, in registers) with ||G||²
/// beside them, then each row rewritten from the same registers while the strip (m × 64 B) is still in L1.
/// <para>
/// Why not two GEMMs: each of the r = m/8 coefficients costs one multiply-add per element twice, and with the coefficients
/// in registers and P broadcast from L1 every load feeds as many multiply-adds as there are coefficients; a GEMM with
/// K = r and M or N = r spends its time in packing and edge tiles instead. Rows are 4·n bytes apart, too many streams for
/// the hardware prefetcher, so the first sweep prefetches each row four strips ahead.
/// </para>
/// P is kept zero-padded to a multiple of 16 columns (a pass always holds 16 coefficients; the padding gives zeros).
/// A strip narrower than 16 columns (the matrix's last) runs on a zero-padded copy.
/// </summary>
internal unsafe struct LowRankStrips : IDisposable
{
    public const int Width = 16;
    private const int PrefetchAhead = 4 * Width;

    private readonly int _rows, _rank, _padded;
    /// <summary>P padded: [rows, _padded]; the coefficients of one strip: [_padded, Width]; a narrow strip's copy: [rows, Width].</summary>
    private float* _basis, _coefficients, _narrow;

    public LowRankStrips(int rows, int rank)
    {
        _rows = rows;
        _rank = rank;
        _padded = (rank + Width - 1) / Width * Width;
        long floats = (long)rows * _padded + (long)_padded * Width + (long)rows * Width;
        _basis = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
        _coefficients = _basis + (long)rows * _padded;
        _narrow = _coefficients + (long)_padded * Width;
    }

    /// <summary>Copies P (rows × rank, row-major) into the zero-padded layout.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void LoadBasis(float* p)
    {
        for (int i = 0; i < _rows; i++)
        {
            float* row = _basis + (long)i * _padded;
            new ReadOnlySpan<float>(p + (long)i * _rank, _rank).CopyTo(new Span<float>(row, _rank));
            new Span<float>(row + _rank, _padded - _rank).Clear();
        }
    }

    /// <summary>
    /// Adjusts columns [0, <paramref name="width"/>) of the strip at <paramref name="g"/> (row stride <paramref name="stride"/>) and
    /// writes its coefficients to <paramref name="c"/> (r rows, same stride). Returns Σ coefficients² and Σ G² before the adjust.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public (double GlobalSq, double GradSq) Adjust(float* g, float* c, long stride, int width, float lambdaLocal, float lambdaDelta)
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
        for (int k0 = 0; k0 < _padded; k0 += Width)
        {
            var (stripSq, coefficientSq) = Coefficients(strip, step, _basis + k0, _padded, _rows, _coefficients + (long)k0 * Width,
                                                        prefetch: width == Width && k0 == 0);
            if (k0 == 0) gradSq = stripSq;
            globalSq += coefficientSq;
        }
        for (int k = 0; k < _rank; k++)
        {
            float* source = _coefficients + (long)k * Width;
            if (width == Width) Vector512.Load(source).Store(c + k * stride);
            else new ReadOnlySpan<float>(source, width).CopyTo(new Span<float>(c + k * stride, width));
        }
        for (int k0 = 0; k0 < _padded; k0 += Width)
            Apply(strip, step, _basis + k0, _padded, _rows, _coefficients + (long)k0 * Width, k0 == 0 ? lambdaLocal : 1f, lambdaDelta);
        if (width < Width)
            for (int i = 0; i < _rows; i++)
                new ReadOnlySpan<float>(_narrow + (long)i * Width, width).CopyTo(new Span<float>(g + i * stride, width));
        return (globalSq, gradSq);
    }

    /// <summary>
    /// coefficients[k] = Σ_i basis[i, k]·strip[i] for the 16 columns k of this pass; returns Σ strip² and Σ coefficients²
    /// (padding columns and padding rows give zero coefficients, so every lane counts).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double StripSq, double CoefficientSq) Coefficients(float* strip, long stride, float* basis, int basisStride, int rows, float* coefficients, bool prefetch)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        var squares = Vector512<float>.Zero;
        for (int i = 0; i < rows; i++)
        {
            float* row = strip + i * stride;
            if (prefetch) Sse.Prefetch0(row + PrefetchAhead);
            var x = Vector512.Load(row);
            float* pk = basis + (long)i * basisStride;
            squares = Vector512.FusedMultiplyAdd(x, x, squares);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[0]), x, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[1]), x, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[2]), x, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[3]), x, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[4]), x, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[5]), x, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[6]), x, a6);
            a7 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[7]), x, a7);
            a8 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[8]), x, a8);
            a9 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[9]), x, a9);
            a10 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[10]), x, a10);
            a11 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[11]), x, a11);
            a12 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[12]), x, a12);
            a13 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[13]), x, a13);
            a14 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[14]), x, a14);
            a15 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[15]), x, a15);
        }
        a0.Store(coefficients + 0);
        a1.Store(coefficients + 16);
        a2.Store(coefficients + 32);
        a3.Store(coefficients + 48);
        a4.Store(coefficients + 64);
        a5.Store(coefficients + 80);
        a6.Store(coefficients + 96);
        a7.Store(coefficients + 112);
        a8.Store(coefficients + 128);
        a9.Store(coefficients + 144);
        a10.Store(coefficients + 160);
        a11.Store(coefficients + 176);
        a12.Store(coefficients + 192);
        a13.Store(coefficients + 208);
        a14.Store(coefficients + 224);
        a15.Store(coefficients + 240);
        var coefficientSq = a0 * a0;
        coefficientSq = Vector512.FusedMultiplyAdd(a1, a1, coefficientSq);
        coefficientSq = Vector512.FusedMultiplyAdd(a2, a2, coefficientSq);
        coefficientSq = Vector512.FusedMultiplyAdd(a3, a3, coefficientSq);
        coefficientSq = Vector512.FusedMultiplyAdd(a4, a4, coefficientSq);
        coefficientSq = Vector512.FusedMultiplyAdd(a5, a5, coefficientSq);
        coefficientSq = Vector512.FusedMultiplyAdd(a6, a6, coefficientSq);
        coefficientSq = Vector512.FusedMultiplyAdd(a7, a7, coefficientSq);
        coefficientSq = Vector512.FusedMultiplyAdd(a8, a8, coefficientSq);
        coefficientSq = Vector512.FusedMultiplyAdd(a9, a9, coefficientSq);
        coefficientSq = Vector512.FusedMultiplyAdd(a10, a10, coefficientSq);
        coefficientSq = Vector512.FusedMultiplyAdd(a11, a11, coefficientSq);
        coefficientSq = Vector512.FusedMultiplyAdd(a12, a12, coefficientSq);
        coefficientSq = Vector512.FusedMultiplyAdd(a13, a13, coefficientSq);
        coefficientSq = Vector512.FusedMultiplyAdd(a14, a14, coefficientSq);
        coefficientSq = Vector512.FusedMultiplyAdd(a15, a15, coefficientSq);
        return (Vector512.Sum(squares), Vector512.Sum(coefficientSq));
    }

    /// <summary>strip[i] = scale·strip[i] + delta·Σ_k basis[i, k]·coefficients[k] over the 16 columns k of this pass.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Apply(float* strip, long stride, float* basis, int basisStride, int rows, float* coefficients, float scale, float deltaScalar)
    {
        var delta = Vector512.Create(deltaScalar);
        var keep = Vector512.Create(scale);
        var a0 = delta * Vector512.Load(coefficients + 0);
        var a1 = delta * Vector512.Load(coefficients + 16);
        var a2 = delta * Vector512.Load(coefficients + 32);
        var a3 = delta * Vector512.Load(coefficients + 48);
        var a4 = delta * Vector512.Load(coefficients + 64);
        var a5 = delta * Vector512.Load(coefficients + 80);
        var a6 = delta * Vector512.Load(coefficients + 96);
        var a7 = delta * Vector512.Load(coefficients + 112);
        var a8 = delta * Vector512.Load(coefficients + 128);
        var a9 = delta * Vector512.Load(coefficients + 144);
        var a10 = delta * Vector512.Load(coefficients + 160);
        var a11 = delta * Vector512.Load(coefficients + 176);
        var a12 = delta * Vector512.Load(coefficients + 192);
        var a13 = delta * Vector512.Load(coefficients + 208);
        var a14 = delta * Vector512.Load(coefficients + 224);
        var a15 = delta * Vector512.Load(coefficients + 240);
        for (int i = 0; i < rows; i++)
        {
            float* row = strip + i * stride;
            float* pk = basis + (long)i * basisStride;
            // Four independent sums: one chain of 16 dependent multiply-adds per row would leave the FMA units waiting.
            var y0 = keep * Vector512.Load(row);
            var y1 = Vector512.Create(pk[1]) * a1;
            var y2 = Vector512.Create(pk[2]) * a2;
            var y3 = Vector512.Create(pk[3]) * a3;
            y0 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[0]), a0, y0);
            y0 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[4]), a4, y0);
            y1 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[5]), a5, y1);
            y2 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[6]), a6, y2);
            y3 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[7]), a7, y3);
            y0 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[8]), a8, y0);
            y1 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[9]), a9, y1);
            y2 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[10]), a10, y2);
            y3 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[11]), a11, y3);
            y0 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[12]), a12, y0);
            y1 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[13]), a13, y1);
            y2 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[14]), a14, y2);
            y3 = Vector512.FusedMultiplyAdd(Vector512.Create(pk[15]), a15, y3);
            var y = (y0 + y1) + (y2 + y3);
            y.Store(row);
        }
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_basis);
        _basis = _coefficients = _narrow = null;
    }
}
