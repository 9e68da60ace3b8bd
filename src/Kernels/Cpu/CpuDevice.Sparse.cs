using System.Runtime.Intrinsics;
using Engine.Kernels.Devices;
using Engine.Kernels.Profiling;

namespace Engine.Kernels.Cpu;

public sealed unsafe partial class CpuDevice
{
    /// <summary>
    /// Columns of X one task covers: every row of X a sparse row reads stays in L2 for the other rows that read it
    /// (a [100, n] X is 400 kB a block), so X and the output each cross memory once.
    /// </summary>
    private const int SparseColumnBlock = 1024;

    /// <summary>Rows of a matrix one task covers.</summary>
    private const int SparseRowChunk = 256;

    public override void SparseMatMul(SparseMatMulSpec spec, BufferSlice starts, BufferSlice columns, BufferSlice values,
                                      BufferSlice input, BufferSlice output)
    {
        spec.Validate();
        long started = KernelProfiler.StartHost();
        var start = IntElements(starts, spec.StartElements, nameof(starts));
        var column = IntElements(columns, spec.EntryElements, nameof(columns));
        var value = Elements(values, spec.EntryElements, nameof(values));
        var x = Elements(input, spec.InputElements, nameof(input));
        var y = Elements(output, spec.OutputElements, nameof(output));
        long entries = CheckSparseRows(spec, start, column);
        // Tasks are (matrix, column block, row chunk), each writing its own part of the output: a single tall matrix with
        // few columns still spreads over the cores.
        int blocks = (spec.Cols + SparseColumnBlock - 1) / SparseColumnBlock, chunks = (spec.Rows + SparseRowChunk - 1) / SparseRowChunk;
        long tasks = (long)spec.Batch * blocks * chunks;
        long perTask = (long)Math.Min(spec.Rows, SparseRowChunk) * Math.Min(spec.Cols, SparseColumnBlock);
        CpuParallel.For(tasks, Math.Max(1, CpuParallel.MinElementsPerWorker / Math.Max(1, perTask)), (first, end) =>
        {
            for (long task = first; task < end; task++)
            {
                long b = task / (blocks * chunks);
                int block = (int)(task / chunks % blocks), chunk = (int)(task % chunks);
                int from = block * SparseColumnBlock, width = Math.Min(SparseColumnBlock, spec.Cols - from);
                int* rowStart = start + b * (spec.Rows + 1);
                long entry0 = b * spec.Capacity;
                float* xb = x + b * spec.Inner * spec.Cols + from, yb = y + b * spec.Rows * spec.Cols + from;
                for (int r = chunk * SparseRowChunk; r < Math.Min(spec.Rows, (chunk + 1) * SparseRowChunk); r++)
                {
                    var row = new SparseRow(column + entry0 + rowStart[r], value + entry0 + rowStart[r], rowStart[r + 1] - rowStart[r], xb, spec.Cols);
                    float* target = yb + (long)r * spec.Cols;
                    int j = Vector512.IsHardwareAccelerated ? SparseRowStrips<StripVector512, Vector512<float>>(row, target, width)
                          : Vector256.IsHardwareAccelerated ? SparseRowStrips<StripVector256, Vector256<float>>(row, target, width)
                          : 0;
                    for (; j < width; j++)
                    {
                        float sum = 0;
                        for (int p = 0; p < row.Count; p++) sum = MathF.FusedMultiplyAdd(row.Values[p], row.X[(long)row.Columns[p] * row.Stride + j], sum);
                        target[j] = sum;
                    }
                }
            }
        });
        if (started != 0)
            KernelProfiler.RecordHost(started, "sparse_matmul", Id,
                Traffic(spec.StartElements + 2 * entries + spec.InputElements + spec.OutputElements, 2.0 * entries * spec.Cols));
    }

    /// <summary>One sparse row's entries, and the rows of X (<paramref name="X"/> at the block's first column) they name.</summary>
    private readonly struct SparseRow(int* columns, float* values, int count, float* x, int stride)
    {
        public readonly int* Columns = columns;
        public readonly float* Values = values;
        public readonly int Count = count;
        public readonly float* X = x;
        public readonly int Stride = stride;
    }

    /// <summary>
    /// The row's output over strips of four vectors, then of one: each strip's sums stay in registers across all of the
    /// row's entries, so the output is written once and only X's rows are read, where an axpy per entry would read and
    /// write the whole output row again for each. Returns the first column left to scalars.
    /// </summary>
    private static int SparseRowStrips<TOps, TVector>(SparseRow row, float* target, int width)
        where TOps : struct, IStripVector<TVector>
        where TVector : struct
    {
        int lanes = TOps.Lanes, j = 0;
        for (; j + 4 * lanes <= width; j += 4 * lanes)
        {
            TVector a0 = TOps.Broadcast(0), a1 = a0, a2 = a0, a3 = a0;
            for (int p = 0; p < row.Count; p++)
            {
                var v = TOps.Broadcast(row.Values[p]);
                float* x = row.X + (long)row.Columns[p] * row.Stride + j;
                a0 = TOps.MultiplyAdd(v, TOps.Load(x), a0);
                a1 = TOps.MultiplyAdd(v, TOps.Load(x + lanes), a1);
                a2 = TOps.MultiplyAdd(v, TOps.Load(x + 2 * lanes), a2);
                a3 = TOps.MultiplyAdd(v, TOps.Load(x + 3 * lanes), a3);
            }
            TOps.Store(a0, target + j);
            TOps.Store(a1, target + j + lanes);
            TOps.Store(a2, target + j + 2 * lanes);
            TOps.Store(a3, target + j + 3 * lanes);
        }
        for (; j + lanes <= width; j += lanes)
        {
            var a = TOps.Broadcast(0);
            for (int p = 0; p < row.Count; p++)
                a = TOps.MultiplyAdd(TOps.Broadcast(row.Values[p]), TOps.Load(row.X + (long)row.Columns[p] * row.Stride + j), a);
            TOps.Store(a, target + j);
        }
        return j;
    }

    /// <summary>Checks every matrix's row starts and columns before anything is written; returns the entries in use.</summary>
    private static long CheckSparseRows(SparseMatMulSpec spec, int* start, int* column)
    {
        long entries = 0;
        for (long b = 0; b < spec.Batch; b++)
        {
            int* rowStart = start + b * (spec.Rows + 1);
            if (rowStart[0] != 0)
                throw new ArgumentException($"SparseMatMul: matrix {b}'s first row starts at {rowStart[0]}, not 0", "starts");
            for (int r = 0; r < spec.Rows; r++)
                if (rowStart[r + 1] < rowStart[r] || rowStart[r + 1] > spec.Capacity)
                    throw new ArgumentException(
                        $"SparseMatMul: matrix {b}, row {r} ends at {rowStart[r + 1]}: row starts must rise within the room for {spec.Capacity} entries", "starts");
            int count = rowStart[spec.Rows];
            for (int p = 0; p < count; p++)
            {
                int c = column[b * spec.Capacity + p];
                if ((uint)c >= (uint)spec.Inner)
                    throw new ArgumentException($"SparseMatMul: matrix {b}, entry {p} has column {c}, outside [0, {spec.Inner})", "columns");
            }
            entries += count;
        }
        return entries;
    }
}
