using Engine.Autograd;
using Engine.Tensors;

namespace Engine.Models.Nn;

/// <summary>A table of <c>count</c> learned vectors of <c>dim</c> elements, looked up by Int32 ids.</summary>
public sealed class Embedding
{
    public Embedding(ModelParameters parameters, string name, int count, int dim)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        Count = count;
        Dim = dim;
        Weight = parameters.Register(name + ".weight", [count, dim], ParameterRole.Weight);
    }

    public int Count { get; }
    public int Dim { get; }
    public Weight Weight { get; }

    /// <summary>ids (any shape, Int32 in [0, count)) → ids.shape + [dim].</summary>
    public Variable Forward(Tensor ids) => Variable.Gather(Weight.Variable, ids);
}
