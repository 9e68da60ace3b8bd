using Engine.Tensors;

namespace Engine.Autograd;

/// <summary>In-place updates of a dense gradient tensor (possibly a view into a flat buffer).</summary>
internal static class InPlace
{
    /// <summary>target += source, elementwise; shapes must match and target must be contiguous.</summary>
    public static void AddInto(Tensor target, Tensor source)
    {
        if (!target.Shape.SequenceEqual(source.Shape))
            throw new ArgumentException(
                $"cannot add a gradient of shape {ShapeMath.Format(source.Shape)} into one of shape {ShapeMath.Format(target.Shape)}");
        target.AddInPlace(source);
    }

    /// <summary>target = 0 in place (exact, also for inf/NaN entries).</summary>
    public static void Zero(Tensor target) => target.Fill(0f);
}
