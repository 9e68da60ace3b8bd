using Engine.Autograd;

namespace Engine.Models.Nn;

/// <summary>y = x·Wᵀ (+ b) over the last axis of x; W is [out, in] as in PyTorch, so checkpoints map one to one.</summary>
public sealed class Linear
{
    public Linear(ModelParameters parameters, string name, int inFeatures, int outFeatures, bool bias,
                  ParameterRole role = ParameterRole.Weight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outFeatures, 1);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = parameters.Register(name + ".weight", [outFeatures, inFeatures], role);
        Bias = bias ? parameters.Register(name + ".bias", [outFeatures], ParameterRole.Bias) : null;
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Weight Weight { get; }
    public Weight? Bias { get; }

    /// <summary>x [..., in] → [..., out]. Leading axes are flattened into one GEMM.</summary>
    public Variable Forward(Variable x)
    {
        var shape = x.Shape.ToArray();
        if (shape.Length == 0 || shape[^1] != InFeatures)
            throw new ArgumentException(
                $"Linear '{Weight.Name}': input of shape [{string.Join(", ", shape)}] must end in {InFeatures} features");
        var rows = shape.Length == 2 ? x : x.Reshape(-1, InFeatures);
        var y = Variable.MatMul(rows, Weight.Variable, transposeB: true);
        if (Bias is not null) y += Bias.Variable;
        if (shape.Length == 2) return y;
        shape[^1] = OutFeatures;
        return y.Reshape(shape);
    }
}
