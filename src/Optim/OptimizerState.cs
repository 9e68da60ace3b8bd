namespace Engine.Optim;

/// <summary>One flat state buffer of an optimizer (layout of the parameter store), by slot name.</summary>
public sealed record OptimizerSlot(string Name, float[] Values);

/// <summary>
/// Everything an <see cref="Optimizer"/> carries from step to step: the number of steps taken and every state
/// slot. Importing it into an optimizer with the same chain over the same store continues bit-exactly.
/// </summary>
public sealed record OptimizerState(long Step, IReadOnlyList<OptimizerSlot> Slots);
