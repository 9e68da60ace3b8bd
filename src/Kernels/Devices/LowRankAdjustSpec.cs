namespace Engine.Kernels.Devices;

/// <summary>
/// <see cref="ComputeDevice.LowRankAdjust"/> over <see cref="Batch"/> m×n matrices G stored back to back, each with an
/// orthonormal rank-r basis: P (m×r) when m &lt; n, Qᵀ (r×n) when m ≥ n (<see cref="RightSide"/>). Writes the
/// coefficients of each G in its basis — PᵀG (r×n) or G Q (m×r) — and replaces G in place by
/// λ_l·G + δ·G_glob, where G_glob = P·(PᵀG) or (G Q)·Qᵀ is the projection onto the basis (CGFM-LR, METHODS §1b).
/// </summary>
public readonly record struct LowRankAdjustSpec(int Batch, int Rows, int Cols, int Rank, float LambdaLocal, float LambdaDelta)
{
    public bool RightSide => Rows >= Cols;

    public long MatrixElements => (long)Rows * Cols;
    public long BasisElements => (long)Rank * (RightSide ? Cols : Rows);
    public long CoefficientElements => (long)Rank * (RightSide ? Rows : Cols);

    /// <summary>Throws for a shape no projection has.</summary>
    public void Validate()
    {
        if (Batch < 0 || Rows < 1 || Cols < 1)
            throw new ArgumentException($"LowRankAdjust: {Batch} matrices of [{Rows}, {Cols}]: need batch >= 0 and rows, cols >= 1");
        if (Rank < 1 || Rank > Math.Min(Rows, Cols))
            throw new ArgumentException($"LowRankAdjust: rank {Rank} must lie in [1, {Math.Min(Rows, Cols)}] for [{Rows}, {Cols}] matrices");
    }
}
