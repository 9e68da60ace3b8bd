using System.Runtime.InteropServices;
using Engine.Kernels.Devices;

namespace Engine.Kernels.Cpu;

/// <summary>
/// Host memory for the cpu backend: 64-byte aligned (one AVX-512 vector), zero-filled unless allocated uninitialized,
/// returned to its device's pool on Dispose (and freed when the device is disposed).
/// </summary>
public sealed unsafe class CpuBuffer : DeviceBuffer
{
    private readonly CpuMemoryPool _pool;
    private readonly nuint _bytes;
    private void* _memory;

    /// <param name="fill">The value every element starts with, or null to leave the memory as it comes (a reused pool block keeps its old contents).</param>
    internal CpuBuffer(ComputeDevice device, CpuMemoryPool pool, long length, float? fill)
        : this(device, pool, length, SizeOf(length), fill) { }

    // The memory is rented in the argument list, before the base constructor counts the buffer: an allocation that
    // fails (out of memory) leaves no trace in the device's memory figures.
    private CpuBuffer(ComputeDevice device, CpuMemoryPool pool, long length, nuint bytes, float? fill)
        : this(device, pool, length, bytes, pool.Rent(bytes), fill) { }

    private CpuBuffer(ComputeDevice device, CpuMemoryPool pool, long length, nuint bytes, void* memory, float? fill) : base(device, length)
    {
        _pool = pool;
        _bytes = bytes;
        _memory = memory;
        if (fill == 0f) NativeMemory.Clear(_memory, _bytes);
        else if (fill is { } value)
            for (nuint at = 0, total = _bytes / sizeof(float); at < total; at += int.MaxValue)
                new Span<float>((float*)_memory + at, (int)Math.Min(int.MaxValue, total - at)).Fill(value);
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
