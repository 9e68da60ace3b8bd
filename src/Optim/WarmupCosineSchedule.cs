namespace Engine.Optim;

/// <summary>
/// nanoGPT's get_lr(it): lr·(it+1)/(warmup+1) while it &lt; warmup; min_lr once it &gt; lr_decay_iters;
/// in between min_lr + ½(1 + cos(π·ratio))·(lr − min_lr) with ratio = (it − warmup)/(lr_decay_iters − warmup).
/// </summary>
public sealed class WarmupCosineSchedule : LearningRateSchedule
{
    public WarmupCosineSchedule(double learningRate, long warmupIters, long lrDecayIters, double minLearningRate)
    {
        LearningRate = Hyperparameter.NonNegative(learningRate, nameof(learningRate));
        MinLearningRate = Hyperparameter.NonNegative(minLearningRate, nameof(minLearningRate));
        if (minLearningRate > learningRate)
            throw new ArgumentOutOfRangeException(nameof(minLearningRate), minLearningRate,
                $"minLearningRate ({minLearningRate}) must not exceed learningRate ({learningRate})");
        WarmupIters = Hyperparameter.NonNegative(warmupIters, nameof(warmupIters));
        if (lrDecayIters <= warmupIters)
            throw new ArgumentOutOfRangeException(nameof(lrDecayIters), lrDecayIters,
                $"lrDecayIters ({lrDecayIters}) must be greater than warmupIters ({warmupIters})");
        LrDecayIters = lrDecayIters;
    }

    public double LearningRate { get; }
    public long WarmupIters { get; }
    public long LrDecayIters { get; }
    public double MinLearningRate { get; }

    public override double At(long iteration)
    {
        Hyperparameter.NonNegative(iteration, nameof(iteration));
        if (iteration < WarmupIters) return LearningRate * (iteration + 1) / (WarmupIters + 1);
        if (iteration > LrDecayIters) return MinLearningRate;
        double ratio = (double)(iteration - WarmupIters) / (LrDecayIters - WarmupIters);
        double coefficient = 0.5 * (1.0 + Math.Cos(Math.PI * ratio));
        return MinLearningRate + coefficient * (LearningRate - MinLearningRate);
    }

    public override string ToString() =>
        $"warmup_cosine(lr={LearningRate}, warmup={WarmupIters}, decay={LrDecayIters}, min={MinLearningRate})";
}
