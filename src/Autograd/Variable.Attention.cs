using Engine.Tensors;

namespace Engine.Autograd;

public sealed partial class Variable
{
    /// <summary>
    /// Causal multi-head attention in one fused kernel: softmax(q·kᵀ/√headSize + causal mask)·v per head, for q, k, v
    /// [B, T, heads·headSize] (the blocks of a QKV projection, read in place), giving [B, T, heads·headSize] with the heads
    /// side by side. Its backward rule is one fused kernel too; under NoGradScope, or when no input requires a gradient,
    /// the probabilities it would need are not kept. Needs a device with the kernel
    /// (<see cref="Tensor.SupportsCausalAttention"/>); elsewhere compose it from MatMul, a mask and Softmax.
    /// </summary>
    public static Variable CausalAttention(Variable q, Variable k, Variable v, int heads)
    {
        Tensor qv = q.Value, kv = k.Value, vv = v.Value;
        // Without a backward pass to come (sampling, evaluation) the probabilities are not kept.
        bool backward = GradientTape.IsRecording && (q.RequiresGrad || k.RequiresGrad || v.RequiresGrad);
        var (y, probabilities) = Tensor.CausalAttention(qv, kv, vv, heads, keepProbabilities: backward);
        if (!backward) return new Variable(y);
        return GradientTape.Record("CausalAttention", y, [q, k, v], g =>
        {
            var (dq, dk, dv) = Tensor.CausalAttentionBackward(qv, kv, vv, probabilities!, g, heads);
            return [Wanted(q, dq), Wanted(k, dk), Wanted(v, dv)];
        }, probabilities!);
    }

    /// <summary>The gradient for an input that takes one; disposed (null) for one that does not.</summary>
    private static Tensor? Wanted(Variable input, Tensor gradient)
    {
        if (input.RequiresGrad) return gradient;
        gradient.Dispose();
        return null;
    }
}
