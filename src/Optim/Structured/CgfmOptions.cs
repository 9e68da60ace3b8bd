namespace Engine.Optim.Structured;

/// <summary>How CGFM turns the adjusted gradient into a step-size multiplier s_t (METHODS §1b).</summary>
public enum CgfmStepRule
{
    /// <summary>CGFM-R (default): s_t = 1 + ||g_adj,t|| / (||g_t|| + 1e-12), bounded in [1 + min λ, 1 + max λ].</summary>
    Relative,

    /// <summary>CGFM-L (literal ablation): s_t = 1 + ||g_adj,t|| / (||g_0|| + 1e-12), the denominator frozen at step 0.</summary>
    Literal,

    /// <summary>s_t = 1: the decomposition without the rescaling (ablation).</summary>
    Unit,
}

/// <summary>How CGFM finds the top-r subspace at a refresh (METHODS §1b).</summary>
public enum CgfmBasisMethod
{
    /// <summary>Exact (default): the full eigendecomposition of the smaller Gram matrix.</summary>
    Exact,

    /// <summary>Randomized subspace iteration: Gaussian start of width r + 4, 2 power iterations, QR; seeded by step and matrix.</summary>
    Randomized,
}

/// <summary>
/// Hyperparameters of CGFM-LR (METHODS §1b), with the document's defaults. Each value is checked when set;
/// a bad one throws naming the parameter.
/// </summary>
public sealed record CgfmOptions
{
    private readonly int? _rank;
    private readonly int _projectionPeriod = 100;
    private readonly double _lambdaLocal = 0.5;
    private readonly double _lambdaGlobal = 1.0;
    private readonly CgfmStepRule _stepRule = CgfmStepRule.Relative;
    private readonly CgfmBasisMethod _basis = CgfmBasisMethod.Exact;

    /// <summary>Rank r of the global subspace; null means max(1, round(min(m, n) / 8)) per matrix.</summary>
    public int? Rank
    {
        get => _rank;
        init
        {
            if (value is < 1)
                throw new ArgumentOutOfRangeException(nameof(Rank), value, $"{nameof(Rank)} must be >= 1 (or null for min(m,n)/8), got {value}");
            _rank = value;
        }
    }

    /// <summary>T_p: the basis is refreshed from the current gradient at step 0 and every T_p steps.</summary>
    public int ProjectionPeriod
    {
        get => _projectionPeriod;
        init
        {
            if (value < 1)
                throw new ArgumentOutOfRangeException(nameof(ProjectionPeriod), value, $"{nameof(ProjectionPeriod)} must be >= 1, got {value}");
            _projectionPeriod = value;
        }
    }

    /// <summary>λ_local, the weight of the residual (local) component.</summary>
    public double LambdaLocal
    {
        get => _lambdaLocal;
        init => _lambdaLocal = Hyperparameter.NonNegative(value, nameof(LambdaLocal));
    }

    /// <summary>λ_global, the weight of the low-rank (global) component.</summary>
    public double LambdaGlobal
    {
        get => _lambdaGlobal;
        init => _lambdaGlobal = Hyperparameter.NonNegative(value, nameof(LambdaGlobal));
    }

    public CgfmStepRule StepRule { get => _stepRule; init => _stepRule = Hyperparameter.Defined(value, nameof(StepRule)); }

    /// <summary>How a refresh finds the basis: exactly, or by randomized subspace iteration (cheaper when r + 4 ≪ min(m, n)).</summary>
    public CgfmBasisMethod Basis { get => _basis; init => _basis = Hyperparameter.Defined(value, nameof(Basis)); }

    /// <summary>The rank used for an m×n matrix: <see cref="Rank"/> capped at min(m, n), or the default.</summary>
    public int RankFor(int rows, int cols)
    {
        int smaller = Math.Min(rows, cols);
        int r = Rank ?? Math.Max(1, (int)Math.Round(smaller / 8.0, MidpointRounding.AwayFromZero));
        return Math.Min(r, smaller);
    }
}
