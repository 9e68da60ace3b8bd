using Engine.Kernels.Devices;

namespace Engine.Kernels.Gpu;

public abstract partial class GpuDevice
{
    // Must match GEMM_TX, GEMM_TY, GEMM_BM and GEMM_BN in gemm.cl.
    private const int GemmThreadsX = 16, GemmThreadsY = 16, GemmBlockM = 64, GemmBlockN = 64;

    public override void Gemm(GemmSpec spec, BufferSlice a, BufferSlice b, BufferSlice c)
    {
        var extent = GemmChecks.Validate(spec);
        CheckSlice(a, extent.A, nameof(a));
        CheckSlice(b, extent.B, nameof(b));
        CheckSlice(c, extent.C, nameof(c));
        if (spec.Batch == 0 || spec.M == 0 || spec.N == 0) return;
        if (MaxWorkGroupSize < GemmThreadsX * GemmThreadsY)
            throw new NotSupportedException(
                $"gemm.cl runs {GemmThreadsX}x{GemmThreadsY} work-groups; device '{Id}' allows only {MaxWorkGroupSize} work-items per group");

        long groupsX = (spec.N + GemmBlockN - 1) / GemmBlockN, groupsY = (spec.M + GemmBlockM - 1) / GemmBlockM;
        Launch(OpKernel("gemm.cl", "gemm"),
            [groupsX * GemmThreadsX, groupsY * GemmThreadsY, spec.Batch], [GemmThreadsX, GemmThreadsY, 1],
            [KernelArg.Of(spec.M), KernelArg.Of(spec.N), KernelArg.Of(spec.K),
             KernelArg.Of(spec.TransA ? 1 : 0), KernelArg.Of(spec.TransB ? 1 : 0),
             Buf(a), Off(a), KernelArg.Of(spec.Lda), KernelArg.Of(spec.BatchStrideA),
             Buf(b), Off(b), KernelArg.Of(spec.Ldb), KernelArg.Of(spec.BatchStrideB),
             Buf(c), Off(c), KernelArg.Of(spec.Ldc), KernelArg.Of(spec.BatchStrideC),
             KernelArg.Of(spec.Alpha), KernelArg.Of(spec.Beta)],
            Traffic(spec.Batch * ((long)spec.M * spec.K + (long)spec.K * spec.N + (long)spec.M * spec.N * (spec.Beta == 0 ? 1 : 2)),
                    spec.Flops));
    }
}
