using Engine.Autograd;
using Engine.Tensors;

namespace Engine.Models.Nn;

/// <summary>LayerNorm over the last axis with a learned gain and, optionally, a learned bias (nanoGPT's bias flag).</summary>
public sealed class LayerNorm
{
    public const float Epsilon = 1e-5f;

    private readonly Variable? _zeroBias;

    public LayerNorm(ModelParameters parameters, string name, int dim, bool bias)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        Dim = dim;
        Gain = parameters.Register(name + ".weight", [dim], ParameterRole.Gain);
        Bias = bias ? parameters.Register(name + ".bias", [dim], ParameterRole.Bias) : null;
        if (!bias) _zeroBias = parameters.Constant($"zeros[{dim}]", device => Tensor.Zeros(device, dim));
    }

    public int Dim { get; }
    public Weight Gain { get; }
    public Weight? Bias { get; }

    public Variable Forward(Variable x) =>
        Variable.LayerNorm(x, Gain.Variable, Bias?.Variable ?? _zeroBias!, Epsilon);
}
