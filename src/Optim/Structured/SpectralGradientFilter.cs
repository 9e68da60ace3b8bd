using Engine.Kernels.Devices;
using Engine.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Engine.Optim.Structured;

/// <summary>
/// SPEC-GF (METHODS §3b) for one m×n matrix: its m rows are the nodes of a kNN graph (on the weights, or on the
/// EMA of the gradient rows), and the gradient — plus the spectral regularizer's gradient 2 λ_spec L ΔW,
/// ΔW = W − W_ref — is low-pass filtered along that graph: G̃ = (1 − ρ) G' + ρ h(L) G', h(λ) = exp(−τλ) by default.
/// <para>Phases (DESIGN §6):</para>
/// <list type="bullet">
/// <item>rebuild (every T_g steps): kNN graph and Laplacian on the host, then the filter matrix
///   F = (1−ρ) I + ρ h(L), either exactly (host eigendecomposition, F = (1−ρ) I + ρ U h(Λ) Uᵀ) or as the Chebyshev
///   polynomial of order K (coefficients in closed form or by quadrature; the recurrence run on the device over the m×m
///   identity, K products of the sparse L with it, (2k + 1)m² multiply-adds each, ρ folded into the coefficients);</item>
/// <item>S: per step, the sparse product L ΔW for the regularizer, then one GEMM F G'. Applying the polynomial as a matrix costs
///   2m²n per step instead of the recurrence's K products with L, 2K(2k + 1)mn, and K passes over m×n buffers; the
///   polynomial is the same;</item>
/// <item>U: G + 2λ L ΔW is a fused pass; the filtered gradient is written over the gradient, for the optimizer's U pass.</item>
/// </list>
/// No R phase: nothing global is reduced. Before the first graph (step 0 for weights, the warm-up for gradient
/// cosine) the gradient passes unchanged. Create it outside any TensorScope: its device matrices are allocated here.
/// </summary>
public sealed class SpectralGradientFilter : IDisposable
{
    private readonly SpectralMatrices _matrices;
    private readonly Tensor? _reference;
    private readonly Tensor _one;
    private float[]? _graphSource;
    private Matrix<double>? _hostLaplacian;
    private SymmetricEigen? _eigen;
    private Tensor? _highFrequencyRows;
    private double[] _chebyshev = [];

    /// <param name="reference">
    /// W_ref, the weights at the start of fine-tuning (copied); null means W_ref = 0. This standalone filter takes W_ref here;
    /// <see cref="SpectralOptions.Reference"/> is for the optimizer's link, which records the weights of its first step.
    /// </param>
    public SpectralGradientFilter(ComputeDevice device, int rows, int cols, SpectralOptions? options = null, Tensor? reference = null)
        : this(device, rows, cols, options ?? new SpectralOptions(), null, reference)
    {
    }

    /// <param name="matrices">Views of a run's batched matrices (<see cref="SpectralMatrices.At"/>), taken over; null: its own.</param>
    internal SpectralGradientFilter(ComputeDevice device, int rows, int cols, SpectralOptions options, SpectralMatrices? matrices, Tensor? reference = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (rows < 1 || cols < 1)
            throw new ArgumentOutOfRangeException(nameof(rows), $"SPEC-GF needs a matrix with rows, cols >= 1, got [{rows}, {cols}]");
        Options = options;
        Device = device;
        Rows = rows;
        Cols = cols;
        Exact = Options.FiltersExactly(rows);
        _matrices = matrices ?? SpectralMatrices.Allocate(device, null, rows, cols, options);
        _one = Tensor.Ones(device);
        if (reference is not null)
        {
            DeviceMath.RequireMatrix(reference, rows, cols, "SPEC-GF reference weights");
            _reference = Tensor.Zeros(device, rows, cols);
            DeviceMath.CopyInto(reference, _reference);
        }
    }

    public SpectralOptions Options { get; }
    public ComputeDevice Device { get; }
    public int Rows { get; }
    public int Cols { get; }

    /// <summary>True when h(L) is applied through the eigendecomposition, false for the Chebyshev polynomial.</summary>
    public bool Exact { get; }

    public bool HasGraph => _hostLaplacian is not null;
    public long StepCount { get; internal set; }

