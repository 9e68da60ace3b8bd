using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using MathNet.Numerics.LinearAlgebra;
using Lanes = System.Numerics.Vector<double>;
using SimdVector = System.Numerics.Vector;

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

    /// <summary>Multiply-adds below which a loop over blocks runs on one core.</summary>
    internal const long ParallelWork = 1L << 18;

    /// <summary>QL iterations allowed per eigenvalue; tql2 takes one to three, so more means non-finite input.</summary>
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
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
            {
                double mean = (a[i * n + j] + a[j * n + i]) / 2;
                a[i * n + j] = a[j * n + i] = mean;
            }
        foreach (double x in a)
            if (!double.IsFinite(x))
                throw new ArgumentException($"SymmetricEigen: the [{n}, {n}] matrix has a non-finite entry ({x})");
        return Decompose(a, n);
    }

    private static SymmetricEigen Decompose(double[] a, int n)
    {
        var diagonal = new double[n];
        var offDiagonal = new double[n];
        if (n == 0) return new(0, diagonal, []);
        var reflectors = Tridiagonalize(a, n, diagonal, offDiagonal);
        var rows = AccumulateReflectors(a, reflectors, n);
        DiagonalizeTridiagonal(diagonal, offDiagonal, rows, n);
        return Sorted(diagonal, rows, n);
    }

    /// <summary>
    /// Householder reduction: step k maps row k's entries right of the diagonal onto a multiple of e₁ with
    /// H = I − β v vᵀ, applied to the trailing block from both sides as B ← B − v wᵀ − w vᵀ (w = p − (β/2)(pᵀv) v, p = β B v).
    /// v overwrites row k's entries past the diagonal; the returned array holds each step's β (0: no reflection).
    /// </summary>
    private static double[] Tridiagonalize(double[] a, int n, double[] diagonal, double[] offDiagonal)
    {
        var betas = new double[n];
        var p = new double[n];
        for (int k = 0; k < n - 2; k++)
        {
            int start = k + 1, length = n - start;
            diagonal[k] = a[k * n + k];
            var v = a.AsSpan(k * n + start, length);
            double tailSquared = TensorPrimitives.Dot(v[1..], v[1..]);
            if (tailSquared == 0)
            {
                offDiagonal[k] = v[0];   // already tridiagonal in this row
                continue;
            }
            double norm = Math.Sqrt(v[0] * v[0] + tailSquared);
            double alpha = v[0] >= 0 ? -norm : norm;
            v[0] -= alpha;
            double beta = 2 / (v[0] * v[0] + tailSquared);
            betas[k] = beta;
            offDiagonal[k] = alpha;
            int vAt = k * n + start;
            ForRows(start, n, length, i => p[i] = beta * TensorPrimitives.Dot(a.AsSpan(i * n + start, length), a.AsSpan(vAt, length)));
            var w = p.AsSpan(start, length);
            double half = beta / 2 * TensorPrimitives.Dot(w, v);
            TensorPrimitives.MultiplyAdd(v, -half, w, w);   // p becomes w
            ForRows(start, n, length, i =>
                SubtractRankTwo(a.AsSpan(i * n + start, length), a[k * n + i], p[i], a.AsSpan(vAt, length), p.AsSpan(start, length)));
        }
        if (n >= 2)
        {
            diagonal[n - 2] = a[(n - 2) * n + n - 2];
            offDiagonal[n - 2] = a[(n - 2) * n + n - 1];
        }
        diagonal[n - 1] = a[n * n - 1];
        return betas;
    }

    /// <summary>row −= vᵢ w + wᵢ v.</summary>
    private static void SubtractRankTwo(Span<double> row, double vi, double wi, ReadOnlySpan<double> v, ReadOnlySpan<double> w)
    {
        int j = 0;
        if (SimdVector.IsHardwareAccelerated)
        {
            var vScale = new Lanes(vi);
            var wScale = new Lanes(wi);
            for (; j <= row.Length - Lanes.Count; j += Lanes.Count)
            {
                var r = new Lanes(row[j..]);
                r = SimdVector.FusedMultiplyAdd(-vScale, new Lanes(w[j..]), r);
                r = SimdVector.FusedMultiplyAdd(-wScale, new Lanes(v[j..]), r);
                r.CopyTo(row[j..]);
            }
        }
        for (; j < row.Length; j++) row[j] = Math.FusedMultiplyAdd(-wi, v[j], Math.FusedMultiplyAdd(-vi, w[j], row[j]));
    }

    /// <summary>
    /// Qᵀ = H_{n−3} ⋯ H₀ as rows (row i of the result is column i of Q), accumulated backwards (Q ← H_k Q), so that each
    /// reflector touches only the trailing block it acts on. A column of Q meets the reflectors independently of the other
    /// columns, so they run a block of columns at a time: that block of every row stays in L2 while all reflectors pass.
    /// </summary>
    private static double[] AccumulateReflectors(double[] a, double[] betas, int n)
    {
        var q = new double[n * n];
        for (int i = 0; i < n; i++) q[i * n + i] = 1;
        ForBlocks(n, (long)n * n * n, (from, width) =>
        {
            using var panel = ColumnPanel.Pack(q, n, from, width);
            for (int k = n - 3; k >= 0; k--)
            {
                // Q_J ← Q_J − β v (vᵀ Q_J) over rows J = k + 1.. and this block's columns from k + 1 on (the rest are 0)
                int start = k + 1, skip = Math.Max(0, start - from);
                if (betas[k] == 0 || skip >= width) continue;
                var v = a.AsSpan(k * n + start, n - start);
                int j = skip;
                if (SimdVector.IsHardwareAccelerated)
                    for (; j + ColumnPanel.Strip <= width; j += ColumnPanel.Strip) ReflectStrip(panel.Values, width, j, start, v, betas[k]);
                for (; j < width; j++) ReflectColumn(panel.Values, width, j, start, v, betas[k]);
            }
        });
        // Q's columns are Qᵀ's rows.
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
                (q[i * n + j], q[j * n + i]) = (q[j * n + i], q[i * n + j]);
        return q;
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

    /// <summary>
    /// x ← x − β v (vᵀ x) for the columns x of one strip of a panel, rows <paramref name="start"/>.. (v's entries): the
    /// strip's four sums stay in registers across both passes.
    /// </summary>
    private static void ReflectStrip(double[] panel, int stride, int column, int start, ReadOnlySpan<double> v, double beta)
    {
        ref double origin = ref MemoryMarshal.GetArrayDataReference(panel);
        nuint lanes = (nuint)Lanes.Count;
        Lanes r0 = default, r1 = default, r2 = default, r3 = default;
        for (int i = 0; i < v.Length; i++)
        {
            nuint at = (nuint)((start + i) * stride + column);
            var vi = new Lanes(v[i]);
            r0 = SimdVector.FusedMultiplyAdd(vi, SimdVector.LoadUnsafe(ref origin, at), r0);
            r1 = SimdVector.FusedMultiplyAdd(vi, SimdVector.LoadUnsafe(ref origin, at + lanes), r1);
            r2 = SimdVector.FusedMultiplyAdd(vi, SimdVector.LoadUnsafe(ref origin, at + 2 * lanes), r2);
            r3 = SimdVector.FusedMultiplyAdd(vi, SimdVector.LoadUnsafe(ref origin, at + 3 * lanes), r3);
        }
        for (int i = 0; i < v.Length; i++)
        {
            nuint at = (nuint)((start + i) * stride + column);
            var scale = new Lanes(-beta * v[i]);
            SimdVector.StoreUnsafe(SimdVector.FusedMultiplyAdd(scale, r0, SimdVector.LoadUnsafe(ref origin, at)), ref origin, at);
            SimdVector.StoreUnsafe(SimdVector.FusedMultiplyAdd(scale, r1, SimdVector.LoadUnsafe(ref origin, at + lanes)), ref origin, at + lanes);
            SimdVector.StoreUnsafe(SimdVector.FusedMultiplyAdd(scale, r2, SimdVector.LoadUnsafe(ref origin, at + 2 * lanes)), ref origin, at + 2 * lanes);
            SimdVector.StoreUnsafe(SimdVector.FusedMultiplyAdd(scale, r3, SimdVector.LoadUnsafe(ref origin, at + 3 * lanes)), ref origin, at + 3 * lanes);
        }
    }

    /// <summary>The same for one column, with the same fused operations.</summary>
    private static void ReflectColumn(double[] panel, int stride, int column, int start, ReadOnlySpan<double> v, double beta)
    {
        double r = 0;
        for (int i = 0; i < v.Length; i++) r = Math.FusedMultiplyAdd(v[i], panel[(start + i) * stride + column], r);
        for (int i = 0; i < v.Length; i++)
        {
            ref double x = ref panel[(start + i) * stride + column];
            x = Math.FusedMultiplyAdd(-beta * v[i], r, x);
        }
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
    private static void ForRows(int from, int to, int length, Action<int> body)
    {
        if (length < ParallelFrom)
        {
            for (int i = from; i < to; i++) body(i);
            return;
        }
        Parallel.For(from, to, body);
    }

    /// <summary>Runs <paramref name="body"/>(first column, width) over <see cref="ColumnPanel.BlockColumns"/>-column blocks of n.</summary>
    private static void ForBlocks(int n, long work, Action<int, int> body)
    {
        int blocks = (n + ColumnPanel.BlockColumns - 1) / ColumnPanel.BlockColumns;
        void Block(int b) => body(b * ColumnPanel.BlockColumns, Math.Min(ColumnPanel.BlockColumns, n - b * ColumnPanel.BlockColumns));
        if (blocks == 1 || work < ParallelWork) for (int b = 0; b < blocks; b++) Block(b);
        else Parallel.For(0, blocks, Block);
    }
}
