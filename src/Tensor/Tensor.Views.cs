namespace Engine.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Same elements, new shape; one dimension may be -1 (inferred). A view when the layout allows it
    /// (contiguous input), otherwise a contiguous copy.
    /// </summary>
    public Tensor Reshape(params int[] shape)
    {
        ThrowIfDisposed();
        var resolved = ResolveReshape(shape);
        if (!IsContiguous)
        {
            using var dense = Contiguous();
            return dense.Reshape(resolved);
        }
        return View(resolved, ShapeMath.ContiguousStrides(resolved), Offset);
    }

    private int[] ResolveReshape(int[] shape)
    {
        var result = (int[])shape.Clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < result.Length; i++)
        {
            if (result[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"Reshape: only one dimension may be -1 in {ShapeMath.Format(shape)}");
                infer = i;
            }
            else if (result[i] < 0) throw new ArgumentException($"Reshape: invalid dimension {result[i]} in {ShapeMath.Format(shape)}");
            else known *= result[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || Count % known != 0)
                throw new ArgumentException($"Reshape: cannot reshape {ShapeMath.Format(_shape)} ({Count} elements) into {ShapeMath.Format(shape)}");
            result[infer] = (int)(Count / known);
        }
        if (ShapeMath.Count(result) != Count)
            throw new ArgumentException($"Reshape: cannot reshape {ShapeMath.Format(_shape)} ({Count} elements) into {ShapeMath.Format(shape)} ({ShapeMath.Count(result)} elements)");
        return result;
    }

    /// <summary>Swaps two axes (a view).</summary>
    public Tensor Transpose(int axis0 = -2, int axis1 = -1)
    {
        var perm = Enumerable.Range(0, Rank).ToArray();
        int a = ShapeMath.Axis(axis0, Rank, _shape, "Transpose"), b = ShapeMath.Axis(axis1, Rank, _shape, "Transpose");
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return Permute(perm);
    }

    /// <summary>Reorders the axes: result axis i is input axis <paramref name="axes"/>[i] (a view).</summary>
    public Tensor Permute(params int[] axes)
    {
        ThrowIfDisposed();
        if (axes.Length != Rank)
            throw new ArgumentException($"Permute: {axes.Length} axes given for a rank-{Rank} tensor of shape {ShapeMath.Format(_shape)}");
        var seen = new bool[Rank];
        var shape = new int[Rank];
        var strides = new long[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int a = ShapeMath.Axis(axes[i], Rank, _shape, "Permute");
            if (seen[a]) throw new ArgumentException($"Permute: axis {axes[i]} appears twice in [{string.Join(", ", axes)}]");
            seen[a] = true;
            shape[i] = _shape[a];
            strides[i] = _strides[a];
        }
        return View(shape, strides, Offset);
    }

    /// <summary>Elements [start, start+length) along <paramref name="axis"/> (a view).</summary>
    public Tensor Slice(int axis, int start, int length)
    {
        ThrowIfDisposed();
        int a = ShapeMath.Axis(axis, Rank, _shape, "Slice");
        if (start < 0 || length < 0 || (long)start + length > _shape[a])
            throw new ArgumentOutOfRangeException(nameof(start),
                $"Slice: range [{start}, {(long)start + length}) is outside axis {axis} of size {_shape[a]} (shape {ShapeMath.Format(_shape)})");
        var shape = (int[])_shape.Clone();
        shape[a] = length;
        return View(shape, (long[])_strides.Clone(), Offset + start * _strides[a]);
    }

    /// <summary>This tensor if already dense, otherwise a dense copy. Always dispose the result.</summary>
    public Tensor Contiguous() => IsContiguous ? View(_shape, _strides, Offset) : Clone();

    /// <summary>Joins tensors of equal shape except along <paramref name="axis"/>.</summary>
    public static Tensor Concat(int axis, params Tensor[] tensors)
    {
        if (tensors.Length == 0) throw new ArgumentException("Concat: no tensors given");
        var first = tensors[0];
        int a = ShapeMath.Axis(axis, first.Rank, first._shape, "Concat");
        int total = 0;
        foreach (var t in tensors)
        {
            t.ThrowIfDisposed();
            first.RequireSameDevice(t, "Concat");
            bool compatible = t.Rank == first.Rank && t.DType == first.DType;
            for (int i = 0; compatible && i < t.Rank; i++)
                compatible = i == a || t._shape[i] == first._shape[i];
            if (!compatible)
                throw new ArgumentException(
                    $"Concat: shape {ShapeMath.Format(t._shape)} ({t.DType}) does not match {ShapeMath.Format(first._shape)} ({first.DType}) outside axis {axis}");
            total += t._shape[a];
        }
        var shape = (int[])first._shape.Clone();
        shape[a] = total;
        first.RequireFourByte("Concat");
        var result = AllocateForOutput(first.Device, shape, first.DType);   // the slices' copies cover it
        int at = 0;
        foreach (var t in tensors)
        {
            if (t.Count > 0)
            {
                using var target = result.Slice(a, at, t._shape[a]);
                first.Device.Copy(t.Strided, target.Strided);
            }
            at += t._shape[a];
        }
        return result;
    }
}
