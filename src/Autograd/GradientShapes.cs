using Engine.Tensors;

namespace Engine.Autograd;

/// <summary>Moves gradients between a broadcast shape and the shape of the input that was broadcast.</summary>
public static class GradientShapes
{
    /// <summary>
    /// Sums <paramref name="gradient"/> over the axes along which an input of shape <paramref name="shape"/> was
    /// broadcast (leading axes it lacks, and axes where it has size 1). Returns a new tensor of exactly that shape.
    /// </summary>
    public static Tensor SumToShape(Tensor gradient, ReadOnlySpan<int> shape)
    {
        var from = gradient.Shape;
        int lead = from.Length - shape.Length;
        if (lead < 0)
            throw new ArgumentException($"SumToShape: gradient {ShapeMath.Format(from)} has fewer axes than the target {ShapeMath.Format(shape)}");
        for (int i = 0; i < shape.Length; i++)
            if (shape[i] != from[lead + i] && shape[i] != 1)
                throw new ArgumentException($"SumToShape: {ShapeMath.Format(shape)} does not broadcast to {ShapeMath.Format(from)}");

        var current = gradient.Reshape(gradient.Shape.ToArray());
        for (int axis = from.Length - 1; axis >= 0; axis--)
        {
            bool broadcast = axis < lead ? true : shape[axis - lead] == 1 && from[axis] != 1;
            if (!broadcast) continue;
            using var previous = current;
            current = previous.Sum(axis, keepDim: true);
        }
        using (current) return current.Reshape(shape.ToArray());
    }

    /// <summary>A dense copy of <paramref name="value"/> broadcast (NumPy rules) to the shape of <paramref name="like"/>.</summary>
    public static Tensor BroadcastLike(Tensor value, Tensor like)
    {
        using var expanded = value.Expand(like.Shape.ToArray());
        return expanded.Clone();
    }
}
