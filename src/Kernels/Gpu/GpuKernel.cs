using Engine.Kernels.Devices;

namespace Engine.Kernels.Gpu;

/// <summary>
/// A kernel of one program on one <see cref="GpuDevice"/>: a cl_kernel, or a CUfunction of a loaded module. The device
/// owns (and releases) it.
/// </summary>
internal sealed class GpuKernel : CompiledKernel
{
    public GpuKernel(GpuDevice device, string name, string sourceName, nint handle) : base(name)
    {
        Device = device;
        SourceName = sourceName;
        Handle = handle;
    }

    public GpuDevice Device { get; }
    public string SourceName { get; }
    public nint Handle { get; }
}
