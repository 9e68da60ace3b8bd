using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Kernels.Cpu;

/// <summary>
/// The row steps of one attention head on rows padded to whole vectors, inline: at T = 64 a row is four vectors, and
/// a library call per step (max, exp, sum, scale, dot) cost more than the arithmetic.
/// </summary>
internal static unsafe class AttentionRows
{
    /// <summary>Floats per vector: rows are padded to a multiple of it.</summary>
    public const int Width = 16;

    /// <summary>Columns rounded up to whole vectors.</summary>
    public static int Padded(int columns) => (columns + Width - 1) / Width * Width;

    /// <summary>
    /// p = softmax(scale·scores[0..n)) written to p[0..padded), zero from n on; scores[n..padded) are overwritten.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Softmax(float* scores, int n, int padded, float scale, float* p)
    {
        // Masked lanes become -inf: they drop out of the max, and exp(-inf) = 0 zeroes them in p.
        for (int c = n; c < padded; c++) scores[c] = float.NegativeInfinity;
        var factor = Vector512.Create(scale);
        var max = Vector512.Create(float.NegativeInfinity);
        for (int c = 0; c < padded; c += Width) max = Vector512.Max(max, Vector512.Load(scores + c) * factor);
        var shift = Vector512.Create(HorizontalMax(max));
        var sum = Vector512<float>.Zero;
        for (int c = 0; c < padded; c += Width)
        {
            var e = Vector512.Exp(Vector512.Load(scores + c) * factor - shift);
            e.Store(p + c);
            sum += e;
        }
        var inverse = Vector512.Create(1f / Vector512.Sum(sum));
        for (int c = 0; c < padded; c += Width) (Vector512.Load(p + c) * inverse).Store(p + c);
    }

    /// <summary>ds = p ⊙ (dp − Σ p·dp) over [0, padded) (p is zero past the causal part, so ds is too).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SoftmaxGrad(float* p, float* dp, int padded, float* ds)
    {
        var dot = Vector512<float>.Zero;
        for (int c = 0; c < padded; c += Width) dot = Vector512.FusedMultiplyAdd(Vector512.Load(p + c), Vector512.Load(dp + c), dot);
        var total = Vector512.Create(Vector512.Sum(dot));
        for (int c = 0; c < padded; c += Width) (Vector512.Load(p + c) * (Vector512.Load(dp + c) - total)).Store(ds + c);
    }

    private static float HorizontalMax(Vector512<float> v)
    {
        var m = Vector256.Max(v.GetLower(), v.GetUpper());
        var n = Vector128.Max(m.GetLower(), m.GetUpper());
        n = Vector128.Max(n, Vector128.Shuffle(n, Vector128.Create(2, 3, 0, 1)));
        n = Vector128.Max(n, Vector128.Shuffle(n, Vector128.Create(1, 0, 3, 2)));
        return n.ToScalar();
    }
}
