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

    internal CpuBuffer(ComputeDevice device, CpuMemoryPool pool, long length) : this(device, pool, length, SizeOf(length)) { }

    // The memory is rented in the argument list, before the base constructor counts the buffer: an allocation that
    // fails (out of memory) leaves no trace in the device's memory figures.
    private CpuBuffer(ComputeDevice device, CpuMemoryPool pool, long length, nuint bytes)
        : this(device, pool, length, bytes, pool.Rent(bytes)) { }

    private CpuBuffer(ComputeDevice device, CpuMemoryPool pool, long length, nuint bytes, void* memory) : base(device, length)
    {
        _pool = pool;
        _bytes = bytes;
        _memory = memory;
        NativeMemory.Clear(_memory, _bytes);
    }

    private static nuint SizeOf(long length) =>
        length >= 0 ? (nuint)Math.Max(1, length) * sizeof(float) : throw new ArgumentOutOfRangeException(nameof(length), length, "buffer length must be >= 0");

    /// <summary>Start of the buffer as fp32 (int32 data is reinterpreted through <see cref="IntPointer"/>).</summary>
    public float* Pointer { get { ThrowIfDisposed(); return (float*)_memory; } }

    public int* IntPointer { get { ThrowIfDisposed(); return (int*)_memory; } }

    protected override void Release()
    {
        _pool.Return(_memory, _bytes);
        _memory = null;
    }
}