    /// <summary>This filter's device matrices (views of a batch where a link made it).</summary>
    internal SpectralMatrices Matrices => _matrices;

    /// <summary>The EMA of the gradient rows a cosine graph compares (null for a weight graph).</summary>
    internal Tensor? GradientEma => _matrices.GradientEma;

    /// <summary>The rows (weights or gradient EMA, row-major) the last graph was built from: rebuilding from them restores it exactly.</summary>
    internal float[]? GraphRows => _graphSource;

    /// <summary>The λ_max the Chebyshev filter uses (2 for L_sym), from the last rebuild.</summary>
    public double LambdaMax { get; private set; }

    /// <summary>σ² of the last Gaussian kNN graph (null for a cosine graph or before the first).</summary>
    public double? SigmaSquared { get; private set; }

    /// <summary>The Laplacian of the last rebuild, on the host.</summary>
    internal Matrix<double> Laplacian => _hostLaplacian ?? throw NoGraph();

    /// <summary>
    /// One step: updates the gradient EMA (cosine graphs), rebuilds the graph when due, then overwrites
    /// <paramref name="grad"/> with the filtered G + 2 λ_spec L (W − W_ref).
    /// </summary>
    public void Step(Tensor weight, Tensor grad) => Step(weight, grad, null);

    /// <summary>
    /// The step for a gradient the caller multiplies by <paramref name="gradScale"/> k afterwards (rank-0, device; a
    /// chain's clip coefficient): writes G̃ with k G̃ = filtered (k G + 2 λ_spec L ΔW), and the EMA sees k G.
    /// </summary>
    internal void Step(Tensor weight, Tensor grad, Tensor? gradScale)
    {
        DeviceMath.RequireMatrix(weight, Rows, Cols, "SPEC-GF weight");
        DeviceMath.RequireMatrix(grad, Rows, Cols, "SPEC-GF gradient");
        var scale = gradScale ?? _one;
        UpdateGradientEma(_matrices, Options, grad, scale);
        if (!Advance(weight)) return;
        using var scope = new TensorScope();
        Apply(_matrices, Options, _reference is null ? weight : weight - _reference, grad, scale);
    }

    /// <summary>
    /// The step's host part: rebuilds the graph when due (from <paramref name="weight"/> or the gradient EMA) and counts
    /// the step. True when there is a graph to filter with.
    /// </summary>
    internal bool Advance(Tensor weight)
    {
        if (RebuildDue) Rebuild(weight);
        StepCount++;
        return HasGraph;
    }

    /// <summary>ema ← β ema + (1 − β) k G, for one matrix or a batch (no-op without a gradient EMA).</summary>
    internal static void UpdateGradientEma(SpectralMatrices matrices, SpectralOptions options, Tensor grad, Tensor scale)
    {
        if (matrices.GradientEma is { } ema)
            DeviceMath.Run(SpectralPrograms.GradientEma, [(float)options.GradientEmaDecay], [ema], [ema, grad, scale]);
    }

    /// <summary>
    /// The step's device part: overwrites <paramref name="grad"/> with F (G + (2 λ_spec / k) L ΔW), for one matrix or a
    /// batch of equal ones with their batched matrices (the same few launches either way).
    /// </summary>
    internal static void Apply(SpectralMatrices matrices, SpectralOptions options, Tensor delta, Tensor grad, Tensor scale)
    {
        using var scope = new TensorScope();
        var current = grad;
        if (options.Penalty > 0)
        {
            var lDelta = matrices.Laplacian!.Multiply(delta);
            current = Tensor.Map(SpectralPrograms.Penalty, "SpectralPenalty", [(float)(2 * options.Penalty)], grad, lDelta, scale);
        }
        if (matrices.Filter is { } filter) current = Tensor.MatMul(filter, current);
        if (!ReferenceEquals(current, grad)) DeviceMath.CopyInto(current, grad);
    }

    /// <summary>
    /// Rebuilds graph, Laplacian and filter from <paramref name="weight"/> (or from the gradient EMA for a cosine
    /// graph). Host work: it reads the matrix back, so it waits for pending device work.
    /// </summary>
    public void Rebuild(Tensor weight)
    {
        DeviceMath.RequireMatrix(weight, Rows, Cols, "SPEC-GF weight");
        RebuildFrom((Options.Source == GraphSource.Weights ? weight : _matrices.GradientEma!).ToArray());
    }

