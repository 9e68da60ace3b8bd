using System.Runtime.Intrinsics;

namespace Engine.Kernels.Cpu;

/// <summary>
/// Copies rows of a few vectors (a GEMM's B panel row, a head split's row) in registers: `perf` put a memmove call per
/// such row at ~5–7 % of a training step, more than the copying itself.
/// </summary>
internal static unsafe class ShortRows
{
    /// <summary>Rows up to this many elements take the vector loop; longer ones are worth a memmove call.</summary>
    public const long MaxLength = 64;

    /// <summary>to[0..count) = from[0..count) for 4-byte elements; the regions do not overlap.</summary>
    public static void Copy(void* from, void* to, long count)
    {
        if (count > MaxLength || !Vector512.IsHardwareAccelerated)
        {
            Buffer.MemoryCopy(from, to, count * sizeof(float), count * sizeof(float));
            return;
        }
        float* source = (float*)from, target = (float*)to;
        long i = 0;
        for (; i + 16 <= count; i += 16) Vector512.Load(source + i).Store(target + i);
        for (; i < count; i++) target[i] = source[i];
    }
}
