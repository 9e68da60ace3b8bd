using Engine.Kernels.Devices;

namespace Engine.Kernels.Cuda;

/// <summary>A CUfunction of one module on one <see cref="CudaDevice"/>; the device owns (and unloads) the module.</summary>
internal sealed class CudaKernel : CompiledKernel
{
    public CudaKernel(CudaDevice device, string name, string sourceName, nint function) : base(name)
    {
        Device = device;
        SourceName = sourceName;
        Function = function;
    }

    public CudaDevice Device { get; }
    public string SourceName { get; }
    public nint Function { get; }
}
