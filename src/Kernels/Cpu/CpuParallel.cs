namespace Engine.Kernels.Cpu;

/// <summary>
/// Splits element-wise work over the cores. Small work stays on the calling thread: waking a worker costs
/// microseconds, more than a short loop does.
/// </summary>
internal static class CpuParallel
{
    /// <summary>Elements below which a memory-bound loop is not worth splitting.</summary>
    public const long MinElementsPerWorker = 1 << 15;

    /// <summary>Calls <paramref name="body"/>(start, end) over disjoint ranges covering [0, count).</summary>
    public static void For(long count, long minPerWorker, Action<long, long> body)
    {
        long workers = Math.Min(Environment.ProcessorCount, count / Math.Max(1, minPerWorker));
        if (workers <= 1)
        {
            if (count > 0) body(0, count);
            return;
        }
        CpuWorkers.For(workers, w => body(count * w / workers, count * (w + 1) / workers));
    }

    /// <summary>
    /// Calls <paramref name="body"/>(start, end) over fixed-size chunks of [0, count): the chunk boundaries depend
    /// only on <paramref name="chunk"/>, never on the number of threads, so per-chunk partial results combined in
    /// chunk order give the same answer on any machine.
    /// </summary>
    public static void ForFixedChunks(long count, long chunk, Action<long, long, long> body)
    {
        long chunks = (count + chunk - 1) / chunk;
        if (chunks <= 1)
        {
            if (count > 0) body(0, 0, count);
            return;
        }
        CpuWorkers.For(chunks, c => body(c, c * chunk, Math.Min(count, (c + 1) * chunk)));
    }
}
