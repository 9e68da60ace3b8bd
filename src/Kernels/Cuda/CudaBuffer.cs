using Engine.Kernels.Devices;

namespace Engine.Kernels.Cuda;

/// <summary>Device memory of <see cref="DeviceBuffer.Length"/> 4-byte elements, freed on Dispose.</summary>
public sealed class CudaBuffer : DeviceBuffer
{
    private readonly CudaDevice _device;
    private ulong _pointer;

    internal CudaBuffer(CudaDevice device, long length, ulong pointer) : base(device, length)
    {
        _device = device;
        _pointer = pointer;
    }

    /// <summary>The CUdeviceptr; throws <see cref="ObjectDisposedException"/> once the buffer is disposed.</summary>
    internal ulong Pointer
    {
        get { ThrowIfDisposed(); return _pointer; }
    }

    /// <summary>Freed in stream order, so launches already enqueued that use the memory still see it.</summary>
    protected override void Release()
    {
        _device.Free(_pointer);
        _pointer = 0;
    }
}
