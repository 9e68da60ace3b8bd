using System.Globalization;
using Engine.Kernels.Cpu;
using Engine.Kernels.Cuda;
using Engine.Kernels.Gpu;
using Engine.Kernels.OpenCl;

namespace Engine.Kernels.Devices;

/// <summary>
/// Every device this machine offers, by the ids the CLI uses: "cpu", "opencl[:N]" (N counts devices over all
/// OpenCL platforms), "cuda[:N]".
/// <para>
/// Devices are heavy (a GPU context, a queue, compiled programs), so <see cref="Open"/> returns one shared
/// instance per id: opening "opencl" twice, or "opencl" and "opencl:0", yields the same object. Dispose it once,
/// when the whole program is done with it; a later <see cref="Open"/> then creates a fresh instance.
/// </para>
/// </summary>
public static class DeviceRegistry
{
    private static readonly Lock Sync = new();
    private static readonly Dictionary<string, ComputeDevice> Opened = new();

    /// <summary>Why there is no OpenCL device, or null when there is at least one.</summary>
    public static string? OpenClAbsenceReason => OpenClPlatforms.AbsenceReason;

    /// <summary>Why there is no CUDA device, or null when there is at least one.</summary>
    public static string? CudaAbsenceReason => CudaPlatform.AbsenceReason;

    /// <summary>The ids <see cref="Open"/> accepts on this machine, in listing order.</summary>
    public static IReadOnlyList<string> AvailableIds =>
        ["cpu", .. OpenClPlatforms.Devices.Select(d => d.Id), .. CudaPlatform.Devices.Select(d => d.Id)];

    /// <summary>Describes every device without opening the GPU ones.</summary>
    public static IReadOnlyList<DeviceInfo> List()
    {
        var cpu = Open("cpu");
        var devices = new List<DeviceInfo>
        {
            new(cpu.Id, cpu.Kind, cpu.Name, cpu.MemoryBytes,
                [new("cores", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)), new("vectors", CpuInfo.VectorWidth())]),
        };
        foreach (var d in OpenClPlatforms.Devices)
        {
            devices.Add(new DeviceInfo(d.Id, DeviceKind.OpenCl, d.Name, d.GlobalMemoryBytes,
            [
                new("platform", d.PlatformName),
                new("version", d.DeviceVersion),
                new("driver", d.DriverVersion),
                new("language", d.OpenClCVersion),
                new("compute units", d.ComputeUnits.ToString(CultureInfo.InvariantCulture)),
                new("fp64", d.SupportsFp64 ? "yes" : "no"),
            ]));
        }
        foreach (var d in CudaPlatform.Devices)
        {
            devices.Add(new DeviceInfo(d.Id, DeviceKind.Cuda, d.Name, d.GlobalMemoryBytes,
            [
                new("compute capability", $"{d.ComputeCapabilityMajor}.{d.ComputeCapabilityMinor} ({d.Architecture})"),
                new("multiprocessors", d.Multiprocessors.ToString(CultureInfo.InvariantCulture)),
                new("peak memory bandwidth", $"{d.PeakMemoryBandwidthGBs.ToString("F0", CultureInfo.InvariantCulture)} GB/s"),
                new("L2", $"{(d.L2CacheBytes >> 20).ToString(CultureInfo.InvariantCulture)} MiB"),
                new("driver", $"CUDA {d.DriverVersion}"),
                new("NVRTC", d.NvrtcVersion),
            ]));
        }
        return devices;
    }

    /// <summary>
    /// The shared device for <paramref name="id"/> ("cpu", "opencl", "opencl:N", "cuda", "cuda:N"; case-insensitive).
    /// Unknown or absent ids throw <see cref="ArgumentException"/> naming the ids available and why a backend is missing.
    /// </summary>
    public static ComputeDevice Open(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var (backend, index) = Parse(id);
        var canonical = backend == "cpu" ? "cpu" : $"{backend}:{index}";
        lock (Sync)
        {
            if (Opened.TryGetValue(canonical, out var device) && !(device is GpuDevice { IsDisposed: true }))
                return device;
            device = Create(id, backend, index);
            Opened[canonical] = device;
            return device;
        }
    }

    /// <summary>A new device that <see cref="Open"/> does not hand out again: its owner disposes it (tests that count on it).</summary>
    internal static ComputeDevice OpenNew(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var (backend, index) = Parse(id);
        return Create(id, backend, index);
    }

    private static ComputeDevice Create(string id, string backend, int index) => backend switch
    {
        "cpu" => new CpuDevice(),
        "opencl" => new OpenClDevice(DeviceAt(id, index, "OpenCL", OpenClAbsenceReason, OpenClPlatforms.Devices)),
        _ => new CudaDevice(DeviceAt(id, index, "CUDA", CudaAbsenceReason, CudaPlatform.Devices)),
    };

    private static (string Backend, int Index) Parse(string id)
    {
        var text = id.Trim().ToLowerInvariant();
        var colon = text.IndexOf(':');
        var backend = colon < 0 ? text : text[..colon];
        if (backend is not ("cpu" or "opencl" or "cuda"))
            throw Unavailable(id, "the backend must be cpu, opencl or cuda");
        if (colon < 0) return (backend, 0);
        if (backend == "cpu")
            throw Unavailable(id, "cpu takes no device index");
        if (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            throw Unavailable(id, $"'{text[(colon + 1)..]}' is not a device index");
        return (backend, index);
    }

    /// <summary>Device <paramref name="index"/> of a backend, or the reason <paramref name="id"/> names none.</summary>
    private static T DeviceAt<T>(string id, int index, string api, string? absence, IReadOnlyList<T> devices)
    {
        if (absence is not null) throw Unavailable(id, $"{api} is unavailable: {absence}");
        if (index >= devices.Count)
            throw Unavailable(id, $"there {(devices.Count == 1 ? $"is 1 {api} device" : $"are {devices.Count} {api} devices")}");
        return devices[index];
    }

    private static ArgumentException Unavailable(string id, string reason)
    {
        var absent = new List<string>();
        if (OpenClAbsenceReason is { } openCl) absent.Add($"opencl: {openCl}");
        if (CudaAbsenceReason is { } cuda) absent.Add($"cuda: {cuda}");
        return new ArgumentException(
            $"no device '{id}': {reason}. Available: {string.Join(", ", AvailableIds)}" +
            (absent.Count == 0 ? "" : $" (absent: {string.Join("; ", absent)})"),
            nameof(id));
    }
}
