using Engine.Kernels.Devices;

namespace Engine.Kernels.Gpu;

public abstract partial class GpuDevice
{
    /// <summary>Ranks up to which the P side runs low_rank_adjust.cl (its LR_MAX_RANK); beyond, and on the Q side, the portable path.</summary>
    private const int LowRankMaxRank = 16;

    /// <summary>
    /// The P side (m &lt; n) for ranks up to 16 in two kernels, a work-item per column of G: the coefficients with per-group
    /// sums of their squares and of G's, then G ← λ_l G + δ P C with the column's coefficients in registers; one reduction
    /// folds the group sums into <paramref name="sumOfSquares"/>. Other shapes take the portable GEMM and fused pass.
    /// </summary>
    public override void LowRankAdjust(LowRankAdjustSpec spec, BufferSlice grads, BufferSlice basis, BufferSlice coefficients,
                                       BufferSlice sumOfSquares)
    {
        spec.Validate();
        if (spec.RightSide || spec.Rank > LowRankMaxRank || spec.Batch == 0)
        {
            base.LowRankAdjust(spec, grads, basis, coefficients, sumOfSquares);
            return;
        }
        CheckSlice(grads, spec.Batch * spec.MatrixElements, nameof(grads));
        CheckSlice(basis, spec.Batch * spec.BasisElements, nameof(basis));
        CheckSlice(coefficients, spec.Batch * spec.CoefficientElements, nameof(coefficients));
        CheckSlice(sumOfSquares, 2, nameof(sumOfSquares));
        long group = OpGroupSize, groups = (spec.Cols + group - 1) / group * spec.Batch;
        long[] global = [(spec.Cols + group - 1) / group * group, spec.Batch], local = [group, 1];
        long matrix = spec.Batch * spec.MatrixElements, factors = spec.Batch * (spec.BasisElements + spec.CoefficientElements);
        double flops = 2.0 * spec.Batch * spec.MatrixElements * spec.Rank;
        lock (ScratchLock)
        {
            var partials = Scratch("low-rank.squares", 2 * groups);
            Launch(OpKernel("low_rank_adjust.cl", "low_rank_coefficients"), global, local,
                [KernelArg.Of(spec.Rows), KernelArg.Of(spec.Cols), KernelArg.Of(spec.Rank), Buf(grads), Off(grads),
                 Buf(basis), Off(basis), Buf(coefficients), Off(coefficients), KernelArg.Of(partials), KernelArg.Of(0L)],
                Traffic(matrix + factors + 2 * groups, flops + 2.0 * matrix));
            Reduce(ReduceOp.Sum, new BufferSlice(partials, 0), sumOfSquares, 2, groups, 1);
        }
        Launch(OpKernel("low_rank_adjust.cl", "low_rank_apply"), global, local,
            [KernelArg.Of(spec.Rows), KernelArg.Of(spec.Cols), KernelArg.Of(spec.Rank), Buf(grads), Off(grads),
             Buf(basis), Off(basis), Buf(coefficients), Off(coefficients), KernelArg.Of(spec.LambdaLocal), KernelArg.Of(spec.LambdaDelta)],
            Traffic(2 * matrix + factors, flops + 2.0 * matrix));
    }
}
