using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Engine.Kernels.Devices;

namespace Engine.Kernels.Cpu;

/// <summary>
/// <see cref="ComputeDevice.LowRankAdjust"/> on the CPU, one cache-sized block of G at a time: the block's coefficients
/// (a few-rows GEMM), then the block rewritten as λ_l G + δ·(basis × coefficients) by a GEMM with β = λ_l, while it is
/// still in L2. G is read from memory once and written once, and G_glob is never stored. A block is a band of columns
/// (P·PᵀG: each column's coefficients need only that column) or, when m ≥ n, a band of rows (G Q·Qᵀ). Blocks run in
/// parallel; each keeps its own ||coefficients||² and ||G||² (read while the band is in cache) in double, summed in block
/// order, so the result does not depend on the thread count.
/// (Within a row of a band the squares are summed in fp32 lanes: at most 512 of them per lane group.)
/// </summary>
internal static unsafe class CpuLowRankAdjust
{
    /// <summary>Columns (P side) or rows (Q side) per block: a 100-row block of G is ~200 KB, well inside L2.</summary>
    private const int Band = 512;

    /// <summary>Returns ||coefficients||² (= ||G_glob||²) and ||G||² of the matrices before the adjust, over the batch.</summary>
    public static (double GlobalSq, double GradSq) Run(in LowRankAdjustSpec spec, float* grads, float* basis, float* coefficients)
    {
        int bands = ((spec.RightSide ? spec.Rows : spec.Cols) + Band - 1) / Band;
        long blocks = (long)spec.Batch * bands;
        var partials = new (double GlobalSq, double GradSq)[blocks];
        var s = spec;
        CpuParallel.ForFixedChunks(blocks, 1, (block, _, _) =>
        {
            long item = block / bands;
            int band = (int)(block % bands);
            float* g = grads + item * s.MatrixElements, b = basis + item * s.BasisElements, c = coefficients + item * s.CoefficientElements;
            partials[block] = s.RightSide ? RowBand(s, g, b, c, band * Band) : ColumnBand(s, g, b, c, band * Band);
        });
        double globalSq = 0, gradSq = 0;
        foreach (var (global, grad) in partials) { globalSq += global; gradSq += grad; }
        return (globalSq, gradSq);
    }

    /// <summary>Columns [j0, j0 + Band) of G = P·PᵀG + ...: C = PᵀG_band, then G_band = λ_l G_band + δ P C.</summary>
    private static (double, double) ColumnBand(in LowRankAdjustSpec s, float* g, float* p, float* c, int j0)
    {
        int m = s.Rows, n = s.Cols, r = s.Rank, cols = Math.Min(Band, n - j0);
        CpuGemm.RunItem(new GemmProblem(p, r, true, g + j0, n, false, c + j0, n, r, cols, m, 1f, 0f), parallel: false);
        // After the coefficients' GEMM, which brought the band in (prefetching ahead): from cache now.
        double gradSq = 0;
        for (int i = 0; i < m; i++) gradSq += Squares(g + (long)i * n + j0, cols);
        CpuGemm.RunItem(new GemmProblem(p, r, false, c + j0, n, false, g + j0, n, m, cols, r, s.LambdaDelta, s.LambdaLocal), parallel: false);
        double sum = 0;
        for (int k = 0; k < r; k++) sum += Squares(c + (long)k * n + j0, cols);
        return (sum, gradSq);
    }

    /// <summary>Rows [i0, i0 + Band) of G = G Q·Qᵀ + ...: C = G_band Q, then G_band = λ_l G_band + δ C Qᵀ.</summary>
    private static (double, double) RowBand(in LowRankAdjustSpec s, float* g, float* qt, float* c, int i0)
    {
        int n = s.Cols, r = s.Rank, rows = Math.Min(Band, s.Rows - i0);
        float* gBand = g + (long)i0 * n, cBand = c + (long)i0 * r;
        CpuGemm.RunItem(new GemmProblem(gBand, n, false, qt, n, true, cBand, r, rows, r, n, 1f, 0f), parallel: false);
        double gradSq = Squares(gBand, (long)rows * n);
        CpuGemm.RunItem(new GemmProblem(cBand, r, false, qt, n, false, gBand, n, rows, n, r, s.LambdaDelta, s.LambdaLocal), parallel: false);
        return (Squares(cBand, (long)rows * r), gradSq);
    }

    /// <summary>
    /// Σ x² of a short run, fp32 lanes then double. Called a hundred times per band: a plain loop compiled fully optimized
    /// up front (TensorPrimitives' per-call cost, unoptimized in the first steps, was most of the op's time).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Squares(float* p, long n)
    {
        var acc = Vector256<float>.Zero;
        long i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var v = Vector256.Load(p + i);
            acc = Vector256.FusedMultiplyAdd(v, v, acc);
        }
        double sum = Vector256.Sum(acc);
        for (; i < n; i++) sum += (double)p[i] * p[i];
        return sum;
    }
}
