using System.Numerics.Tensors;
using Engine.Kernels.Devices;
using Engine.Kernels.Profiling;

namespace Engine.Kernels.Cpu;

public sealed unsafe partial class CpuDevice
{
    /// <summary>Rows of the reduced axis summed in fp32 before each fp64 accumulation (inner > 1).</summary>
    private const int AxisBlock = 64;

    /// <summary>Elements of one long row handled per parallel chunk; fixed so partial sums do not depend on cores.</summary>
    private const long LongRowChunk = 1 << 16;

    public override void Reduce(ReduceOp op, BufferSlice src, BufferSlice dst, long outer, long axis, long inner)
    {
        long started = KernelProfiler.StartHost();
        if (outer < 0 || axis < 0 || inner < 0)
            throw new ArgumentOutOfRangeException(nameof(axis),
                $"reduce shape [outer {outer}, axis {axis}, inner {inner}] has a negative extent");
        if (axis == 0 && op is ReduceOp.Max or ReduceOp.ArgMax)
            throw new ArgumentException($"{op} over an empty axis (shape [{outer}, 0, {inner}]) has no value", nameof(axis));
        var source = Elements(src, outer * axis * inner, nameof(src));
        var target = Elements(dst, outer * inner, nameof(dst));
        if (inner == 1)
            ReduceRows(op, source, target, outer, axis);
        else
            ReduceStrided(op, source, target, outer, axis, inner);
        if (started != 0)
            KernelProfiler.RecordHost(started, ReduceKernelName(op), Id,
                Traffic(outer * axis * inner + outer * inner, (double)outer * axis * inner));
    }

    private static string ReduceKernelName(ReduceOp op) => op switch
    {
        ReduceOp.Sum => "reduce_sum",
        ReduceOp.Mean => "reduce_mean",
        ReduceOp.Max => "reduce_max",
        ReduceOp.SumSquares => "reduce_sum_squares",
        _ => "reduce_argmax",
    };

    /// <summary>Each output reduces one contiguous row of <paramref name="axis"/> elements.</summary>
    private static void ReduceRows(ReduceOp op, float* source, float* target, long rows, long axis)
    {
        if (op is ReduceOp.Sum or ReduceOp.Mean or ReduceOp.SumSquares && rows < Environment.ProcessorCount && axis >= 2 * LongRowChunk)
        {
            for (long r = 0; r < rows; r++) target[r] = (float)ScaleSum(op, LongRowSum(op, source + r * axis, axis), axis);
            return;
        }
        CpuParallel.For(rows, Math.Max(1, CpuParallel.MinElementsPerWorker / Math.Max(1, axis)), (begin, end) =>
        {
            for (long r = begin; r < end; r++)
            {
                float* row = source + r * axis;
                target[r] = op switch
                {
                    ReduceOp.Max => TensorPrimitives.Max(new ReadOnlySpan<float>(row, checked((int)axis))),
                    ReduceOp.ArgMax => BitConverter.Int32BitsToSingle(
                        TensorPrimitives.IndexOfMax(new ReadOnlySpan<float>(row, checked((int)axis)))),
                    ReduceOp.SumSquares => (float)RowMath.SumOfSquares(row, axis),
                    _ => (float)ScaleSum(op, RowMath.Sum(row, axis), axis),
                };
            }
        });
    }

    /// <summary>One long row summed as fixed chunks in parallel, the chunk sums added in chunk order.</summary>
    private static double LongRowSum(ReduceOp op, float* row, long length)
    {
        var partials = new double[(length + LongRowChunk - 1) / LongRowChunk];
        CpuParallel.ForFixedChunks(length, LongRowChunk, (chunk, begin, end) =>
            partials[chunk] = op == ReduceOp.SumSquares ? RowMath.SumOfSquares(row + begin, end - begin)
                                                        : RowMath.Sum(row + begin, end - begin));
        double total = 0;
        foreach (var p in partials) total += p;
        return total;
    }

    private static double ScaleSum(ReduceOp op, double sum, long axis) => op == ReduceOp.Mean ? sum / axis : sum;

    /// <summary>
    /// Outputs are columns: for each outer index, rows of <paramref name="inner"/> elements are combined
    /// element-wise. Work is split over (outer, column range) so every output is reduced by one thread in
    /// axis order.
    /// </summary>
    private static void ReduceStrided(ReduceOp op, float* source, float* target, long outer, long axis, long inner)
    {
        const long columnsPerTask = 1024;
        long columnTasks = (inner + columnsPerTask - 1) / columnsPerTask;
        long tasks = outer * columnTasks;
        long minTasks = Math.Max(1, CpuParallel.MinElementsPerWorker / Math.Max(1, axis * Math.Min(inner, columnsPerTask)));
        CpuParallel.For(tasks, minTasks, (begin, end) =>
        {
            var partial = new float[columnsPerTask];
            var total = new double[columnsPerTask];
            var best = new int[columnsPerTask];
            for (long t = begin; t < end; t++)
            {
                long o = t / columnTasks, c0 = t % columnTasks * columnsPerTask;
                int width = (int)Math.Min(columnsPerTask, inner - c0);
                float* first = source + o * axis * inner + c0;
                float* output = target + o * inner + c0;
                switch (op)
                {
                    case ReduceOp.Max:
                        ColumnMax(first, output, axis, inner, width);
                        break;
                    case ReduceOp.ArgMax:
                        ColumnArgMax(first, (int*)output, axis, inner, width, best);
                        break;
                    default:
                        ColumnSum(op, first, output, axis, inner, width, partial, total);
                        break;
                }
            }
        });
    }

    private static void ColumnSum(ReduceOp op, float* first, float* output, long axis, long inner, int width,
                                  float[] partial, double[] total)
    {
        var acc = partial.AsSpan(0, width);
        var sums = total.AsSpan(0, width);
        sums.Clear();
        for (long a0 = 0; a0 < axis; a0 += AxisBlock)
        {
            acc.Clear();
            long a1 = Math.Min(axis, a0 + AxisBlock);
            for (long a = a0; a < a1; a++)
            {
                var row = new ReadOnlySpan<float>(first + a * inner, width);
                if (op == ReduceOp.SumSquares) TensorPrimitives.MultiplyAdd(row, row, acc, acc);
                else TensorPrimitives.Add(acc, row, acc);
            }
            for (int j = 0; j < width; j++) sums[j] += acc[j];
        }
        for (int j = 0; j < width; j++) output[j] = (float)ScaleSum(op, sums[j], axis);
    }

    private static void ColumnMax(float* first, float* output, long axis, long inner, int width)
    {
        var acc = new Span<float>(output, width);
        new ReadOnlySpan<float>(first, width).CopyTo(acc);
        for (long a = 1; a < axis; a++) TensorPrimitives.Max(acc, new ReadOnlySpan<float>(first + a * inner, width), acc);
    }

    private static void ColumnArgMax(float* first, int* output, long axis, long inner, int width, int[] best)
    {
        for (int j = 0; j < width; j++) best[j] = 0;
        for (long a = 1; a < axis; a++)
        {
            float* row = first + a * inner;
            for (int j = 0; j < width; j++)
                if (row[j] > first[best[j] * inner + j]) best[j] = (int)a;
        }
        for (int j = 0; j < width; j++) output[j] = best[j];
    }
}
