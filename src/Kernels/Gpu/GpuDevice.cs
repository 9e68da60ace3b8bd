using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;
using Engine.Kernels.Profiling;

namespace Engine.Kernels.Gpu;

/// <summary>
/// What the GPU backends (OpenCL, CUDA) share: the op kernels (GpuDevice.Ops*.cs, written once against the portable
/// sources), launch validation, scratch buffers and host-transfer checks. A backend supplies memory, transfers,
/// compilation and the raw enqueue of one launch.
/// </summary>
public abstract partial class GpuDevice : ComputeDevice, IKernelLauncher
{
    private readonly Dictionary<string, DeviceBuffer> _scratch = new();
    private readonly Lock _scratchSync = new();

    public Lock ScratchLock { get; } = new();

    public abstract KernelDialect Dialect { get; }

    /// <summary>Whether <see cref="ComputeDevice.Dispose"/> has run: <see cref="DeviceRegistry"/> then opens a fresh one.</summary>
    public abstract bool IsDisposed { get; }

    /// <summary>Largest 1-D work-group (block) every kernel may use here, capped at 256; a power of two.</summary>
    public abstract int MaxWorkGroupSize { get; }

    /// <summary>
    /// Eight work-groups per compute unit (a GPU keeps several resident on each multiprocessor; 64 groups left an H100's
    /// reductions at a sixth of its bandwidth), at least 64 and at most 2048.
    /// </summary>
    public int ReductionGroups => Math.Clamp(ComputeUnits * 8, 64, 2048);

    /// <summary>Compute units (OpenCL) or multiprocessors (CUDA) of the device.</summary>
    public abstract int ComputeUnits { get; }

    public sealed override DeviceBuffer Allocate(long length) => AllocateFilled(length, 0f);

    public sealed override DeviceBuffer AllocateUninitialized(long length) => AllocateFilled(length, UninitializedFill);

    /// <summary>A new buffer of <paramref name="length"/> 4-byte elements, each set to <paramref name="fill"/> unless it is null.</summary>
    private protected abstract DeviceBuffer AllocateFilled(long length, float? fill);

    public override void RunFused(FusedProgram program, FusedLaunch launch) => program.ExecuteOnGpu(launch, this);

    public void Launch(CompiledKernel kernel, ReadOnlySpan<long> globalSize, ReadOnlySpan<long> localSize, ReadOnlySpan<KernelArg> args)
        => Launch(kernel, globalSize, localSize, args, kernel.Name, default);

    /// <summary>
    /// <see cref="Launch(CompiledKernel, ReadOnlySpan{long}, ReadOnlySpan{long}, ReadOnlySpan{KernelArg})"/> that also tells the
    /// profiler how many bytes and flops the launch moves and computes, so <see cref="KernelProfiler.Summary"/> can report rates.
    /// </summary>
    public void Launch(CompiledKernel kernel, ReadOnlySpan<long> globalSize, ReadOnlySpan<long> localSize,
                       ReadOnlySpan<KernelArg> args, KernelWork work)
        => Launch(kernel, globalSize, localSize, args, kernel.Name, work);

    /// <inheritdoc cref="IKernelLauncher.Launch(CompiledKernel, ReadOnlySpan{long}, ReadOnlySpan{long}, ReadOnlySpan{KernelArg}, string, KernelWork)"/>
    public void Launch(CompiledKernel kernel, ReadOnlySpan<long> globalSize, ReadOnlySpan<long> localSize,
                       ReadOnlySpan<KernelArg> args, string profileName, KernelWork work)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(profileName);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (kernel is not GpuKernel own || !ReferenceEquals(own.Device, this))
            throw new ArgumentException($"kernel '{kernel.Name}' was not compiled by device '{Id}'", nameof(kernel));
        var dims = globalSize.Length;
        if (dims is < 1 or > 3)
            throw new ArgumentException($"kernel '{kernel.Name}': a launch has 1 to 3 dimensions, got {dims}", nameof(globalSize));
        if (localSize.Length != 0 && localSize.Length != dims)
            throw new ArgumentException($"kernel '{kernel.Name}': local size has {localSize.Length} dimensions, global size {dims}", nameof(localSize));
        for (var d = 0; d < dims; d++)
        {
            if (globalSize[d] < 0)
                throw new ArgumentOutOfRangeException(nameof(globalSize), $"kernel '{kernel.Name}': global size[{d}] = {globalSize[d]} is negative");
            if (localSize.Length != 0 && (localSize[d] <= 0 || globalSize[d] % localSize[d] != 0))
                throw new ArgumentException(
                    $"kernel '{kernel.Name}': global size[{d}] = {globalSize[d]} is not a positive multiple of local size[{d}] = {localSize[d]}",
                    nameof(localSize));
        }
        foreach (var g in globalSize)
            if (g == 0) return; // nothing to run; the APIs reject an empty range
        Enqueue(own, globalSize, localSize, args, profileName, work);
    }

    /// <summary>
    /// Enqueues one launch whose sizes <see cref="Launch(CompiledKernel, ReadOnlySpan{long}, ReadOnlySpan{long}, ReadOnlySpan{KernelArg}, string, KernelWork)"/>
    /// has checked (the device's own kernel; 1 to 3 dimensions, none empty, each a multiple of its local size when one is given).
    /// </summary>
    private protected abstract void Enqueue(GpuKernel kernel, ReadOnlySpan<long> globalSize, ReadOnlySpan<long> localSize,
                                            ReadOnlySpan<KernelArg> args, string profileName, KernelWork work);

    public DeviceBuffer Scratch(string purpose, long length)
    {
        DeviceBuffer? outgrown;
        DeviceBuffer buffer;
        lock (_scratchSync)
        {
            if (_scratch.TryGetValue(purpose, out outgrown) && outgrown.Length >= length) return outgrown;
            // Grow geometrically so a slowly rising demand does not reallocate on every call.
            buffer = Allocate(Math.Max(length, (outgrown?.Length ?? 0) * 2));
            _scratch[purpose] = buffer;
        }
        // Outside the lock: a backend's release may take its own lock, which its Dispose holds while it frees scratch.
        outgrown?.Dispose();
        return buffer;
    }

    /// <summary>Frees the scratch buffers; a backend calls it while disposing, before it frees the context.</summary>
    private protected void DisposeScratch()
    {
        lock (_scratchSync)
        {
            foreach (var buffer in _scratch.Values) buffer.Dispose();
            _scratch.Clear();
        }
    }

    /// <summary>
    /// Checks a host transfer of <paramref name="count"/> values of <paramref name="type"/> at element
    /// <paramref name="offset"/> and returns its size in bytes, a whole number of 4-byte elements inside the buffer.
    /// </summary>
    private protected static long CheckTransfer(DeviceBuffer buffer, long offset, int count, int elementSize, Type type,
                                                string op, string parameter)
    {
        var bytes = (long)count * elementSize;
        if (bytes % sizeof(float) != 0)
            throw new ArgumentException(
                $"{op} of {count} {type.Name} is {bytes} bytes, not a whole number of 4-byte elements", parameter);
        var capacity = buffer.Length * sizeof(float);
        if (offset < 0 || offset * sizeof(float) + bytes > capacity)
            throw new ArgumentOutOfRangeException(parameter,
                $"{op} of elements [{offset}, {offset + bytes / sizeof(float)}) ({count} {type.Name} at element offset {offset}) does not fit a buffer of length {buffer.Length}");
        return bytes;
    }
}
