using Engine.Kernels.Devices;
using Engine.Tensors;
using MathNet.Numerics.LinearAlgebra;
using Xunit.Sdk;

namespace Engine.Tests.Structured;

/// <summary>Random host data, conversions to and from device tensors, and double-precision checks.</summary>
internal static class HostData
{
    public static double[] Normal(Random rng, int count, double std = 1)
    {
        var r = new double[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            r[i] = std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
        return r;
    }

    /// <summary>A random m×n matrix with entries rounded to fp32, so host and device see the same numbers.</summary>
    public static Matrix<double> Matrix(Random rng, int rows, int cols, double std = 1)
    {
        var v = Normal(rng, rows * cols, std);
        return Matrix<double>.Build.Dense(rows, cols, (i, j) => (float)v[i * cols + j]);
    }

    public static Tensor Upload(ComputeDevice device, Matrix<double> m)
    {
        var data = new float[m.RowCount * m.ColumnCount];
        for (int i = 0; i < m.RowCount; i++)
            for (int j = 0; j < m.ColumnCount; j++)
                data[i * m.ColumnCount + j] = (float)m[i, j];
        return Tensor.FromArray(device, data, m.RowCount, m.ColumnCount);
    }

    public static Tensor Upload(ComputeDevice device, double[] v) =>
        Tensor.FromArray(device, Array.ConvertAll(v, x => (float)x), v.Length);

    public static Matrix<double> Download(Tensor t)
    {
        int rows = t.Size(0), cols = t.Size(1);
        var data = t.ToArray();
        return Matrix<double>.Build.Dense(rows, cols, (i, j) => data[i * cols + j]);
    }

    public static double[] Vector(Tensor t) => Array.ConvertAll(t.ToArray(), x => (double)x);

    /// <summary>Fails unless ||actual − expected||_F ≤ relative·||expected||_F + absolute.</summary>
    public static void Near(Matrix<double> expected, Matrix<double> actual, double relative, string what, double absolute = 1e-6)
    {
        if (expected.RowCount != actual.RowCount || expected.ColumnCount != actual.ColumnCount)
            throw new XunitException($"{what}: expected a {expected.RowCount}x{expected.ColumnCount} matrix, got {actual.RowCount}x{actual.ColumnCount}");
        double error = (actual - expected).FrobeniusNorm(), scale = expected.FrobeniusNorm();
        if (!(error <= relative * scale + absolute))
            throw new XunitException($"{what}: ||error|| {error:E3} > {relative:E1}·||expected|| ({scale:E3}) + {absolute:E1}");
    }

    public static void Near(double expected, double actual, double relative, string what, double absolute = 1e-7)
    {
        if (!(Math.Abs(actual - expected) <= relative * Math.Abs(expected) + absolute) && !expected.Equals(actual))
            throw new XunitException($"{what}: expected {expected:R}, got {actual:R}");
    }

    public static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    public static double Norm(double[] a) => Math.Sqrt(Dot(a, a));
}
