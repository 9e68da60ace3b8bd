using System.Runtime.InteropServices;

namespace Engine.Kernels.Cuda;

/// <summary>
/// NVRTC, CUDA's run-time compiler: CUDA C source text to a cubin for the device's own architecture. Resolved
/// through <see cref="Devices.NativeLibraries"/> ("nvrtc" → $ENGINE_NVRTC, libnvrtc.so, libnvrtc.so.13, ...).
/// </summary>
internal static unsafe partial class NvrtcNative
{
    public const string Library = "nvrtc";
    public const int Success = 0;
    public const int ErrorCompilation = 6;

    [LibraryImport(Library)] public static partial int nvrtcVersion(int* major, int* minor);
    [LibraryImport(Library)] public static partial byte* nvrtcGetErrorString(int result);
    [LibraryImport(Library)]
    public static partial int nvrtcCreateProgram(nint* program, byte* source, byte* name, int headerCount, byte** headers, byte** includeNames);
    [LibraryImport(Library)] public static partial int nvrtcCompileProgram(nint program, int optionCount, byte** options);
    [LibraryImport(Library)] public static partial int nvrtcGetProgramLogSize(nint program, nuint* size);
    [LibraryImport(Library)] public static partial int nvrtcGetProgramLog(nint program, byte* log);
    [LibraryImport(Library)] public static partial int nvrtcGetCUBINSize(nint program, nuint* size);
    [LibraryImport(Library)] public static partial int nvrtcGetCUBIN(nint program, byte* cubin);
    [LibraryImport(Library)] public static partial int nvrtcDestroyProgram(nint* program);
}
