namespace Engine.Models.Training;

/// <summary>
/// A run was asked to resume from a checkpoint whose model shape, tokenizer or optimizer differs from the run's
/// configuration. <see cref="DifferingKeys"/> names every configuration key that differs.
/// </summary>
public sealed class CheckpointMismatchException(string message, IReadOnlyList<string> differingKeys) : Exception(message)
{
    public IReadOnlyList<string> DifferingKeys { get; } = differingKeys;
}
