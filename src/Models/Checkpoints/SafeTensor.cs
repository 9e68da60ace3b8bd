using System.Runtime.InteropServices;

namespace Engine.Models.Checkpoints;

/// <summary>
/// One named tensor as stored in a safetensors file: dtype, row-major shape and little-endian element bytes.
/// Immutable: factories and accessors copy. Element bytes are reinterpreted in host order, which matches the
/// format on the little-endian hosts .NET runs this engine on (x64, arm64).
/// </summary>
public sealed class SafeTensor
{
    private readonly int[] _shape;
    private readonly byte[] _bytes;

    internal SafeTensor(string name, SafeTensorDType dtype, int[] shape, byte[] bytes)
    {
        Name = name;
        DType = dtype;
        _shape = shape;
        _bytes = bytes;
    }

    /// <summary>Name in the header, e.g. "model.wte" or "optim.m.model.wte".</summary>
    public string Name { get; }

    /// <summary>Element type.</summary>
    public SafeTensorDType DType { get; }

    /// <summary>Row-major dimensions; empty for a scalar.</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>Product of the dimensions (1 for a scalar).</summary>
    public long ElementCount => _bytes.LongLength / DType.ElementSize();

    /// <summary>The element bytes, little-endian.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>A float32 tensor; <paramref name="values"/> must hold exactly the product of <paramref name="shape"/> elements.</summary>
    public static SafeTensor FromSingles(string name, ReadOnlySpan<int> shape, ReadOnlySpan<float> values) =>
        Create(name, SafeTensorDType.F32, shape, values.Length, MemoryMarshal.AsBytes(values));

    /// <summary>An int32 tensor; <paramref name="values"/> must hold exactly the product of <paramref name="shape"/> elements.</summary>
    public static SafeTensor FromInt32s(string name, ReadOnlySpan<int> shape, ReadOnlySpan<int> values) =>
        Create(name, SafeTensorDType.I32, shape, values.Length, MemoryMarshal.AsBytes(values));

    /// <summary>The elements of an F32 tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not F32.</exception>
    public float[] ToSingles() => MemoryMarshal.Cast<byte, float>(Require(SafeTensorDType.F32)).ToArray();

    /// <summary>The elements of an I32 tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not I32.</exception>
    public int[] ToInt32s() => MemoryMarshal.Cast<byte, int>(Require(SafeTensorDType.I32)).ToArray();

    /// <summary>Element count of <paramref name="shape"/>, or -1 when it overflows a long or a dimension is negative.</summary>
    internal static long CountElements(ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int dim in shape)
        {
            if (dim < 0) return -1;
            try
            {
                count = checked(count * dim);
            }
            catch (OverflowException)
            {
                return -1;
            }
        }
        return count;
    }

    private static SafeTensor Create(string name, SafeTensorDType dtype, ReadOnlySpan<int> shape, int length, ReadOnlySpan<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(name);
        long expected = CountElements(shape);
        if (expected < 0)
            throw new ArgumentException($"Tensor '{name}' has invalid shape [{string.Join(", ", shape.ToArray())}].", nameof(shape));
        if (expected != length)
            throw new ArgumentException(
                $"Tensor '{name}' of shape [{string.Join(", ", shape.ToArray())}] needs {expected} elements; got {length}.", nameof(shape));
        return new SafeTensor(name, dtype, shape.ToArray(), bytes.ToArray());
    }

    private ReadOnlySpan<byte> Require(SafeTensorDType dtype)
    {
        if (DType != dtype) throw new InvalidOperationException($"Tensor '{Name}' is {DType}, not {dtype}.");
        return _bytes;
    }
}
