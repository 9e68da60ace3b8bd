namespace Engine.Optim.Structured;

/// <summary>
/// SPEC-GF (METHODS §3b) as a chain link, for Chain(ClipGlobalNorm?, SpectralTransform, ScaleByAdam, AddDecayedWeights,
/// ScaleByLearningRate): phase S filters each hidden matrix's gradient (plus the regularizer's 2 λ_spec L ΔW, ΔW = W − W_ref,
/// W_ref = 0 or the weights at the first step: <see cref="SpectralOptions.Reference"/>) along its row graph, in place, with one <see cref="SpectralGradientFilter"/> per
/// matrix; other parameters pass through. No global scalars.
/// </summary>
public sealed class SpectralTransform : StructuredTransform
{
    public SpectralTransform(SpectralOptions? options = null) : base("spectral") => Options = options ?? new SpectralOptions();

    public SpectralOptions Options { get; }

    /// <summary>
    /// METHODS §3b's placement variant: after the base optimizer's direction (<see cref="Optimizers.OnUpdate"/>) it filters
    /// the AdamW update instead of the gradient; the regularizer's 2 λ_spec L ΔW is then added to the update (decoupled,
    /// as AdamW's decay) and a gradient-cosine graph compares rows of the EMA of the update.
    /// </summary>
    public override bool MayFilterUpdate => true;

    internal override StructuredLink Bind(LinkBinding binding) => new SpectralLink(binding, Options);
}
