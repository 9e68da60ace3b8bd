using System.Runtime.InteropServices;
using Engine.Kernels.Devices;

namespace Engine.Kernels.Cpu;

/// <summary>Host memory for the cpu backend: 64-byte aligned (one AVX-512 vector), zero-filled, freed on Dispose.</summary>
public sealed unsafe class CpuBuffer : DeviceBuffer
{
    private void* _memory;

    internal CpuBuffer(ComputeDevice device, long length) : base(device, length)
    {
        var bytes = (nuint)Math.Max(1, length) * sizeof(float);
        _memory = NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(_memory, bytes);
    }

    /// <summary>Start of the buffer as fp32 (int32 data is reinterpreted through <see cref="IntPointer"/>).</summary>
    public float* Pointer { get { ThrowIfDisposed(); return (float*)_memory; } }

    public int* IntPointer { get { ThrowIfDisposed(); return (int*)_memory; } }

    protected override void Release()
    {
        NativeMemory.AlignedFree(_memory);
        _memory = null;
    }
}
