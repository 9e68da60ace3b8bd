using Engine.Tensors;

namespace Engine.Autograd;

/// <summary>
/// Computes the gradients of an op's inputs from the gradient of its output, one per input (null where an
/// input needs none). Every returned tensor is new and owned by the caller; the output gradient is borrowed.
/// </summary>
internal delegate Tensor?[] BackwardRule(Tensor outputGradient);

/// <summary>One recorded op: its inputs, its output, its backward rule and the tensors only that rule needs.</summary>
internal sealed class TapeEntry(GradientTape tape, int index, string op, Variable[] inputs, BackwardRule rule, Tensor[] saved)
{
    public GradientTape Tape { get; } = tape;

    /// <summary>Position on the tape, in forward order.</summary>
    public int Index { get; } = index;

    public string Op { get; } = op;
    public Variable[] Inputs { get; } = inputs;
    public BackwardRule Rule { get; } = rule;

    /// <summary>Tensors saved for the backward pass that no variable owns (e.g. LayerNorm's mean and rstd).</summary>
    public Tensor[] Saved { get; } = saved;

    public Variable Output { get; set; } = null!;
}
