namespace Engine.Tensors;

/// <summary>Shape arithmetic shared by every op: element counts, strides, broadcasting, axis checks.</summary>
internal static class ShapeMath
{
    public static long Count(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        return n;
    }

    public static long[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= shape[i];
        }
        return strides;
    }

    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    public static void Validate(ReadOnlySpan<int> shape)
    {
        foreach (var d in shape)
            if (d < 0) throw new ArgumentException($"shape {Format(shape)} has a negative dimension");
    }

    /// <summary>Maps a possibly negative axis into [0, rank); throws naming the axis and the shape.</summary>
    public static int Axis(int axis, int rank, ReadOnlySpan<int> shape, string op)
    {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
            throw new ArgumentOutOfRangeException(nameof(axis),
                $"{op}: axis {axis} is out of range for a rank-{rank} tensor of shape {Format(shape)} (valid: {-rank}..{rank - 1})");
        return a;
    }

    /// <summary>NumPy broadcasting of two shapes; throws naming both shapes and the clashing dimension.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string op)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException(
                    $"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast together (dimension {i} of the result: {da} vs {db})");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>Strides that read a tensor of shape/strides as if it had shape <paramref name="target"/> (0 on broadcast dims).</summary>
    public static long[] BroadcastStrides(ReadOnlySpan<int> shape, ReadOnlySpan<long> strides, ReadOnlySpan<int> target)
    {
        var result = new long[target.Length];
        int lead = target.Length - shape.Length;
        for (int i = 0; i < target.Length; i++)
        {
            if (i < lead) { result[i] = 0; continue; }
            int d = shape[i - lead];
            result[i] = d == 1 && target[i] != 1 ? 0 : strides[i - lead];
        }
        return result;
    }

    public static bool SameShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);
}
