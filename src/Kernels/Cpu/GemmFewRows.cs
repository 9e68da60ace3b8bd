using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels.Cpu;

/// <summary>
/// GEMM with a few rows of C and op(B) stored by rows (C = α·op(A)·B + β·C, M ≤ <see cref="MaxRows"/>), e.g. the
/// coefficients PᵀG of a gradient in a rank-r basis (N large), or one attention head's products (N ≤ T, called
/// directly, not through <see cref="Applies"/>). Packing B would copy the whole large operand to use each element M
/// times; this reads B once instead: C is cut into <see cref="Block"/>-column blocks (one per task), and within a block each
/// 4×32 tile of C (and each 1×32 of the rows left over) accumulates in registers over all of K, with B's rows of the block from the L2 cache and A's
/// elements broadcast. Each element of C is summed in k order by one thread, so results do not depend on the thread count.
/// </summary>
internal static unsafe class GemmFewRows
{
    public const int MaxRows = 32;

    /// <summary>Columns per task: K rows of 512 floats of B stay in L2 while every row tile of C walks them.</summary>
    private const int Block = 512;

    private const int Width = 16;

    public static bool Applies(in GemmProblem p) =>
        Vector512.IsHardwareAccelerated && !p.TransB && p.M <= MaxRows && p.N >= 2 * Width * 8;

    public static void Run(GemmProblem p, bool parallel)
    {
        int blocks = (p.N + Block - 1) / Block;
        if (!parallel) { for (int b = 0; b < blocks; b++) RunBlock(p, b); return; }
        CpuWorkers.For(blocks, b => RunBlock(p, (int)b));
    }

    // Fully optimized from the first call: tiered compilation would run the first (large) GEMMs unoptimized.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunBlock(in GemmProblem p, int block)
    {
        int j0 = block * Block, j1 = Math.Min(p.N, j0 + Block);
        // op(A)[i, k] = a[i·rowStep + k·kStep]
        long rowStep = p.TransA ? 1 : p.Lda, kStep = p.TransA ? p.Lda : 1;
        int j = j0;
        for (; j + 2 * Width <= j1; j += 2 * Width)
        {
            int i = 0;
            for (; i + 4 <= p.M; i += 4) Tile4(p, p.A + i * rowStep, rowStep, kStep, i, j);
            for (; i < p.M; i++) Tile1(p, p.A + i * rowStep, kStep, i, j);
        }
        for (; j + Width <= j1; j += Width)
            for (int i = 0; i < p.M; i++) Row16(p, p.A + i * rowStep, kStep, i, j);
        if (j < j1)
            for (int i = 0; i < p.M; i++) RowTail(p, p.A + i * rowStep, kStep, i, j, j1 - j);
    }

    /// <summary>C[i, j..j+16] over all of K.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row16(in GemmProblem p, float* a, long kStep, int i, int j)
    {
        Vector512<float> c0 = default;
        float* b = p.B + j;
        for (int k = 0; k < p.K; k++, b += p.Ldb) c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[k * kStep]), Vector512.Load(b), c0);
        Store(p, p.C + i * p.Ldc + j, c0);
    }

    /// <summary>C[i, j..j+width] for the last width &lt; 16 columns: B's rows read along, K outermost.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowTail(in GemmProblem p, float* a, long kStep, int i, int j, int width)
    {
        float* sum = stackalloc float[Width];
        for (int t = 0; t < width; t++) sum[t] = 0;
        float* b = p.B + j;
        for (int k = 0; k < p.K; k++, b += p.Ldb)
        {
            float x = a[k * kStep];
            for (int t = 0; t < width; t++) sum[t] = MathF.FusedMultiplyAdd(x, b[t], sum[t]);
        }
        float* c = p.C + i * p.Ldc + j;
        for (int t = 0; t < width; t++) c[t] = p.Beta == 0 ? p.Alpha * sum[t] : p.Alpha * sum[t] + p.Beta * c[t];
    }

    /// <summary>C[i..i+4, j..j+32] over all of K: 2 vectors per row, 4 rows, in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4(in GemmProblem p, float* a, long rowStep, long kStep, int i, int j)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        float* b = p.B + j;
        long ldb = p.Ldb;
        float* a1 = a + rowStep, a2 = a + 2 * rowStep, a3 = a + 3 * rowStep;
        for (int k = 0; k < p.K; k++, b += ldb)
        {
            // B's K rows are as many short streams, more than the hardware prefetcher follows: ask for the next block's.
            if (Sse.IsSupported)
            {
                Sse.Prefetch0(b + Block);
                Sse.Prefetch0(b + Block + Width);
            }
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + Width);
            long at = k * kStep;
            var x = Vector512.Create(a[at]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[at]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[at]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[at]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
        }
        Store(p, i, j, c00, c01);
        Store(p, i + 1, j, c10, c11);
        Store(p, i + 2, j, c20, c21);
        Store(p, i + 3, j, c30, c31);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile1(in GemmProblem p, float* a, long kStep, int i, int j)
    {
        Vector512<float> c0 = default, c1 = default;
        float* b = p.B + j;
        long ldb = p.Ldb;
        for (int k = 0; k < p.K; k++, b += ldb)
        {
            var x = Vector512.Create(a[k * kStep]);
            c0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b), c0);
            c1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + Width), c1);
        }
        Store(p, i, j, c0, c1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(in GemmProblem p, int i, int j, Vector512<float> lo, Vector512<float> hi)
    {
        float* c = p.C + i * p.Ldc + j;
        Store(p, c, lo);
        Store(p, c + Width, hi);
    }

    /// <summary>c[0..16] = α·v + β·c[0..16] (c not read when β = 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(in GemmProblem p, float* c, Vector512<float> v)
    {
        var result = Vector512.Create(p.Alpha) * v;
        if (p.Beta != 0) result = Vector512.FusedMultiplyAdd(Vector512.Create(p.Beta), Vector512.Load(c), result);
        result.Store(c);
    }
}
