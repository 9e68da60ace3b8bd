using Engine.Kernels.Devices;

namespace Engine.Kernels.OpenCl;

/// <summary>Placeholder for the op kernels of the OpenCL backend (replaced wholesale when they are merged).</summary>
public sealed partial class OpenClDevice
{
    public override void Copy(StridedSlice src, StridedSlice dst) =>
        throw new NotSupportedException("Copy on opencl: kernels not merged yet");

    public override void Fill(BufferSlice dst, long count, float value, DType dtype = DType.Float32) =>
        throw new NotSupportedException("Fill on opencl: kernels not merged yet");

    public override void Arange(BufferSlice dst, long count, float start, float step) =>
        throw new NotSupportedException("Arange on opencl: kernels not merged yet");

    public override void FillRandom(BufferSlice dst, long count, ulong seed, RandomDistribution distribution, float a, float b) =>
        throw new NotSupportedException("FillRandom on opencl: kernels not merged yet");

    public override void Gemm(GemmSpec spec, BufferSlice a, BufferSlice b, BufferSlice c) =>
        throw new NotSupportedException("Gemm on opencl: kernels not merged yet");

    public override void Reduce(ReduceOp op, BufferSlice src, BufferSlice dst, long outer, long axis, long inner) =>
        throw new NotSupportedException("Reduce on opencl: kernels not merged yet");

    public override void Softmax(BufferSlice src, BufferSlice dst, long rows, int cols, bool log) =>
        throw new NotSupportedException("Softmax on opencl: kernels not merged yet");

    public override void LayerNorm(BufferSlice x, BufferSlice gamma, BufferSlice beta, BufferSlice y,
                                   BufferSlice mean, BufferSlice rstd, long rows, int cols, float eps) =>
        throw new NotSupportedException("LayerNorm on opencl: kernels not merged yet");

    public override void Gather(BufferSlice table, BufferSlice indices, BufferSlice dst, long count, int dim) =>
        throw new NotSupportedException("Gather on opencl: kernels not merged yet");

    public override void ScatterAdd(BufferSlice src, BufferSlice indices, BufferSlice table, long count, int dim) =>
        throw new NotSupportedException("ScatterAdd on opencl: kernels not merged yet");

    public override void CrossEntropy(BufferSlice logits, BufferSlice targets, BufferSlice losses, long rows, int cols) =>
        throw new NotSupportedException("CrossEntropy on opencl: kernels not merged yet");
}
