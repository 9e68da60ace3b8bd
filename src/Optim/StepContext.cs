namespace Engine.Optim;

/// <summary>
/// What a transform's per-launch scalars may depend on: the step number <see cref="Step"/> (1 for the first
/// step, as Adam's bias corrections count), and whether the launch covers the weight-decayed segment.
/// </summary>
public readonly record struct StepContext(long Step, bool Decayed)
{
    /// <summary>0-based iteration index of this step, as a learning-rate schedule takes it.</summary>
    public long Iteration => Step - 1;
}
