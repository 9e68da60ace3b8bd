using Engine.Kernels.Devices;

namespace Engine.Kernels.OpenCl;

/// <summary>Shape rules of a <see cref="GemmSpec"/> (as the cpu backend states them) and each operand's extent.</summary>
internal static class GemmChecks
{
    public static void ValidateShape(GemmSpec spec)
    {
        if (spec.Batch < 0 || spec.M < 0 || spec.N < 0 || spec.K < 0)
            throw new ArgumentOutOfRangeException(nameof(spec),
                $"gemm shape batch {spec.Batch}, M {spec.M}, N {spec.N}, K {spec.K} has a negative extent");
        // Concurrent work-groups would race on one C; the cpu backend would silently keep the last batch.
        if (spec.Batch > 1 && spec.BatchStrideC == 0 && spec.M > 0 && spec.N > 0)
            throw new ArgumentException(
                $"gemm with batch {spec.Batch} needs BatchStrideC > 0: every batch would write the same C", nameof(spec));
    }

    /// <summary>
    /// Checks a stored rows x cols matrix (times batch) and returns how many elements it spans from its offset.
    /// </summary>
    public static long Extent(string name, int batch, long batchStride, int rows, int cols, long ld, string ldName)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentOutOfRangeException(ldName, ld,
                $"{ldName} = {ld} is smaller than the {cols} columns of stored matrix {name} ({rows} x {cols})");
        if (batchStride < 0)
            throw new ArgumentOutOfRangeException(nameof(batchStride), batchStride,
                $"batch stride of {name} must be >= 0 (0 broadcasts one matrix)");
        return batch == 0 || rows == 0 || cols == 0 ? 0 : (batch - 1) * batchStride + (rows - 1) * ld + cols;
    }
}
