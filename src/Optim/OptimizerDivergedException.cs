namespace Engine.Optim;

/// <summary>
/// An optimizer's host work (a CGFM basis refresh, a SPEC-GF graph rebuild) met NaN or ∞ in what it read: the steps
/// before it diverged. A trainer stops the run on it as on a loss that is not finite, and says so.
/// </summary>
public sealed class OptimizerDivergedException(string message) : InvalidOperationException(message);
