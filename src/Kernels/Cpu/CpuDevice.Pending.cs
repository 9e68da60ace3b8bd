using Engine.Kernels.Devices;

namespace Engine.Kernels.Cpu;

public sealed partial class CpuDevice
{
    public override void FillRandom(BufferSlice dst, long count, ulong seed, RandomDistribution distribution, float a, float b) => throw new NotSupportedException("cpu: FillRandom not built yet");
    public override void Gemm(GemmSpec spec, BufferSlice a, BufferSlice b, BufferSlice c) => throw new NotSupportedException("cpu: Gemm not built yet");
    public override void Reduce(ReduceOp op, BufferSlice src, BufferSlice dst, long outer, long axis, long inner) => throw new NotSupportedException("cpu: Reduce not built yet");
    public override void Softmax(BufferSlice src, BufferSlice dst, long rows, int cols, bool log) => throw new NotSupportedException("cpu: Softmax not built yet");
    public override void LayerNorm(BufferSlice x, BufferSlice gamma, BufferSlice beta, BufferSlice y, BufferSlice mean, BufferSlice rstd, long rows, int cols, float eps) => throw new NotSupportedException("cpu: LayerNorm not built yet");
    public override void Gather(BufferSlice table, BufferSlice indices, BufferSlice dst, long count, int dim) => throw new NotSupportedException("cpu: Gather not built yet");
    public override void ScatterAdd(BufferSlice src, BufferSlice indices, BufferSlice table, long count, int dim) => throw new NotSupportedException("cpu: ScatterAdd not built yet");
    public override void CrossEntropy(BufferSlice logits, BufferSlice targets, BufferSlice losses, long rows, int cols) => throw new NotSupportedException("cpu: CrossEntropy not built yet");
}
