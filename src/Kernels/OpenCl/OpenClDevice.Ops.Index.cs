using Engine.Kernels.Devices;

namespace Engine.Kernels.OpenCl;

/// <summary>Ops driven by Int32 row indices, and the device-side range check they share.</summary>
public sealed partial class OpenClDevice
{
    /// <summary>Work-groups of the index check; the host reads one Int64 per group back.</summary>
    private const long IndexCheckGroups = 64;

    public override void Gather(BufferSlice table, BufferSlice indices, BufferSlice dst, long count, int dim)
    {
        long rows = CheckIndexedOp(table, indices, count, dim, "gather");
        CheckSlice(dst, count * dim, nameof(dst));
        if (count == 0 || dim == 0) return;
        CheckIndices(indices, count, rows, nameof(indices));
        LaunchGridStride(OpKernel("gather.cl", "gather_rows"), count * dim,
            [Buf(table), Off(table), Buf(indices), Off(indices), Buf(dst), Off(dst), KernelArg.Of(count), KernelArg.Of(dim)]);
    }

    public override void ScatterAdd(BufferSlice src, BufferSlice indices, BufferSlice table, long count, int dim)
    {
        long rows = CheckIndexedOp(table, indices, count, dim, "scatter-add");
        CheckSlice(src, count * dim, nameof(src));
        if (count == 0 || dim == 0) return;
        CheckIndices(indices, count, rows, nameof(indices));
        LaunchGridStride(OpKernel("scatter_add.cl", "scatter_add_columns"), dim,
            [Buf(src), Off(src), Buf(indices), Off(indices), Buf(table), Off(table), KernelArg.Of(count), KernelArg.Of(dim)]);
    }

    /// <summary>Checks the shared operands of Gather/ScatterAdd; returns the number of table rows.</summary>
    private long CheckIndexedOp(BufferSlice table, BufferSlice indices, long count, int dim, string op)
    {
        if (count < 0 || dim < 0)
            throw new ArgumentOutOfRangeException(nameof(count), $"{op}: count and dim must be >= 0, got count={count} dim={dim}");
        CheckSlice(indices, count, nameof(indices));
        CheckSlice(table, 0, nameof(table));
        return dim == 0 ? 0 : (table.Buffer.Length - table.Offset) / dim;
    }

    /// <summary>
    /// Runs index_check over <paramref name="count"/> Int32 indices and throws for the first one outside
    /// [0, <paramref name="limit"/>), naming its position and value. Costs one small read-back.
    /// </summary>
    private void CheckIndices(BufferSlice indices, long count, long limit, string name)
    {
        int bound = (int)Math.Min(limit, int.MaxValue);
        long groups = Math.Clamp((count + OpGroupSize - 1) / OpGroupSize, 1, IndexCheckGroups);
        var firstBad = Scratch("index-check", 2 * groups);
        Launch(OpKernel("index_check.cl", "index_check"), [groups * OpGroupSize], [OpGroupSize],
            [Buf(indices), Off(indices), KernelArg.Of(count), KernelArg.Of(bound), KernelArg.Of(firstBad), KernelArg.Of(0L)]);
        Span<long> perGroup = stackalloc long[(int)groups];
        Read<long>(firstBad, perGroup);
        long position = long.MaxValue;
        foreach (var p in perGroup)
            if (p >= 0 && p < position) position = p;
        if (position == long.MaxValue) return;
        Span<int> value = stackalloc int[1];
        Read<int>(new BufferSlice(indices.Buffer, indices.Offset + position), value);
        throw new ArgumentOutOfRangeException(name,
            $"{name}[{position}] = {value[0]} lies outside [0, {limit})");
    }
}
