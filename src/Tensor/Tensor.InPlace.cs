using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;

namespace Engine.Tensors;

/// <summary>
/// Ops that write into this tensor's existing storage (gradient accumulation, optimizer buffers, views of
/// one flat buffer). The target must be dense; the source broadcasts to the target's shape.
/// </summary>
public sealed partial class Tensor
{
    /// <summary>this += source (source broadcast to this shape).</summary>
    public void AddInPlace(Tensor source) => UpdateInPlace(ElementwiseOps.Add, "AddInPlace", [], source, includeSelf: true);

    /// <summary>this = source (source broadcast to this shape); source may be any view.</summary>
    public void CopyFrom(Tensor source)
    {
        const string op = "CopyFrom";
        RequireFourByte(op);
        var src = BroadcastSource(source, op);
        if (Count > 0) Device.Copy(src, Strided);
    }

    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    public void Fill(float value)
    {
        ThrowIfDisposed();
        RequireDense("Fill");
        RequireFourByte("Fill");
        if (Count > 0) Device.Fill(DataSlice, Count, value, DType);
    }

    /// <summary>
    /// A view of this tensor broadcast to <paramref name="shape"/> (NumPy rules): size-1 and missing leading axes
    /// repeat with stride 0, nothing is copied. Read-only in spirit: writing through it writes the shared elements.
    /// </summary>
    public Tensor Expand(params int[] shape)
    {
        ThrowIfDisposed();
        var target = ShapeMath.Broadcast(_shape, shape, "Expand");
        if (!ShapeMath.SameShape(target, shape))
            throw new ArgumentException($"Expand: shape {ShapeMath.Format(_shape)} cannot be broadcast to {ShapeMath.Format(shape)}");
        return View((int[])shape.Clone(), ShapeMath.BroadcastStrides(_shape, _strides, shape), Offset);
    }

    private void UpdateInPlace(FusedProgram program, string op, float[] scalars, Tensor source, bool includeSelf)
    {
        RequireDense(op);
        RequireDType(DType.Float32, op);
        var src = BroadcastSource(source, op);
        if (Count == 0) return;
        var shape = Rank == 0 ? [1L] : Array.ConvertAll(_shape, d => (long)d);
        var self = new StridedSlice(Buffer, Offset, shape, ShapeMath.ContiguousStrides(Rank == 0 ? [1] : _shape));
        var other = Rank == 0 ? src with { Shape = [1L], Strides = [0L] } : src;
        StridedSlice[] inputs = includeSelf ? [self, other] : [other];
        Device.RunFused(program, new FusedLaunch(shape, inputs, [DataSlice], scalars));
    }

    private StridedSlice BroadcastSource(Tensor source, string op)
    {
        ThrowIfDisposed();
        source.ThrowIfDisposed();
        RequireSameDevice(source, op);
        if (source.DType != DType)
            throw new ArgumentException($"{op}: source is {source.DType}, target is {DType}");
        var target = ShapeMath.Broadcast(_shape, source._shape, op);
        if (!ShapeMath.SameShape(target, _shape))
            throw new ArgumentException($"{op}: source of shape {ShapeMath.Format(source._shape)} does not broadcast to the target's shape {ShapeMath.Format(_shape)}");
        return new StridedSlice(source.Buffer, source.Offset, Array.ConvertAll(_shape, d => (long)d),
                                ShapeMath.BroadcastStrides(source._shape, source._strides, _shape));
    }

    private void RequireDense(string op)
    {
        if (!IsContiguous)
            throw new InvalidOperationException($"{op}: the target of shape {ShapeMath.Format(_shape)} is a strided view; in-place ops need a dense target");
    }
}
