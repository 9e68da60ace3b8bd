using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Engine.Optim.Structured;

/// <summary>
/// The eigendecomposition A = Σ_k λ_k z_k z_kᵀ of a real symmetric n×n matrix, in double: eigenvalues ascending, each unit
/// eigenvector a row of <see cref="VectorRows"/>.
/// <para>
/// The algorithms are MathNet's managed ones (EISPACK's tred2 and tql2): Householder reduction to tridiagonal form, the
/// reflectors accumulated into Q, then implicit QL with Wilkinson shifts, its rotations applied to Q. MathNet runs them
/// over a column-major array whose rotations walk across rows, one element at a time: ~0.2 s for n = 512 and ~5.8 s for
/// 1536 on this project's 2-core VM, where SPEC-GF decomposes every graph it logs. Here every O(n³) loop runs along
/// contiguous rows with vector instructions — the reduction updates the trailing rows, the eigenvectors are kept as rows
/// (Qᵀ), so a rotation combines two rows — and the rotations of each QL sweep are recorded, then applied to column blocks
/// on all cores. The split is by columns only, so the bits do not depend on the machine's cores.
/// </para>
/// </summary>
internal sealed class SymmetricEigen
{
    /// <summary>Below this size one core does all the work: a parallel loop's fixed cost would outweigh it.</summary>
    private const int ParallelFrom = 192;

    /// <summary>QL iterations allowed per eigenvalue: tql2 needs about two on average (at most 6 seen; EISPACK allows 30).</summary>
    private const int MaxIterations = 64;

    private SymmetricEigen(int size, double[] values, double[] vectorRows)
    {
        Size = size;
        Values = values;
        VectorRows = vectorRows;
    }

    public int Size { get; }

    /// <summary>The eigenvalues in ascending order.</summary>
    public double[] Values { get; }

    /// <summary>n×n row-major: row k is the unit eigenvector of <see cref="Values"/>[k].</summary>
    public double[] VectorRows { get; }

    /// <summary>The eigenvectors as the columns of a matrix (the same array: MathNet's storage is column-major).</summary>
    public Matrix<double> VectorColumns() => ColumnMajor.Wrap(Size, Size, VectorRows);

    /// <summary>Row k of <see cref="VectorRows"/>.</summary>
    public ReadOnlySpan<double> Row(int k) => VectorRows.AsSpan(k * Size, Size);

    /// <summary>
    /// f(A) = Σ_k f(λ_k) z_k z_kᵀ, n×n row-major (symmetric). Entry (a, b) is the dot product of row a of Zᵀ scaled by
    /// f(λ) with row b of Zᵀ: contiguous, and half of them, where a product Zᵀ diag(f) Z in MathNet costs two n³ GEMMs.
    /// </summary>
    public double[] Function(Func<double, double> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        int n = Size;
        var response = Values.Select(f).ToArray();
        var columns = new double[n * n];   // Zᵀ: row a holds component a of every eigenvector
        var scaled = new double[n * n];
        for (int k = 0; k < n; k++)
            for (int a = 0; a < n; a++)
            {
                columns[a * n + k] = VectorRows[k * n + a];
                scaled[a * n + k] = response[k] * VectorRows[k * n + a];
            }
        var result = new double[n * n];
        ForRows(0, n, n, a =>
        {
            var row = scaled.AsSpan(a * n, n);
            for (int b = a; b < n; b++) result[a * n + b] = TensorPrimitives.Dot(row, columns.AsSpan(b * n, n));
        });
        for (int a = 0; a < n; a++)
            for (int b = 0; b < a; b++) result[a * n + b] = result[b * n + a];
        return result;
    }

    /// <summary>Decomposes <paramref name="matrix"/>, read as (A + Aᵀ)/2 (which is A itself when A is symmetric).</summary>
    public static SymmetricEigen Of(Matrix<double> matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (matrix.RowCount != matrix.ColumnCount)
            throw new ArgumentException($"SymmetricEigen: a symmetric matrix is square, got [{matrix.RowCount}, {matrix.ColumnCount}]");
        int n = matrix.RowCount;
        var a = matrix.ToColumnMajorArray();
        double largest = 0;
        foreach (double x in a)
        {
            if (!double.IsFinite(x))
                throw new ArgumentException($"SymmetricEigen: the [{n}, {n}] matrix has a non-finite entry ({x})");
            largest = Math.Max(largest, Math.Abs(x));
        }
        // The reduction squares entries, which below 2^-511 lose bits or vanish and above 2^511 overflow; tred2 scales
        // each row for this. A power of two is exact: the largest entry goes to [1, 2), and the bits are those at any scale.
        int exponent = largest > 0 ? Math.ILogB(largest) : 0;
        if (exponent != 0)
            for (int i = 0; i < a.Length; i++) a[i] = Math.ScaleB(a[i], -exponent);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
            {
                double mean = (a[i * n + j] + a[j * n + i]) / 2;
                a[i * n + j] = a[j * n + i] = mean;
            }
        var eigen = Decompose(a, n);
        for (int k = 0; k < n; k++) eigen.Values[k] = Math.ScaleB(eigen.Values[k], exponent);
        return eigen;
    }

