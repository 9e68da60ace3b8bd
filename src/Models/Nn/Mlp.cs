using Engine.Autograd;
using Engine.Optim;

namespace Engine.Models.Nn;

/// <summary>The transformer's feed-forward part: width → 4·width, GELU (tanh form), → width.</summary>
public sealed class Mlp
{
    public Mlp(ModelParameters parameters, string name, int width, bool bias)
    {
        Fc = new Linear(parameters, name + ".c_fc", width, 4 * width, bias, kind: ParameterKind.HiddenMatrix);
        Proj = new Linear(parameters, name + ".c_proj", 4 * width, width, bias, ParameterRole.ResidualProjection, kind: ParameterKind.HiddenMatrix);
    }

    public Linear Fc { get; }
    public Linear Proj { get; }

    public Variable Forward(Variable x) => Proj.Forward(Fc.Forward(x).Gelu());
}
