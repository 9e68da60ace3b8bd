using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Kernels.Cpu;

/// <summary>
/// Fill and copy of runs far larger than the caches with non-temporal stores: they skip reading each destination
/// line before overwriting it (write-allocate), which otherwise costs a third of the memory traffic of a copy and
/// half of a fill. Smaller runs use ordinary stores, whose lines are likely to be read again soon.
/// </summary>
internal static unsafe class StreamingStores
{
    /// <summary>Bytes of a whole fill or copy above which it streams: half the 32 MB L3 this was tuned on.</summary>
    public const long MinBytes = 16 << 20;

    public static bool Applies(long elements) => Avx512F.IsSupported && elements * sizeof(int) >= MinBytes;

    public static void Fill(int* target, long count, int bits)
    {
        long head = Head(target, count);
        new Span<int>(target, (int)head).Fill(bits);
        var value = Vector512.Create(bits);
        long i = head;
        for (; i + 16 <= count; i += 16) Avx512F.StoreAlignedNonTemporal(target + i, value);
        Sse.StoreFence();
        for (; i < count; i++) target[i] = bits;
    }

    public static void Copy(int* source, int* target, long count)
    {
        long head = Head(target, count);
        Buffer.MemoryCopy(source, target, head * sizeof(int), head * sizeof(int));
        long i = head;
        for (; i + 16 <= count; i += 16) Avx512F.StoreAlignedNonTemporal(target + i, Vector512.Load(source + i));
        Sse.StoreFence();
        for (; i < count; i++) target[i] = source[i];
    }

    /// <summary>Elements before the first 64-byte boundary (buffers are 4-byte aligned at least).</summary>
    private static long Head(int* target, long count)
        => Math.Min(count, (64 - (long)((nuint)target & 63)) % 64 / sizeof(int));
}