    private static SymmetricEigen Decompose(double[] a, int n)
    {
        var diagonal = new double[n];
        var offDiagonal = new double[n];
        if (n == 0) return new(0, diagonal, []);
        var reflectors = HouseholderReduction.Tridiagonalize(a, n, diagonal, offDiagonal);
        var rows = HouseholderReduction.AccumulateReflectors(a, reflectors, n);
        DiagonalizeTridiagonal(diagonal, offDiagonal, rows, n);
        return Sorted(diagonal, rows, n);
    }

    /// <summary>
    /// tql2: implicit QL with Wilkinson shifts on the tridiagonal (diagonal d, off-diagonal e, e[i] between i and i + 1);
    /// d ends as the eigenvalues, and the rotations of each sweep turn the rows of <paramref name="rows"/> into eigenvectors.
    /// </summary>
    private static void DiagonalizeTridiagonal(double[] d, double[] e, double[] rows, int n)
    {
        e[n - 1] = 0;
        var batch = new RotationBatch(rows, n);
        double shiftSum = 0, scale = 0;
        const double epsilon = 1.0 / (1L << 52);
        for (int l = 0; l < n; l++)
        {
            scale = Math.Max(scale, Math.Abs(d[l]) + Math.Abs(e[l]));
            int m = l;
            while (m < n - 1 && Math.Abs(e[m]) > epsilon * scale) m++;
            if (m > l)
            {
                int iterations = 0;
                do
                {
                    if (++iterations > MaxIterations)
                        throw new ArithmeticException($"SymmetricEigen: eigenvalue {l} of {n} did not converge in {MaxIterations} QL iterations");
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2 * e[l]);
                    double r = Hypot(p, 1);
                    if (p < 0) r = -r;
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) d[i] -= h;
                    shiftSum += h;

                    p = d[m];
                    double c = 1, c2 = 1, c3 = 1, s = 0, s2 = 0;
                    double el1 = e[l + 1];
                    for (int i = m - 1; i >= l; i--)
                    {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        batch.Add(c, s);
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                    batch.EndSweep(l, m);
                }
                while (Math.Abs(e[l]) > epsilon * scale);
            }
            d[l] += shiftSum;
            e[l] = 0;
        }
        batch.Apply();
    }

    /// <summary>Ascending eigenvalues (ties keep their order), rows permuted to match.</summary>
    private static SymmetricEigen Sorted(double[] values, double[] rows, int n)
    {
        var order = Enumerable.Range(0, n).ToArray();
        Array.Sort(order, (x, y) => values[x] != values[y] ? values[x].CompareTo(values[y]) : x.CompareTo(y));
        var sortedValues = new double[n];
        var sortedRows = new double[n * n];
        for (int k = 0; k < n; k++)
        {
            sortedValues[k] = values[order[k]];
            rows.AsSpan(order[k] * n, n).CopyTo(sortedRows.AsSpan(k * n, n));
        }
        return new(n, sortedValues, sortedRows);
    }

    /// <summary>√(a² + b²) without overflow or underflow in the squares (as tql2's pythag).</summary>
    private static double Hypot(double a, double b)
    {
        double x = Math.Abs(a), y = Math.Abs(b);
        if (x < y) (x, y) = (y, x);
        if (x == 0) return 0;
        double ratio = y / x;
        return x * Math.Sqrt(1 + ratio * ratio);
    }

    /// <summary>Runs <paramref name="body"/> for rows from..to−1, on all cores where the block is large.</summary>
    internal static void ForRows(int from, int to, int length, Action<int> body)
    {
        if (length < ParallelFrom)
        {
            for (int i = from; i < to; i++) body(i);
            return;
        }
        Parallel.For(from, to, body);
    }
}
