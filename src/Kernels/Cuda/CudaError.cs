using System.Runtime.InteropServices;

namespace Engine.Kernels.Cuda;

/// <summary>Turns failed CUresults (and NVRTC results) into <see cref="CudaException"/>s named by the driver itself.</summary>
internal static unsafe class CudaError
{
    /// <summary>Throws when <paramref name="result"/> is not CUDA_SUCCESS; <paramref name="call"/> reads like "cuLaunchKernel(gemm)".</summary>
    public static void Check(int result, string call)
    {
        if (result != Cu.Success) throw new CudaException(call, result, Name(result));
    }

    /// <summary>The cuda.h name and the driver's description, e.g. "CUDA_ERROR_OUT_OF_MEMORY: out of memory".</summary>
    public static string Name(int result)
    {
        byte* name = null, text = null;
        var named = CudaNative.cuGetErrorName(result, &name) == Cu.Success && name != null;
        var described = CudaNative.cuGetErrorString(result, &text) == Cu.Success && text != null;
        return (named, described) switch
        {
            (true, true) => $"{Marshal.PtrToStringUTF8((nint)name)}: {Marshal.PtrToStringUTF8((nint)text)}",
            (true, false) => Marshal.PtrToStringUTF8((nint)name)!,
            _ => "unknown CUresult",
        };
    }

    /// <summary>Throws when an NVRTC call fails (other than a compile error, which the caller reports with its log).</summary>
    public static void CheckNvrtc(int result, string call)
    {
        if (result == NvrtcNative.Success) return;
        var text = NvrtcNative.nvrtcGetErrorString(result);
        throw new CudaException(call, result, text == null ? "unknown nvrtcResult" : Marshal.PtrToStringUTF8((nint)text)!);
    }
}
