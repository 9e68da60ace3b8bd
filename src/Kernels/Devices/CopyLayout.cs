namespace Engine.Kernels.Devices;

/// <summary>
/// A strided copy reduced to its simplest equivalent for every backend's copy kernels: size-1 dimensions dropped and
/// neighbouring dimensions merged wherever both views are contiguous across them, so a dense copy becomes
/// one flat kernel and a transpose keeps only the dimensions that really jump.
/// </summary>
internal sealed class CopyLayout
{
    private CopyLayout(long[] shape, long[] srcStrides, long[] dstStrides, long count)
    {
        Shape = shape;
        SrcStrides = srcStrides;
        DstStrides = dstStrides;
        Count = count;
    }

    public long[] Shape { get; }
    public long[] SrcStrides { get; }
    public long[] DstStrides { get; }
    public long Count { get; }
    public int Rank => Shape.Length;

    public static CopyLayout Create(StridedSlice src, StridedSlice dst, int maxRank)
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
        return new CopyLayout([.. shape], [.. ss], [.. ds], count);
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
}
