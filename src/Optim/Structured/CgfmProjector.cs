using Engine.Kernels.Devices;
using Engine.Tensors;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace Engine.Optim.Structured;

/// <summary>
/// The rank-r "global" subspace of one m×n gradient matrix (CGFM-LR, after GaLore): the top-r singular vectors
/// on the smaller side, Q (n×r) when m ≥ n, else P (m×r). Refreshing is host work (the eigenvectors of the
/// smaller Gram matrix of G, in double, every T_p steps); projecting is device work: G_glob = (G Q) Qᵀ or P (Pᵀ G), two skinny GEMMs (phase S).
/// The basis tensor is allocated once, here, so create the projector outside any TensorScope.
/// </summary>
public sealed class CgfmProjector : IDisposable
{
    private readonly Tensor _basis;

    public CgfmProjector(ComputeDevice device, int rows, int cols, int rank)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (rows < 1 || cols < 1)
            throw new ArgumentOutOfRangeException(nameof(rows), $"CGFM needs a matrix with rows, cols >= 1, got [{rows}, {cols}]");
        if (rank < 1 || rank > Math.Min(rows, cols))
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must lie in [1, min(m, n) = {Math.Min(rows, cols)}] for a [{rows}, {cols}] matrix, got {rank}");
        Rows = rows;
        Cols = cols;
        Rank = rank;
        _basis = Tensor.Zeros(device, RightSide ? cols : rows, rank);
    }

    public int Rows { get; }
    public int Cols { get; }
    public int Rank { get; }

    /// <summary>True when the basis spans right singular vectors (m ≥ n, Q is n×r); false for left ones (P is m×r).</summary>
    public bool RightSide => Rows >= Cols;

    /// <summary>Whether <see cref="Refresh"/> has run at least once.</summary>
    public bool HasBasis { get; private set; }

    /// <summary>Q (n×r) or P (m×r), orthonormal columns.</summary>
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
        var basis = Matrix<double>.Build.Dense(gram.RowCount, Rank, (i, k) => evd.EigenVectors[i, order[k]]);
        HostMatrix.Write(basis, _basis);
        HasBasis = true;
    }

    /// <summary>Sets the basis to saved values (a checkpoint's), as if <see cref="Refresh"/> had produced them.</summary>
    internal void Restore(ReadOnlySpan<float> basis)
    {
        DeviceMath.Write(_basis, basis);
        HasBasis = true;
    }

    /// <summary>G_glob, the projection of <paramref name="grad"/> onto the basis subspace (a new tensor).</summary>
    public Tensor Project(Tensor grad)
    {
        DeviceMath.RequireMatrix(grad, Rows, Cols, "CgfmProjector.Project");
        if (!HasBasis) throw new InvalidOperationException("CgfmProjector.Project: no basis yet; call Refresh first");
        if (RightSide)
        {
            using var r = Tensor.MatMul(grad, _basis);
            return Tensor.MatMul(r, _basis, transposeB: true);
        }
        using var rt = Tensor.MatMul(_basis, grad, transposeA: true);
        return Tensor.MatMul(_basis, rt);
    }

    public void Dispose() => _basis.Dispose();
}
