namespace Engine.Models.Data;

/// <summary>
/// A batch of <see cref="BatchSize"/> token blocks of length <see cref="BlockSize"/>, row-major
/// [batch, block]; <c>Targets[b, t] == Inputs[b, t + 1]</c> within a block, and the last target is the token
/// after the block.
/// </summary>
public sealed record TokenBatch(int BatchSize, int BlockSize, int[] Inputs, int[] Targets);
