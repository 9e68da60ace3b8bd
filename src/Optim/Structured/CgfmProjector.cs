using Engine.Kernels.Devices;
using Engine.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Engine.Optim.Structured;

/// <summary>
/// The rank-r "global" subspace of one m×n gradient matrix (CGFM-LR, after GaLore): the top-r singular vectors
/// on the smaller side, Q (n×r) when m ≥ n, else P (m×r). Refreshing (every T_p steps) is the smaller Gram matrix of G by a
/// device GEMM, then its top eigenvectors on the host in double; projecting is device work (phase S). G_glob is the product of
/// two thin factors, the basis and the coefficients of G in it: P·(PᵀG) or (GQ)·Qᵀ. The basis is kept in the layout its
/// factor has in that product — P as m×r, Q as Qᵀ (r×n) — the layout <see cref="ComputeDevice.LowRankAdjust"/> reads.
/// The basis tensor is allocated once, here, so create the projector outside any TensorScope.
/// </summary>
public sealed class CgfmProjector : IDisposable
{
    private readonly Tensor _basis;

    public CgfmProjector(ComputeDevice device, int rows, int cols, int rank, CgfmBasisMethod method = CgfmBasisMethod.Exact)
        : this(NewBasis(device, rows, cols, rank), rows, cols, rank, method)
    {
    }

    /// <summary>A projector whose basis lives in <paramref name="basis"/> (a dense view it takes over, e.g. into a batched tensor).</summary>
    internal CgfmProjector(Tensor basis, int rows, int cols, int rank, CgfmBasisMethod method = CgfmBasisMethod.Exact)
    {
        Method = Hyperparameter.Defined(method, nameof(method));
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

    /// <summary>How <see cref="Refresh"/> finds the top-r subspace.</summary>
    public CgfmBasisMethod Method { get; }

    /// <summary>True when the basis spans right singular vectors (m ≥ n, Q is n×r); false for left ones (P is m×r).</summary>
    public bool RightSide => Rows >= Cols;

    /// <summary>Whether <see cref="Refresh"/> has run at least once.</summary>
    public bool HasBasis { get; private set; }

    /// <summary>Qᵀ (r×n, orthonormal rows) when <see cref="RightSide"/>, else P (m×r, orthonormal columns).</summary>
    public Tensor Basis => _basis;

    /// <summary>
    /// Recomputes the basis from <paramref name="grad"/> (it syncs): the top-r eigenvectors of the Gram matrix on the
    /// smaller side (GᵀG or G Gᵀ), which are the top-r singular vectors there. G is scaled by a power of two (an abs-max
    /// pass, its one value read back), then the Gram matrix is one GEMM on the device (fp32, the O(m·n·min(m, n)) part);
    /// only it, min(m, n)² values, comes to the host, where <see cref="Method"/> finds its top eigenvectors in double
    /// (<paramref name="seed"/> seeds the randomized method's start). A full SVD would also build the larger side's square
    /// factor (n×n for a [100, 100000] matrix: 80 GB).
    /// </summary>
    public void Refresh(Tensor grad, ulong seed = 0)
    {
        DeviceMath.RequireMatrix(grad, Rows, Cols, "CgfmProjector.Refresh");
        using var scope = new TensorScope();
        RefreshAll([this], grad.Reshape(1, Rows, Cols), _basis.Reshape(1, _basis.Size(0), _basis.Size(1)), seed);
    }

    /// <summary>The randomized basis's seed for matrix <paramref name="matrix"/> at a refresh in step <paramref name="iteration"/>.</summary>
    internal static ulong RefreshSeed(long iteration, int matrix) => (ulong)iteration * 0x9E37_79B9_7F4A_7C15UL + (ulong)matrix;

    /// <summary>
    /// Refreshes the projectors of a run of equal matrices at once: their gradients <paramref name="grads"/> [count, m, n],
    /// each scaled by a power of two (one abs-max pass and one read of the scales), give the Gram matrices in one batched
    /// GEMM and one read; the top eigenvectors are found on the host in parallel, and the bases are written with one
    /// transfer into <paramref name="bases"/> [count, …], the tensor the projectors' bases are views of. Matrix k of the run
    /// draws its randomized start from <paramref name="seed"/> + k. Call it inside a <see cref="TensorScope"/>.
    /// </summary>
    internal static void RefreshAll(IReadOnlyList<CgfmProjector> projectors, Tensor grads, Tensor bases, ulong seed)
    {
        var first = projectors[0];
        int count = projectors.Count, side = Math.Min(first.Rows, first.Cols), rank = first.Rank;
        // The basis does not depend on G's scale, but an fp32 Gram would: products of tiny gradients underflow (1e-20²) and
        // of huge ones overflow. Each G is scaled by a power of two to a largest |entry| in [0.5, 1) first (exact).
        using var scaled = grads * PowerOfTwoScales(grads);
        using var products = first.RightSide ? Tensor.MatMul(scaled, scaled, transposeA: true) : Tensor.MatMul(scaled, scaled, transposeB: true);
        var grams = products.ToArray();
        int bad = Array.FindIndex(grams, v => !float.IsFinite(v));
        if (bad >= 0)
            throw new OptimizerDivergedException(
                $"CGFM basis refresh: the gradient of hidden matrix {bad / (side * side) + 1} of {count} (each [{first.Rows}, {first.Cols}]) " +
                "holds NaN or ∞; the step that produced it diverged");
        var values = new float[bases.Count];
        int perBasis = checked(side * rank);
        Parallel.For(0, count, k =>
        {
            // The GEMM's blocked fp32 sums need not be exactly symmetric; the symmetric solver would read one triangle.
            long at = (long)k * side * side;
            var gram = Matrix<double>.Build.Dense(side, side, (i, j) => 0.5 * ((double)grams[at + (long)i * side + j] + grams[at + (long)j * side + i]));
            var top = projectors[k].Method == CgfmBasisMethod.Randomized
                ? TopEigenvectors.Randomized(gram, rank, seed + (ulong)k)
                : TopEigenvectors.Exact(gram, rank);
            var basis = values.AsSpan(k * perBasis, perBasis);
            for (int i = 0; i < side; i++)
                for (int c = 0; c < rank; c++)
                    basis[first.RightSide ? c * side + i : i * rank + c] = (float)top[i, c];
        });
        DeviceMath.Write(bases, values);
        foreach (var p in projectors) p.HasBasis = true;
    }

    /// <summary>
    /// Per matrix of <paramref name="grads"/> [count, m, n], 2^-e with 2^(e-1) ≤ max |G| &lt; 2^e (e within ±126), as a
    /// [count, 1, 1] tensor (1 for a zero or non-finite matrix).
    /// </summary>
    private static Tensor PowerOfTwoScales(Tensor grads)
    {
        int count = grads.Size(0);
        using var flat = grads.Reshape(count, -1);
        using var magnitudes = flat.Abs();
        using var largest = magnitudes.Max(1);
        // The exponent is clamped to ±126 so the scale itself is a normal float (all-subnormal gradients still scale up to ≥ 2⁻²³).
        var scales = largest.ToArray()
            .Select(m => m > 0 && float.IsFinite(m) ? MathF.ScaleB(1f, Math.Clamp(-(MathF.ILogB(m) + 1), -126, 126)) : 1f).ToArray();
        return Tensor.FromArray(grads.Device, scales, count, 1, 1);
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
