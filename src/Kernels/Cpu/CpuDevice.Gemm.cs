using Engine.Kernels.Devices;

namespace Engine.Kernels.Cpu;

public sealed unsafe partial class CpuDevice
{
    public override void Gemm(GemmSpec spec, BufferSlice a, BufferSlice b, BufferSlice c)
    {
        var extent = GemmChecks.Validate(spec);
        var pa = Elements(a, extent.A, nameof(a));
        var pb = Elements(b, extent.B, nameof(b));
        var pc = Elements(c, extent.C, nameof(c));
        if (spec.Batch == 0 || spec.M == 0 || spec.N == 0) return;
        CpuGemm.Run(spec, pa, pb, pc);
    }
}
