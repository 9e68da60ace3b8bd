using Engine.Kernels.Devices;

namespace Engine.Tensors;

/// <summary>
/// An n-dimensional array on one device: shape, element strides and an offset into a shared storage.
/// fp32 by default; int32 tensors carry indices and targets; bfloat16 tensors are storage: views, Clone, To, ToArray (widened)
/// and fused programs take them, <see cref="Cast"/> converts, and every compute op refuses them. Views (reshape, transpose, slice) share
/// storage with their base. Device memory is released by <see cref="Dispose"/> (or a <see cref="TensorScope"/>),
/// never by the GC.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private readonly TensorStorage _storage;
    private readonly int[] _shape;
    private readonly long[] _strides;
    private bool _disposed;

    private Tensor(TensorStorage storage, int[] shape, long[] strides, long offset)
    {
        _storage = storage;
        _shape = shape;
        _strides = strides;
        Offset = offset;
        TensorScope.Track(this);
    }

    /// <summary>A fresh dense tensor owning new (zero-filled) storage.</summary>
    internal static Tensor Allocate(ComputeDevice device, ReadOnlySpan<int> shape, DType dtype = DType.Float32) =>
        Allocate(device, shape, dtype, zeroed: true);

    /// <summary>
    /// A fresh dense tensor whose storage is not zero-filled: only for a result the next kernel writes in every element
    /// (see <see cref="ComputeDevice.AllocateUninitialized"/>).
    /// </summary>
    internal static Tensor AllocateForOutput(ComputeDevice device, ReadOnlySpan<int> shape, DType dtype = DType.Float32) =>
        Allocate(device, shape, dtype, zeroed: false);

    private static Tensor Allocate(ComputeDevice device, ReadOnlySpan<int> shape, DType dtype, bool zeroed)
    {
        ShapeMath.Validate(shape);
        long count = ShapeMath.Count(shape);
        long units = dtype.Units(count);
        var buffer = zeroed ? device.Allocate(units) : device.AllocateUninitialized(units);
        return new Tensor(new TensorStorage(buffer, dtype), shape.ToArray(), ShapeMath.ContiguousStrides(shape), 0);
    }

    /// <summary>A new view of this tensor's storage.</summary>
    internal Tensor View(int[] shape, long[] strides, long offset)
    {
        ThrowIfDisposed();
        _storage.AddReference();
        return new Tensor(_storage, shape, strides, offset);
    }

    public ComputeDevice Device => _storage.Device;
    public DType DType => _storage.DType;
    public ReadOnlySpan<int> Shape => _shape;
    public ReadOnlySpan<long> Strides => _strides;
    public long Offset { get; }
    public int Rank => _shape.Length;
    public long Count => ShapeMath.Count(_shape);
    public bool IsDisposed => _disposed;

    /// <summary>Size of dimension <paramref name="axis"/> (negative counts from the end).</summary>
    public int Size(int axis) => _shape[ShapeMath.Axis(axis, Rank, _shape, "Size")];

    /// <summary>True when the elements are laid out densely in row-major order.</summary>
    public bool IsContiguous
    {
        get
        {
            long expected = 1;
            for (int i = _shape.Length - 1; i >= 0; i--)
            {
                if (_shape[i] != 1 && _strides[i] != expected) return false;
                expected *= _shape[i];
            }
            return true;
        }
    }

    internal DeviceBuffer Buffer
    {
        get { ThrowIfDisposed(); return _storage.Buffer; }
    }

    internal BufferSlice DataSlice => new(Buffer, Offset);

    internal StridedSlice Strided => new(Buffer, Offset, Array.ConvertAll(_shape, d => (long)d), _strides.ToArray());

    internal int[] ShapeArray => _shape;

    public void ThrowIfDisposed()
    {
        if (_disposed)
            throw new ObjectDisposedException(nameof(Tensor),
                $"a tensor of shape {ShapeMath.Format(_shape)} on '{_storage.Device.Id}' was used after it was disposed");
        _storage.Buffer.ThrowIfDisposed();
    }

    /// <summary>For ops that move 4-byte elements as they are (copies, fills, host transfers).</summary>
    internal void RequireFourByte(string op)
    {
        if (DType.Size() != 4)
            throw new ArgumentException($"{op}: not defined for {DType} tensors (shape {ShapeMath.Format(_shape)}); Cast(DType.Float32) first");
    }

    internal void RequireDType(DType dtype, string op)
    {
        if (DType != dtype)
            throw new ArgumentException($"{op}: expected a {dtype} tensor, got {DType} of shape {ShapeMath.Format(_shape)}");
    }

    internal void RequireSameDevice(Tensor other, string op)
    {
        if (!ReferenceEquals(Device, other.Device))
            throw new ArgumentException($"{op}: tensors live on different devices ('{Device.Id}' and '{other.Device.Id}'); move one with To(device)");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _storage.Release();
    }

    public override string ToString() =>
        $"Tensor({ShapeMath.Format(_shape)}, {DType}, {(_disposed ? "disposed" : _storage.Device.Id)})";
}
