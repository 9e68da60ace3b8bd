using Engine.Kernels.Devices;

namespace Engine.Tensors;

/// <summary>
/// The device buffer behind one or more tensors. A tensor and every view of it hold one reference each;
/// the buffer is released when the last of them is disposed, so disposing a view never frees memory its
/// base still uses, and disposing the base never pulls memory from under a live view.
/// </summary>
internal sealed class TensorStorage
{
    private int _references;

    public TensorStorage(DeviceBuffer buffer, DType dtype)
    {
        Buffer = buffer;
        DType = dtype;
        _references = 1;
    }

    public DeviceBuffer Buffer { get; }
    public DType DType { get; }
    public ComputeDevice Device => Buffer.Device;

    public void AddReference() => Interlocked.Increment(ref _references);

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0) Buffer.Dispose();
    }
}
