using System.Buffers;
using System.Numerics;
using Engine.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Engine.Optim.Structured;

/// <summary>Moves matrices between device tensors (fp32, row-major) and MathNet's dense double matrices (column-major).</summary>
internal static class HostMatrix
{
    /// <summary>
    /// The transposes go tile by tile, so that the strided side of each stays within a few cache lines per row
    /// (64 doubles by 64 floats: 48 kB).
    /// </summary>
    private const int Tile = 64;

    /// <summary>Reads a 2-D tensor to the host (waits for pending work on its device).</summary>
    public static Matrix<double> Read(Tensor t)
    {
        if (t.Rank != 2) throw new ArgumentException($"HostMatrix.Read: expected a 2-D tensor, got {t}");
        int rows = t.Size(0), cols = t.Size(1);
        var entries = GC.AllocateUninitializedArray<double>(rows * cols);   // every entry is written below
        TransposeInto(t.ToArray(), rows, cols, entries);
        return ColumnMajor.Wrap(rows, cols, entries);
    }

    /// <summary>Writes <paramref name="m"/> into the dense tensor <paramref name="target"/> of the same shape.</summary>
    public static void Write(Matrix<double> m, Tensor target)
    {
        DeviceMath.RequireMatrix(target, m.RowCount, m.ColumnCount, "HostMatrix.Write");
        int rows = m.RowCount, cols = m.ColumnCount;
        // Rented: a fresh array per rebuild (9 MB at m = 1536) cost more in page faults than the transpose itself. The
        // pool keeps one between rebuilds, half the size of the host Laplacian the filter keeps anyway.
        var data = ArrayPool<float>.Shared.Rent(rows * cols);
        try
        {
            TransposeInto(ColumnMajor.Of(m), cols, rows, data);   // column-major [rows, cols] is row-major [cols, rows]
            DeviceMath.Write(target, data.AsSpan(0, rows * cols));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(data);
        }
    }

    /// <summary>
    /// target = sourceᵀ, each entry converted (exactly to double; to the nearest float): source row-major [rows, cols],
    /// target row-major [cols, rows], by tiles of rows in parallel.
    /// </summary>
    private static void TransposeInto<TSource, TTarget>(TSource[] source, int rows, int cols, TTarget[] target)
        where TSource : INumberBase<TSource>
        where TTarget : INumberBase<TTarget> =>
        Parallel.For(0, (rows + Tile - 1) / Tile, tile =>
        {
            int i0 = tile * Tile, height = Math.Min(Tile, rows - i0);
            for (int j0 = 0; j0 < cols; j0 += Tile)
                for (int j = j0; j < Math.Min(j0 + Tile, cols); j++)
                {
                    var column = target.AsSpan(j * rows + i0, height);
                    for (int i = 0; i < height; i++) column[i] = TTarget.CreateTruncating(source[(i0 + i) * cols + j]);
                }
        });
}
