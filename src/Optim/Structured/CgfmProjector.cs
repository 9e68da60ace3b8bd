using Engine.Kernels.Devices;
using Engine.Tensors;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace Engine.Optim.Structured;

/// <summary>
/// The rank-r "global" subspace of one m×n gradient matrix (CGFM-LR, after GaLore): the top-r singular vectors
/// on the smaller side, Q (n×r) when m ≥ n, else P (m×r). Refreshing is host work (the eigenvectors of the
/// smaller Gram matrix of G, in double, every T_p steps); projecting is device work (phase S). G_glob is the product of
/// two thin factors, the basis and the coefficients of G in it: P·(PᵀG) or (GQ)·Qᵀ. The basis is kept in the layout its
/// factor has in that product — P as m×r, Q as Qᵀ (r×n) — the layout <see cref="ComputeDevice.LowRankAdjust"/> reads.
/// The basis tensor is allocated once, here, so create the projector outside any TensorScope.
/// </summary>
public sealed class CgfmProjector : IDisposable
{
    private readonly Tensor _basis;

    public CgfmProjector(ComputeDevice device, int rows, int cols, int rank)
        : this(NewBasis(device, rows, cols, rank), rows, cols, rank)
    {
    }

    /// <summary>A projector whose basis lives in <paramref name="basis"/> (a dense view it takes over, e.g. into a batched tensor).</summary>
    internal CgfmProjector(Tensor basis, int rows, int cols, int rank)
    {
        Validate(basis.Device, rows, cols, rank);
        var (basisRows, basisCols) = BasisShape(rows, cols, rank);
        DeviceMath.RequireMatrix(basis, basisRows, basisCols, "CgfmProjector basis");
        Rows = rows;
        Cols = cols;
        Rank = rank;
        _basis = basis;
    }

    /// <summary>The basis's shape for an m×n matrix: Qᵀ (r×n) when m ≥ n, else P (m×r).</summary>
    internal static (int Rows, int Cols) BasisShape(int rows, int cols, int rank) => rows >= cols ? (rank, cols) : (rows, rank);

    private static Tensor NewBasis(ComputeDevice device, int rows, int cols, int rank)
    {
        Validate(device, rows, cols, rank);
        var (basisRows, basisCols) = BasisShape(rows, cols, rank);
        return Tensor.Zeros(device, basisRows, basisCols);
    }

    private static void Validate(ComputeDevice device, int rows, int cols, int rank)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (rows < 1 || cols < 1)
            throw new ArgumentOutOfRangeException(nameof(rows), $"CGFM needs a matrix with rows, cols >= 1, got [{rows}, {cols}]");
        if (rank < 1 || rank > Math.Min(rows, cols))
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must lie in [1, min(m, n) = {Math.Min(rows, cols)}] for a [{rows}, {cols}] matrix, got {rank}");
    }

    public int Rows { get; }
    public int Cols { get; }
    public int Rank { get; }

    /// <summary>True when the basis spans right singular vectors (m ≥ n, Q is n×r); false for left ones (P is m×r).</summary>
    public bool RightSide => Rows >= Cols;

    /// <summary>Whether <see cref="Refresh"/> has run at least once.</summary>
    public bool HasBasis { get; private set; }

    /// <summary>Qᵀ (r×n, orthonormal rows) when <see cref="RightSide"/>, else P (m×r, orthonormal columns).</summary>
    public Tensor Basis => _basis;

    /// <summary>
    /// Recomputes the basis from <paramref name="grad"/> on the host, in double (reads the gradient: it syncs): the top-r
    /// eigenvectors of the Gram matrix on the smaller side (GᵀG or G Gᵀ), which are the top-r singular vectors there.
    /// A full SVD would also build the larger side's square factor (n×n for a [100, 100000] matrix: 80 GB).
    /// </summary>
    public void Refresh(Tensor grad)
    {
        DeviceMath.RequireMatrix(grad, Rows, Cols, "CgfmProjector.Refresh");
        var g = HostMatrix.Read(grad);
        var gram = RightSide ? g.TransposeThisAndMultiply(g) : g.TransposeAndMultiply(g);
        var evd = gram.Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, gram.RowCount).OrderByDescending(k => evd.EigenValues[k].Real).ThenBy(k => k).ToArray();
        var basis = RightSide
            ? Matrix<double>.Build.Dense(Rank, gram.RowCount, (k, i) => evd.EigenVectors[i, order[k]])
            : Matrix<double>.Build.Dense(gram.RowCount, Rank, (i, k) => evd.EigenVectors[i, order[k]]);
        HostMatrix.Write(basis, _basis);
        HasBasis = true;
    }

    /// <summary>Sets the basis to saved values (a checkpoint's), as if <see cref="Refresh"/> had produced them.</summary>
    internal void Restore(ReadOnlySpan<float> basis)
    {
        DeviceMath.Write(_basis, basis);
        HasBasis = true;
    }

    /// <summary>
    /// The coefficients of <paramref name="grad"/> in the basis (a new tensor): G Q (m×r) when <see cref="RightSide"/>, else
    /// PᵀG (r×n). With the basis they factor G_glob; their norm is ||G_glob|| (the basis is orthonormal).
    /// </summary>
    public Tensor Coefficients(Tensor grad)
    {
        DeviceMath.RequireMatrix(grad, Rows, Cols, "CgfmProjector.Coefficients");
        if (!HasBasis) throw new InvalidOperationException("CgfmProjector: no basis yet; call Refresh first");
        return RightSide ? Tensor.MatMul(grad, _basis, transposeB: true) : Tensor.MatMul(_basis, grad, transposeA: true);
    }

    /// <summary>G_glob, the projection of <paramref name="grad"/> onto the basis subspace (a new tensor).</summary>
    public Tensor Project(Tensor grad)
    {
        using var coefficients = Coefficients(grad);
        return RightSide ? Tensor.MatMul(coefficients, _basis) : Tensor.MatMul(_basis, coefficients);
    }

    public void Dispose() => _basis.Dispose();
}
