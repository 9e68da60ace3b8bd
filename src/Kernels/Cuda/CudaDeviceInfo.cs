namespace Engine.Kernels.Cuda;

/// <summary>What one CUDA device reports, read once at enumeration; <see cref="Index"/> is the driver's ordinal.</summary>
public sealed record CudaDeviceInfo(
    int Index,
    string Name,
    long GlobalMemoryBytes,
    int ComputeCapabilityMajor,
    int ComputeCapabilityMinor,
    int Multiprocessors,
    int MaxThreadsPerBlock,
    int MaxGridY,
    int MaxGridZ,
    long L2CacheBytes,
    double PeakMemoryBandwidthGBs,
    bool SupportsMemoryPools,
    string DriverVersion,
    string NvrtcVersion)
{
    public string Id => $"cuda:{Index}";

    /// <summary>"sm_90" for compute capability 9.0: the architecture NVRTC compiles for.</summary>
    public string Architecture => $"sm_{ComputeCapabilityMajor}{ComputeCapabilityMinor}";

    internal int Handle { get; init; }
}
