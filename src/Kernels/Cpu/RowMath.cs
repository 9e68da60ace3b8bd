using System.Numerics.Tensors;

namespace Engine.Kernels.Cpu;

/// <summary>
/// Accurate sums over contiguous fp32 runs: fp32 SIMD partials over short fixed blocks, combined in double.
/// The block size is fixed, so the result is the same whichever thread computes it.
/// </summary>
internal static unsafe class RowMath
{
    /// <summary>Elements per fp32 partial: short enough that fp32 rounding stays near double's.</summary>
    public const int Block = 256;

    public static double Sum(float* p, long n)
    {
        double total = 0;
        for (long i = 0; i < n; i += Block)
            total += TensorPrimitives.Sum(new ReadOnlySpan<float>(p + i, (int)Math.Min(Block, n - i)));
        return total;
    }

    public static double SumOfSquares(float* p, long n)
    {
        double total = 0;
        for (long i = 0; i < n; i += Block)
            total += TensorPrimitives.SumOfSquares(new ReadOnlySpan<float>(p + i, (int)Math.Min(Block, n - i)));
        return total;
    }

    /// <summary>Largest element, NaN if any element is NaN.</summary>
    public static float Max(float* p, int n) => TensorPrimitives.Max(new ReadOnlySpan<float>(p, n));

    /// <summary>
    /// Writes exp(src[i] - shift) to <paramref name="dst"/> (which may alias src) and returns their sum.
    /// </summary>
    public static double ExpShiftedSum(float* src, float* dst, int n, float shift)
    {
        var to = new Span<float>(dst, n);
        TensorPrimitives.Subtract(new ReadOnlySpan<float>(src, n), shift, to);
        TensorPrimitives.Exp(to, to);
        return Sum(dst, n);
    }
}
