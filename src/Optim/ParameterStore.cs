using Engine.Kernels.Devices;
using Engine.Tensors;

namespace Engine.Optim;

/// <summary>
/// Every parameter of a model in one flat fp32 device buffer, and every gradient in a second one with the same
/// layout; each <see cref="Parameter"/> is a view into both. Parameters are registered first, then
/// <see cref="Allocate"/> lays them out: the weight-decayed ones form the segment [0, <see cref="DecayedCount"/>)
/// and the rest follow, each group in registration order, so an optimizer step is one launch per segment with
/// no per-element mask. Hidden matrices (<see cref="ParameterKind.HiddenMatrix"/>) are placed together in the middle,
/// decayed ones at the end of the decayed segment and the others at the start of the rest, so they also form one
/// range [<see cref="HiddenStart"/>, <see cref="HiddenEnd"/>) (Muon updates that range, AdamW the rest). Values start at zero; initializing them is the model's job.
/// Create the store outside any <see cref="TensorScope"/>: it owns its views until <see cref="Dispose"/>.
/// </summary>
public sealed class ParameterStore : IDisposable
{
    private readonly List<Parameter> _parameters = [];
    private readonly Dictionary<string, Parameter> _byName = new(StringComparer.Ordinal);
    private Tensor? _values;
    private Tensor? _grads;

    public ParameterStore(ComputeDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        Device = device;
    }

    public ComputeDevice Device { get; }

    /// <summary>Parameters in registration order.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    public bool IsAllocated => _values is not null;

    /// <summary>Total number of elements (both segments).</summary>
    public long Count { get; private set; }

    /// <summary>Elements of the weight-decayed segment, which starts at 0.</summary>
    public long DecayedCount { get; private set; }

    /// <summary>First element of the hidden-matrix range.</summary>
    public long HiddenStart { get; private set; }

    /// <summary>One past the last element of the hidden-matrix range (= <see cref="HiddenStart"/> when there is none).</summary>
    public long HiddenEnd { get; private set; }

    /// <summary>Every matrix the structured transforms see (row blocks split), in layout order (valid once allocated).</summary>
    public IReadOnlyList<HiddenMatrix> HiddenMatrices { get; private set; } = [];

    /// <summary>All values as one flat tensor of shape [<see cref="Count"/>].</summary>
    public Tensor Values => _values ?? throw NotAllocated();

    /// <summary>All gradients as one flat tensor of shape [<see cref="Count"/>].</summary>
    public Tensor Grads => _grads ?? throw NotAllocated();

    public Parameter this[string name] => _byName.TryGetValue(name, out var p)
        ? p
        : throw new KeyNotFoundException($"no parameter named '{name}' (registered: {_parameters.Count})");

    internal DeviceBuffer ValueBuffer => Values.Buffer;
    internal DeviceBuffer GradBuffer => Grads.Buffer;

    /// <summary>
    /// Declares a parameter. <paramref name="decay"/> defaults to rank ≥ 2 (matrices and embeddings decay;
    /// biases and norm gains do not). <paramref name="kind"/> marks the 2-D hidden matrices the structured optimizers
    /// work on; such a matrix may stack <paramref name="matrixBlocks"/> equal row blocks that they treat as separate
    /// matrices (q, k, v of one [3C, C] weight).
    /// </summary>
    public Parameter Register(string name, int[] shape, bool? decay = null, ParameterKind kind = ParameterKind.Other, int matrixBlocks = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (IsAllocated)
            throw new InvalidOperationException($"Register('{name}'): the store is already allocated; register every parameter first");
        ShapeMath.Validate(shape);
        if (_byName.ContainsKey(name))
            throw new ArgumentException($"Register: a parameter named '{name}' is already registered", nameof(name));
        if (!Enum.IsDefined(kind))
            throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Register('{name}'): {kind} is not a {nameof(ParameterKind)}");
        if (kind == ParameterKind.HiddenMatrix)
        {
            if (shape.Length != 2)
                throw new ArgumentException($"Register('{name}'): a hidden matrix must be 2-D, got shape {ShapeMath.Format(shape)}", nameof(shape));
            if (matrixBlocks < 1 || shape[0] % matrixBlocks != 0)
                throw new ArgumentOutOfRangeException(nameof(matrixBlocks), matrixBlocks,
                    $"Register('{name}'): {shape[0]} rows cannot be split into {matrixBlocks} equal row blocks");
        }
        else if (matrixBlocks != 1)
            throw new ArgumentOutOfRangeException(nameof(matrixBlocks), matrixBlocks, $"Register('{name}'): only a hidden matrix has row blocks");
        var p = new Parameter(name, (int[])shape.Clone(), decay ?? shape.Length >= 2, kind,
                              kind == ParameterKind.HiddenMatrix ? matrixBlocks : 0);
        _parameters.Add(p);
        _byName.Add(name, p);
        return p;
    }

    /// <summary>Lays out and allocates the value and gradient buffers (zero-filled) and binds every parameter's views.</summary>
    public void Allocate()
    {
        if (IsAllocated) throw new InvalidOperationException("the store is already allocated");
        long offset = 0;
        bool Hidden(Parameter p) => p.Kind == ParameterKind.HiddenMatrix;
        foreach (var p in _parameters.Where(p => p.Decay && !Hidden(p))) { p.Offset = offset; offset += p.Count; }
        HiddenStart = offset;
        foreach (var p in _parameters.Where(p => p.Decay && Hidden(p))) { p.Offset = offset; offset += p.Count; }
        DecayedCount = offset;
        foreach (var p in _parameters.Where(p => !p.Decay && Hidden(p))) { p.Offset = offset; offset += p.Count; }
        HiddenEnd = offset;
        foreach (var p in _parameters.Where(p => !p.Decay && !Hidden(p))) { p.Offset = offset; offset += p.Count; }
        HiddenMatrices = _parameters.Where(Hidden).OrderBy(p => p.Offset).SelectMany(p => p.Matrices()).ToArray();
        if (offset > int.MaxValue)
            throw new InvalidOperationException($"{offset} parameters exceed one tensor dimension ({int.MaxValue})");
        Count = offset;
        _values = Tensor.Zeros(Device, (int)Count);
        _grads = Tensor.Zeros(Device, (int)Count);
        foreach (var p in _parameters) p.Bind(this, _values, _grads);
    }

    public void ZeroGrads()
    {
        if (Count > 0) Device.Fill(new BufferSlice(GradBuffer, 0), Count, 0f);
    }

    /// <summary>The flat value buffer (layout of <see cref="Parameter.Offset"/>) on the host.</summary>
    public float[] ExportValues() => Values.ToArray();

    public void ImportValues(ReadOnlySpan<float> values) => Import(ValueBuffer, values, "ImportValues");

    public float[] ExportGrads() => Grads.ToArray();

    public void ImportGrads(ReadOnlySpan<float> grads) => Import(GradBuffer, grads, "ImportGrads");

    private void Import(DeviceBuffer buffer, ReadOnlySpan<float> data, string op)
    {
        if (data.Length != Count)
            throw new ArgumentException($"{op}: the store holds {Count} elements, got {data.Length}");
        if (Count > 0) Device.Write(new BufferSlice(buffer, 0), data);
    }

    private InvalidOperationException NotAllocated() =>
        new("the parameter store is not allocated yet: call Allocate() after registering every parameter");

    public void Dispose()
    {
        foreach (var p in _parameters) p.Release();
        _values?.Dispose();
        _grads?.Dispose();
    }
}
