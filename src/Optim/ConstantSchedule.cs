namespace Engine.Optim;

/// <summary>The same learning rate at every iteration.</summary>
public sealed class ConstantSchedule : LearningRateSchedule
{
    public ConstantSchedule(double learningRate) =>
        LearningRate = Hyperparameter.NonNegative(learningRate, nameof(learningRate));

    public double LearningRate { get; }

    public override double At(long iteration) => LearningRate;

    public override string ToString() => $"constant({LearningRate})";
}
