using Engine.Kernels.Devices;
using Engine.Tensors;

namespace Engine.Autograd;

/// <summary>
/// A differentiable value: a raw <see cref="Tensor"/> plus the bookkeeping reverse-mode autograd needs.
/// Ops on variables (operators, <see cref="MatMul"/>, <see cref="LayerNorm"/>, ...) compute with the Tensor layer
/// and, while a <see cref="GradientTape"/> is open and no <see cref="NoGradScope"/> is, record a backward rule.
/// <see cref="Backward"/> then accumulates d(loss)/d(leaf) into the <see cref="Grad"/> of every leaf that
/// requires a gradient. A variable owns its value (and a gradient it allocated): dispose it, or let a
/// <see cref="TensorScope"/> release the tensors.
/// </summary>
public sealed partial class Variable : IDisposable
{
    private readonly Tensor _value;
    private Tensor? _grad;
    private bool _gradIsAttached;
    private bool _disposed;

    /// <summary>Wraps <paramref name="value"/> (taking ownership of it) as a leaf.</summary>
    public Variable(Tensor value, bool requiresGrad = false, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        value.ThrowIfDisposed();
        if (requiresGrad && value.DType != DType.Float32)
            throw new ArgumentException($"only Float32 variables can require a gradient; got {value.DType} of shape {ShapeMath.Format(value.Shape)}");
        _value = value;
        RequiresGrad = requiresGrad;
        Name = name;
    }

    private Variable(Tensor value, TapeEntry creator)
    {
        _value = value;
        RequiresGrad = true;
        Creator = creator;
    }

    /// <summary>Optional label used in error messages.</summary>
    public string? Name { get; set; }

    public Tensor Value
    {
        get { ThrowIfDisposed(); return _value; }
    }

    /// <summary>True when gradients flow to (a leaf) or through (an op output) this variable.</summary>
    public bool RequiresGrad { get; }

    /// <summary>True for variables not produced by a recorded op: their gradient lands in <see cref="Grad"/>.</summary>
    public bool IsLeaf => Creator is null;

    /// <summary>The tape entry of the op that produced this variable, if it was recorded.</summary>
    internal TapeEntry? Creator { get; }

    public ReadOnlySpan<int> Shape => Value.Shape;
    public int Rank => Value.Rank;
    public ComputeDevice Device => Value.Device;
    public bool IsDisposed => _disposed;

    /// <summary>
    /// The accumulated gradient of a leaf (null until a backward pass reaches it or one is attached).
    /// Assigning a tensor attaches it as the gradient storage: typically a view into one flat gradient
    /// buffer. Backward passes then add into that storage in place, and <see cref="ZeroGrad"/> clears it in place.
    /// A gradient allocated by a backward pass belongs to this variable (and to any <see cref="TensorScope"/>
    /// open during that pass); an attached one stays the caller's.
    /// </summary>
    public Tensor? Grad
    {
        get { ThrowIfDisposed(); return _grad; }
        set
        {
            ThrowIfDisposed();
            if (value is not null) CheckAttachableGrad(value);
            if (!_gradIsAttached) _grad?.Dispose();
            _grad = value;
            _gradIsAttached = value is not null;
        }
    }

    /// <summary>
    /// Clears the gradient: an attached gradient buffer is zeroed in place; a gradient this variable
    /// allocated is released (the next backward pass allocates a fresh one).
    /// </summary>
    public void ZeroGrad()
    {
        ThrowIfDisposed();
        if (_grad is null) return;
        if (_gradIsAttached)
        {
            InPlace.Zero(_grad);
            return;
        }
        _grad.Dispose();
        _grad = null;
    }

    /// <summary>A leaf sharing this variable's storage that records no history and requires no gradient.</summary>
    public Variable Detach()
    {
        var value = Value;
        return new Variable(value.Permute(Enumerable.Range(0, value.Rank).ToArray()), requiresGrad: false, Name);
    }

    /// <summary>Backpropagates from this scalar through the tape that recorded it. See <see cref="GradientTape.Backward(Variable)"/>.</summary>
    public void Backward() => GradientTape.BackwardFrom(this, seed: null);

    /// <summary>Backpropagates with an explicit gradient of the final output (same shape as this variable).</summary>
    public void Backward(Tensor outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        GradientTape.BackwardFrom(this, outputGradient);
    }

    /// <summary>Adds <paramref name="gradient"/> into <see cref="Grad"/> (in place when one exists). Does not take ownership.</summary>
    internal void AccumulateGrad(Tensor gradient)
    {
        ThrowIfDisposed();
        if (_grad is null)
        {
            _grad = gradient.Clone();
            _gradIsAttached = false;
            return;
        }
        _grad.ThrowIfDisposed();
        InPlace.AddInto(_grad, gradient);
    }

    /// <summary>The output of a recorded op.</summary>
    internal static Variable Recorded(Tensor value, TapeEntry creator) => new(value, creator);

    public void ThrowIfDisposed()
    {
        if (_disposed)
            throw new ObjectDisposedException(nameof(Variable), $"{Describe()} was used after it was disposed");
    }

    internal string Describe() =>
        $"variable{(Name is null ? "" : $" '{Name}'")} of shape {ShapeMath.Format(_value.Shape)}";


    private void CheckAttachableGrad(Tensor grad)
    {
        grad.ThrowIfDisposed();
        if (!grad.Shape.SequenceEqual(_value.Shape) || grad.DType != DType.Float32)
            throw new ArgumentException(
                $"the gradient of {Describe()} must be a Float32 tensor of the same shape; got {grad.DType} {ShapeMath.Format(grad.Shape)}");
        if (!ReferenceEquals(grad.Device, _value.Device))
            throw new ArgumentException($"the gradient of {Describe()} must live on '{_value.Device.Id}', not '{grad.Device.Id}'");
        if (!grad.IsContiguous)
            throw new ArgumentException(
                $"the gradient of {Describe()} must be contiguous (a dense view, e.g. a slice of a flat buffer): it is updated in place");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _value.Dispose();
        if (!_gradIsAttached) _grad?.Dispose();
        _grad = null;
    }

    public override string ToString() => _disposed ? "Variable(disposed)" : $"Variable({ShapeMath.Format(_value.Shape)}, requiresGrad: {RequiresGrad})";
}
