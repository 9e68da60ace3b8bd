using Engine.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Engine.Optim.Structured;

/// <summary>Moves matrices between device tensors (fp32, row-major) and MathNet's dense double matrices.</summary>
internal static class HostMatrix
{
    /// <summary>Reads a 2-D tensor to the host (waits for pending work on its device).</summary>
    public static Matrix<double> Read(Tensor t)
    {
        if (t.Rank != 2) throw new ArgumentException($"HostMatrix.Read: expected a 2-D tensor, got {t}");
        int rows = t.Size(0), cols = t.Size(1);
        var data = t.ToArray();
        return Matrix<double>.Build.Dense(rows, cols, (i, j) => data[(long)i * cols + j]);
    }

    /// <summary>Writes <paramref name="m"/> into the dense tensor <paramref name="target"/> of the same shape.</summary>
    public static void Write(Matrix<double> m, Tensor target)
    {
        DeviceMath.RequireMatrix(target, m.RowCount, m.ColumnCount, "HostMatrix.Write");
        var data = new float[m.RowCount * m.ColumnCount];
        for (int i = 0; i < m.RowCount; i++)
            for (int j = 0; j < m.ColumnCount; j++)
                data[i * m.ColumnCount + j] = (float)m[i, j];
        DeviceMath.Write(target, data);
    }
}
