using System.Runtime.InteropServices;
using Engine.Kernels.Devices;

namespace Engine.Kernels.Cpu;

/// <summary>
/// Host memory for the cpu backend: 64-byte aligned (one AVX-512 vector), zero-filled, returned to its device's
/// pool on Dispose (and freed when the device is disposed).
/// </summary>
public sealed unsafe class CpuBuffer : DeviceBuffer
{
    private readonly CpuMemoryPool _pool;
    private readonly nuint _bytes;
    private void* _memory;

    internal CpuBuffer(ComputeDevice device, CpuMemoryPool pool, long length) : base(device, length)
    {
        _pool = pool;
        _bytes = (nuint)Math.Max(1, length) * sizeof(float);
        _memory = pool.Rent(_bytes);
        NativeMemory.Clear(_memory, _bytes);
    }

    /// <summary>Start of the buffer as fp32 (int32 data is reinterpreted through <see cref="IntPointer"/>).</summary>
    public float* Pointer { get { ThrowIfDisposed(); return (float*)_memory; } }

    public int* IntPointer { get { ThrowIfDisposed(); return (int*)_memory; } }

    protected override void Release()
    {
        _pool.Return(_memory, _bytes);
        _memory = null;
    }
}
