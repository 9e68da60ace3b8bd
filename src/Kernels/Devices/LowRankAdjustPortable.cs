using Engine.Kernels.Fusion;

namespace Engine.Kernels.Devices;

/// <summary>
/// <see cref="ComputeDevice.LowRankAdjust"/> from the ops every backend has: the coefficients by one batched GEMM, then
/// G ← λ_l G + δ A·B in one fused pass over [batch, m, n] that forms A·B per element (<see cref="Fx.Contract"/>) from
/// the two thin factors (reducing ||G||² before it writes), then ||coefficients||² as a reduction.
/// </summary>
internal static class LowRankAdjustPortable
{
    private static readonly FusedProgram Adjust = BuildAdjust();
    private static readonly FusedProgram SumOfSquares = BuildSumOfSquares();

    public static void Run(ComputeDevice device, LowRankAdjustSpec spec, BufferSlice grads, BufferSlice basis,
                           BufferSlice coefficients, BufferSlice sumOfSquares)
    {
        spec.Validate();
        if (spec.Batch == 0)
        {
            device.Fill(sumOfSquares, 2, 0f);
            return;
        }
        int m = spec.Rows, n = spec.Cols, r = spec.Rank;
        long mn = spec.MatrixElements, basisSize = spec.BasisElements, coefSize = spec.CoefficientElements;
        if (spec.RightSide)   // G Q = G (Qᵀ)ᵀ: [m, n]·[r, n]ᵀ
            device.Gemm(new GemmSpec(spec.Batch, m, r, n, false, true, n, n, r, mn, basisSize, coefSize), grads, basis, coefficients);
        else                  // PᵀG: [m, r]ᵀ·[m, n]
            device.Gemm(new GemmSpec(spec.Batch, r, n, m, true, false, r, n, n, basisSize, mn, coefSize), basis, grads, coefficients);

        long[] shape = [spec.Batch, m, n];
        // Row factor A (m×r) is the same along a row of G, column factor B (r×n) the same down a column.
        var (rows, rowsSize, cols, colsSize) = spec.RightSide ? (coefficients, coefSize, basis, basisSize) : (basis, basisSize, coefficients, coefSize);
        var launch = new FusedLaunch(shape,
            [new StridedSlice(grads.Buffer, grads.Offset, shape, [mn, n, 1]),
             new StridedSlice(rows.Buffer, rows.Offset, shape, [rowsSize, r, 0]),
             new StridedSlice(cols.Buffer, cols.Offset, shape, [colsSize, 0, 1])],
            [grads], [spec.LambdaLocal, spec.LambdaDelta], new BufferSlice(sumOfSquares.Buffer, sumOfSquares.Offset + 1),
            [new Contraction(r, 1, n)]);
        device.RunFused(Adjust, launch);

        long count = spec.Batch * coefSize;
        device.RunFused(SumOfSquares, new FusedLaunch([count], [new StridedSlice(coefficients.Buffer, coefficients.Offset, [count], [1])],
                                                      [], [], sumOfSquares));
    }

    private static FusedProgram BuildAdjust()
    {
        var f = new FusionBuilder("low_rank_adjust");
        var g = f.Input("g");
        f.Reduction("g_sq", Fx.SumSquares(g));   // reduced before the map overwrites g
        var product = Fx.Contract(f.Input("rows"), f.Input("cols"));
        f.Output("g_adj", f.Scalar("lambda_local") * g + f.Scalar("lambda_delta") * product);
        return f.Build();
    }

    private static FusedProgram BuildSumOfSquares()
    {
        var f = new FusionBuilder("low_rank_coefficients_sq");
        f.Reduction("sum_sq", Fx.SumSquares(f.Input("coefficients")));
        return f.Build();
    }
}
