using System.Runtime.InteropServices;

namespace Engine.Kernels.Cpu;

/// <summary>
/// Per-thread packing buffers, 64-byte aligned, allocated on a thread's first GEMM and reused for the life of
/// the thread (about 2.2 MB each; the <see cref="CpuWorkers"/> threads live for the process), so steady-state GEMMs
/// allocate nothing. A short-lived caller thread that runs a GEMM itself leaves its buffers behind when it exits.
/// </summary>
internal static unsafe class GemmWorkspace
{
    [ThreadStatic] private static float* _packedA;
    [ThreadStatic] private static long _packedALength;
    [ThreadStatic] private static float* _packedB;
    [ThreadStatic] private static long _packedBLength;
    [ThreadStatic] private static float* _tile;

    public static float* PackedA(long length) => Ensure(ref _packedA, ref _packedALength, length);

    public static float* PackedB(long length) => Ensure(ref _packedB, ref _packedBLength, length);

    /// <summary>Scratch for one edge tile of C (at most 16 x 64 floats).</summary>
    public static float* Tile()
    {
        if (_tile == null) _tile = (float*)NativeMemory.AlignedAlloc(16 * 64 * sizeof(float), 64);
        return _tile;
    }

    private static float* Ensure(ref float* buffer, ref long capacity, long length)
    {
        if (capacity >= length) return buffer;
        if (buffer != null) NativeMemory.AlignedFree(buffer);
        buffer = (float*)NativeMemory.AlignedAlloc((nuint)length * sizeof(float), 64);
        capacity = length;
        return buffer;
    }
}
