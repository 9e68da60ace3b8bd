namespace Engine.Tests.Tensors;

/// <summary>Scalar double-precision reference for tensor ops: dense row-major arrays with NumPy broadcasting.</summary>
internal static class HostReference
{
    public static long Count(int[] shape) => shape.Aggregate(1L, (a, d) => a * d);

    public static int[] Broadcast(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            r[i] = Math.Max(da, db);
        }
        return r;
    }

    /// <summary>Index into a tensor of <paramref name="shape"/> for result multi-index <paramref name="idx"/> of a broadcast result.</summary>
    public static long BroadcastIndex(int[] shape, int[] idx)
    {
        long flat = 0;
        int lead = idx.Length - shape.Length;
        for (int i = 0; i < shape.Length; i++)
            flat = flat * shape[i] + (shape[i] == 1 ? 0 : idx[i + lead]);
        return flat;
    }

    public static int[] Unflatten(long flat, int[] shape)
    {
        var idx = new int[shape.Length];
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            idx[i] = (int)(flat % shape[i]);
            flat /= shape[i];
        }
        return idx;
    }

    public static double[] Map(Func<double[], double> f, int[] outShape, params (float[] Data, int[] Shape)[] inputs)
    {
        var n = Count(outShape);
        var r = new double[n];
        var args = new double[inputs.Length];
        for (long i = 0; i < n; i++)
        {
            var idx = Unflatten(i, outShape);
            for (int k = 0; k < inputs.Length; k++) args[k] = inputs[k].Data[BroadcastIndex(inputs[k].Shape, idx)];
            r[i] = f(args);
        }
        return r;
    }

    public static void AssertClose(double[] expected, float[] actual, double rtol, double atol, string what)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            if (double.IsInfinity(e) && e == a) continue;
            if (Math.Abs(e - a) > atol + rtol * Math.Abs(e))
                throw new Xunit.Sdk.XunitException($"{what}: element {i} expected {e:R} got {a:R} (|diff| {Math.Abs(e - a):G3})");
        }
    }

    public static float[] RandomFloats(Random rng, long n, float scale = 2f)
    {
        var r = new float[n];
        for (long i = 0; i < n; i++) r[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return r;
    }

    public static int[] RandomShape(Random rng, int rank, int maxDim)
    {
        var s = new int[rank];
        for (int i = 0; i < rank; i++) s[i] = rng.Next(1, maxDim + 1);
        return s;
    }
}
