using System.Numerics.Tensors;
using Engine.Kernels.Devices;
using Engine.Kernels.Profiling;

namespace Engine.Kernels.Cpu;

public sealed unsafe partial class CpuDevice
{
    public override void Softmax(BufferSlice src, BufferSlice dst, long rows, int cols, bool log)
    {
        long started = KernelProfiler.StartHost();
        CheckRows(rows, cols);
        var source = Elements(src, rows * cols, nameof(src));
        var target = Elements(dst, rows * cols, nameof(dst));
        if (cols == 0) return;
        CpuParallel.For(rows, RowsPerWorker(cols), (begin, end) =>
        {
            // log-softmax needs x after the exponentials are summed, and y may alias x.
            var scratch = log ? new float[cols] : null;
            for (long r = begin; r < end; r++)
            {
                float* x = source + r * cols, y = target + r * cols;
                // Shifting by the row max keeps exp() in range: the largest term is exp(0) = 1.
                float max = RowMath.Max(x, cols);
                if (log)
                {
                    double sum;
                    fixed (float* exps = scratch) sum = RowMath.ExpShiftedSum(x, exps, cols, max);
                    float shift = max + (float)Math.Log(sum);
                    TensorPrimitives.Subtract(new ReadOnlySpan<float>(x, cols), shift, new Span<float>(y, cols));
                }
                else
                {
                    double sum = RowMath.ExpShiftedSum(x, y, cols, max);
                    var row = new Span<float>(y, cols);
                    TensorPrimitives.Multiply(row, (float)(1.0 / sum), row);
                }
            }
        });
        if (started != 0) KernelProfiler.RecordHost(started, log ? "log_softmax" : "softmax", Id, Traffic(2 * rows * cols, 4.0 * rows * cols));
    }

    private static void CheckRows(long rows, int cols)
    {
        if (rows < 0 || cols < 0)
            throw new ArgumentOutOfRangeException(nameof(rows), $"row shape [{rows}, {cols}] has a negative extent");
    }

    private static long RowsPerWorker(int cols) => Math.Max(1, CpuParallel.MinElementsPerWorker / 4 / Math.Max(1, cols));
}
