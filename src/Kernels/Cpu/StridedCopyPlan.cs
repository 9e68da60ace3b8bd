using Engine.Kernels.Devices;

namespace Engine.Kernels.Cpu;

/// <summary>
/// A strided copy reduced to its simplest equivalent: size-1 dimensions dropped and neighbouring dimensions
/// merged wherever both views are contiguous across them, so a dense copy becomes one memmove and a
/// transpose keeps only the dimensions that really jump.
/// </summary>
internal sealed unsafe class StridedCopyPlan
{
    private readonly long[] _shape;
    private readonly long[] _srcStrides;
    private readonly long[] _dstStrides;

    private StridedCopyPlan(long[] shape, long[] srcStrides, long[] dstStrides, long count)
    {
        _shape = shape;
        _srcStrides = srcStrides;
        _dstStrides = dstStrides;
        Count = count;
    }

    public long Count { get; }

    public static StridedCopyPlan Create(StridedSlice src, StridedSlice dst, int maxRank)
    {
        Validate(src, nameof(src), maxRank);
        Validate(dst, nameof(dst), maxRank);
        if (!src.Shape.AsSpan().SequenceEqual(dst.Shape))
            throw new ArgumentException(
                $"copy needs equal shapes, got src [{string.Join(", ", src.Shape)}] and dst [{string.Join(", ", dst.Shape)}]");

        var shape = new List<long>();
        var ss = new List<long>();
        var ds = new List<long>();
        long count = 1;
        for (int d = 0; d < src.Shape.Length; d++)
        {
            count *= src.Shape[d];
            if (src.Shape[d] == 1) continue;
            int last = shape.Count - 1;
            if (last >= 0 && ss[last] == src.Strides[d] * src.Shape[d] && ds[last] == dst.Strides[d] * src.Shape[d])
            {
                shape[last] *= src.Shape[d];
                ss[last] = src.Strides[d];
                ds[last] = dst.Strides[d];
                continue;
            }
            shape.Add(src.Shape[d]);
            ss.Add(src.Strides[d]);
            ds.Add(dst.Strides[d]);
        }
        if (shape.Count == 0) { shape.Add(1); ss.Add(1); ds.Add(1); }
        return new StridedCopyPlan([.. shape], [.. ss], [.. ds], count);
    }

    private static void Validate(StridedSlice view, string name, int maxRank)
    {
        ArgumentNullException.ThrowIfNull(view.Shape, name + ".Shape");
        ArgumentNullException.ThrowIfNull(view.Strides, name + ".Strides");
        if (view.Shape.Length > maxRank)
            throw new ArgumentException($"{name}: rank {view.Shape.Length} exceeds the maximum copy rank {maxRank}", name);
        if (view.Strides.Length != view.Shape.Length)
            throw new ArgumentException(
                $"{name}: {view.Strides.Length} strides for a shape of rank {view.Shape.Length}", name);
        foreach (var extent in view.Shape)
            if (extent < 0)
                throw new ArgumentException($"{name}: negative extent in shape [{string.Join(", ", view.Shape)}]", name);
    }

    /// <summary>Copies 4-byte elements; rows of the innermost dimension are split over the cores.</summary>
    public void Run(int* source, int* target)
    {
        int inner = _shape.Length - 1;
        long rowLength = _shape[inner];
        long rows = Count / rowLength;
        long minRows = Math.Max(1, CpuParallel.MinElementsPerWorker / rowLength);
        if (rows == 1 && rowLength >= 2 * CpuParallel.MinElementsPerWorker)
        {
            // One long row: split the row itself.
            long s = _srcStrides[inner], d = _dstStrides[inner];
            CpuParallel.For(rowLength, CpuParallel.MinElementsPerWorker,
                (begin, end) => CopyRow(source + begin * s, s, target + begin * d, d, end - begin));
            return;
        }
        CpuParallel.For(rows, minRows, (begin, end) => CopyRows(source, target, begin, end));
    }

    private void CopyRows(int* source, int* target, long firstRow, long endRow)
    {
        int inner = _shape.Length - 1;
        Span<long> index = stackalloc long[Math.Max(1, inner)];
        long srcOffset = 0, dstOffset = 0, rest = firstRow;
        for (int d = inner - 1; d >= 0; d--)
        {
            index[d] = rest % _shape[d];
            rest /= _shape[d];
            srcOffset += index[d] * _srcStrides[d];
            dstOffset += index[d] * _dstStrides[d];
        }
        for (long row = firstRow; row < endRow; row++)
        {
            CopyRow(source + srcOffset, _srcStrides[inner], target + dstOffset, _dstStrides[inner], _shape[inner]);
            for (int d = inner - 1; d >= 0; d--)
            {
                srcOffset += _srcStrides[d];
                dstOffset += _dstStrides[d];
                if (++index[d] < _shape[d]) break;
                srcOffset -= _shape[d] * _srcStrides[d];
                dstOffset -= _shape[d] * _dstStrides[d];
                index[d] = 0;
            }
        }
    }

    private static void CopyRow(int* source, long srcStride, int* target, long dstStride, long length)
    {
        if (srcStride == 1 && dstStride == 1)
        {
            Buffer.MemoryCopy(source, target, length * sizeof(int), length * sizeof(int));
        }
        else if (srcStride == 0 && dstStride == 1)
        {
            int value = *source;
            for (long i = 0; i < length; i += int.MaxValue)
                new Span<int>(target + i, (int)Math.Min(int.MaxValue, length - i)).Fill(value);
        }
        else
        {
            for (long i = 0; i < length; i++) target[i * dstStride] = source[i * srcStride];
        }
    }
}
