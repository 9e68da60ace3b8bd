using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;
using Engine.Tensors;

namespace Engine.Optim.Structured;

/// <summary>
/// Device-side plumbing the structured transforms share: fused programs run into tensors that already exist
/// (gradient views, persistent state), so a transform can update in place and keep its state out of any
/// caller's <see cref="TensorScope"/>: every transform allocates its persistent tensors in its constructor,
/// so, like <see cref="Optimizer"/>, it must be created outside any scope and owns them until disposed.
/// </summary>
internal static class DeviceMath
{
    /// <summary>
    /// Runs <paramref name="program"/> over the shape of <paramref name="outputs"/>[0]: every output must be dense
    /// with that shape, inputs broadcast to it (rank-0 tensors act as device-resident scalars). Outputs may be
    /// inputs read at the same index (in-place). Reductions, if any, land in <paramref name="reductions"/>.
    /// </summary>
    public static void Run(FusedProgram program, float[] scalars, Tensor[] outputs, Tensor[] inputs, Tensor? reductions = null)
    {
        var shape = outputs.Length > 0 ? outputs[0].ShapeArray : inputs[0].ShapeArray;
        for (int i = 0; i < inputs.Length && i < program.InputCount; i++)
            RequireStorage(program, inputs[i], program.InputStorage[i], i, output: false);
        for (int o = 0; o < outputs.Length && o < program.OutputCount; o++)
            RequireStorage(program, outputs[o], program.OutputStorage[o], o, output: true);
        foreach (var o in outputs)
        {
            o.ThrowIfDisposed();
            if (!o.IsContiguous || !ShapeMath.SameShape(o.Shape, shape))
                throw new ArgumentException(
                    $"{program.Name}: output {o} must be dense with shape {ShapeMath.Format(shape)}");
        }
        var launchShape = shape.Length == 0 ? [1L] : Array.ConvertAll(shape, d => (long)d);
        var launchTarget = shape.Length == 0 ? [1] : shape;
        var operands = new StridedSlice[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var t = inputs[i];
            t.ThrowIfDisposed();
            if (!ShapeMath.SameShape(ShapeMath.Broadcast(t.Shape, shape, program.Name), shape))
                throw new ArgumentException(
                    $"{program.Name}: input {i} of shape {ShapeMath.Format(t.Shape)} does not broadcast to {ShapeMath.Format(shape)}");
            operands[i] = new StridedSlice(t.Buffer, t.Offset, launchShape,
                                           ShapeMath.BroadcastStrides(t.Shape, t.Strides, launchTarget));
        }
        if (ShapeMath.Count(shape) == 0 && program.ReductionCount == 0) return;
        BufferSlice? reduced = null;
        if (reductions is not null)
        {
            if (!reductions.IsContiguous || reductions.Count < program.ReductionCount)
                throw new ArgumentException(
                    $"{program.Name}: the reductions target {reductions} must be dense with at least {program.ReductionCount} elements");
            reduced = reductions.DataSlice;
        }
        var device = (outputs.Length > 0 ? outputs[0] : inputs[0]).Device;
        device.RunFused(program, new FusedLaunch(launchShape, operands, Array.ConvertAll(outputs, o => o.DataSlice), scalars, reduced));
    }

    /// <summary>
    /// Copies <paramref name="source"/> into the dense tensor <paramref name="target"/> of the same shape, converting
    /// where their types differ (fp32 → bfloat16 rounds to nearest even).
    /// </summary>
    public static void CopyInto(Tensor source, Tensor target)
    {
        if (!ShapeMath.SameShape(source.Shape, target.Shape))
            throw new ArgumentException($"CopyInto: shapes {ShapeMath.Format(source.Shape)} and {ShapeMath.Format(target.Shape)} differ");
        if (target.Count == 0) return;
        if (source.DType == target.DType && source.DType.Size() == 4) source.Device.Copy(source.Strided, target.Strided);
        else Run(ElementwiseOps.Convert(source.DType, target.DType), [], [target], [source]);
    }

    /// <summary>
    /// Item <paramref name="index"/> along a batch's leading axis, as a view of the remaining axes: one matrix of a batch of
    /// matrices, or an element of a vector as a rank-0 view (a device scalar other programs can read).
    /// </summary>
    public static Tensor Item(Tensor batch, int index)
    {
        using var slice = batch.Slice(0, index, 1);
        return slice.Reshape(batch.Shape[1..].ToArray());
    }

    /// <summary>Writes host values into a dense tensor (row-major); a BFloat16 one stores them rounded.</summary>
    public static void Write(Tensor target, ReadOnlySpan<float> values)
    {
        if (!target.IsContiguous || values.Length != target.Count)
            throw new ArgumentException($"Write: {values.Length} values for dense tensor {target} of {target.Count} elements");
        if (values.Length == 0) return;
        if (target.DType == DType.Float32)
        {
            target.Device.Write(target.DataSlice, values);
            return;
        }
        using var wide = Tensor.FromArray(target.Device, values, target.ShapeArray);
        CopyInto(wide, target);
    }

    /// <summary>The operand's storage type is the program's; the message is formatted only on failure (this runs every step).</summary>
    private static void RequireStorage(FusedProgram program, Tensor t, DType storage, int index, bool output)
    {
        if (t.DType != storage)
            throw new ArgumentException(
                $"{program.Name}: {(output ? $"output '{program.OutputNames[index]}'" : $"input '{program.InputNames[index]}'")} " +
                $"is stored as {storage}, got a {t.DType} tensor {t}");
    }

    public static void RequireMatrix(Tensor t, int rows, int cols, string what)
    {
        if (t.Rank != 2 || t.Size(0) != rows || t.Size(1) != cols)
            throw new ArgumentException($"{what}: expected a [{rows}, {cols}] matrix, got {ShapeMath.Format(t.Shape)}");
    }

    public static void RequireSameShape(Tensor a, Tensor b, string whatA, string whatB)
    {
        if (!ShapeMath.SameShape(a.Shape, b.Shape))
            throw new ArgumentException(
                $"{whatA} has shape {ShapeMath.Format(a.Shape)} but {whatB} has shape {ShapeMath.Format(b.Shape)}");
    }
}
