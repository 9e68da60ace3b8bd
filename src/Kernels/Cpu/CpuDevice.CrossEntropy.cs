using Engine.Kernels.Devices;
using Engine.Kernels.Profiling;

namespace Engine.Kernels.Cpu;

public sealed unsafe partial class CpuDevice
{
    public override void CrossEntropy(BufferSlice logits, BufferSlice targets, BufferSlice losses, long rows, int cols)
    {
        long started = KernelProfiler.StartHost();
        CheckRows(rows, cols);
        var x = Elements(logits, rows * cols, nameof(logits));
        var target = IntElements(targets, rows, nameof(targets));
        var loss = Elements(losses, rows, nameof(losses));
        CheckIndices(target, rows, cols, nameof(targets), "class");
        CpuParallel.For(rows, RowsPerWorker(cols), (begin, end) =>
        {
            var scratch = new float[cols];
            fixed (float* exps = scratch)
            {
                for (long r = begin; r < end; r++)
                {
                    float* row = x + r * cols;
                    float max = RowMath.Max(row, cols);
                    double logSumExp = max + Math.Log(RowMath.ExpShiftedSum(row, exps, cols, max));
                    loss[r] = (float)(logSumExp - row[target[r]]);
                }
            }
        });
        if (started != 0) KernelProfiler.RecordHost(started, "cross_entropy", Id, Traffic(rows * cols + 2 * rows, 3.0 * rows * cols));
    }
}
