using Engine.Kernels.Devices;

namespace Engine.Kernels.OpenCl;

/// <summary>A cl_kernel of one program on one <see cref="OpenClDevice"/>; owned (and released) by that device.</summary>
internal sealed class OpenClKernel : CompiledKernel
{
    public OpenClKernel(OpenClDevice device, string name, string sourceName, nint handle) : base(name)
    {
        Device = device;
        SourceName = sourceName;
        Handle = handle;
    }

    public OpenClDevice Device { get; }
    public string SourceName { get; }
    public nint Handle { get; }
}
