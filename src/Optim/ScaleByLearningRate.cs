using Engine.Kernels.Fusion;

namespace Engine.Optim;

/// <summary>
/// u ← −lr(t)·u: turns a descent direction into the update added to the parameters. A link that scales the learning
/// rate (CGFM's s_t, a device scalar) makes it u ← −lr(t)·s·u.
/// </summary>
public sealed class ScaleByLearningRate : GradientTransform
{
    public ScaleByLearningRate(LearningRateSchedule schedule) : base("scale_by_learning_rate")
    {
        ArgumentNullException.ThrowIfNull(schedule);
        Schedule = schedule;
    }

    public LearningRateSchedule Schedule { get; }

    public override Expr Apply(Expr update, UpdateContext context)
    {
        var negativeLr = context.Scalar("negative_lr", s => -Schedule.At(s.Iteration));
        return context.LearningRateMultiplier is { } s ? negativeLr * s * update : negativeLr * update;
    }
}
