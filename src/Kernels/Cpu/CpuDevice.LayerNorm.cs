using System.Numerics.Tensors;
using Engine.Kernels.Devices;
using Engine.Kernels.Profiling;

namespace Engine.Kernels.Cpu;

public sealed unsafe partial class CpuDevice
{
    public override void LayerNorm(BufferSlice x, BufferSlice gamma, BufferSlice beta, BufferSlice y,
                                   BufferSlice mean, BufferSlice rstd, long rows, int cols, float eps)
    {
        long started = KernelProfiler.StartHost();
        CheckRows(rows, cols);
        var input = Elements(x, rows * cols, nameof(x));
        var scale = Elements(gamma, cols, nameof(gamma));
        var shift = Elements(beta, cols, nameof(beta));
        var output = Elements(y, rows * cols, nameof(y));
        var means = Elements(mean, rows, nameof(mean));
        var rstds = Elements(rstd, rows, nameof(rstd));
        CpuParallel.For(rows, RowsPerWorker(cols), (begin, end) =>
        {
            var g = new ReadOnlySpan<float>(scale, cols);
            var b = new ReadOnlySpan<float>(shift, cols);
            for (long r = begin; r < end; r++)
            {
                float* xr = input + r * cols, yr = output + r * cols;
                var row = new Span<float>(yr, cols);
                // Two passes (mean, then squared deviations) rather than E[x^2] - E[x]^2, which cancels badly.
                double mu = RowMath.Sum(xr, cols) / cols;
                TensorPrimitives.Subtract(new ReadOnlySpan<float>(xr, cols), (float)mu, row);
                double variance = RowMath.SumOfSquares(yr, cols) / cols;
                float inv = (float)(1.0 / Math.Sqrt(variance + eps));
                TensorPrimitives.Multiply(row, inv, row);
                TensorPrimitives.FusedMultiplyAdd(row, g, b, row);
                means[r] = (float)mu;
                rstds[r] = inv;
            }
        });
        if (started != 0)
            KernelProfiler.RecordHost(started, "layernorm", Id, Traffic(2 * rows * cols + 2 * cols + 2 * rows, 7.0 * rows * cols));
    }
}
