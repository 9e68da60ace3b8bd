using Engine.Kernels.Devices;
using Engine.Kernels.Profiling;

namespace Engine.Kernels.Cpu;

public sealed unsafe partial class CpuDevice
{
    public override void Gather(BufferSlice table, BufferSlice indices, BufferSlice dst, long count, int dim)
    {
        long started = KernelProfiler.StartHost();
        var tableStart = TableRows(table, dim, out long rows);
        var index = IntElements(indices, count, nameof(indices));
        var target = Elements(dst, count * dim, nameof(dst));
        CheckIndices(index, count, rows, nameof(indices), "table row");
        CpuParallel.For(count, RowsPerWorker(dim), (begin, end) =>
        {
            for (long i = begin; i < end; i++)
                new ReadOnlySpan<float>(tableStart + (long)index[i] * dim, dim).CopyTo(new Span<float>(target + i * dim, dim));
        });
        if (started != 0) KernelProfiler.RecordHost(started, "gather", Id, Traffic(count + 2 * count * dim));
    }

    public override void ScatterAdd(BufferSlice src, BufferSlice indices, BufferSlice table, long count, int dim)
    {
        long started = KernelProfiler.StartHost();
        var tableStart = TableRows(table, dim, out long rows);
        var index = IntElements(indices, count, nameof(indices));
        var source = Elements(src, count * dim, nameof(src));
        CheckIndices(index, count, rows, nameof(indices), "table row");
        // Rows may repeat, so split the columns, not the rows: each element is updated by one thread in i order.
        const int columnsPerWorker = 64;
        CpuParallel.For(dim, count * dim >= CpuParallel.MinElementsPerWorker ? columnsPerWorker : dim + 1L, (c0, c1) =>
        {
            int width = (int)(c1 - c0);
            for (long i = 0; i < count; i++)
            {
                float* to = tableStart + (long)index[i] * dim + c0, from = source + i * dim + c0;
                System.Numerics.Tensors.TensorPrimitives.Add(
                    new ReadOnlySpan<float>(to, width), new ReadOnlySpan<float>(from, width), new Span<float>(to, width));
            }
        });
        if (started != 0) KernelProfiler.RecordHost(started, "scatter_add", Id, Traffic(count + 3 * count * dim, (double)count * dim));
    }

    /// <summary>A table of dim-wide rows runs from its offset to the end of its buffer.</summary>
    private float* TableRows(BufferSlice table, int dim, out long rows)
    {
        if (dim <= 0) throw new ArgumentOutOfRangeException(nameof(dim), dim, "row width must be > 0");
        var buffer = Own(table.Buffer, nameof(table));
        long available = buffer.Length - table.Offset;
        if (table.Offset < 0 || available < 0)
            throw new ArgumentOutOfRangeException(nameof(table),
                $"table: offset {table.Offset} lies outside the buffer of length {buffer.Length}");
        rows = available / dim;
        return buffer.Pointer + table.Offset;
    }

    /// <summary>Checks every index before anything is written, so a bad index leaves the output untouched.</summary>
    private static void CheckIndices(int* index, long count, long limit, string name, string what)
    {
        for (long i = 0; i < count; i++)
            if ((uint)index[i] >= (ulong)limit)
                throw new ArgumentOutOfRangeException(name,
                    $"{name}[{i}] = {index[i]} is not a valid {what}: expected 0 <= index < {limit}");
    }
}
