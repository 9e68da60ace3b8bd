using Engine.Kernels.Devices;

namespace Engine.Tensors;

/// <summary>Fused causal multi-head attention (see <see cref="ComputeDevice.CausalAttention"/>).</summary>
public sealed partial class Tensor
{
    /// <summary>Whether <paramref name="device"/> runs <see cref="CausalAttention"/> for heads of <paramref name="headSize"/>.</summary>
    public static bool SupportsCausalAttention(ComputeDevice device, int headSize) => device.SupportsCausalAttention(headSize);

    /// <summary>
    /// y = softmax(q·kᵀ/√headSize + causal mask)·v per head, for q, k, v [B, T, heads·headSize] (views with unit
    /// column stride are read in place), y dense [B, T, heads·headSize]; also the probabilities [B, heads, T, T] the
    /// backward pass reuses, unless <paramref name="keepProbabilities"/> is false (inference: null then). Throws
    /// <see cref="NotSupportedException"/> where <see cref="SupportsCausalAttention"/> is false.
    /// </summary>
    public static (Tensor Output, Tensor? Probabilities) CausalAttention(Tensor q, Tensor k, Tensor v, int heads, bool keepProbabilities = true)
    {
        var (spec, dq, dk, dv) = AttentionOperands("CausalAttention", q, k, v, heads);
        try
        {
            var y = AllocateForOutput(q.Device, q._shape);
            var probabilities = keepProbabilities ? AllocateForOutput(q.Device, [spec.Batch, heads, spec.Length, spec.Length]) : null;
            if (spec.ActivationElements > 0)
                q.Device.CausalAttention(spec, dq.DataSlice, dk.DataSlice, dv.DataSlice, y.DataSlice, probabilities?.DataSlice ?? default);
            return (y, probabilities);
        }
        finally { ReleaseCopies(q, k, v, dq, dk, dv); }
    }

    /// <summary>The gradients of q, k and v (dense) from the output gradient <paramref name="dy"/> and the forward's probabilities.</summary>
    public static (Tensor Dq, Tensor Dk, Tensor Dv) CausalAttentionBackward(Tensor q, Tensor k, Tensor v, Tensor probabilities,
                                                                          Tensor dy, int heads)
    {
        const string op = "CausalAttentionBackward";
        var (spec, cq, ck, cv) = AttentionOperands(op, q, k, v, heads);
        try
        {
            dy.ThrowIfDisposed(); probabilities.ThrowIfDisposed();
            dy.RequireDType(DType.Float32, op); probabilities.RequireDType(DType.Float32, op);
            q.RequireSameDevice(dy, op); q.RequireSameDevice(probabilities, op);
            if (!ShapeMath.SameShape(dy._shape, q._shape) || !ShapeMath.SameShape(probabilities._shape, [spec.Batch, heads, spec.Length, spec.Length]))
                throw new ArgumentException(
                    $"{op}: dy {ShapeMath.Format(dy._shape)} must be {ShapeMath.Format(q._shape)} and the probabilities " +
                    $"{ShapeMath.Format(probabilities._shape)} [{spec.Batch}, {heads}, {spec.Length}, {spec.Length}]");
            var dq = AllocateForOutput(q.Device, q._shape);
            var dk = AllocateForOutput(q.Device, q._shape);
            var dv = AllocateForOutput(q.Device, q._shape);
            if (spec.ActivationElements > 0)
            {
                using var denseDy = dy.Contiguous();
                using var denseProbabilities = probabilities.Contiguous();
                q.Device.CausalAttentionBackward(spec, cq.DataSlice, ck.DataSlice, cv.DataSlice, denseProbabilities.DataSlice,
                                                 denseDy.DataSlice, dq.DataSlice, dk.DataSlice, dv.DataSlice);
            }
            return (dq, dk, dv);
        }
        finally { ReleaseCopies(q, k, v, cq, ck, cv); }
    }

    /// <summary>Checks q, k, v and returns the spec with each operand as the kernel reads it (itself, or a dense copy).</summary>
    private static (AttentionSpec Spec, Tensor Q, Tensor K, Tensor V) AttentionOperands(string op, Tensor q, Tensor k, Tensor v, int heads)
    {
        q.ThrowIfDisposed(); k.ThrowIfDisposed(); v.ThrowIfDisposed();
        q.RequireDType(DType.Float32, op); k.RequireDType(DType.Float32, op); v.RequireDType(DType.Float32, op);
        q.RequireSameDevice(k, op); q.RequireSameDevice(v, op);
        if (q.Rank != 3 || !ShapeMath.SameShape(q._shape, k._shape) || !ShapeMath.SameShape(q._shape, v._shape))
            throw new ArgumentException(
                $"{op}: q, k and v must share one [batch, T, width] shape, got {ShapeMath.Format(q._shape)}, " +
                $"{ShapeMath.Format(k._shape)} and {ShapeMath.Format(v._shape)}");
        int width = q._shape[2];
        if (heads <= 0 || width % heads != 0)
            throw new ArgumentException($"{op}: width {width} does not split into {heads} heads");
        if (!q.Device.SupportsCausalAttention(width / heads))
            throw new NotSupportedException(
                $"{op}: device '{q.Device.Id}' has no fused attention kernel for heads of {width / heads}; compose it from MatMul and Softmax");
        Tensor rq = RowReadable(q), rk = RowReadable(k), rv = RowReadable(v);
        var spec = new AttentionSpec(q._shape[0], q._shape[1], heads, width / heads, 1f / MathF.Sqrt(width / heads),
                                     Layout(rq), Layout(rk), Layout(rv));
        return (spec, rq, rk, rv);
    }

    /// <summary>The tensor itself when its rows are contiguous (any row and batch strides), else a dense copy.</summary>
    private static Tensor RowReadable(Tensor x) => x._strides[2] == 1 || x._shape[2] <= 1 ? x : x.Clone();

    private static AttentionOperand Layout(Tensor x) => new(x._strides[0], x._strides[1]);

    private static void ReleaseCopies(Tensor q, Tensor k, Tensor v, Tensor cq, Tensor ck, Tensor cv)
    {
        if (!ReferenceEquals(q, cq)) cq.Dispose();
        if (!ReferenceEquals(k, ck)) ck.Dispose();
        if (!ReferenceEquals(v, cv)) cv.Dispose();
    }
}
