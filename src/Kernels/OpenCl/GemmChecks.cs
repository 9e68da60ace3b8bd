using Engine.Kernels.Devices;

namespace Engine.Kernels.OpenCl;

/// <summary>Shape rules of a <see cref="GemmSpec"/> and the number of elements each operand spans.</summary>
internal static class GemmChecks
{
    public static void Validate(GemmSpec spec)
    {
        if (spec.Batch < 0 || spec.M < 0 || spec.N < 0 || spec.K < 0)
            throw new ArgumentOutOfRangeException(nameof(spec),
                $"gemm: Batch, M, N and K must be >= 0, got Batch={spec.Batch} M={spec.M} N={spec.N} K={spec.K}");
        CheckLeading("Lda", spec.Lda, spec.TransA ? spec.M : spec.K, spec.TransA ? "M (TransA)" : "K");
        CheckLeading("Ldb", spec.Ldb, spec.TransB ? spec.K : spec.N, spec.TransB ? "K (TransB)" : "N");
        CheckLeading("Ldc", spec.Ldc, spec.N, "N");
        if (spec.BatchStrideA < 0 || spec.BatchStrideB < 0 || spec.BatchStrideC < 0)
            throw new ArgumentOutOfRangeException(nameof(spec),
                $"gemm: batch strides must be >= 0, got A={spec.BatchStrideA} B={spec.BatchStrideB} C={spec.BatchStrideC}");
        if (spec.Batch > 1 && spec.BatchStrideC == 0 && spec.M > 0 && spec.N > 0)
            throw new ArgumentException("gemm: BatchStrideC = 0 would make every batch write the same C", nameof(spec));
    }

    /// <summary>Elements from a matrix operand's offset to one past its last element over all batches.</summary>
    public static long Extent(int batch, long batchStride, int rows, int cols, long ld)
    {
        if (batch == 0 || rows == 0 || cols == 0) return 0;
        return (batch - 1) * batchStride + (rows - 1) * ld + cols;
    }

    private static void CheckLeading(string name, long ld, int rowLength, string what)
    {
        if (ld < Math.Max(1, rowLength))
            throw new ArgumentOutOfRangeException(nameof(GemmSpec),
                $"gemm: {name} = {ld} is smaller than the stored row length {what} = {rowLength}");
    }
}
