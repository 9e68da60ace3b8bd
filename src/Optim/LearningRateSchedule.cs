namespace Engine.Optim;

/// <summary>
/// The learning rate as a function of the iteration index (0 for the first step, as nanoGPT's iter_num).
/// A plain number converts to a constant schedule.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>The learning rate of the step taken at <paramref name="iteration"/> (0-based).</summary>
    public abstract double At(long iteration);

    public static LearningRateSchedule Constant(double learningRate) => new ConstantSchedule(learningRate);

    /// <summary>
    /// nanoGPT's get_lr: linear warmup to <paramref name="learningRate"/> over <paramref name="warmupIters"/>
    /// iterations, cosine decay to <paramref name="minLearningRate"/> at <paramref name="lrDecayIters"/>, then constant.
    /// </summary>
    public static LearningRateSchedule WarmupCosine(double learningRate, long warmupIters, long lrDecayIters, double minLearningRate) =>
        new WarmupCosineSchedule(learningRate, warmupIters, lrDecayIters, minLearningRate);

    public static implicit operator LearningRateSchedule(double learningRate) => Constant(learningRate);
}
