namespace Engine.Kernels.OpenCl;

/// <summary>An OpenCL call returned an error status, e.g. "clEnqueueNDRangeKernel(gemm_tiled) failed: CL_INVALID_WORK_GROUP_SIZE (-54)".</summary>
public sealed class OpenClException : Exception
{
    public OpenClException(string call, int status)
        : base($"{call} failed: {ClError.Name(status)} ({status})")
    {
        Call = call;
        Status = status;
    }

    /// <summary>The API call (with the kernel or object it concerned, when known).</summary>
    public string Call { get; }

    /// <summary>The raw cl_int status.</summary>
    public int Status { get; }
}
