using Engine.Kernels.Devices;

namespace Engine.Kernels.Cpu;

public sealed unsafe partial class CpuDevice
{
    public override void Gemm(GemmSpec spec, BufferSlice a, BufferSlice b, BufferSlice c)
    {
        if (spec.Batch < 0 || spec.M < 0 || spec.N < 0 || spec.K < 0)
            throw new ArgumentOutOfRangeException(nameof(spec),
                $"gemm shape batch {spec.Batch}, M {spec.M}, N {spec.N}, K {spec.K} has a negative extent");
        // Stored shapes: A is M x K (K x M when TransA), B is K x N (N x K when TransB), C is M x N.
        var pa = GemmOperand(a, nameof(a), spec.Batch, spec.BatchStrideA, spec.TransA ? spec.K : spec.M,
                             spec.TransA ? spec.M : spec.K, spec.Lda, "Lda");
        var pb = GemmOperand(b, nameof(b), spec.Batch, spec.BatchStrideB, spec.TransB ? spec.N : spec.K,
                             spec.TransB ? spec.K : spec.N, spec.Ldb, "Ldb");
        var pc = GemmOperand(c, nameof(c), spec.Batch, spec.BatchStrideC, spec.M, spec.N, spec.Ldc, "Ldc");
        if (spec.Batch == 0 || spec.M == 0 || spec.N == 0) return;
        CpuGemm.Run(spec, pa, pb, pc);
    }

    /// <summary>Checks a stored rows x cols matrix (times batch) against its buffer and returns its start.</summary>
    private float* GemmOperand(BufferSlice slice, string name, int batch, long batchStride, int rows, int cols,
                               long ld, string ldName)
    {
        if (ld < cols)
            throw new ArgumentOutOfRangeException(ldName, ld,
                $"{ldName} = {ld} is smaller than the {cols} columns of stored matrix {name} ({rows} x {cols})");
        if (batchStride < 0)
            throw new ArgumentOutOfRangeException(nameof(batchStride), batchStride,
                $"batch stride of {name} must be >= 0 (0 broadcasts one matrix)");
        long extent = batch == 0 || rows == 0 || cols == 0 ? 0 : (batch - 1) * batchStride + (rows - 1) * ld + cols;
        return Elements(slice, extent, name);
    }
}
