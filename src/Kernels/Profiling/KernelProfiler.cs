using System.Diagnostics;

namespace Engine.Kernels.Profiling;

/// <summary>
/// Process-wide, opt-in kernel timing. Off by default: backends then skip timing entirely (OpenCL releases
/// no events it never asked for, the cpu backend reads no clock). When on, GPU backends record device-side
/// durations from profiling events once the launch is known complete (on Synchronize or Read); host backends
/// record Stopwatch times around each kernel. Every record's start is on one clock, the host's Stopwatch in
/// nanoseconds since the epoch (the last <see cref="Reset"/>), so records of different devices line up in a trace.
/// </summary>
public static class KernelProfiler
{
    private const long NanosecondsPerSecond = 1_000_000_000;

    private static readonly Lock Sync = new();
    private static readonly List<KernelRecord> Recorded = new();
    private static volatile bool _enabled;
    private static long _epochNs = HostNanoseconds(Stopwatch.GetTimestamp());

    public static bool Enabled => _enabled;

    public static void Enable() => _enabled = true;

    /// <summary>Stops recording; records already taken stay until <see cref="Reset"/>.</summary>
    public static void Disable() => _enabled = false;

    /// <summary>Drops every record and starts the clock of record starts again at zero.</summary>
    public static void Reset()
    {
        lock (Sync)
        {
            Recorded.Clear();
            Volatile.Write(ref _epochNs, HostNanoseconds(Stopwatch.GetTimestamp()));
        }
    }

    /// <summary>A snapshot of every record so far, in completion order.</summary>
    public static IReadOnlyList<KernelRecord> Records
    {
        get { lock (Sync) return Recorded.ToArray(); }
    }

    /// <summary>
    /// Adds a record even while disabled, so launches timed before <see cref="Disable"/> are not lost.
    /// <paramref name="startNs"/> is on the profiler's clock (see <see cref="SinceEpoch"/>).
    /// </summary>
    public static void Record(string kernel, string device, long startNs, long durationNs, KernelWork work)
    {
        lock (Sync) Recorded.Add(new KernelRecord(kernel, device, startNs, durationNs, work));
    }

    /// <summary>
    /// The Stopwatch timestamp a host-side kernel starts at, or 0 while the profiler is off; pass it to
    /// <see cref="RecordHost"/> when the kernel is done. Costs one flag test when off.
    /// </summary>
    public static long StartHost() => _enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Records a host-side kernel that began at <paramref name="started"/> (from <see cref="StartHost"/>) and ends now.</summary>
    public static void RecordHost(long started, string kernel, string device, KernelWork work)
    {
        if (started == 0) return;
        RecordHost(started, Stopwatch.GetTimestamp(), kernel, device, work);
    }

    /// <summary>
    /// Records a host-side kernel that ran from <paramref name="started"/> to <paramref name="ended"/> (Stopwatch
    /// timestamps): for a caller whose <paramref name="work"/> takes time to work out, which must not count as the kernel's.
    /// </summary>
    public static void RecordHost(long started, long ended, string kernel, string device, KernelWork work)
    {
        if (started == 0) return;
        long startNs = HostNanoseconds(started);
        Record(kernel, device, SinceEpoch(startNs), HostNanoseconds(ended) - startNs, work);
    }

    /// <summary>A Stopwatch timestamp in nanoseconds: the host clock every record's start is measured on.</summary>
    public static long HostNanoseconds(long stopwatchTimestamp)
    {
        long frequency = Stopwatch.Frequency;
        return stopwatchTimestamp / frequency * NanosecondsPerSecond + stopwatchTimestamp % frequency * NanosecondsPerSecond / frequency;
    }

    /// <summary>A host-clock time (from <see cref="HostNanoseconds"/>) as nanoseconds since the epoch.</summary>
    public static long SinceEpoch(long hostNs) => hostNs - Volatile.Read(ref _epochNs);

    /// <summary>Per (kernel, device): calls, total and mean time, work totals; the most expensive first.</summary>
    public static IReadOnlyList<KernelSummary> Summary() => Summarize(Records);

    /// <summary>The same table for a chosen set of records.</summary>
    public static IReadOnlyList<KernelSummary> Summarize(IEnumerable<KernelRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        return records.GroupBy(r => (r.Kernel, r.Device))
                      .Select(g => new KernelSummary(g.Key.Kernel, g.Key.Device, g.Count(), g.Sum(r => r.DurationNs),
                                                     g.Sum(r => r.Work.Bytes), g.Sum(r => r.Work.Flops)))
                      .OrderByDescending(s => s.TotalNs)
                      .ToArray();
    }
}
