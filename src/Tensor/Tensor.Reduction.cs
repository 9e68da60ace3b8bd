using Engine.Kernels.Devices;

namespace Engine.Tensors;

/// <summary>Reductions over one axis (keepDim keeps it as size 1) or over all elements (a rank-0 result).</summary>
public sealed partial class Tensor
{
    public Tensor Sum(int axis, bool keepDim = false) => ReduceAxis(ReduceOp.Sum, axis, keepDim, "Sum");
    public Tensor Mean(int axis, bool keepDim = false) => ReduceAxis(ReduceOp.Mean, axis, keepDim, "Mean");
    public Tensor Max(int axis, bool keepDim = false) => ReduceAxis(ReduceOp.Max, axis, keepDim, "Max");
    public Tensor SumOfSquares(int axis, bool keepDim = false) => ReduceAxis(ReduceOp.SumSquares, axis, keepDim, "SumOfSquares");

    /// <summary>Index of the largest element along the axis (first on ties), as an Int32 tensor.</summary>
    public Tensor ArgMax(int axis, bool keepDim = false) => ReduceAxis(ReduceOp.ArgMax, axis, keepDim, "ArgMax");

    public Tensor Norm(int axis, bool keepDim = false)
    {
        using var squares = SumOfSquares(axis, keepDim);
        return squares.Sqrt();
    }

    public Tensor Sum() => ReduceAll(ReduceOp.Sum, "Sum");
    public Tensor Mean() => ReduceAll(ReduceOp.Mean, "Mean");
    public Tensor Max() => ReduceAll(ReduceOp.Max, "Max");
    public Tensor SumOfSquares() => ReduceAll(ReduceOp.SumSquares, "SumOfSquares");
    public Tensor ArgMax() => ReduceAll(ReduceOp.ArgMax, "ArgMax");

    /// <summary>L2 norm of all elements.</summary>
    public Tensor Norm()
    {
        using var squares = SumOfSquares();
        return squares.Sqrt();
    }

    private Tensor ReduceAll(ReduceOp op, string name)
    {
        using var flat = Reshape(-1);
        using var reduced = flat.ReduceAxis(op, 0, false, name);
        return reduced.Reshape();
    }

    private Tensor ReduceAxis(ReduceOp op, int axis, bool keepDim, string name)
    {
        ThrowIfDisposed();
        RequireDType(DType.Float32, name);
        int a = ShapeMath.Axis(axis, Rank, _shape, name);
        if (_shape[a] == 0 && op is ReduceOp.Max or ReduceOp.ArgMax or ReduceOp.Mean)
            throw new ArgumentException($"{name}: axis {axis} of shape {ShapeMath.Format(_shape)} is empty");
        long outer = ShapeMath.Count(_shape.AsSpan(0, a)), inner = ShapeMath.Count(_shape.AsSpan(a + 1));
        var shape = keepDim
            ? _shape.Select((d, i) => i == a ? 1 : d).ToArray()
            : _shape.Where((_, i) => i != a).ToArray();
        // The kernel writes every output, an empty axis's zero sums included.
        var result = AllocateForOutput(Device, shape, op == ReduceOp.ArgMax ? DType.Int32 : DType.Float32);
        if (result.Count == 0) return result;
        using var dense = Contiguous();
        Device.Reduce(op, dense.DataSlice, result.DataSlice, outer, _shape[a], inner);
        return result;
    }
}
