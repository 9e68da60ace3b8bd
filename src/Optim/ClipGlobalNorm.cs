using Engine.Kernels.Fusion;

namespace Engine.Optim;

/// <summary>
/// PyTorch's clip_grad_norm_: u ← u · min(1, maxNorm / (||g|| + 1e-6)), ||g|| over every parameter. The coefficient
/// is computed in the kernel from the device-resident norm, so there is no branch and no host round trip.
/// Must be the first link of a chain, where the update is still the gradient whose norm was reduced.
/// </summary>
public sealed class ClipGlobalNorm : GradientTransform
{
    public ClipGlobalNorm(double maxNorm) : base("clip_global_norm") =>
        MaxNorm = Hyperparameter.Positive(maxNorm, nameof(maxNorm));

    public double MaxNorm { get; }

    public override bool UsesGradNorm => true;

    public override Expr Apply(Expr update, UpdateContext context)
    {
        var maxNorm = context.Scalar("max_norm", _ => MaxNorm);
        var coefficient = Fx.Min(1f, maxNorm / (Fx.Sqrt(context.GradNormSquared) + 1e-6f));
        return update * coefficient;
    }
}
