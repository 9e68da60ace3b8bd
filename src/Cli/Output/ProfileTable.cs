using System.Globalization;
using Engine.Kernels.Profiling;

namespace Engine.Cli.Output;

/// <summary>
/// The per-kernel table of <c>engine profile</c>: calls, total and mean time, bytes per call, achieved GB/s, that rate
/// as a percentage of the triad bandwidth measured in the same run, and GFLOP/s; "-" where a kernel reports no bytes
/// or flops (a <see cref="TextTable"/>).
/// </summary>
internal static class ProfileTable
{
    public static readonly string[] Columns = ["kernel", "calls", "total ms", "mean µs", "bytes/call", "GB/s", "% of triad", "GFLOP/s"];

    public static void Write(TextWriter output, bool terminal, IReadOnlyList<KernelSummary> kernels, double triadGigabytesPerSecond) =>
        TextTable.Write(output, terminal, Columns, kernels.Select(k => Row(k, triadGigabytesPerSecond)).ToList());

    private static string[] Row(KernelSummary k, double triad) =>
    [
        k.Kernel,
        k.Calls.ToString("N0", CultureInfo.InvariantCulture),
        Number(k.TotalNs / 1e6, "F3"),
        Number(k.MeanNs / 1e3, "F1"),
        k.TotalBytes > 0 ? Bytes((double)k.TotalBytes / k.Calls) : "-",
        k.GigabytesPerSecond is { } gbs ? Number(gbs, "F2") : "-",
        k.GigabytesPerSecond is { } rate && triad > 0 ? Number(100 * rate / triad, "F1") : "-",
        k.GigaflopsPerSecond is { } gflops ? Number(gflops, "F2") : "-",
    ];

    private static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Decimal units (1 MB = 10^6 bytes), as GB/s is.</summary>
    private static string Bytes(double bytes) => bytes switch
    {
        >= 1e9 => Number(bytes / 1e9, "F2") + " GB",
        >= 1e6 => Number(bytes / 1e6, "F2") + " MB",
        >= 1e3 => Number(bytes / 1e3, "F1") + " kB",
        _ => Number(bytes, "F0") + " B",
    };
}
