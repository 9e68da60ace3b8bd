using Engine.Kernels.Fusion;

namespace Engine.Optim.Structured;

/// <summary>
/// CGFM-LR (METHODS §1b) as a chain link, for Chain(ClipGlobalNorm?, CgfmTransform, ScaleByAdam, AddDecayedWeights,
/// ScaleByLearningRate). Phase S computes, per hidden matrix, the coefficients of G in its rank-r basis (refreshed every
/// T_p steps) — the thin factor that with the basis makes G_glob — and forms s_t on the device from ||g||² of phase R and
/// ||G_glob||². Phase U runs one launch per hidden matrix and forms G_adj = λ_l G + (λ_g − λ_l) G_glob in registers
/// (r multiply-adds per element), so G_glob is never written; it multiplies the learning rate by s_t, the decay stays
/// lr·wd. Other parameters pass through (λ = 1).
/// </summary>
public sealed class CgfmTransform : StructuredTransform
{
    /// <summary>The name of the low-rank product G_glob in <see cref="UpdateContext.MatrixProduct"/>.</summary>
    internal const string GlobalPart = "g_glob";

    public CgfmTransform(CgfmOptions? options = null) : base("cgfm") => Options = options ?? new CgfmOptions();

    public CgfmOptions Options { get; }

    public override bool RequiresGradNorm => true;
    public override bool ScalesLearningRate => true;
    public override bool FormsMatrixProducts => true;

    internal override StructuredLink Bind(LinkBinding binding) => new CgfmLink(binding, Options);

    public override Expr Apply(Expr update, UpdateContext context)
    {
        if (!context.OnMatrix) return update;
        var lambdaLocal = context.Scalar("lambda_local", _ => Options.LambdaLocal);
        var lambdaDelta = context.Scalar("lambda_global_minus_local", _ => Options.LambdaGlobal - Options.LambdaLocal);
        return lambdaLocal * update + lambdaDelta * context.MatrixProduct(GlobalPart);
    }
}