    /// <summary>Rebuilds from the rows a previous graph was built from (<see cref="GraphRows"/>, e.g. a checkpoint's).</summary>
    internal void RebuildFrom(float[] rows)
    {
        if (rows.Length != (long)Rows * Cols)
            throw new ArgumentException($"SPEC-GF [{Rows}, {Cols}]: a graph source needs {(long)Rows * Cols} values, got {rows.Length}");
        int bad = Array.FindIndex(rows, v => !float.IsFinite(v));
        if (bad >= 0)
            throw new OptimizerDivergedException(
                $"SPEC-GF graph rebuild [{Rows}, {Cols}]: the {(Options.Source == GraphSource.Weights ? "weights hold" : "gradient EMA holds")} " +
                $"NaN or ∞ (row {bad / Cols}); the step that produced them diverged");
        _graphSource = rows;
        var gram = RowGram.Of(rows, Rows, Cols);
        Matrix<double> adjacency;
        if (Options.Source == GraphSource.Weights)
        {
            (adjacency, var sigmaSq) = RowGraph.Gaussian(gram, Options.Neighbors);
            SigmaSquared = sigmaSq;
        }
        else
        {
            adjacency = RowGraph.Cosine(gram, Options.Neighbors);
            SigmaSquared = null;
        }
        var laplacian = GraphLaplacian.Build(adjacency, Options.Laplacian);
        _hostLaplacian = laplacian;
        ForgetEigen();
        LambdaMax = GraphLaplacian.LambdaMax(laplacian, Options.Laplacian);
        _matrices.Laplacian?.Write(laplacian);
        if (_matrices.Filter is not { } deviceFilter) return;   // ρ = 0: nothing to filter with
        if (Exact)
        {
            double rho = Options.Rho;
            var filter = Eigen().Function(lambda => rho * Options.ResponseAt(lambda));
            for (int a = 0; a < Rows; a++) filter[a * Rows + a] += 1 - rho;
            HostMatrix.Write(ColumnMajor.Wrap(Rows, Rows, filter), deviceFilter);   // symmetric: column-major is row-major
        }
        else
        {
            _chebyshev = Options.Response == SpectralResponse.HeatKernel
                ? ChebyshevCoefficients.HeatKernel(Options.Tau, LambdaMax, Options.ChebyshevOrder)
                : ChebyshevCoefficients.Quadrature(Options.ResponseAt, LambdaMax, Options.ChebyshevOrder);
            using var scope = new TensorScope();
            var identity = Tensor.Zeros(Device, Rows, Rows);
            HostMatrix.Write(Matrix<double>.Build.DenseIdentity(Rows), identity);
            DeviceMath.CopyInto(ChebyshevPolynomial(identity), deviceFilter);
        }
    }

