using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;

namespace Engine.Kernels.Profiling;

/// <summary>
/// The STREAM triad a = b + s·c as a fused program, timed by <see cref="KernelProfiler"/> on the device itself: the
/// memory bandwidth a streaming kernel can reach there, the yardstick for every other kernel's GB/s. 12 bytes move
/// per element (two reads, one write).
/// </summary>
public static class TriadBandwidth
{
    /// <summary>16M floats: 192 MB per run, far beyond any cache, short enough to repeat.</summary>
    public const long DefaultElements = 1L << 24;

    public const int BytesPerElement = 3 * sizeof(float);

    /// <summary>a = b + s·c as a fused program: the kernel every triad figure of Engine times.</summary>
    public static FusedProgram Program { get; } = Build();

    /// <summary>
    /// Runs the triad once untimed (compiles it), then <paramref name="runs"/> times with the profiler on, and returns
    /// the median run. Its records stay in <see cref="KernelProfiler"/> (under the program's profile name); the profiler
    /// is left enabled or disabled as it was.
    /// </summary>
    public static TriadResult Measure(ComputeDevice device, long elements = DefaultElements, int runs = 5)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfLessThan(elements, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        using var a = device.Allocate(elements);
        using var b = device.Allocate(elements);
        using var c = device.Allocate(elements);
        device.Fill(b, elements, 1f);
        device.Fill(c, elements, 2f);
        var launch = new FusedLaunch([elements], [Dense(b, elements), Dense(c, elements)], [a], [0.5f]);
        device.RunFused(Program, launch);
        device.Synchronize();

        bool wasEnabled = KernelProfiler.Enabled;
        int before = KernelProfiler.Records.Count;
        KernelProfiler.Enable();
        try
        {
            for (int i = 0; i < runs; i++) device.RunFused(Program, launch);
            device.Synchronize();
        }
        finally
        {
            if (!wasEnabled) KernelProfiler.Disable();
        }
        var durations = KernelProfiler.Records.Skip(before)
            .Where(r => r.Kernel == Program.ProfileName && r.Device == device.Id)
            .Select(r => r.DurationNs).Order().ToArray();
        if (durations.Length != runs)
            throw new InvalidOperationException(
                $"triad on '{device.Id}': expected {runs} timed runs, the profiler holds {durations.Length} (was it reset meanwhile?)");
        long median = durations[durations.Length / 2];
        return new TriadResult(device.Id, elements, runs, median);
    }

    private static StridedSlice Dense(DeviceBuffer buffer, long elements) => new(buffer, 0, [elements], [1]);

    private static FusedProgram Build()
    {
        var f = new FusionBuilder("triad");
        var b = f.Input("b");
        var c = f.Input("c");
        f.Output("a", b + f.Scalar("s") * c);
        return f.Build();
    }
}

/// <summary>One triad measurement: the median run's duration and the bandwidth it implies.</summary>
public sealed record TriadResult(string Device, long Elements, int Runs, long MedianNs)
{
    public long BytesPerRun => Elements * TriadBandwidth.BytesPerElement;

    /// <summary>Bytes per nanosecond = GB/s.</summary>
    public double GigabytesPerSecond => MedianNs > 0 ? (double)BytesPerRun / MedianNs : double.PositiveInfinity;
}
