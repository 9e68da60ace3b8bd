using Engine.Kernels.Devices;

namespace Engine.Kernels.OpenCl;

public sealed partial class OpenClDevice
{
    // Must match GEMM_TX, GEMM_TY, GEMM_BM and GEMM_BN in gemm.cl.
    private const int GemmThreadsX = 16, GemmThreadsY = 16, GemmBlockM = 64, GemmBlockN = 64;

    public override void Gemm(GemmSpec spec, BufferSlice a, BufferSlice b, BufferSlice c)
    {
        GemmChecks.Validate(spec);
        CheckSlice(a, GemmChecks.Extent(spec.Batch, spec.BatchStrideA, spec.TransA ? spec.K : spec.M,
                                        spec.TransA ? spec.M : spec.K, spec.Lda), nameof(a));
        CheckSlice(b, GemmChecks.Extent(spec.Batch, spec.BatchStrideB, spec.TransB ? spec.N : spec.K,
                                        spec.TransB ? spec.K : spec.N, spec.Ldb), nameof(b));
        CheckSlice(c, GemmChecks.Extent(spec.Batch, spec.BatchStrideC, spec.M, spec.N, spec.Ldc), nameof(c));
        if (spec.Batch == 0 || spec.M == 0 || spec.N == 0) return;

        long groupsX = (spec.N + GemmBlockN - 1) / GemmBlockN, groupsY = (spec.M + GemmBlockM - 1) / GemmBlockM;
        Launch(OpKernel("gemm.cl", "gemm"),
            [groupsX * GemmThreadsX, groupsY * GemmThreadsY, spec.Batch], [GemmThreadsX, GemmThreadsY, 1],
            [KernelArg.Of(spec.M), KernelArg.Of(spec.N), KernelArg.Of(spec.K),
             KernelArg.Of(spec.TransA ? 1 : 0), KernelArg.Of(spec.TransB ? 1 : 0),
             Buf(a), Off(a), KernelArg.Of(spec.Lda), KernelArg.Of(spec.BatchStrideA),
             Buf(b), Off(b), KernelArg.Of(spec.Ldb), KernelArg.Of(spec.BatchStrideB),
             Buf(c), Off(c), KernelArg.Of(spec.Ldc), KernelArg.Of(spec.BatchStrideC),
             KernelArg.Of(spec.Alpha), KernelArg.Of(spec.Beta)]);
    }
}
