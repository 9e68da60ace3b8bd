using Engine.Kernels.Devices;

namespace Engine.Optim.Structured;

/// <summary>SGG's reference direction d (METHODS §2b).</summary>
public enum SggReferenceDirection
{
    /// <summary>d = m_{t−1}, the base optimizer's first moment (default; free: it is already in memory).</summary>
    Momentum,

    /// <summary>
    /// d = a gradient the caller captures (<see cref="Optimizer.CaptureReferenceDirection"/>): METHODS' alternative for small
    /// support sets, the gradient of the whole support set recomputed every k steps.
    /// </summary>
    Captured,
}

/// <summary>
/// Hyperparameters of SGG form B (METHODS §2b), with the document's defaults; each value is checked when set and a
/// bad one throws naming the parameter.
/// </summary>
public sealed record SggOptions
{
    private readonly double _alpha = 0.3;
    private readonly double? _clipFactor = 2.0;
    private readonly double _normEmaDecay = 0.98;
    private readonly DType _sourcePrecision = DType.Float32;

    /// <summary>α, the weight of the reference direction d in the direction blend (0 turns the blend off).</summary>
    public double Alpha
    {
        get => _alpha;
        init
        {
            if (!(value >= 0 && value <= 1))
                throw new ArgumentOutOfRangeException(nameof(Alpha), value, $"{nameof(Alpha)} must lie in [0, 1], got {value}");
            _alpha = value;
        }
    }

    /// <summary>c_τ in τ = c_τ · EMA(||g||), the adaptive clip threshold; null turns clipping off (τ = ∞).</summary>
    public double? ClipFactor
    {
        get => _clipFactor;
        init => _clipFactor = value is { } c ? Hyperparameter.Positive(c, nameof(ClipFactor)) : null;
    }

    /// <summary>
    /// γ_s: joint source training adds γ_s g_s' to the conflict-free gradient, g_s' being g_s with its component against g
    /// removed in a conflict (PCGrad); 0 (default) only protects the source. With γ_s > 0 every step reads g_s in phase U.
    /// </summary>
    public double SourceWeight { get; init => field = Hyperparameter.NonNegative(value, nameof(SourceWeight)); }

    /// <summary>
    /// Step 1, the conflict projection (default on). Off is its ablation: g_s then only enters through γ_s, unprojected, so
    /// with α = 0, no adaptive clip and γ_s = 1 the step is plain joint training on g + g_s, the control for PCGrad.
    /// </summary>
    public bool ConflictProjection { get; init; } = true;

    public SggReferenceDirection ReferenceDirection
    {
        get;
        init => field = Hyperparameter.Defined(value, nameof(ReferenceDirection));
    } = SggReferenceDirection.Momentum;

    /// <summary>Decay of the EMA of ||g|| behind τ (bias-corrected as Adam's moments, so step 1 sees ||g_1||).</summary>
    public double NormEmaDecay
    {
        get => _normEmaDecay;
        init => _normEmaDecay = Hyperparameter.UnitInterval(value, nameof(NormEmaDecay));
    }

    /// <summary>
    /// How the optimizer keeps the source gradient g_s between captures: Float32 (default), or BFloat16 — half the memory
    /// and 2 B/param less in each of phase R and (in a step with a conflict) phase U, for a relative rounding of at most
    /// 2⁻⁸ per element. Every identity of the step then holds for the stored g_s.
    /// </summary>
    public DType SourcePrecision
    {
        get => _sourcePrecision;
        init => _sourcePrecision = value is DType.Float32 or DType.BFloat16
            ? value
            : throw new ArgumentOutOfRangeException(nameof(SourcePrecision), value,
                                                    $"{nameof(SourcePrecision)} must be Float32 or BFloat16, got {value}");
    }
}
