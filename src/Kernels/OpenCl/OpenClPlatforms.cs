using Engine.Kernels.Devices;

namespace Engine.Kernels.OpenCl;

/// <summary>
/// Enumerates every device of every OpenCL platform, once per process. Loading libOpenCL is deferred until
/// first use, so a machine without it only learns why through <see cref="AbsenceReason"/>.
/// </summary>
public static unsafe class OpenClPlatforms
{
    private static readonly Lazy<(IReadOnlyList<OpenClDeviceInfo> Devices, string? Absence)> State = new(Enumerate);

    /// <summary>All OpenCL devices, numbered across platforms in enumeration order; empty when OpenCL is absent.</summary>
    public static IReadOnlyList<OpenClDeviceInfo> Devices => State.Value.Devices;

    /// <summary>Why no OpenCL device is usable, or null when at least one is.</summary>
    public static string? AbsenceReason => State.Value.Absence;

    private static (IReadOnlyList<OpenClDeviceInfo>, string?) Enumerate()
    {
        if (!NativeLibraries.TryLoad(ClNative.Library, "libOpenCL.so.1", "libOpenCL.so", "OpenCL"))
            return ([], "libOpenCL.so.1 not found (install ocl-icd-libopencl1 and an ICD such as pocl-opencl-icd)");

        uint platformCount;
        var status = ClNative.clGetPlatformIDs(0, null, &platformCount);
        if (status == Cl.PlatformNotFoundKhr || (status == Cl.Success && platformCount == 0))
            return ([], "no OpenCL platform found (ICD loader present, no ICD installed in /etc/OpenCL/vendors)");
        if (status != Cl.Success)
            return ([], $"clGetPlatformIDs failed: {ClError.Name(status)} ({status})");

        var platforms = new nint[platformCount];
        fixed (nint* p = platforms)
            ClError.Check(ClNative.clGetPlatformIDs(platformCount, p, null), "clGetPlatformIDs");

        var devices = new List<OpenClDeviceInfo>();
        var platformNames = new List<string>();
        foreach (var platform in platforms)
        {
            platformNames.Add(ClInfo.PlatformString(platform, Cl.PlatformName));
            uint deviceCount;
            status = ClNative.clGetDeviceIDs(platform, Cl.DeviceTypeAll, 0, null, &deviceCount);
            if (status == Cl.DeviceNotFound || deviceCount == 0) continue;
            ClError.Check(status, "clGetDeviceIDs");
            var ids = new nint[deviceCount];
            fixed (nint* d = ids)
                ClError.Check(ClNative.clGetDeviceIDs(platform, Cl.DeviceTypeAll, deviceCount, d, null), "clGetDeviceIDs");
            foreach (var id in ids) devices.Add(Describe(devices.Count, platform, id));
        }

        return devices.Count == 0
            ? ([], $"OpenCL platform(s) {string.Join(", ", platformNames)} report no devices")
            : (devices, null);
    }

    private static OpenClDeviceInfo Describe(int index, nint platform, nint device)
    {
        var extensions = ClInfo.DeviceString(device, Cl.DeviceExtensions).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new OpenClDeviceInfo(
            index,
            Name: ClInfo.DeviceString(device, Cl.DeviceName),
            Vendor: ClInfo.DeviceString(device, Cl.DeviceVendor),
            PlatformName: ClInfo.PlatformString(platform, Cl.PlatformName),
            PlatformVersion: ClInfo.PlatformString(platform, Cl.PlatformVersion),
            DeviceVersion: ClInfo.DeviceString(device, Cl.DeviceVersion),
            DriverVersion: ClInfo.DeviceString(device, Cl.DriverVersion),
            OpenClCVersion: ClInfo.DeviceString(device, Cl.DeviceOpenClCVersion),
            GlobalMemoryBytes: (long)ClInfo.DeviceValue<ulong>(device, Cl.DeviceGlobalMemSize),
            MaxAllocationBytes: (long)ClInfo.DeviceValue<ulong>(device, Cl.DeviceMaxMemAllocSize),
            LocalMemoryBytes: (long)ClInfo.DeviceValue<ulong>(device, Cl.DeviceLocalMemSize),
            ComputeUnits: (int)ClInfo.DeviceValue<uint>(device, Cl.DeviceMaxComputeUnits),
            MaxWorkGroupSize: (long)ClInfo.DeviceValue<nuint>(device, Cl.DeviceMaxWorkGroupSize),
            SupportsFp64: extensions.Contains("cl_khr_fp64"))
        {
            PlatformHandle = platform,
            DeviceHandle = device,
        };
    }
}
