using System.Runtime.InteropServices;

namespace Engine.Kernels.Cuda;

/// <summary>
/// The CUDA driver API functions this backend uses (the versioned symbols the CUDA 11+ headers map to).
/// Handles (contexts, streams, modules, functions, events) are opaque pointers; device memory is a 64-bit
/// CUdeviceptr; every function returns a CUresult the caller checks through <see cref="CudaError.Check"/>.
/// The library is resolved through <see cref="Devices.NativeLibraries"/> ("cuda" → libcuda.so.1).
/// </summary>
internal static unsafe partial class CudaNative
{
    public const string Library = "cuda";

    [LibraryImport(Library)] public static partial int cuInit(uint flags);
    [LibraryImport(Library)] public static partial int cuDriverGetVersion(int* version);
    [LibraryImport(Library)] public static partial int cuGetErrorName(int error, byte** name);
    [LibraryImport(Library)] public static partial int cuGetErrorString(int error, byte** text);

    [LibraryImport(Library)] public static partial int cuDeviceGetCount(int* count);
    [LibraryImport(Library)] public static partial int cuDeviceGet(int* device, int ordinal);
    [LibraryImport(Library)] public static partial int cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(Library)] public static partial int cuDeviceTotalMem_v2(nuint* bytes, int device);
    [LibraryImport(Library)] public static partial int cuDeviceGetAttribute(int* value, int attribute, int device);

    [LibraryImport(Library)] public static partial int cuDevicePrimaryCtxRetain(nint* context, int device);
    [LibraryImport(Library)] public static partial int cuDevicePrimaryCtxRelease_v2(int device);
    [LibraryImport(Library)] public static partial int cuCtxSetCurrent(nint context);
    [LibraryImport(Library)] public static partial int cuCtxGetCurrent(nint* context);
    [LibraryImport(Library)] public static partial int cuDevicePrimaryCtxGetState(int device, uint* flags, int* active);

    [LibraryImport(Library)] public static partial int cuStreamCreate(nint* stream, uint flags);
    [LibraryImport(Library)] public static partial int cuStreamDestroy_v2(nint stream);
    [LibraryImport(Library)] public static partial int cuStreamSynchronize(nint stream);

    [LibraryImport(Library)] public static partial int cuDeviceGetDefaultMemPool(nint* pool, int device);
    [LibraryImport(Library)] public static partial int cuMemPoolSetAttribute(nint pool, int attribute, void* value);
    [LibraryImport(Library)] public static partial int cuMemPoolGetAttribute(nint pool, int attribute, void* value);
    [LibraryImport(Library)] public static partial int cuMemPoolTrimTo(nint pool, nuint minBytesToKeep);
    [LibraryImport(Library)] public static partial int cuMemAllocAsync(ulong* pointer, nuint bytes, nint stream);
    [LibraryImport(Library)] public static partial int cuMemFreeAsync(ulong pointer, nint stream);
    [LibraryImport(Library)] public static partial int cuMemAlloc_v2(ulong* pointer, nuint bytes);
    [LibraryImport(Library)] public static partial int cuMemFree_v2(ulong pointer);
    [LibraryImport(Library)] public static partial int cuMemsetD32Async(ulong pointer, uint value, nuint count, nint stream);
    [LibraryImport(Library)] public static partial int cuMemcpyHtoDAsync_v2(ulong dst, void* src, nuint bytes, nint stream);
    [LibraryImport(Library)] public static partial int cuMemcpyDtoHAsync_v2(void* dst, ulong src, nuint bytes, nint stream);

    [LibraryImport(Library)] public static partial int cuModuleLoadData(nint* module, void* image);
    [LibraryImport(Library)] public static partial int cuModuleGetFunction(nint* function, nint module, byte* name);
    [LibraryImport(Library)] public static partial int cuModuleUnload(nint module);
    [LibraryImport(Library)]
    public static partial int cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
                                             uint sharedMemBytes, nint stream, void** kernelParams, void** extra);

    [LibraryImport(Library)] public static partial int cuEventCreate(nint* evt, uint flags);
    [LibraryImport(Library)] public static partial int cuEventRecord(nint evt, nint stream);
    [LibraryImport(Library)] public static partial int cuEventSynchronize(nint evt);
    [LibraryImport(Library)] public static partial int cuEventElapsedTime(float* milliseconds, nint start, nint end);
    [LibraryImport(Library)] public static partial int cuEventDestroy_v2(nint evt);
}

/// <summary>The driver API constants this backend uses (cuda.h).</summary>
internal static class Cu
{
    public const int Success = 0;
    public const int ErrorNoDevice = 100;

    public const int AttributeMaxThreadsPerBlock = 1;
    public const int AttributeMaxGridDimY = 6;
    public const int AttributeMaxGridDimZ = 7;
    public const int AttributeMultiprocessorCount = 16;
    public const int AttributeMemoryClockRateKHz = 36;
    public const int AttributeGlobalMemoryBusWidth = 37;
    public const int AttributeL2CacheSize = 38;
    public const int AttributeComputeCapabilityMajor = 75;
    public const int AttributeComputeCapabilityMinor = 76;
    public const int AttributeMemoryPoolsSupported = 115;

    public const uint StreamNonBlocking = 1;
    public const uint EventDefault = 0;

    public const int MemPoolReleaseThreshold = 4;
    public const int MemPoolReservedMemCurrent = 5;
    public const int MemPoolUsedMemCurrent = 7;
}
