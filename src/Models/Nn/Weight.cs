using Engine.Autograd;
using Engine.Optim;

namespace Engine.Models.Nn;

/// <summary>
/// One trainable tensor of a model as its modules see it: the <see cref="Parameter"/> (a view into the flat
/// parameter and gradient buffers) and, once the parameters are allocated, a leaf <see cref="Autograd.Variable"/>
/// over that view whose gradient storage is the parameter's gradient view. A backward pass therefore adds straight
/// into the flat gradient buffer, and a weight used twice (a tied embedding) receives the sum of both gradients.
/// </summary>
public sealed class Weight
{
    private Variable? _variable;

    internal Weight(Parameter parameter, ParameterRole role)
    {
        Parameter = parameter;
        Role = role;
    }

    public Parameter Parameter { get; }
    public ParameterRole Role { get; }
    public string Name => Parameter.Name;

    /// <summary>The leaf variable forward passes use.</summary>
    public Variable Variable => _variable ?? throw new InvalidOperationException(
        $"weight '{Name}' is not allocated yet: call ModelParameters.Allocate() after building every module");

    internal void Bind()
    {
        var p = Parameter;
        _variable = new Variable(p.Value.Reshape([.. p.Shape]), requiresGrad: true, p.Name) { Grad = p.Grad };
    }

    internal void Release() => _variable?.Dispose();

    public override string ToString() => Parameter.ToString();
}
