using Engine.Kernels.Devices;
using Engine.Kernels.Gpu;

namespace Engine.Kernels.Cuda;

/// <summary>
/// One CUDA device: its primary context and one stream every launch and transfer goes through, in order. Memory comes
/// from the device's stream-ordered pool (cuMemAllocAsync), so freeing a buffer that queued launches still use is
/// safe and a training step's temporaries are reused without a round trip to the driver. Kernels are the portable
/// sources compiled by NVRTC for the device's own architecture (CudaDevice.Programs.cs); the op kernels are
/// <see cref="GpuDevice"/>'s. Open devices through <see cref="DeviceRegistry.Open"/>, which shares one per id.
/// </summary>
public sealed unsafe partial class CudaDevice : GpuDevice
{
    private readonly nint _context;
    private readonly nint _stream;
    private readonly nint _pool;
    private readonly Lock _sync = new();
    private bool _disposed;
    /// <summary>Set once the primary context is released: buffers disposed later go back through another holder, if any.</summary>
    private bool _contextReleased;

    internal CudaDevice(CudaDeviceInfo info, string? kernelCacheDirectory = null) : base(kernelCacheDirectory)
    {
        Info = info;
        MaxWorkGroupSize = 1 << int.Log2(Math.Clamp(info.MaxThreadsPerBlock, 1, 256));
        nint context;
        CudaError.Check(CudaNative.cuDevicePrimaryCtxRetain(&context, info.Handle), $"cuDevicePrimaryCtxRetain({Id})");
        _context = context;
        Enter();
        nint stream;
        CudaError.Check(CudaNative.cuStreamCreate(&stream, Cu.StreamNonBlocking), "cuStreamCreate");
        _stream = stream;
        if (info.SupportsMemoryPools)
        {
            nint pool;
            CudaError.Check(CudaNative.cuDeviceGetDefaultMemPool(&pool, info.Handle), "cuDeviceGetDefaultMemPool");
            // Keep freed memory in the pool instead of returning it at every synchronization.
            ulong keepAll = ulong.MaxValue;
            CudaError.Check(CudaNative.cuMemPoolSetAttribute(pool, Cu.MemPoolReleaseThreshold, &keepAll), "cuMemPoolSetAttribute");
            _pool = pool;
        }
    }

    /// <summary>Everything the device reported at enumeration (compute capability, memory, versions).</summary>
    public CudaDeviceInfo Info { get; }

    public override DeviceKind Kind => DeviceKind.Cuda;
    public override string Id => Info.Id;
    public override string Name => Info.Name;
    public override long MemoryBytes => Info.GlobalMemoryBytes;
    public override bool IsDisposed => _disposed;
    public override int ComputeUnits => Info.Multiprocessors;

    /// <summary>Bytes the pool holds beyond those in live allocations (all device memory, not only this instance's).</summary>
    protected override long PooledBytes
    {
        get
        {
            if (_pool == 0 || _disposed) return 0;
            Enter();
            ulong reserved, used;
            CudaError.Check(CudaNative.cuMemPoolGetAttribute(_pool, Cu.MemPoolReservedMemCurrent, &reserved), "cuMemPoolGetAttribute");
            CudaError.Check(CudaNative.cuMemPoolGetAttribute(_pool, Cu.MemPoolUsedMemCurrent, &used), "cuMemPoolGetAttribute");
            return (long)(reserved - Math.Min(reserved, used));
        }
    }

    /// <summary>Makes this device's context current on the calling thread (the driver keeps one per thread).</summary>
    private void Enter()
    {
        nint current;
        CudaError.Check(CudaNative.cuCtxGetCurrent(&current), "cuCtxGetCurrent");
        if (current != _context) CudaError.Check(CudaNative.cuCtxSetCurrent(_context), $"cuCtxSetCurrent({Id})");
    }

