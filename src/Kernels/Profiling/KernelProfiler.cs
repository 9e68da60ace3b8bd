namespace Engine.Kernels.Profiling;

/// <summary>
/// Process-wide, opt-in kernel timing. Off by default: backends then skip timing entirely (OpenCL releases
/// no events it never asked for). When on, GPU backends record device-side durations from profiling events
/// once the launch is known complete (on Synchronize or Read); the cpu backend may record Stopwatch times.
/// </summary>
public static class KernelProfiler
{
    private static readonly Lock Sync = new();
    private static readonly List<KernelRecord> Recorded = new();
    private static volatile bool _enabled;

    public static bool Enabled => _enabled;

    public static void Enable() => _enabled = true;

    /// <summary>Stops recording; records already taken stay until <see cref="Reset"/>.</summary>
    public static void Disable() => _enabled = false;

    public static void Reset()
    {
        lock (Sync) Recorded.Clear();
    }

    /// <summary>A snapshot of every record so far, in completion order.</summary>
    public static IReadOnlyList<KernelRecord> Records
    {
        get { lock (Sync) return Recorded.ToArray(); }
    }

    public static void Record(string kernel, string device, long durationNs) => Record(kernel, device, durationNs, default);

    /// <summary>Adds a record even while disabled, so launches timed before <see cref="Disable"/> are not lost.</summary>
    public static void Record(string kernel, string device, long durationNs, KernelWork work)
    {
        lock (Sync) Recorded.Add(new KernelRecord(kernel, device, durationNs, work));
    }

    /// <summary>Per (kernel, device): calls, total and mean time, work totals; the most expensive first.</summary>
    public static IReadOnlyList<KernelSummary> Summary() =>
        Records.GroupBy(r => (r.Kernel, r.Device))
               .Select(g => new KernelSummary(g.Key.Kernel, g.Key.Device, g.Count(), g.Sum(r => r.DurationNs),
                                              g.Sum(r => r.Work.Bytes), g.Sum(r => r.Work.Flops)))
               .OrderByDescending(s => s.TotalNs)
               .ToArray();
}
