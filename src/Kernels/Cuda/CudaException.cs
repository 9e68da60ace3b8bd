namespace Engine.Kernels.Cuda;

/// <summary>A CUDA driver or NVRTC call failed, e.g. "cuMemAllocAsync(4000000000 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY: out of memory (2)".</summary>
public sealed class CudaException : Exception
{
    internal CudaException(string call, int result, string name)
        : base($"{call} failed: {name} ({result})")
    {
        Call = call;
        Result = result;
    }

    /// <summary>The API call (with the kernel or object it concerned, when known).</summary>
    public string Call { get; }

    /// <summary>The raw CUresult or nvrtcResult.</summary>
    public int Result { get; }
}
