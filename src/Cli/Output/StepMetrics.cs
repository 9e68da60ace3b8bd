namespace Engine.Cli.Output;

/// <summary>
/// What the program reports about one logged training step: the figures of the progress line and of a
/// metrics.jsonl record. <see cref="ValLoss"/> is set only on evaluation steps.
/// </summary>
public sealed record StepMetrics(
    long Step,
    long TotalSteps,
    double TrainLoss,
    double? ValLoss,
    double LearningRate,
    double GradNorm,
    double TokensPerSecond,
    TimeSpan Elapsed)
{
    /// <summary>Time left at the average pace of the steps this run has taken since <paramref name="firstStep"/>.</summary>
    public TimeSpan? EstimatedRemaining(long firstStep)
    {
        long done = Step - firstStep, left = TotalSteps - Step;
        if (done <= 0 || left < 0) return null;
        return TimeSpan.FromTicks((long)(Elapsed.Ticks * ((double)left / done)));
    }
}
