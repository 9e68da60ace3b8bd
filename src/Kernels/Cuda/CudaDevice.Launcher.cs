using System.Diagnostics;
using Engine.Kernels.Devices;
using Engine.Kernels.Gpu;
using Engine.Kernels.Profiling;

namespace Engine.Kernels.Cuda;

/// <summary>Kernel launches and kernel timing of a <see cref="CudaDevice"/>.</summary>
public sealed unsafe partial class CudaDevice
{
    /// <summary>Timed launches not yet read back; bounded so a program that never synchronizes does not grow it forever.</summary>
    private const int MaxPendingEvents = 256;

    private readonly List<PendingLaunch> _pending = new();

    /// <summary>
    /// The event recorded just before the first timed launch of a batch, and the host clock read just before it was
    /// recorded: the event completes no earlier, so a launch's host-clock start is at least base + (start − event).
    /// </summary>
    private (nint Event, long HostTimestamp) _batchBase;

    /// <summary>A timed launch: its start and end events, and what to record it as.</summary>
    private readonly record struct PendingLaunch(nint Start, nint End, string Kernel, KernelWork Work);

    public override KernelDialect Dialect => KernelDialect.Cuda;

    /// <summary>min(threads per block, 256) rounded down to a power of two.</summary>
    public override int MaxWorkGroupSize { get; }

    private protected override void Enqueue(GpuKernel kernel, ReadOnlySpan<long> globalSize, ReadOnlySpan<long> localSize,
                                            ReadOnlySpan<KernelArg> args, string profileName, KernelWork work)
    {
        Span<uint> grid = [1, 1, 1];
        Span<uint> block = [1, 1, 1];
        Span<long> gridLimit = [int.MaxValue, Info.MaxGridY, Info.MaxGridZ];
        for (int d = 0; d < globalSize.Length; d++)
        {
            long local = localSize.Length != 0 ? localSize[d] : d == 0 ? BlockFor(globalSize[0]) : 1;
            long groups = globalSize[d] / local;
            if (groups > gridLimit[d])
                throw new ArgumentException(
                    $"kernel '{kernel.Name}': {groups} blocks in dimension {d} exceed the {gridLimit[d]} that {Id} allows", nameof(globalSize));
            grid[d] = (uint)groups;
            block[d] = (uint)local;
        }
        if (block[0] * block[1] * block[2] > Info.MaxThreadsPerBlock)
            throw new ArgumentException(
                $"kernel '{kernel.Name}': a block of {block[0]} x {block[1]} x {block[2]} threads exceeds the {Info.MaxThreadsPerBlock} that {Id} allows",
                nameof(localSize));

        // cuLaunchKernel takes a pointer to each argument's value: the values live in one stack block.
        var values = stackalloc ulong[args.Length];
        var pointers = stackalloc void*[args.Length];
        lock (_sync)
        {
            ThrowIfDisposed();
            // Inside the lock: a buffer disposed by another thread either throws here or is freed after this launch.
            for (int i = 0; i < args.Length; i++)
            {
                values[i] = ArgValue(kernel, i, args[i]);
                pointers[i] = &values[i];
            }
            Enter();
            var timed = KernelProfiler.Enabled;
            nint start = 0, end = 0;
            if (timed)
            {
                if (_pending.Count == 0)
                {
                    long host = Stopwatch.GetTimestamp();
                    _batchBase = (RecordEvent(), host);
                }
                start = RecordEvent();
            }
            CudaError.Check(CudaNative.cuLaunchKernel(kernel.Handle, grid[0], grid[1], grid[2], block[0], block[1], block[2],
                                                      0, _stream, pointers, null), $"cuLaunchKernel({kernel.Name})");
            if (!timed) return;
            end = RecordEvent();
            _pending.Add(new PendingLaunch(start, end, profileName, work));
            if (_pending.Count >= MaxPendingEvents) CollectProfileLocked();
        }
    }

    /// <summary>
    /// The block size when the caller leaves it to the backend: the largest power of two up to
    /// <see cref="MaxWorkGroupSize"/> that divides the global size, so the launch covers it exactly (as OpenCL would).
    /// </summary>
    private long BlockFor(long global)
    {
        long block = MaxWorkGroupSize;
        while (global % block != 0) block /= 2;
        return block;
    }

    /// <summary>The argument's value in the bytes the kernel parameter occupies (low bytes of a 64-bit slot, little-endian).</summary>
    private ulong ArgValue(CompiledKernel kernel, int index, in KernelArg arg) => arg.Kind switch
    {
        KernelArg.ArgKind.Buffer => Own(arg.Buffer!, "args").Pointer,
        KernelArg.ArgKind.Int64 => unchecked((ulong)arg.Value),
        KernelArg.ArgKind.Int32 => unchecked((uint)(int)arg.Value),
        KernelArg.ArgKind.Float32 => BitConverter.SingleToUInt32Bits(arg.FloatValue),
        KernelArg.ArgKind.LocalBytes => throw new NotSupportedException(
            $"kernel '{kernel.Name}': argument {index} is a dynamic local-memory array, which only OpenCL kernels take; " +
            "portable kernels declare their local arrays with LOCAL_MEM and a fixed size"),
        _ => throw new ArgumentException($"kernel '{kernel.Name}': argument {index} has unknown kind {arg.Kind}", "args"),
    };

    private nint RecordEvent()
    {
        nint evt;
        CudaError.Check(CudaNative.cuEventCreate(&evt, Cu.EventDefault), "cuEventCreate");
        CudaError.Check(CudaNative.cuEventRecord(evt, _stream), "cuEventRecord");
        return evt;
    }

    private void CollectProfile()
    {
        lock (_sync) CollectProfileLocked();
    }

    /// <summary>Waits for the pending timed launches and hands their durations to <see cref="KernelProfiler"/>.</summary>
    private void CollectProfileLocked()
    {
        if (_pending.Count == 0) return;
        try
        {
            Enter();
            CudaError.Check(CudaNative.cuEventSynchronize(_pending[^1].End), "cuEventSynchronize");
            long baseNs = KernelProfiler.HostNanoseconds(_batchBase.HostTimestamp);
            foreach (var p in _pending)
            {
                float sinceBase, duration;
                CudaError.Check(CudaNative.cuEventElapsedTime(&sinceBase, _batchBase.Event, p.Start), $"cuEventElapsedTime({p.Kernel})");
                CudaError.Check(CudaNative.cuEventElapsedTime(&duration, p.Start, p.End), $"cuEventElapsedTime({p.Kernel})");
                KernelProfiler.Record(p.Kernel, Id, KernelProfiler.SinceEpoch(baseNs + (long)(sinceBase * 1e6)), (long)(duration * 1e6), p.Work);
            }
        }
        finally
        {
            ReleasePendingEvents();
        }
    }

    private void ReleasePendingEvents()
    {
        if (_pending.Count == 0) return;
        foreach (var p in _pending)
        {
            CudaError.Check(CudaNative.cuEventDestroy_v2(p.Start), "cuEventDestroy");
            CudaError.Check(CudaNative.cuEventDestroy_v2(p.End), "cuEventDestroy");
        }
        CudaError.Check(CudaNative.cuEventDestroy_v2(_batchBase.Event), "cuEventDestroy");
        _pending.Clear();
        _batchBase = default;
    }
}
