namespace Engine.Optim;

/// <summary>One state buffer of an optimizer by name: a slot in the parameter store's layout, or a link's extra state.</summary>
public sealed record OptimizerSlot(string Name, float[] Values);

/// <summary>
/// Everything an <see cref="Optimizer"/> carries from step to step: the number of steps taken, every state slot
/// (store-sized) and <see cref="Extras"/>, the structured links' other state (CGFM bases, spectral graph sources, SGG
/// scalars and source gradient). Importing it into an optimizer with the same chains over the same store continues
/// bit-exactly.
/// </summary>
public sealed record OptimizerState(long Step, IReadOnlyList<OptimizerSlot> Slots)
{
    /// <summary>State of structured links, "[group/]index:transform.key" → values (empty for plain chains).</summary>
    public IReadOnlyList<OptimizerSlot> Extras { get; init; } = [];
}
