using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Engine.Optim.Structured;

/// <summary>
/// The Gram matrix R Rᵀ of the m rows of an fp32 matrix, in double: every product of two floats is exact in double, so
/// only the order of the sums differs from a double GEMM. MathNet's managed GEMM took ~0.5 s for [100, 100000] (2 GFLOP);
/// here the columns are cut into blocks that fit in L2, each block's rows widened to double once, and every pair of rows
/// summed with <see cref="TensorPrimitives.Dot(ReadOnlySpan{double}, ReadOnlySpan{double})"/>. A fixed number of column
/// partitions run in parallel and are added in partition order, so the result does not depend on the machine's cores.
/// </summary>
internal static class RowGram
{
    /// <summary>Columns widened at a time: a block of 100 rows is 800 kB of doubles.</summary>
    private const int BlockColumns = 1024;

    /// <summary>
    /// Column partitions summed separately, then in order: at most 8, and fewer where their m × m sums would pass
    /// <see cref="PartialBytes"/>; a function of the shape alone, so the bits do not depend on the machine's cores.
    /// </summary>
    private const int Partitions = 8;

    private const long PartialBytes = 64L << 20;

    public static Matrix<double> Of(float[] rows, int m, int n)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (m < 0 || n < 0 || rows.Length != (long)m * n)
            throw new ArgumentException($"RowGram: {rows.Length} values are not a [{m}, {n}] matrix", nameof(rows));
        int blocks = (n + BlockColumns - 1) / BlockColumns;
        long partialBytes = Math.Max(1L, (long)m * m * sizeof(double));
        int partitions = (int)Math.Max(1, Math.Min(Math.Min(Partitions, blocks), PartialBytes / partialBytes));
        var partials = new double[partitions][];
        Parallel.For(0, partitions, p =>
        {
            var sums = new double[m * m];
            var wide = new double[m * BlockColumns];
            for (int block = p * blocks / partitions; block < (p + 1) * blocks / partitions; block++)
            {
                int start = block * BlockColumns, width = Math.Min(BlockColumns, n - start);
                for (int a = 0; a < m; a++)
                    TensorPrimitives.ConvertChecked<float, double>(rows.AsSpan(a * n + start, width), wide.AsSpan(a * width, width));
                for (int a = 0; a < m; a++)
                {
                    var rowA = wide.AsSpan(a * width, width);
                    for (int b = a; b < m; b++) sums[a * m + b] += TensorPrimitives.Dot(rowA, wide.AsSpan(b * width, width));
                }
            }
            partials[p] = sums;
        });
        var gram = Matrix<double>.Build.Dense(m, m);
        for (int a = 0; a < m; a++)
            for (int b = a; b < m; b++)
            {
                double sum = 0;
                foreach (var partial in partials) sum += partial[a * m + b];
                gram[a, b] = sum;
                gram[b, a] = sum;
            }
        return gram;
    }
}
