using Engine.Autograd;
using Engine.Optim;

namespace Engine.Models.Nn;

/// <summary>y = x·Wᵀ (+ b) over the last axis of x; W is [out, in] as in PyTorch, so checkpoints map one to one.</summary>
public sealed class Linear
{
    /// <param name="outputBlocks">
    /// When &gt; 0, the output splits into this many equal parts that <see cref="ForwardBlocks"/> computes as separate
    /// products (e.g. q, k, v of one [3C, C] weight), so each part is dense and its gradient lands in place.
    /// </param>
    /// <param name="kind">
    /// <see cref="ParameterKind.HiddenMatrix"/> for the transformer's own projections (attention, MLP), which the structured
    /// optimizers treat per matrix (each output block separately).
    /// </param>
    public Linear(ModelParameters parameters, string name, int inFeatures, int outFeatures, bool bias,
                  ParameterRole role = ParameterRole.Weight, int outputBlocks = 0, ParameterKind kind = ParameterKind.Other)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outFeatures, 1);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = parameters.Register(name + ".weight", [outFeatures, inFeatures], role, outputBlocks, kind);
        Bias = bias ? parameters.Register(name + ".bias", [outFeatures], ParameterRole.Bias, outputBlocks) : null;
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Weight Weight { get; }
    public Weight? Bias { get; }

    /// <summary>x [..., in] → [..., out]. Leading axes are flattened into one GEMM.</summary>
    public Variable Forward(Variable x) => Project(x, Weight.Variable, Bias?.Variable);

    /// <summary>x [..., in] → one [..., out / blocks] output per row block of the weight.</summary>
    public Variable[] ForwardBlocks(Variable x)
    {
        var weights = Weight.RowBlocks;
        var outputs = new Variable[weights.Count];
        for (int i = 0; i < outputs.Length; i++) outputs[i] = Project(x, weights[i], Bias?.RowBlocks[i]);
        return outputs;
    }

    private Variable Project(Variable x, Variable weight, Variable? bias)
    {
        var shape = x.Shape.ToArray();
        if (shape.Length == 0 || shape[^1] != InFeatures)
            throw new ArgumentException(
                $"Linear '{Weight.Name}': input of shape [{string.Join(", ", shape)}] must end in {InFeatures} features");
        var rows = shape.Length == 2 ? x : x.Reshape(-1, InFeatures);
        var y = Variable.MatMul(rows, weight, transposeB: true);
        if (bias is not null) y += bias;
        if (shape.Length == 2) return y;
        shape[^1] = weight.Shape[0];
        return y.Reshape(shape);
    }
}
