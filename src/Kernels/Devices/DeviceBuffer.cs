namespace Engine.Kernels.Devices;

/// <summary>
/// A block of device memory holding <see cref="Length"/> 4-byte elements (fp32 or int32).
/// Released deterministically by <see cref="Dispose"/>: the GC cannot see device memory,
/// so there is no finalizer to fall back on. A backend's buffer has its memory before this constructor runs: the
/// constructor counts it in <see cref="ComputeDevice.GetMemoryInfo"/>, so a failed allocation must not get this far.
/// </summary>
public abstract class DeviceBuffer : IDisposable
{
    protected DeviceBuffer(ComputeDevice device, long length)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "buffer length must be >= 0");
        Device = device;
        Length = length;
        device.Memory.Allocated(Bytes);
    }

    public ComputeDevice Device { get; }

    /// <summary>Number of 4-byte elements.</summary>
    public long Length { get; }

    private int _disposed;

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    private long Bytes => Length * sizeof(float);

    public void ThrowIfDisposed()
    {
        if (IsDisposed)
            throw new ObjectDisposedException(GetType().Name,
                $"a {Length}-element buffer on device '{Device.Name}' was used after it was disposed");
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;   // once, even when two threads dispose it
        try
        {
            Release();
        }
        finally
        {
            Device.Memory.Released(Bytes);
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the native memory; called exactly once.</summary>
    protected abstract void Release();
}