    private protected override DeviceBuffer AllocateFilled(long length, float? fill)
    {
        ThrowIfDisposed();
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "buffer length must be >= 0");
        // An empty buffer still owns one element, as on OpenCL: every buffer has a distinct, valid address.
        var elements = Math.Max(1, length);
        var bytes = elements * sizeof(float);
        if (bytes > Info.GlobalMemoryBytes)
            throw new ArgumentOutOfRangeException(nameof(length), length,
                $"{bytes} bytes exceed the {Info.GlobalMemoryBytes} bytes of memory of {Id} ({Name})");
        Enter();
        ulong pointer;
        var call = $"{(_pool != 0 ? "cuMemAllocAsync" : "cuMemAlloc")}({bytes} bytes on {Id})";
        CudaError.Check(_pool != 0 ? CudaNative.cuMemAllocAsync(&pointer, (nuint)bytes, _stream)
                                   : CudaNative.cuMemAlloc_v2(&pointer, (nuint)bytes), call);
        var buffer = new CudaBuffer(this, length, pointer);
        if (fill is not { } value) return buffer;
        var status = CudaNative.cuMemsetD32Async(pointer, BitConverter.SingleToUInt32Bits(value), (nuint)elements, _stream);
        if (status != Cu.Success)
        {
            buffer.Dispose();
            CudaError.Check(status, "cuMemsetD32Async");
        }
        return buffer;
    }

    /// <summary>
    /// Returns a buffer's memory. After <see cref="Dispose"/> released the primary context, the memory went with it, unless
    /// another holder (a second instance on the same device) keeps the context alive: then it is freed there.
    /// </summary>
    internal void Free(ulong pointer)
    {
        lock (_sync)
        {
            if (_contextReleased)
            {
                uint flags;
                int active;
                if (CudaNative.cuDevicePrimaryCtxGetState(Info.Handle, &flags, &active) != Cu.Success || active == 0) return;
                Enter();
                CudaError.Check(CudaNative.cuMemFree_v2(pointer), "cuMemFree");
                return;
            }
            Enter();
            if (_pool != 0)
            {
                CudaError.Check(CudaNative.cuMemFreeAsync(pointer, _stream), "cuMemFreeAsync");
                return;
            }
            // Without a pool, cuMemFree does not wait for this stream's launches: drain it first.
            CudaError.Check(CudaNative.cuStreamSynchronize(_stream), "cuStreamSynchronize");
            CudaError.Check(CudaNative.cuMemFree_v2(pointer), "cuMemFree");
        }
    }

    /// <summary>Returns once the data has left <paramref name="src"/> (the driver stages pageable memory), in stream order.</summary>
    public override void Write<T>(BufferSlice dst, ReadOnlySpan<T> src)
    {
        ThrowIfDisposed();
        var buffer = Own(dst.Buffer, nameof(dst));
        var bytes = CheckTransfer(buffer, dst.Offset, src.Length, sizeof(T), typeof(T), "Write", nameof(dst));
        if (bytes == 0) return;
        lock (_sync)   // as for launches: a buffer disposed meanwhile throws here or is freed after the copy
        {
            Enter();
            fixed (T* p = src)
                CudaError.Check(CudaNative.cuMemcpyHtoDAsync_v2(buffer.Pointer + (ulong)(dst.Offset * sizeof(float)), p, (nuint)bytes, _stream),
                                "cuMemcpyHtoDAsync");
        }
    }

    /// <summary>Blocking read: waits for every launch before it, so pending kernel timings are collected too.</summary>
    public override void Read<T>(BufferSlice src, Span<T> dst)
    {
        ThrowIfDisposed();
        var buffer = Own(src.Buffer, nameof(src));
        var bytes = CheckTransfer(buffer, src.Offset, dst.Length, sizeof(T), typeof(T), "Read", nameof(src));
        fixed (T* p = dst)
        {
            lock (_sync)
            {
                Enter();
                if (bytes > 0)
                    CudaError.Check(CudaNative.cuMemcpyDtoHAsync_v2(p, buffer.Pointer + (ulong)(src.Offset * sizeof(float)), (nuint)bytes, _stream),
                                    "cuMemcpyDtoHAsync");
            }
            CudaError.Check(CudaNative.cuStreamSynchronize(_stream), "cuStreamSynchronize");
        }
        CollectProfile();
    }

    public override void Synchronize()
    {
        ThrowIfDisposed();
        Enter();
        CudaError.Check(CudaNative.cuStreamSynchronize(_stream), "cuStreamSynchronize");
        CollectProfile();
    }

    /// <summary>
    /// Refuses new work first, then drains the stream and frees what the device made; the stream and the context are
    /// released even when draining fails (a kernel fault leaves the context unusable, and it must not be handed out again).
    /// </summary>
    public override void Dispose()
    {
        lock (_sync)
        {
            if (_disposed) return;
            _disposed = true;
            try
            {
                Enter();
                CudaError.Check(CudaNative.cuStreamSynchronize(_stream), "cuStreamSynchronize");
                ReleasePendingEvents();
                DisposeScratch();
                ReleasePrograms();
                if (_pool != 0) CudaError.Check(CudaNative.cuMemPoolTrimTo(_pool, 0), "cuMemPoolTrimTo");
                CudaError.Check(CudaNative.cuStreamSynchronize(_stream), "cuStreamSynchronize");
            }
            finally
            {
                // Best effort: after a fault these fail too, and the fault is what the caller needs to see.
                CudaNative.cuStreamDestroy_v2(_stream);
                CudaNative.cuDevicePrimaryCtxRelease_v2(Info.Handle);
                _contextReleased = true;
            }
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>The buffer as this device's own type; buffers of other devices and disposed buffers are rejected.</summary>
    private CudaBuffer Own(DeviceBuffer buffer, string parameter)
    {
        if (buffer is not CudaBuffer own || !ReferenceEquals(own.Device, this))
            throw new ArgumentException($"buffer belongs to device '{buffer.Device.Id}', not '{Id}'", parameter);
        own.ThrowIfDisposed();
        return own;
    }
}
