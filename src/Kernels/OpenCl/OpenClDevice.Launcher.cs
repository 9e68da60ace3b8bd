using System.Diagnostics;
using Engine.Kernels.Devices;
using Engine.Kernels.Gpu;
using Engine.Kernels.Profiling;

namespace Engine.Kernels.OpenCl;

/// <summary>Kernel launches and kernel timing of an <see cref="OpenClDevice"/>.</summary>
public sealed unsafe partial class OpenClDevice
{
    /// <summary>Timed launches not yet read back; bounded so a program that never synchronizes does not grow it forever.</summary>
    private const int MaxPendingEvents = 256;

    private readonly List<PendingEvent> _pending = new();

    /// <summary>Host clock minus device clock (ns), the tightest bound from the timed launches so far; null before the first.</summary>
    private long? _deviceToHostNs;

    /// <summary>A timed launch: its event, what to record it as, and the host time just before it was enqueued.</summary>
    private readonly record struct PendingEvent(nint Event, string Kernel, KernelWork Work, long EnqueuedAt);

    public override KernelDialect Dialect => KernelDialect.OpenCl;

    /// <summary>min(device limit, 256) rounded down to a power of two.</summary>
    public override int MaxWorkGroupSize { get; }

    private protected override void Enqueue(GpuKernel kernel, ReadOnlySpan<long> globalSize, ReadOnlySpan<long> localSize,
                                            ReadOnlySpan<KernelArg> args, string profileName, KernelWork work)
    {
        var dims = globalSize.Length;
        var global = stackalloc nuint[3];
        var local = stackalloc nuint[3];
        for (var d = 0; d < dims; d++)
        {
            global[d] = (nuint)globalSize[d];
            if (localSize.Length != 0) local[d] = (nuint)localSize[d];
        }

        lock (_sync)
        {
            ThrowIfDisposed();
            for (var i = 0; i < args.Length; i++) SetArg(kernel, (uint)i, args[i]);
            var profile = KernelProfiler.Enabled;
            nint evt = 0;
            long enqueuedAt = profile ? Stopwatch.GetTimestamp() : 0;
            var status = ClNative.clEnqueueNDRangeKernel(_queue, kernel.Handle, (uint)dims, null, global,
                                                         localSize.Length == 0 ? null : local, 0, null, profile ? &evt : null);
            ClError.Check(status, $"clEnqueueNDRangeKernel({kernel.Name})");
            if (!profile) return;
            _pending.Add(new PendingEvent(evt, profileName, work, enqueuedAt));
            if (_pending.Count >= MaxPendingEvents) CollectProfileLocked();
        }
    }

    private void SetArg(GpuKernel kernel, uint index, in KernelArg arg)
    {
        int status;
        switch (arg.Kind)
        {
            case KernelArg.ArgKind.Buffer:
                var mem = Own(arg.Buffer!, "args").Handle;
                status = ClNative.clSetKernelArg(kernel.Handle, index, (nuint)sizeof(nint), &mem);
                break;
            case KernelArg.ArgKind.Int64:
                var l = arg.Value;
                status = ClNative.clSetKernelArg(kernel.Handle, index, sizeof(long), &l);
                break;
            case KernelArg.ArgKind.Int32:
                var i = (int)arg.Value;
                status = ClNative.clSetKernelArg(kernel.Handle, index, sizeof(int), &i);
                break;
            case KernelArg.ArgKind.Float32:
                var f = arg.FloatValue;
                status = ClNative.clSetKernelArg(kernel.Handle, index, sizeof(float), &f);
                break;
            case KernelArg.ArgKind.LocalBytes:
                status = ClNative.clSetKernelArg(kernel.Handle, index, (nuint)arg.Value, null);
                break;
            default:
                throw new ArgumentException($"kernel '{kernel.Name}': argument {index} has unknown kind {arg.Kind}", "args");
        }
        ClError.Check(status, $"clSetKernelArg({kernel.Name}, argument {index}: {arg.Kind})");
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
            var times = new (ulong Queued, ulong Start, ulong End)[_pending.Count];
            for (int i = 0; i < times.Length; i++)
            {
                var p = _pending[i];
                var evt = p.Event;
                ClError.Check(ClNative.clWaitForEvents(1, &evt), $"clWaitForEvents({p.Kernel})");
                times[i] = (Timestamp(p, Cl.ProfilingCommandQueued), Timestamp(p, Cl.ProfilingCommandStart), Timestamp(p, Cl.ProfilingCommandEnd));
                // The device clock has its own origin. A launch is queued after the host read the clock before enqueueing it,
                // so host minus device time at that point bounds the offset between the clocks from below; the largest bound
                // seen is the closest. Every start then lies after its launch was enqueued, and launches of one batch keep their
                // device-measured spacing, so they never appear to overlap.
                long bound = KernelProfiler.HostNanoseconds(p.EnqueuedAt) - (long)times[i].Queued;
                if (_deviceToHostNs is not { } known || bound > known) _deviceToHostNs = bound;
            }
            for (int i = 0; i < times.Length; i++)
            {
                long startNs = KernelProfiler.SinceEpoch((long)times[i].Start + _deviceToHostNs!.Value);
                KernelProfiler.Record(_pending[i].Kernel, Id, startNs, (long)(times[i].End - times[i].Start), _pending[i].Work);
            }
        }
        finally
        {
            ReleasePendingEvents();
        }
    }

    private static ulong Timestamp(PendingEvent pending, uint what)
    {
        ulong value;
        ClError.Check(ClNative.clGetEventProfilingInfo(pending.Event, what, sizeof(ulong), &value, null),
                      $"clGetEventProfilingInfo({pending.Kernel})");
        return value;
    }

    private void ReleasePendingEvents()
    {
        foreach (var p in _pending) ClError.Check(ClNative.clReleaseEvent(p.Event), $"clReleaseEvent({p.Kernel})");
        _pending.Clear();
    }
}
