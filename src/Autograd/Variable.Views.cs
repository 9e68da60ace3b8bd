using Engine.Tensors;

namespace Engine.Autograd;

/// <summary>Shape ops (views where the Tensor layer makes them views) and their backward rules, which undo the reshaping.</summary>
public sealed partial class Variable
{
    public Variable Reshape(params int[] shape)
    {
        var original = Value.Shape.ToArray();
        return GradientTape.Record("Reshape", Value.Reshape(shape), [this], g => [g.Reshape(original)]);
    }

    public Variable Transpose(int axis0 = -2, int axis1 = -1) =>
        GradientTape.Record("Transpose", Value.Transpose(axis0, axis1), [this], g => [g.Transpose(axis0, axis1)]);

    /// <summary>Result axis i is input axis axes[i]; the gradient is permuted by the inverse permutation.</summary>
    public Variable Permute(params int[] axes)
    {
        var output = Value.Permute(axes);
        var inverse = new int[axes.Length];
        for (int i = 0; i < axes.Length; i++) inverse[axes[i] < 0 ? axes[i] + axes.Length : axes[i]] = i;
        return GradientTape.Record("Permute", output, [this], g => [g.Permute(inverse)]);
    }

    /// <summary>Elements [start, start+length) along an axis; the gradient is g padded with zeros back to the input's size.</summary>
    public Variable Slice(int axis, int start, int length)
    {
        var input = Value;
        var output = input.Slice(axis, start, length);
        return GradientTape.Record("Slice", output, [this], g =>
        {
            int a = axis < 0 ? axis + input.Rank : axis;
            int after = input.Size(a) - start - length;
            var parts = new List<Tensor>();
            try
            {
                if (start > 0) parts.Add(ZerosAlong(g, a, start));
                parts.Add(g);
                if (after > 0) parts.Add(ZerosAlong(g, a, after));
                return [Tensor.Concat(a, [.. parts])];
            }
            finally
            {
                foreach (var p in parts) if (!ReferenceEquals(p, g)) p.Dispose();
            }
        });
    }

    /// <summary>Joins variables along an axis; each input's gradient is its slice of g.</summary>
    public static Variable Concat(int axis, params Variable[] parts)
    {
        if (parts.Length == 0) throw new ArgumentException("Concat: no variables given");
        var values = parts.Select(p => p.Value).ToArray();
        var output = Tensor.Concat(axis, values);
        return GradientTape.Record("Concat", output, parts, g =>
        {
            int a = axis < 0 ? axis + g.Rank : axis;
            var grads = new Tensor?[parts.Length];
            int at = 0;
            for (int i = 0; i < parts.Length; i++)
            {
                int size = values[i].Size(a);
                if (parts[i].RequiresGrad) grads[i] = g.Slice(a, at, size);
                at += size;
            }
            return grads;
        });
    }

    /// <summary>A dense version (a view if already dense); the gradient passes through unchanged.</summary>
    public Variable Contiguous() => GradientTape.Record("Contiguous", Value.Contiguous(), [this], g => [Same(g)]);

    private static Tensor ZerosAlong(Tensor like, int axis, int size)
    {
        var shape = like.Shape.ToArray();
        shape[axis] = size;
        return Tensor.Zeros(like.Device, shape);
    }
}
