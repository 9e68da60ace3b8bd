namespace Engine.Optim;

/// <summary>
/// What a transform's per-launch scalars may depend on: the step number <see cref="Step"/> (1 for the first
/// step, as Adam's bias corrections count), whether the launch covers the weight-decayed segment, and whether it covers
/// hidden matrices (known per launch only for chains with a link that <see cref="GradientTransform.UsesHiddenFlag"/>;
/// false otherwise).
/// </summary>
public readonly record struct StepContext(long Step, bool Decayed, bool Hidden = false)
{
    /// <summary>0-based iteration index of this step, as a learning-rate schedule takes it.</summary>
    public long Iteration => Step - 1;
}
