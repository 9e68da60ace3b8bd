using Engine.Kernels.Devices;
using Engine.Kernels.Profiling;

namespace Engine.Kernels.Cpu;

public sealed unsafe partial class CpuDevice
{
    public override void Gemm(GemmSpec spec, BufferSlice a, BufferSlice b, BufferSlice c)
    {
        long started = KernelProfiler.StartHost();
        var extent = GemmChecks.Validate(spec);
        var pa = Elements(a, extent.A, nameof(a));
        var pb = Elements(b, extent.B, nameof(b));
        var pc = Elements(c, extent.C, nameof(c));
        if (spec.Batch == 0 || spec.M == 0 || spec.N == 0) return;
        CpuGemm.Run(spec, pa, pb, pc);
        if (started != 0)
            KernelProfiler.RecordHost(started, "gemm", Id,
                Traffic(spec.Batch * ((long)spec.M * spec.K + (long)spec.K * spec.N + (long)spec.M * spec.N * (spec.Beta == 0 ? 1 : 2)),
                        spec.Flops));
    }

    public override void LowRankAdjust(LowRankAdjustSpec spec, BufferSlice grads, BufferSlice basis, BufferSlice coefficients,
                                       BufferSlice sumOfSquares)
    {
        long started = KernelProfiler.StartHost();
        spec.Validate();
        var pg = Elements(grads, spec.Batch * spec.MatrixElements, nameof(grads));
        var pb = Elements(basis, spec.Batch * spec.BasisElements, nameof(basis));
        var pc = Elements(coefficients, spec.Batch * spec.CoefficientElements, nameof(coefficients));
        var ps = Elements(sumOfSquares, 2, nameof(sumOfSquares));
        var (globalSq, gradSq) = spec.Batch == 0 ? (0.0, 0.0) : CpuLowRankAdjust.Run(spec, pg, pb, pc);
        ps[0] = (float)globalSq;
        ps[1] = (float)gradSq;
        if (started != 0)
            KernelProfiler.RecordHost(started, "low_rank_adjust", Id,
                Traffic(spec.Batch * (2 * spec.MatrixElements + spec.BasisElements + 2 * spec.CoefficientElements),
                        4.0 * spec.Batch * spec.MatrixElements * spec.Rank));
    }
}
