using System.Numerics;
using Engine.Kernels.Devices;
using Engine.Kernels.Gpu;

namespace Engine.Kernels.OpenCl;

/// <summary>
/// One OpenCL device with its context and one in-order, profiling-enabled command queue.
/// Devices are heavy (context, queue, compiled programs): open them through <see cref="DeviceRegistry.Open"/>,
/// which hands out one shared instance per id. Dispose releases everything the device created.
/// The op kernels are <see cref="GpuDevice"/>'s; compile and launch live in OpenClDevice.Programs.cs and OpenClDevice.Launcher.cs.
/// </summary>
public sealed unsafe partial class OpenClDevice : GpuDevice
{
    private readonly nint _context;
    private readonly nint _queue;
    /// <summary>Guards queue state that OpenCL does not make thread-safe: kernel arguments, caches, pending events.</summary>
    private readonly Lock _sync = new();

    private bool _disposed;

    internal OpenClDevice(OpenClDeviceInfo info, string? kernelCacheDirectory = null) : base(kernelCacheDirectory)
    {
        Info = info;
        MaxWorkGroupSize = 1 << BitOperations.Log2((uint)Math.Clamp(info.MaxWorkGroupSize, 1, 256));
        var device = info.DeviceHandle;
        int status;
        _context = ClNative.clCreateContext(null, 1, &device, 0, 0, &status);
        ClError.Check(status, "clCreateContext");
        _queue = ClNative.clCreateCommandQueue(_context, device, Cl.QueueProfilingEnable, &status);
        if (status != Cl.Success)
        {
            ClNative.clReleaseContext(_context);
            ClError.Check(status, "clCreateCommandQueue");
        }
    }

    /// <summary>Everything the device reported at enumeration (versions, limits, fp64 support).</summary>
    public OpenClDeviceInfo Info { get; }

    public override DeviceKind Kind => DeviceKind.OpenCl;
    public override string Id => Info.Id;
    public override string Name => Info.Name;
    public override long MemoryBytes => Info.GlobalMemoryBytes;
    public string DriverVersion => Info.DriverVersion;
    public string PlatformName => Info.PlatformName;
    public string OpenClCVersion => Info.OpenClCVersion;
    public bool SupportsFp64 => Info.SupportsFp64;
    public override int ComputeUnits => Info.ComputeUnits;
    public override bool IsDisposed => _disposed;

    private protected override DeviceBuffer AllocateFilled(long length, float? fill)
    {
        ThrowIfDisposed();
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "buffer length must be >= 0");
        // OpenCL rejects zero-sized buffers; an empty buffer still owns one element of storage.
        var bytes = Math.Max(1, length) * sizeof(float);
        if (bytes > Info.MaxAllocationBytes)
            throw new ArgumentOutOfRangeException(nameof(length), length,
                $"{bytes} bytes exceed the largest single allocation {Id} allows ({Info.MaxAllocationBytes} bytes)");
        int status;
        var mem = ClNative.clCreateBuffer(_context, Cl.MemReadWrite, (nuint)bytes, null, &status);
        ClError.Check(status, $"clCreateBuffer({bytes} bytes)");
        var buffer = new OpenClBuffer(this, length, mem);
        if (fill is not { } value) return buffer;
        status = ClNative.clEnqueueFillBuffer(_queue, mem, &value, sizeof(float), 0, (nuint)bytes, 0, null, null);
        if (status != Cl.Success)
        {
            buffer.Dispose();
            ClError.Check(status, "clEnqueueFillBuffer");
        }
        return buffer;
    }

    public override void Write<T>(BufferSlice dst, ReadOnlySpan<T> src)
    {
        ThrowIfDisposed();
        var buffer = Own(dst.Buffer, nameof(dst));
        var bytes = CheckTransfer(buffer, dst.Offset, src.Length, sizeof(T), typeof(T), "Write", nameof(dst));
        if (bytes == 0) return;
        fixed (T* p = src)
            ClError.Check(ClNative.clEnqueueWriteBuffer(_queue, buffer.Handle, Cl.True, (nuint)(dst.Offset * sizeof(float)),
                                                        (nuint)bytes, p, 0, null, null), "clEnqueueWriteBuffer");
    }

    /// <summary>Blocking read: waits for every launch before it, so pending kernel timings are collected too.</summary>
    public override void Read<T>(BufferSlice src, Span<T> dst)
    {
        ThrowIfDisposed();
        var buffer = Own(src.Buffer, nameof(src));
        var bytes = CheckTransfer(buffer, src.Offset, dst.Length, sizeof(T), typeof(T), "Read", nameof(src));
        if (bytes > 0)
        {
            fixed (T* p = dst)
                ClError.Check(ClNative.clEnqueueReadBuffer(_queue, buffer.Handle, Cl.True, (nuint)(src.Offset * sizeof(float)),
                                                           (nuint)bytes, p, 0, null, null), "clEnqueueReadBuffer");
        }
        CollectProfile();
    }

    public override void Synchronize()
    {
        ThrowIfDisposed();
        ClError.Check(ClNative.clFinish(_queue), "clFinish");
        CollectProfile();
    }

    public override void Dispose()
    {
        lock (_sync)
        {
            if (_disposed) return;
            _disposed = true;
            ClError.Check(ClNative.clFinish(_queue), "clFinish");
            ReleasePendingEvents();
            ReleasePrograms();
            DisposeScratch();
            ClError.Check(ClNative.clReleaseCommandQueue(_queue), "clReleaseCommandQueue");
            ClError.Check(ClNative.clReleaseContext(_context), "clReleaseContext");
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>The buffer as this device's own type; buffers of other devices and disposed buffers are rejected.</summary>
    internal OpenClBuffer Own(DeviceBuffer buffer, string parameter)
    {
        if (buffer is not OpenClBuffer own || !ReferenceEquals(own.Device, this))
            throw new ArgumentException($"buffer belongs to device '{buffer.Device.Id}', not '{Id}'", parameter);
        own.ThrowIfDisposed();
        return own;
    }
}
