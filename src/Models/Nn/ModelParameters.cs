using Engine.Autograd;
using Engine.Kernels.Devices;
using Engine.Optim;
using Engine.Tensors;

namespace Engine.Models.Nn;

/// <summary>
/// The trainable tensors of one model, in one <see cref="ParameterStore"/> (one flat value buffer, one flat
/// gradient buffer), plus the model's constant tensors (causal masks, zero biases). Modules register their weights
/// while the model is built; <see cref="Allocate"/> then lays out the store, draws the starting values and binds
/// every <see cref="Weight.Variable"/>. Build and allocate outside any <see cref="TensorScope"/>: this object owns
/// its tensors until <see cref="Dispose"/>.
/// </summary>
public sealed class ModelParameters : IDisposable
{
    private readonly List<Weight> _weights = [];
    private readonly Dictionary<string, Variable> _constants = new(StringComparer.Ordinal);

    public ModelParameters(ComputeDevice device)
    {
        Store = new ParameterStore(device);
    }

    public ParameterStore Store { get; }
    public ComputeDevice Device => Store.Device;

    /// <summary>Weights in registration order.</summary>
    public IReadOnlyList<Weight> Weights => _weights;

    /// <summary>Total number of trainable elements (each tied weight counted once).</summary>
    public long Count => Store.IsAllocated ? Store.Count : _weights.Sum(w => w.Parameter.Count);

    /// <summary>
    /// Declares a trainable tensor. Weight decay applies to rank ≥ 2 tensors (matrices and embeddings), as nanoGPT's
    /// parameter groups. <paramref name="rowBlocks"/> &gt; 0 also binds <see cref="Weight.RowBlocks"/>. A
    /// <see cref="ParameterKind.HiddenMatrix"/> is handed to the structured optimizers as one matrix per row block.
    /// </summary>
    public Weight Register(string name, int[] shape, ParameterRole role, int rowBlocks = 0, ParameterKind kind = ParameterKind.Other)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowBlocks);
        if (rowBlocks > 0 && (shape.Length < 1 || shape[0] % rowBlocks != 0))
            throw new ArgumentException($"weight '{name}' of shape [{string.Join(", ", shape)}] cannot be split into {rowBlocks} row blocks");
        var parameter = kind == ParameterKind.HiddenMatrix
            ? Store.Register(name, shape, kind: kind, matrixBlocks: Math.Max(rowBlocks, 1))
            : Store.Register(name, shape);
        var weight = new Weight(parameter, role, rowBlocks);
        _weights.Add(weight);
        return weight;
    }

    /// <summary>
    /// A constant (no gradient) shared by every module that asks for the same <paramref name="key"/>; created now,
    /// so call this while building the model, not inside a step's <see cref="TensorScope"/>.
    /// </summary>
    public Variable Constant(string key, Func<ComputeDevice, Tensor> create)
    {
        if (!_constants.TryGetValue(key, out var constant))
        {
            constant = new Variable(create(Device), requiresGrad: false, key);
            _constants.Add(key, constant);
        }
        return constant;
    }

    /// <summary>Allocates the flat buffers, draws every weight's starting values and binds the leaf variables.</summary>
    public void Allocate(ParameterInitializer initializer)
    {
        ArgumentNullException.ThrowIfNull(initializer);
        Store.Allocate();
        for (int i = 0; i < _weights.Count; i++)
        {
            var w = _weights[i];
            w.Parameter.Write(initializer.Values(Device, w.Role, w.Parameter.Shape, i));
            w.Bind();
        }
    }

    /// <summary>Sets the gradient buffer to zero (one fill), before a backward pass.</summary>
    public void ZeroGrads() => Store.ZeroGrads();

    public void Dispose()
    {
        foreach (var w in _weights) w.Release();
        foreach (var c in _constants.Values) c.Dispose();
        Store.Dispose();
    }
}
