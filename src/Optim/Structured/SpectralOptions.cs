namespace Engine.Optim.Structured;

/// <summary>What the row graph of a matrix is built from (METHODS §3b, edge weights).</summary>
public enum GraphSource
{
    /// <summary>kNN Gaussian on the weight rows (default, for fine-tuning from a pre-trained model).</summary>
    Weights,

    /// <summary>max(0, cos) between rows of the EMA of the gradient, kNN-sparsified; built after a warm-up.</summary>
    GradientCosine,
}

/// <summary>Which graph Laplacian the filter and the regularizer use.</summary>
public enum LaplacianKind
{
    /// <summary>L_sym = I − D^-1/2 A D^-1/2 (default), spectrum in [0, 2]; isolated nodes keep L_aa = 1.</summary>
    Symmetric,

    /// <summary>
    /// L_comb = D − A (the paper's); the Chebyshev filter's λ_max is an upper bound of its spectrum (20 Lanczos steps plus
    /// their residual, capped by a degree bound), not METHODS' 20 power iterations × 1.01, which can fall short.
    /// </summary>
    Combinatorial,
}

/// <summary>W_ref of the regularizer tr(ΔWᵀ L ΔW), ΔW = W − W_ref (METHODS §3b).</summary>
public enum SpectralReference
{
    /// <summary>W_ref = 0, as for a from-scratch run (default).</summary>
    Zero,

    /// <summary>W_ref = the weights when the optimizer takes its first step: the start of fine-tuning.</summary>
    Start,
}

/// <summary>How h(L) is applied per step.</summary>
public enum SpectralFilterMode
{
    /// <summary>Exact for m ≤ <see cref="SpectralOptions.ExactMaxRows"/>, Chebyshev above.</summary>
    Auto,

    /// <summary>Eigendecomposition at each rebuild, F = (1−ρ)I + ρ U h(Λ) Uᵀ; per step one m×m×n GEMM.</summary>
    Exact,

    /// <summary>Chebyshev polynomial of order K in L: K GEMMs with L per step, no eigendecomposition.</summary>
    Chebyshev,
}

/// <summary>The low-pass response h(λ).</summary>
public enum SpectralResponse
{
    /// <summary>h(λ) = exp(−τλ) (default); Chebyshev coefficients in closed form, 2e^{-τ'}(−1)^k I_k(τ').</summary>
    HeatKernel,

    /// <summary>h(λ) = 1/(1 + τλ), Laplacian-smoothing style; Chebyshev coefficients by quadrature.</summary>
    Resolvent,
}

/// <summary>
/// Hyperparameters of SPEC-GF (METHODS §3b), with the document's defaults; each value is checked when set and a
/// bad one throws naming the parameter.
/// </summary>
public sealed record SpectralOptions
{
    private readonly GraphSource _source = GraphSource.Weights;
    private readonly int _neighbors = 10;
    private readonly int _rebuildPeriod = 200;
    private readonly int _graphWarmupSteps = 200;
    private readonly double _gradientEmaDecay = 0.9;
    private readonly LaplacianKind _laplacian = LaplacianKind.Symmetric;
    private readonly SpectralFilterMode _mode = SpectralFilterMode.Auto;
    private readonly int _chebyshevOrder = 8;
    private readonly SpectralResponse _response = SpectralResponse.HeatKernel;
    private readonly double _tau = 0.5;
    private readonly double _rho = 1;
    private readonly double _penalty = 1e-3;
    private readonly int _exactMaxRows = 512;

    public GraphSource Source { get => _source; init => _source = Hyperparameter.Defined(value, nameof(Source)); }

    /// <summary>k of the kNN graph (capped at m − 1).</summary>
    public int Neighbors { get => _neighbors; init => _neighbors = AtLeast(value, 1, nameof(Neighbors)); }

    /// <summary>T_g: the graph is rebuilt every T_g steps.</summary>
    public int RebuildPeriod { get => _rebuildPeriod; init => _rebuildPeriod = AtLeast(value, 1, nameof(RebuildPeriod)); }

    /// <summary>Steps before the first gradient-cosine graph (the weight graph is built at step 0).</summary>
    public int GraphWarmupSteps { get => _graphWarmupSteps; init => _graphWarmupSteps = AtLeast(value, 0, nameof(GraphWarmupSteps)); }

    /// <summary>Decay of the gradient EMA whose rows the cosine graph compares.</summary>
    public double GradientEmaDecay
    {
        get => _gradientEmaDecay;
        init => _gradientEmaDecay = Hyperparameter.UnitInterval(value, nameof(GradientEmaDecay));
    }

    public LaplacianKind Laplacian { get => _laplacian; init => _laplacian = Hyperparameter.Defined(value, nameof(Laplacian)); }

    public SpectralFilterMode Mode { get => _mode; init => _mode = Hyperparameter.Defined(value, nameof(Mode)); }

    /// <summary>K, the Chebyshev order.</summary>
    public int ChebyshevOrder { get => _chebyshevOrder; init => _chebyshevOrder = AtLeast(value, 0, nameof(ChebyshevOrder)); }

    public SpectralResponse Response { get => _response; init => _response = Hyperparameter.Defined(value, nameof(Response)); }

    /// <summary>τ, the filter width (on L_sym's [0, 2] spectrum).</summary>
    public double Tau { get => _tau; init => _tau = Hyperparameter.Positive(value, nameof(Tau)); }

    /// <summary>ρ in G̃ = (1 − ρ) G + ρ h(L) G.</summary>
    public double Rho
    {
        get => _rho;
        init
        {
            if (!(value >= 0 && value <= 1))
                throw new ArgumentOutOfRangeException(nameof(Rho), value, $"{nameof(Rho)} must lie in [0, 1], got {value}");
            _rho = value;
        }
    }

    /// <summary>λ_spec, the weight of the spectral regularizer tr(ΔWᵀ L ΔW) (gradient 2 L ΔW).</summary>
    public double Penalty { get => _penalty; init => _penalty = Hyperparameter.NonNegative(value, nameof(Penalty)); }

    /// <summary>W_ref of the regularizer and of the high-frequency fraction.</summary>
    public SpectralReference Reference { get; init => field = Hyperparameter.Defined(value, nameof(Reference)); } = SpectralReference.Zero;

    /// <summary>The largest m that <see cref="SpectralFilterMode.Auto"/> filters exactly.</summary>
    public int ExactMaxRows { get => _exactMaxRows; init => _exactMaxRows = AtLeast(value, 1, nameof(ExactMaxRows)); }

    /// <summary>The response as a function of λ.</summary>
    public double ResponseAt(double lambda) => Response == SpectralResponse.HeatKernel ? Math.Exp(-Tau * lambda) : 1 / (1 + Tau * lambda);

    /// <summary>Whether a matrix with <paramref name="rows"/> rows is filtered through its eigendecomposition.</summary>
    public bool FiltersExactly(int rows) => Mode == SpectralFilterMode.Exact || (Mode == SpectralFilterMode.Auto && rows <= ExactMaxRows);

    private static int AtLeast(int value, int min, string name) => value >= min
        ? value
        : throw new ArgumentOutOfRangeException(name, value, $"{name} must be >= {min}, got {value}");
}
