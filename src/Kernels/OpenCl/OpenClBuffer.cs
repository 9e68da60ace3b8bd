using Engine.Kernels.Devices;

namespace Engine.Kernels.OpenCl;

/// <summary>A cl_mem of <see cref="DeviceBuffer.Length"/> 4-byte elements, released on Dispose.</summary>
public sealed class OpenClBuffer : DeviceBuffer
{
    private nint _mem;

    internal OpenClBuffer(OpenClDevice device, long length, nint mem) : base(device, length) => _mem = mem;

    /// <summary>The cl_mem handle; throws <see cref="ObjectDisposedException"/> once the buffer is disposed.</summary>
    internal nint Handle
    {
        get { ThrowIfDisposed(); return _mem; }
    }

    /// <summary>Commands already enqueued keep the memory alive (OpenCL reference counting), so release is safe at any time.</summary>
    protected override void Release()
    {
        ClError.Check(ClNative.clReleaseMemObject(_mem), "clReleaseMemObject");
        _mem = 0;
    }
}