    /// <summary>
    /// (1 − ρ) X + ρ h(L) X for an m×k <paramref name="x"/> (a new tensor): F X with the filter matrix of the last rebuild,
    /// exact or the Chebyshev polynomial.
    /// </summary>
    public Tensor Filter(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 2 || x.Size(0) != Rows)
            throw new ArgumentException($"SPEC-GF Filter: expected a [{Rows}, k] matrix, got {x}");
        if (!HasGraph) throw NoGraph();
        // ρ = 0: the filter is the identity
        return _matrices.Filter is { } filter ? Tensor.MatMul(filter, x) : x.Clone();
    }

    /// <summary>(1 − ρ) X + ρ p_K(L) X by the Chebyshev recurrence (a new tensor): run once per rebuild, on X = I.</summary>
    private Tensor ChebyshevPolynomial(Tensor x)
    {
        double rho = Options.Rho;
        float a0 = (float)(1 - rho + rho * _chebyshev[0] / 2);
        if (_chebyshev.Length == 1) return x * a0;
        using var scope = new TensorScope();
        int cols = x.Size(1);
        var t1 = Tensor.Zeros(Device, Rows, cols);
        var acc = Tensor.Zeros(Device, Rows, cols);
        DeviceMath.Run(SpectralPrograms.ChebyshevFirst, [(float)(2 / LambdaMax), a0, (float)(rho * _chebyshev[1])],
                       [t1, acc], [x, _matrices.Laplacian!.Multiply(x)]);
        Tensor beforePrevious = x, previous = t1;
        for (int k = 2; k < _chebyshev.Length; k++)
        {
            var tk = Tensor.Zeros(Device, Rows, cols);
            DeviceMath.Run(SpectralPrograms.ChebyshevStep, [(float)(4 / LambdaMax), (float)(rho * _chebyshev[k])],
                           [tk, acc], [_matrices.Laplacian!.Multiply(previous), previous, beforePrevious, acc]);
            (beforePrevious, previous) = (previous, tk);
        }
        return scope.Keep(acc);
    }

    /// <summary>
    /// Σ_{λ_k > median λ} ||u_kᵀ ΔW||² / ||ΔW||², the share of the update's energy at high graph frequencies
    /// (0 when ΔW = 0). The first call after a rebuild decomposes the Laplacian on the host (if the exact filter has not);
    /// every call reads two sums back from the device.
    /// </summary>
    public double HighFrequencyEnergyFraction(Tensor weight)
    {
        var (high, total) = HighFrequencyEnergy(weight);
        return total == 0 ? 0 : high / total;
    }

    /// <summary>Σ_{λ_k > median λ} ||u_kᵀ ΔW||² and ||ΔW||² (the fraction's numerator and denominator).</summary>
    internal (double High, double Total) HighFrequencyEnergy(Tensor weight) => HighFrequencyEnergy(weight, _reference);

    /// <summary>
    /// The same with ΔW = <paramref name="weight"/> − <paramref name="reference"/> (null: W_ref = 0). The projection onto
    /// the high-frequency eigenvectors is a product on the device, with those eigenvectors uploaded once per graph.
    /// </summary>
    internal (double High, double Total) HighFrequencyEnergy(Tensor weight, Tensor? reference)
    {
        DeviceMath.RequireMatrix(weight, Rows, Cols, "SPEC-GF weight");
        if (!HasGraph) throw NoGraph();
        using var scope = new TensorScope();
        var delta = reference is null ? weight : weight - reference;
        double total = SumOfSquares(delta);
        if (total == 0) return (0, 0);
        var high = HighFrequencyRows();
        return (high is null ? 0 : SumOfSquares(Tensor.MatMul(high, delta)), total);
    }

    private static double SumOfSquares(Tensor t) => t.SumOfSquares().ToArray()[0];

    /// <summary>
    /// The eigenvectors u_k with λ_k above the median, as the rows of a device matrix (null when there are none), made at
    /// the first use after a rebuild and kept outside any scope until the next.
    /// </summary>
    private Tensor? HighFrequencyRows()
    {
        if (_highFrequencyRows is not null) return _highFrequencyRows;
        var eigen = Eigen();
        double median = RowGraph.Median(eigen.Values);
        int first = Array.FindIndex(eigen.Values, v => v > median);
        if (first < 0) return null;
        var rows = new float[(Rows - first) * Rows];
        for (int i = 0; i < rows.Length; i++) rows[i] = (float)eigen.VectorRows[first * Rows + i];
        _highFrequencyRows = TensorScope.CreateUntracked(() => Tensor.FromArray(Device, rows, Rows - first, Rows));
        return _highFrequencyRows;
    }

    private bool RebuildDue => Options.Source == GraphSource.Weights
        ? StepCount % Options.RebuildPeriod == 0
        : StepCount >= Options.GraphWarmupSteps && (StepCount - Options.GraphWarmupSteps) % Options.RebuildPeriod == 0;

    /// <summary>The Laplacian's eigendecomposition (eigenvalues ascending), cached per graph.</summary>
    private SymmetricEigen Eigen() => _eigen ??= SymmetricEigen.Of(Laplacian);

    private void ForgetEigen()
    {
        _eigen = null;
        _highFrequencyRows?.Dispose();
        _highFrequencyRows = null;
    }

    private InvalidOperationException NoGraph() =>
        new($"SPEC-GF [{Rows}, {Cols}]: no graph yet (step {StepCount}); call Rebuild or Step first");

    public void Dispose()
    {
        _matrices.Dispose();
        _reference?.Dispose();
        _highFrequencyRows?.Dispose();
        _one.Dispose();
    }
}
