namespace Engine.Tests.Autograd;

/// <summary>
/// Dense row-major arrays in double with the forward math of Engine's differentiable ops, written independently
/// of the engine. The float64 finite-difference check differentiates these, so its numeric gradient carries no
/// fp32 rounding.
/// </summary>
internal sealed record D64(double[] Data, int[] Shape)
{
    public long Count => Data.Length;

    private static long Size(int[] shape) => shape.Aggregate(1L, (a, d) => a * d);

    private static int[] Unflatten(long flat, int[] shape)
    {
        var idx = new int[shape.Length];
        for (int i = shape.Length - 1; i >= 0; i--) { idx[i] = (int)(flat % shape[i]); flat /= shape[i]; }
        return idx;
    }

    private static long Index(int[] shape, int[] idx)
    {
        long flat = 0;
        int lead = idx.Length - shape.Length;
        for (int i = 0; i < shape.Length; i++) flat = flat * shape[i] + (shape[i] == 1 ? 0 : idx[i + lead]);
        return flat;
    }

    public D64 Map(Func<double, double> f) => new(Data.Select(f).ToArray(), Shape);

    public static D64 Zip(D64 a, D64 b, Func<double, double, double> f)
    {
        int rank = Math.Max(a.Shape.Length, b.Shape.Length);
        var shape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Shape.Length ? 1 : a.Shape[i - (rank - a.Shape.Length)];
            int db = i < rank - b.Shape.Length ? 1 : b.Shape[i - (rank - b.Shape.Length)];
            shape[i] = Math.Max(da, db);
        }
        var r = new double[Size(shape)];
        for (long i = 0; i < r.Length; i++)
        {
            var idx = Unflatten(i, shape);
            r[i] = f(a.Data[Index(a.Shape, idx)], b.Data[Index(b.Shape, idx)]);
        }
        return new(r, shape);
    }

    /// <summary>Reduces one axis (keepDim false) with a fold over the axis' values.</summary>
    public D64 Reduce(int axis, Func<double[], double> fold)
    {
        int a = axis < 0 ? axis + Shape.Length : axis;
        long outer = Size(Shape[..a]), inner = Size(Shape[(a + 1)..]);
        int len = Shape[a];
        var r = new double[outer * inner];
        var column = new double[len];
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                for (int k = 0; k < len; k++) column[k] = Data[(o * len + k) * inner + i];
                r[o * inner + i] = fold(column);
            }
        return new(r, Shape.Where((_, i) => i != a).ToArray());
    }

    /// <summary>Applies a row function to every row of the last axis.</summary>
    public D64 Rows(Func<double[], double[]> f)
    {
        int cols = Shape[^1];
        var r = new double[Data.Length];
        for (int start = 0; start < Data.Length; start += cols)
            f(Data[start..(start + cols)]).CopyTo(r, start);
        return new(r, Shape);
    }

    public D64 Permute(int[] axes)
    {
        var shape = axes.Select(x => Shape[x]).ToArray();
        var r = new double[Data.Length];
        for (long i = 0; i < r.Length; i++)
        {
            var idx = Unflatten(i, shape);
            var src = new int[Shape.Length];
            for (int k = 0; k < axes.Length; k++) src[axes[k]] = idx[k];
            r[i] = Data[Index(Shape, src)];
        }
        return new(r, shape);
    }

    public D64 Slice(int axis, int start, int length)
    {
        var shape = (int[])Shape.Clone();
        shape[axis] = length;
        var r = new double[Size(shape)];
        for (long i = 0; i < r.Length; i++)
        {
            var idx = Unflatten(i, shape);
            idx[axis] += start;
            r[i] = Data[Index(Shape, idx)];
        }
        return new(r, shape);
    }

    public static D64 MatMul(D64 a, D64 b)
    {
        int m = a.Shape[0], k = a.Shape[1], n = b.Shape[1];
        var r = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int q = 0; q < k; q++) s += a.Data[i * k + q] * b.Data[q * n + j];
                r[i * n + j] = s;
            }
        return new(r, [m, n]);
    }

    public static double[] Softmax(double[] row)
    {
        double max = row.Max();
        var e = row.Select(v => Math.Exp(v - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    public static double[] LogSoftmax(double[] row)
    {
        double max = row.Max(), lse = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
        return row.Select(v => v - lse).ToArray();
    }
}
