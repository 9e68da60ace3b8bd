using System.Runtime.Intrinsics;

namespace Engine.Kernels.Cpu;

/// <summary>
/// GEMM with a few rows of C and op(B) stored by rows (C = α·op(A)·B + β·C, M ≤ <see cref="MaxRows"/>, N large), e.g. the
/// coefficients PᵀG of a gradient in a rank-r basis. Packing B would copy the whole large operand to use each element M
/// times; this reads B once instead: C is cut into <see cref="Block"/>-column blocks (one per task), and within a block each
/// 4×32 tile of C accumulates in registers over all of K, with B's rows of the block from the L2 cache and A's
/// elements broadcast. Each element of C is summed in k order by one thread, so results do not depend on the thread count.
/// </summary>
internal static unsafe class GemmFewRows
{
    public const int MaxRows = 32;

    /// <summary>Columns per task: K rows of 256 floats of B stay in L2 while every row tile of C walks them.</summary>
    private const int Block = 256;

    private const int Width = 16;

    public static bool Applies(in GemmProblem p) =>
        Vector512.IsHardwareAccelerated && !p.TransB && p.M <= MaxRows && p.N >= 2 * Block;

    public static void Run(GemmProblem p, bool parallel)
    {
        int blocks = (p.N + Block - 1) / Block;
        if (!parallel) { for (int b = 0; b < blocks; b++) RunBlock(p, b); return; }
        Parallel.For(0, blocks, b => RunBlock(p, b));
    }

    private static void RunBlock(in GemmProblem p, int block)
    {
        int j0 = block * Block, j1 = Math.Min(p.N, j0 + Block);
        int j = j0;
        for (; j + 2 * Width <= j1; j += 2 * Width)
            for (int i = 0; i < p.M; i += 4) Tile(p, i, Math.Min(4, p.M - i), j);
        for (; j < j1; j++)
            for (int i = 0; i < p.M; i++) Single(p, i, j);
    }

    /// <summary>C[i..i+rows, j..j+32] over all of K: 2 vectors per row, up to 4 rows, in registers.</summary>
    private static void Tile(in GemmProblem p, int i, int rows, int j)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (int k = 0; k < p.K; k++)
        {
            float* b = p.BAt(k, j);
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + Width);
            var a = Vector512.Create(*p.AAt(i, k));
            c00 = Vector512.FusedMultiplyAdd(a, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            if (rows < 2) continue;
            a = Vector512.Create(*p.AAt(i + 1, k));
            c10 = Vector512.FusedMultiplyAdd(a, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            if (rows < 3) continue;
            a = Vector512.Create(*p.AAt(i + 2, k));
            c20 = Vector512.FusedMultiplyAdd(a, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            if (rows < 4) continue;
            a = Vector512.Create(*p.AAt(i + 3, k));
            c30 = Vector512.FusedMultiplyAdd(a, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
        }
        Store(p, i, j, c00, c01);
        if (rows > 1) Store(p, i + 1, j, c10, c11);
        if (rows > 2) Store(p, i + 2, j, c20, c21);
        if (rows > 3) Store(p, i + 3, j, c30, c31);
    }

    private static void Store(in GemmProblem p, int i, int j, Vector512<float> lo, Vector512<float> hi)
    {
        float* c = p.C + i * p.Ldc + j;
        var alpha = Vector512.Create(p.Alpha);
        if (p.Beta == 0)
        {
            (alpha * lo).Store(c);
            (alpha * hi).Store(c + Width);
            return;
        }
        var beta = Vector512.Create(p.Beta);
        Vector512.FusedMultiplyAdd(alpha, lo, beta * Vector512.Load(c)).Store(c);
        Vector512.FusedMultiplyAdd(alpha, hi, beta * Vector512.Load(c + Width)).Store(c + Width);
    }

    private static void Single(in GemmProblem p, int i, int j)
    {
        float sum = 0;
        for (int k = 0; k < p.K; k++) sum = MathF.FusedMultiplyAdd(*p.AAt(i, k), *p.BAt(k, j), sum);
        float* c = p.C + i * p.Ldc + j;
        *c = p.Beta == 0 ? p.Alpha * sum : p.Alpha * sum + p.Beta * *c;
    }
}
