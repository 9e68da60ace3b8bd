namespace Engine.Optim.Structured;

/// <summary>
/// CGFM-LR (METHODS §1b) as a chain link, for Chain(ClipGlobalNorm?, CgfmTransform, ScaleByAdam, AddDecayedWeights,
/// ScaleByLearningRate): phase S rewrites each hidden matrix's gradient as G_adj = λ_l G + (λ_g − λ_l) G_glob (the rank-r
/// global part, basis refreshed every T_p steps) with one <see cref="Engine.Kernels.Devices.ComputeDevice.LowRankAdjust"/> per
/// run of equal matrices, which also gives ||G||² and ||G_glob||², and forms s_t from them on the device (in a single-chain
/// optimizer it also gives ||g||² for the clip, and phase R does not run); phase U reads G_adj as its gradient and
/// multiplies the learning rate by s_t — the decay stays lr·wd. Other parameters pass through (λ = 1).
/// </summary>
public sealed class CgfmTransform : StructuredTransform
{
    public CgfmTransform(CgfmOptions? options = null) : base("cgfm") => Options = options ?? new CgfmOptions();

    public CgfmOptions Options { get; }

    public override bool RequiresGradNorm => true;
    public override bool ScalesLearningRate => true;
    internal override bool ReducesGradNormItself => true;

    internal override StructuredLink Bind(LinkBinding binding) => new CgfmLink(binding, Options);
}
