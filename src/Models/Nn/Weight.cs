using Engine.Autograd;
using Engine.Optim;
using Engine.Tensors;

namespace Engine.Models.Nn;

/// <summary>
/// One trainable tensor of a model as its modules see it: the <see cref="Parameter"/> (a view into the flat
/// parameter and gradient buffers) and, once the parameters are allocated, a leaf <see cref="Autograd.Variable"/>
/// over that view whose gradient storage is the parameter's gradient view. A backward pass therefore adds straight
/// into the flat gradient buffer, and a weight used twice (a tied embedding) receives the sum of both gradients.
/// </summary>
public sealed class Weight
{
    private readonly int _rowBlocks;
    private Variable? _variable;
    private Variable[]? _blocks;
    private Tensor[]? _blockGrads;

    internal Weight(Parameter parameter, ParameterRole role, int rowBlocks)
    {
        Parameter = parameter;
        Role = role;
        _rowBlocks = rowBlocks;
    }

    public Parameter Parameter { get; }
    public ParameterRole Role { get; }
    public string Name => Parameter.Name;

    /// <summary>The leaf variable forward passes use.</summary>
    public Variable Variable => _variable ?? throw new InvalidOperationException(
        $"weight '{Name}' is not allocated yet: call ModelParameters.Allocate() after building every module");

    /// <summary>
    /// Leaf variables over equal row blocks of this matrix (rows [i·n, (i+1)·n), n = rows / blocks), each with its
    /// own slice of the gradient buffer: a fused [3C, C] projection used as three [C, C] ones, with no gradient
    /// padding or summing. Declared when the weight is registered.
    /// </summary>
    public IReadOnlyList<Variable> RowBlocks => _blocks ?? throw new InvalidOperationException(
        _rowBlocks == 0 ? $"weight '{Name}' was registered without row blocks"
                        : $"weight '{Name}' is not allocated yet: call ModelParameters.Allocate() after building every module");

    internal void Bind()
    {
        var p = Parameter;
        _variable = new Variable(p.Value.Reshape([.. p.Shape]), requiresGrad: true, p.Name) { Grad = p.Grad };
        if (_rowBlocks == 0) return;
        int rows = p.Shape[0] / _rowBlocks;
        _blockGrads = new Tensor[_rowBlocks];
        _blocks = new Variable[_rowBlocks];
        for (int i = 0; i < _rowBlocks; i++)
        {
            _blockGrads[i] = p.Grad.Slice(0, i * rows, rows);
            _blocks[i] = new Variable(p.Value.Slice(0, i * rows, rows), requiresGrad: true, $"{p.Name}[{i}]") { Grad = _blockGrads[i] };
        }
    }

    internal void Release()
    {
        _variable?.Dispose();
        foreach (var block in _blocks ?? []) block.Dispose();
        foreach (var grad in _blockGrads ?? []) grad.Dispose();
    }

    public override string ToString() => Parameter.ToString();
}
