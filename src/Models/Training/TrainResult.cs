namespace Engine.Models.Training;

/// <summary>How a call to <see cref="Trainer.Run"/> ended.</summary>
/// <param name="Step">Steps taken in total (including those before a resume).</param>
/// <param name="TrainLoss">Loss of the last step's batch (NaN when this call took no step).</param>
/// <param name="ValLoss">The last validation loss measured (NaN when none was).</param>
/// <param name="Cancelled">True when the cancellation token stopped the run before MaxIters.</param>
/// <param name="Checkpoint">Name of the last checkpoint written, or null when none was.</param>
/// <param name="Divergence">
/// What stopped being finite — "train loss NaN", "gradient norm Infinity", "val loss NaN", the weights, or what an
/// optimizer's refresh read (<see cref="Optim.OptimizerDivergedException"/>'s message) — when the run diverged at
/// <paramref name="Step"/>, else null. No checkpoint was written from that step on.
/// </param>
public sealed record TrainResult(long Step, double TrainLoss, double ValLoss, bool Cancelled, string? Checkpoint, string? Divergence = null)
{
    public bool Diverged => Divergence is not null;
}
