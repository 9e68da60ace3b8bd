namespace Engine.Kernels.Profiling;

/// <summary>All runs of one kernel on one device. Rates are null when no run reported bytes (or flops).</summary>
public sealed record KernelSummary(string Kernel, string Device, int Calls, long TotalNs, long TotalBytes, double TotalFlops)
{
    public double MeanNs => Calls == 0 ? 0 : (double)TotalNs / Calls;

    /// <summary>Bytes per nanosecond = GB/s.</summary>
    public double? GigabytesPerSecond => TotalBytes > 0 && TotalNs > 0 ? (double)TotalBytes / TotalNs : null;

    /// <summary>Flops per nanosecond = GFLOP/s.</summary>
    public double? GigaflopsPerSecond => TotalFlops > 0 && TotalNs > 0 ? TotalFlops / TotalNs : null;
}
