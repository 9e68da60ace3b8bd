using System.Globalization;
using System.Text;
using Engine.Kernels.Devices;

namespace Engine.Kernels.Cuda;

/// <summary>
/// Enumerates the CUDA devices once per process. Neither libcuda nor NVRTC is loaded until first use, so a
/// machine without them only learns why through <see cref="AbsenceReason"/>.
/// </summary>
public static unsafe class CudaPlatform
{
    private static readonly Lazy<(IReadOnlyList<CudaDeviceInfo> Devices, string? Absence)> State = new(Enumerate);

    /// <summary>All CUDA devices by driver ordinal; empty when CUDA is absent.</summary>
    public static IReadOnlyList<CudaDeviceInfo> Devices => State.Value.Devices;

    /// <summary>Why no CUDA device is usable, or null when at least one is.</summary>
    public static string? AbsenceReason => State.Value.Absence;

    /// <summary>Where NVRTC is looked for: $ENGINE_NVRTC, then the loader's path, then the usual toolkit folders.</summary>
    internal static string[] NvrtcCandidates()
    {
        string[] names = ["libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"];
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("ENGINE_NVRTC") is { Length: > 0 } explicitPath) candidates.Add(explicitPath);
        candidates.AddRange(names);
        foreach (var root in new[] { Environment.GetEnvironmentVariable("CUDA_PATH"), Environment.GetEnvironmentVariable("CUDA_HOME"), "/usr/local/cuda" })
        {
            if (string.IsNullOrEmpty(root)) continue;
            foreach (var name in names) candidates.Add(Path.Combine(root, "lib64", name));
        }
        return [.. candidates.Distinct()];
    }

    /// <summary>Never throws: a driver that fails a query makes CUDA absent, with the failure as the reason.</summary>
    private static (IReadOnlyList<CudaDeviceInfo>, string?) Enumerate()
    {
        try
        {
            return Scan();
        }
        catch (Exception e) when (e is CudaException or EntryPointNotFoundException or DllNotFoundException)
        {
            return ([], $"the CUDA driver or NVRTC failed while listing devices: {e.Message}");
        }
    }

    private static (IReadOnlyList<CudaDeviceInfo>, string?) Scan()
    {
        if (!NativeLibraries.TryLoad(CudaNative.Library, "libcuda.so.1", "libcuda.so"))
            return ([], "libcuda.so.1 not found (no NVIDIA driver on this machine)");
        var init = CudaNative.cuInit(0);
        if (init == Cu.ErrorNoDevice) return ([], "the NVIDIA driver reports no CUDA device");
        if (init != Cu.Success) return ([], $"cuInit failed: {CudaError.Name(init)} ({init})");
        int count;
        CudaError.Check(CudaNative.cuDeviceGetCount(&count), "cuDeviceGetCount");
        if (count == 0) return ([], "the NVIDIA driver reports no CUDA device");
        if (!NativeLibraries.TryLoad(NvrtcNative.Library, NvrtcCandidates()))
            return ([], $"NVRTC (libnvrtc.so) not found, so no kernel can be compiled: install the CUDA toolkit's NVRTC " +
                        $"or set ENGINE_NVRTC to its path (tried {string.Join(", ", NvrtcCandidates())})");

        int driver, nvrtcMajor, nvrtcMinor;
        CudaError.Check(CudaNative.cuDriverGetVersion(&driver), "cuDriverGetVersion");
        CudaError.CheckNvrtc(NvrtcNative.nvrtcVersion(&nvrtcMajor, &nvrtcMinor), "nvrtcVersion");
        var driverVersion = $"{driver / 1000}.{driver % 1000 / 10}";
        var nvrtcVersion = $"{nvrtcMajor}.{nvrtcMinor}";
        var devices = new List<CudaDeviceInfo>();
        for (int ordinal = 0; ordinal < count; ordinal++)
            devices.Add(Describe(ordinal, driverVersion, nvrtcVersion));
        return (devices, null);
    }

    /// <summary>Drivers before CUDA 11.2 do not know the attribute (CUDA_ERROR_INVALID_VALUE): no pools then.</summary>
    private static bool SupportsPools(int device)
    {
        int value;
        return CudaNative.cuDeviceGetAttribute(&value, Cu.AttributeMemoryPoolsSupported, device) == Cu.Success && value != 0;
    }

    private static CudaDeviceInfo Describe(int ordinal, string driverVersion, string nvrtcVersion)
    {
        int device;
        CudaError.Check(CudaNative.cuDeviceGet(&device, ordinal), $"cuDeviceGet({ordinal})");
        var name = new byte[256];
        fixed (byte* n = name)
            CudaError.Check(CudaNative.cuDeviceGetName(n, name.Length, device), "cuDeviceGetName");
        nuint memory;
        CudaError.Check(CudaNative.cuDeviceTotalMem_v2(&memory, device), "cuDeviceTotalMem");
        var handle = device;
        int Attribute(int attribute)
        {
            int value;
            CudaError.Check(CudaNative.cuDeviceGetAttribute(&value, attribute, handle),
                            $"cuDeviceGetAttribute({attribute.ToString(CultureInfo.InvariantCulture)})");
            return value;
        }
        // Double data rate: two transfers per memory clock over the bus width.
        double peakGBs = 2.0 * Attribute(Cu.AttributeMemoryClockRateKHz) * 1e3 * (Attribute(Cu.AttributeGlobalMemoryBusWidth) / 8.0) / 1e9;
        return new CudaDeviceInfo(
            ordinal,
            Name: Encoding.UTF8.GetString(name).TrimEnd('\0'),
            GlobalMemoryBytes: (long)memory,
            ComputeCapabilityMajor: Attribute(Cu.AttributeComputeCapabilityMajor),
            ComputeCapabilityMinor: Attribute(Cu.AttributeComputeCapabilityMinor),
            Multiprocessors: Attribute(Cu.AttributeMultiprocessorCount),
            MaxThreadsPerBlock: Attribute(Cu.AttributeMaxThreadsPerBlock),
            MaxGridY: Attribute(Cu.AttributeMaxGridDimY),
            MaxGridZ: Attribute(Cu.AttributeMaxGridDimZ),
            L2CacheBytes: Attribute(Cu.AttributeL2CacheSize),
            PeakMemoryBandwidthGBs: peakGBs,
            SupportsMemoryPools: SupportsPools(handle),
            DriverVersion: driverVersion,
            NvrtcVersion: nvrtcVersion)
        {
            Handle = handle,
        };
    }
}
