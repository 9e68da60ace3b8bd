using Engine.Tensors;

namespace Engine.Autograd;

/// <summary>
/// In-place updates of a dense gradient tensor (possibly a view into a flat buffer). The Tensor layer's only
/// public op that writes into existing storage is <see cref="Tensor.ScatterAdd"/>, so both updates are one
/// scatter of a single row: the target seen as a [1, n] table, row 0 += source.
/// </summary>
internal static class InPlace
{
    /// <summary>target += source, elementwise; shapes must match and target must be contiguous.</summary>
    public static void AddInto(Tensor target, Tensor source)
    {
        if (!target.Shape.SequenceEqual(source.Shape))
            throw new ArgumentException(
                $"cannot add a gradient of shape {Variable.Format(source.Shape)} into one of shape {Variable.Format(target.Shape)}");
        if (target.Count == 0) return;
        using var table = target.Reshape(1, -1);
        using var row = source.Reshape(1, -1);
        using var index = Tensor.FromArray(target.Device, [0], 1);
        Tensor.ScatterAdd(table, index, row);
    }

    /// <summary>
    /// target = 0 in place, as target += -target: exact for finite values; an inf or NaN entry becomes NaN,
    /// so a buffer holding non-finite gradients must be refilled by its owner.
    /// </summary>
    public static void Zero(Tensor target)
    {
        if (target.Count == 0) return;
        using var negated = -target;
        AddInto(target, negated);
    }
}
