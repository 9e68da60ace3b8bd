using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Engine.Kernels.Devices;

namespace Engine.Kernels.Cpu;

/// <summary>
/// <see cref="ComputeDevice.LowRankAdjust"/> on the CPU: G is read from memory once and written once, G_glob is never
/// stored, and ||G||² is read on the way. Blocks run in parallel; each keeps its own ||coefficients||² and ||G||² in double,
/// summed in block order, so the result does not depend on the thread count.
/// <list type="bullet">
/// <item>P side (m &lt; n): <see cref="LowRankStrips{TOps, TVector}"/> — two vectors' columns at a time, the coefficients in
///   registers — with AVX-512 or AVX2; otherwise (arm64: emulated wide vectors would spill the accumulators) bands
///   of 512 columns, each PᵀG_band (a few-rows GEMM) then G_band ← λ_l G_band + δ P·C (a GEMM with β = λ_l) while in L2.</item>
/// <item>Q side (m ≥ n): bands of rows, each G_band·Q (a GEMM) then G_band ← λ_l G_band + δ C·Qᵀ (a GEMM with β = λ_l)
///   while the band is in L2.</item>
/// </list>
/// </summary>
internal static unsafe class CpuLowRankAdjust
{
    /// <summary>Columns (P side: 16 or 32 strips) or rows (Q side: a band of a 100-column G is ~200 KB, in L2) per parallel block.</summary>
    private const int ColumnBand = 512, RowBand = 512;

    /// <summary>The P-side path of this machine: strips of the widest native vectors, else the GEMMs.</summary>
    public static LowRankPath NativePath { get; } = Vector512.IsHardwareAccelerated ? LowRankPath.Strips512
                                                  : Vector256.IsHardwareAccelerated ? LowRankPath.Strips256
                                                  : LowRankPath.Gemms;

    /// <summary>Returns ||coefficients||² (= ||G_glob||²) and ||G||² of the matrices before the adjust, over the batch.</summary>
    public static (double GlobalSq, double GradSq) Run(in LowRankAdjustSpec spec, float* grads, float* basis, float* coefficients) =>
        Run(spec, grads, basis, coefficients, NativePath);

    /// <param name="path">The P side's path: a parameter so tests run every one on any machine.</param>
    internal static (double GlobalSq, double GradSq) Run(in LowRankAdjustSpec spec, float* grads, float* basis, float* coefficients, LowRankPath path)
    {
        int band = spec.RightSide ? RowBand : ColumnBand;
        int bands = ((spec.RightSide ? spec.Rows : spec.Cols) + band - 1) / band;
        long blocks = (long)spec.Batch * bands;
        var partials = new (double GlobalSq, double GradSq)[blocks];
        var s = spec;
        CpuParallel.ForFixedChunks(blocks, 1, (block, _, _) =>
        {
            long item = block / bands;
            int first = (int)(block % bands) * band;
            float* g = grads + item * s.MatrixElements, b = basis + item * s.BasisElements, c = coefficients + item * s.CoefficientElements;
            partials[block] = s.RightSide ? RowBlock(s, g, b, c, first) : path switch
            {
                LowRankPath.Strips512 => ColumnStrips<StripVector512, Vector512<float>>(s, g, b, c, first),
                LowRankPath.Strips256 => ColumnStrips<StripVector256, Vector256<float>>(s, g, b, c, first),
                _ => ColumnGemms(s, g, b, c, first),
            };
        });
        double globalSq = 0, gradSq = 0;
        foreach (var (global, grad) in partials) { globalSq += global; gradSq += grad; }
        return (globalSq, gradSq);
    }

    /// <summary>Columns [j0, j0 + <see cref="ColumnBand"/>) of G, strip by strip.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double, double) ColumnStrips<TOps, TVector>(in LowRankAdjustSpec s, float* g, float* p, float* c, int j0)
        where TOps : struct, IStripVector<TVector>
        where TVector : struct
    {
        int m = s.Rows, n = s.Cols, r = s.Rank, cols = Math.Min(ColumnBand, n - j0);
        var strips = new LowRankStrips<TOps, TVector>(m, r);
        try
        {
            double globalSq = 0, gradSq = 0;
            int width = LowRankStrips<TOps, TVector>.Width;
            for (int j = j0; j < j0 + cols; j += width)
            {
                var (global, grad) = strips.Adjust(p, g + j, c + j, n, Math.Min(width, j0 + cols - j), s.LambdaLocal, s.LambdaDelta);
                globalSq += global;
                gradSq += grad;
            }
            return (globalSq, gradSq);
        }
        finally { strips.Dispose(); }
    }

    /// <summary>Columns [j0, j0 + <see cref="ColumnBand"/>) of G = P·PᵀG + ...: C = PᵀG_band, then G_band = λ_l G_band + δ P C.</summary>
    private static (double, double) ColumnGemms(in LowRankAdjustSpec s, float* g, float* p, float* c, int j0)
    {
        int m = s.Rows, n = s.Cols, r = s.Rank, cols = Math.Min(ColumnBand, n - j0);
        CpuGemm.RunItem(new GemmProblem(p, r, true, g + j0, n, false, c + j0, n, r, cols, m, 1f, 0f), parallel: false);
        double gradSq = 0;
        for (int i = 0; i < m; i++) gradSq += Squares(g + (long)i * n + j0, cols);   // in cache after the first GEMM
        CpuGemm.RunItem(new GemmProblem(p, r, false, c + j0, n, false, g + j0, n, m, cols, r, s.LambdaDelta, s.LambdaLocal), parallel: false);
        double globalSq = 0;
        for (int k = 0; k < r; k++) globalSq += Squares(c + (long)k * n + j0, cols);
        return (globalSq, gradSq);
    }

    /// <summary>Rows [i0, i0 + <see cref="RowBand"/>) of G = G Q·Qᵀ + ...: C = G_band Q, then G_band = λ_l G_band + δ C Qᵀ.</summary>
    private static (double, double) RowBlock(in LowRankAdjustSpec s, float* g, float* qt, float* c, int i0)
    {
        int n = s.Cols, r = s.Rank, rows = Math.Min(RowBand, s.Rows - i0);
        float* gBand = g + (long)i0 * n, cBand = c + (long)i0 * r;
        CpuGemm.RunItem(new GemmProblem(gBand, n, false, qt, n, true, cBand, r, rows, r, n, 1f, 0f), parallel: false);
        double gradSq = Squares(gBand, (long)rows * n);
        CpuGemm.RunItem(new GemmProblem(cBand, r, false, qt, n, false, gBand, n, rows, n, r, s.LambdaDelta, s.LambdaLocal), parallel: false);
        return (Squares(cBand, (long)rows * r), gradSq);
    }

    /// <summary>Σ x², fp32 lanes then double; compiled fully optimized up front (it runs inside the first, large calls).</summary>
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

/// <summary>How <see cref="CpuLowRankAdjust"/> runs a P-side matrix.</summary>
internal enum LowRankPath
{
    /// <summary>The strip kernel on 512-bit vectors, 32 columns a strip.</summary>
    Strips512,
    /// <summary>The strip kernel on 256-bit vectors, 16 columns a strip.</summary>
    Strips256,
    /// <summary>Two GEMMs per band of 512 columns.</summary>
    Gemms,
}
