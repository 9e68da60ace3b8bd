using MathNet.Numerics.LinearAlgebra;

namespace Engine.Optim.Structured;

/// <summary>
/// A matrix's entries column by column, [i, j] at j·rows + i, for loops that would otherwise pay a virtual indexer
/// (with bounds checks) per entry. Of a symmetric matrix it is also the row-major array.
/// </summary>
internal static class ColumnMajor
{
    /// <summary>MathNet's own storage of a dense matrix (no copy: treat it as read-only), a copy of any other kind.</summary>
    public static double[] Of(Matrix<double> matrix) => matrix.AsColumnMajorArray() ?? matrix.ToColumnMajorArray();

    /// <summary>Wraps <paramref name="entries"/> (column-major, taken over, not copied) as a dense matrix.</summary>
    public static Matrix<double> Wrap(int rows, int cols, double[] entries) => Matrix<double>.Build.Dense(rows, cols, entries);
}
