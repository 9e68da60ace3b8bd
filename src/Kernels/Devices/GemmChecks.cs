namespace Engine.Kernels.Devices;

/// <summary>
/// The argument rules of a <see cref="GemmSpec"/>, shared by every backend so they all accept and reject the same
/// calls with the same messages: the shape, and how many elements each stored operand spans from its offset.
/// </summary>
public static class GemmChecks
{
    /// <summary>Validates the spec; returns the element extents of the stored A, B and C.</summary>
    public static (long A, long B, long C) Validate(GemmSpec spec)
    {
        if (spec.Batch < 0 || spec.M < 0 || spec.N < 0 || spec.K < 0)
            throw new ArgumentOutOfRangeException(nameof(spec),
                $"gemm shape batch {spec.Batch}, M {spec.M}, N {spec.N}, K {spec.K} has a negative extent");
        // Parallel batches would race on one C (and a serial backend would silently keep the last batch).
        if (spec.Batch > 1 && spec.BatchStrideC == 0 && spec.M > 0 && spec.N > 0)
            throw new ArgumentException(
                $"gemm with batch {spec.Batch} needs BatchStrideC > 0: every batch would write the same C", nameof(spec));
        // Stored shapes: A is M x K (K x M when TransA), B is K x N (N x K when TransB), C is M x N.
        return (Extent("a", spec.Batch, spec.BatchStrideA, spec.TransA ? spec.K : spec.M, spec.TransA ? spec.M : spec.K, spec.Lda, "Lda"),
                Extent("b", spec.Batch, spec.BatchStrideB, spec.TransB ? spec.N : spec.K, spec.TransB ? spec.K : spec.N, spec.Ldb, "Ldb"),
                Extent("c", spec.Batch, spec.BatchStrideC, spec.M, spec.N, spec.Ldc, "Ldc"));
    }

    private static long Extent(string name, int batch, long batchStride, int rows, int cols, long ld, string ldName)
    {
        if (ld < cols)
            throw new ArgumentOutOfRangeException(ldName, ld,
                $"{ldName} = {ld} is smaller than the {cols} columns of stored matrix {name} ({rows} x {cols})");
        if (batchStride < 0)
            throw new ArgumentOutOfRangeException(nameof(batchStride), batchStride,
                $"batch stride of {name} must be >= 0 (0 broadcasts one matrix)");
        return batch == 0 || rows == 0 || cols == 0 ? 0 : (batch - 1) * batchStride + (rows - 1) * ld + cols;
    }
}
