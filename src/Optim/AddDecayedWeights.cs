using Engine.Kernels.Fusion;

namespace Engine.Optim;

/// <summary>
/// u ← u + wd·p on the weight-decayed segment (u unchanged elsewhere: the launch passes wd = 0). Placed after
/// Adam and before the learning rate this is AdamW's decoupled decay, p ← p(1 − lr·wd) − lr·adam; placed before
/// momentum it is SGD's L2 term. When a link scales the learning rate by a device scalar s (CGFM's s_t), the
/// coefficient becomes wd / s, so that after the learning-rate link the decay is still lr·wd (METHODS §1b).
/// </summary>
public sealed class AddDecayedWeights : GradientTransform
{
    public AddDecayedWeights(double weightDecay) : base("add_decayed_weights") =>
        WeightDecay = Hyperparameter.NonNegative(weightDecay, nameof(weightDecay));

    public double WeightDecay { get; }

    public override Expr Apply(Expr update, UpdateContext context)
    {
        var wd = context.Scalar("weight_decay", s => s.Decayed ? WeightDecay : 0);
        var coefficient = context.LearningRateMultiplier is { } s ? wd / s : wd;
        return update + coefficient * context.Param;
    }
}
