using System.Runtime.InteropServices;
using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;
using Engine.Kernels.Profiling;

namespace Engine.Kernels.Cpu;

/// <summary>
/// The host CPU as a compute device: buffers are aligned host memory, every op runs synchronously on the
/// calling thread (fanned out over all cores when the work is large enough). The op kernels live in the
/// other parts of this class, one concept per file. While <see cref="KernelProfiler"/> is on, each op records its
/// host time with its minimal memory traffic (every operand read or written once) and flops, as the OpenCL ops do.
/// </summary>
public sealed unsafe partial class CpuDevice : ComputeDevice
{
    public CpuDevice()
    {
        Name = $"{CpuInfo.ModelName()} ({Environment.ProcessorCount} cores)";
        MemoryBytes = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    public override DeviceKind Kind => DeviceKind.Cpu;
    public override string Id => "cpu";
    public override string Name { get; }
    public override long MemoryBytes { get; }

    /// <summary>Released buffers are kept for reuse up to 2 GiB or an eighth of the memory, whichever is smaller.</summary>
    private readonly CpuMemoryPool _pool = new(Math.Min(2L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 8));

    public override DeviceBuffer Allocate(long length) => new CpuBuffer(this, _pool, length, 0f);

    public override DeviceBuffer AllocateUninitialized(long length) => new CpuBuffer(this, _pool, length, UninitializedFill);

    protected override long PooledBytes => _pool.CachedBytes;

    public override void Write<T>(BufferSlice dst, ReadOnlySpan<T> src)
    {
        var bytes = MemoryMarshal.AsBytes(src);
        var target = (byte*)Elements(dst, ElementCount<T>(src.Length, nameof(src)), nameof(dst));
        bytes.CopyTo(new Span<byte>(target, bytes.Length));
    }

    public override void Read<T>(BufferSlice src, Span<T> dst)
    {
        var bytes = MemoryMarshal.AsBytes(dst);
        var source = (byte*)Elements(src, ElementCount<T>(dst.Length, nameof(dst)), nameof(src));
        new ReadOnlySpan<byte>(source, bytes.Length).CopyTo(bytes);
    }

    /// <summary>Every op has finished when it returns, so there is nothing to wait for.</summary>
    public override void Synchronize() { }

    public override void RunFused(FusedProgram program, FusedLaunch launch) => program.ExecuteOnCpu(launch);

    /// <summary>Buffers are owned (and freed) by their holders; the device itself holds no memory.</summary>
    /// <summary>Frees the memory the pool keeps; buffers still alive stay valid and are freed when disposed.</summary>
    public override void Dispose() => _pool.Close();

    /// <summary>Profiler figures for an op that moves <paramref name="elements"/> 4-byte elements.</summary>
    private static KernelWork Traffic(long elements, double flops = 0) => new(elements * sizeof(float), flops);

    private static long ElementCount<T>(int length, string name) where T : unmanaged
    {
        long bytes = (long)length * sizeof(T);
        if (bytes % sizeof(float) != 0)
            throw new ArgumentException(
                $"{name} holds {bytes} bytes ({length} x {typeof(T).Name}), not a whole number of 4-byte elements", name);
        return bytes / sizeof(float);
    }

    /// <summary>
    /// Start of <paramref name="count"/> elements at <paramref name="slice"/>, after checking that the buffer
    /// belongs to this device, is alive, and holds the whole range.
    /// </summary>
    internal float* Elements(BufferSlice slice, long count, string name)
    {
        var buffer = Own(slice.Buffer, name);
        if (count < 0)
            throw new ArgumentOutOfRangeException(name, count, $"{name}: element count must be >= 0");
        if (slice.Offset < 0 || slice.Offset > buffer.Length || count > buffer.Length - slice.Offset)
            throw new ArgumentOutOfRangeException(name,
                $"{name}: elements [{slice.Offset}, {slice.Offset + count}) lie outside the buffer of length {buffer.Length}");
        return buffer.Pointer + slice.Offset;
    }

    internal int* IntElements(BufferSlice slice, long count, string name) => (int*)Elements(slice, count, name);

    private CpuBuffer Own(DeviceBuffer buffer, string name)
    {
        ArgumentNullException.ThrowIfNull(buffer, name);
        buffer.ThrowIfDisposed();
        if (buffer is not CpuBuffer cpu || !ReferenceEquals(buffer.Device, this))
            throw new ArgumentException(
                $"{name}: the buffer belongs to device '{buffer.Device.Id}', not to this cpu device", name);
        return cpu;
    }
}
