using Engine.Tensors;

namespace Engine.Autograd;

public sealed partial class Variable
{
    /// <summary>
    /// Batched matrix product op(a) · op(b) (see <see cref="Tensor.MatMul"/>). With C = op(A)·op(B) and G = dL/dC:
    /// dL/dop(A) = G·op(B)ᵀ and dL/dop(B) = op(A)ᵀ·G, each expressed with transpose flags (no copies), then
    /// transposed back when the operand was used transposed, and summed over broadcast batch axes.
    /// </summary>
    public static Variable MatMul(Variable a, Variable b, bool transposeA = false, bool transposeB = false)
    {
        var x = a.Value;
        var y = b.Value;
        var output = Tensor.MatMul(x, y, transposeA, transposeB);
        return GradientTape.Record("MatMul", output, [a, b], g =>
            [a.RequiresGrad ? ReduceTo(GradientOfA(g, x, y, transposeA, transposeB), a) : null,
             b.RequiresGrad ? ReduceTo(GradientOfB(g, x, y, transposeA, transposeB), b) : null]);
    }

    /// <summary>dA: G·Bᵀ, G·B, B·Gᵀ or Bᵀ·Gᵀ for the four transpose combinations.</summary>
    private static Tensor GradientOfA(Tensor g, Tensor a, Tensor b, bool transposeA, bool transposeB) =>
        (transposeA, transposeB) switch
        {
            (false, false) => Tensor.MatMul(g, b, false, true),
            (false, true) => Tensor.MatMul(g, b),
            (true, false) => Tensor.MatMul(b, g, false, true),
            (true, true) => Tensor.MatMul(b, g, true, true),
        };

    /// <summary>dB: Aᵀ·G, Gᵀ·A, A·G or Gᵀ·Aᵀ for the four transpose combinations.</summary>
    private static Tensor GradientOfB(Tensor g, Tensor a, Tensor b, bool transposeA, bool transposeB) =>
        (transposeA, transposeB) switch
        {
            (false, false) => Tensor.MatMul(a, g, true, false),
            (false, true) => Tensor.MatMul(g, a, true, false),
            (true, false) => Tensor.MatMul(a, g),
            (true, true) => Tensor.MatMul(g, a, true, true),
        };
}
