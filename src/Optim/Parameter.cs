using Engine.Kernels.Devices;
using Engine.Tensors;

namespace Engine.Optim;

/// <summary>
/// One named trainable tensor of a <see cref="ParameterStore"/>: a view of the store's flat value buffer and
/// a view of its flat gradient buffer at the same <see cref="Offset"/>. The views exist once the store is allocated.
/// </summary>
public sealed class Parameter
{
    private readonly int[] _shape;
    private ParameterStore? _allocatedIn;
    private Tensor? _value;
    private Tensor? _grad;

    internal Parameter(string name, int[] shape, bool decay, ParameterKind kind, int matrixBlocks)
    {
        Name = name;
        _shape = shape;
        Decay = decay;
        Kind = kind;
        MatrixBlocks = matrixBlocks;
        Count = ShapeMath.Count(shape);
    }

    public string Name { get; }
    public IReadOnlyList<int> Shape => _shape;
    public long Count { get; }

    /// <summary>Whether weight decay applies (by default: rank ≥ 2, as nanoGPT's parameter groups).</summary>
    public bool Decay { get; }

    /// <summary>Whether the structured optimizers treat this parameter as a 2-D hidden matrix.</summary>
    public ParameterKind Kind { get; }

    /// <summary>For a hidden matrix, how many equal row blocks it stacks (each its own matrix to the methods); else 0.</summary>
    public int MatrixBlocks { get; }

    /// <summary>The matrices the structured transforms see in this parameter: one per row block; none for other kinds.</summary>
    public IEnumerable<HiddenMatrix> Matrices()
    {
        if (Kind != ParameterKind.HiddenMatrix) yield break;
        int rows = _shape[0] / MatrixBlocks, cols = _shape[1];
        for (int b = 0; b < MatrixBlocks; b++)
            yield return new HiddenMatrix(MatrixBlocks == 1 ? Name : $"{Name}[{b}]", Offset + (long)b * rows * cols, rows, cols);
    }

    /// <summary>First element in the store's flat buffers (valid once the store is allocated).</summary>
    public long Offset { get; internal set; }

    public Tensor Value => _value ?? throw NotAllocated();
    public Tensor Grad => _grad ?? throw NotAllocated();

    /// <summary>Copies <paramref name="values"/> (row-major, <see cref="Count"/> elements) into the parameter.</summary>
    public void Write(ReadOnlySpan<float> values) => WriteInto(Store.ValueBuffer, values, "Write");

    /// <summary>Copies <paramref name="values"/> into the parameter's gradient.</summary>
    public void WriteGrad(ReadOnlySpan<float> values) => WriteInto(Store.GradBuffer, values, "WriteGrad");

    public float[] Read() => Value.ToArray();
    public float[] ReadGrad() => Grad.ToArray();

    internal void Bind(ParameterStore store, Tensor flatValues, Tensor flatGrads)
    {
        _allocatedIn = store;
        _value = View(flatValues);
        _grad = View(flatGrads);
    }

    internal void Release()
    {
        _value?.Dispose();
        _grad?.Dispose();
    }

    private Tensor View(Tensor flat)
    {
        using var segment = flat.Slice(0, checked((int)Offset), checked((int)Count));
        return segment.Reshape(_shape);
    }

    private ParameterStore Store => _allocatedIn ?? throw NotAllocated();

    private void WriteInto(DeviceBuffer buffer, ReadOnlySpan<float> values, string op)
    {
        if (values.Length != Count)
            throw new ArgumentException(
                $"{op}: parameter '{Name}' of shape {ShapeMath.Format(_shape)} holds {Count} elements, got {values.Length}");
        if (Count > 0) buffer.Device.Write(new BufferSlice(buffer, Offset), values);
    }

    private InvalidOperationException NotAllocated() =>
        new($"parameter '{Name}' has no storage yet: call ParameterStore.Allocate() after registering every parameter");

    public override string ToString() =>
        $"{Name} {ShapeMath.Format(_shape)}{(Decay ? " decay" : "")}{(Kind == ParameterKind.HiddenMatrix ? " hidden" : "")}";
}
