namespace Engine.Kernels.OpenCl;

/// <summary>What one OpenCL device reports, read once at enumeration; <see cref="Index"/> counts devices over all platforms.</summary>
public sealed record OpenClDeviceInfo(
    int Index,
    string Name,
    string Vendor,
    string PlatformName,
    string PlatformVersion,
    string DeviceVersion,
    string DriverVersion,
    string OpenClCVersion,
    long GlobalMemoryBytes,
    long MaxAllocationBytes,
    long LocalMemoryBytes,
    int ComputeUnits,
    long MaxWorkGroupSize,
    bool SupportsFp64)
{
    public string Id => $"opencl:{Index}";

    internal nint PlatformHandle { get; init; }
    internal nint DeviceHandle { get; init; }
}
