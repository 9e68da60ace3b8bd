using System.Runtime.Intrinsics;
using Engine.Kernels.Devices;

namespace Engine.Kernels.Cpu;

/// <summary>
/// Chooses how to run a (batched) GEMM: unpacked for tiny problems and for a few rows against a wide B, packed and
/// blocked otherwise, spread over the cores by batch item or by splitting C into row or column bands. Each element of C is computed by one
/// thread in a fixed k order, so results do not depend on the number of threads.
/// </summary>
internal static unsafe class CpuGemm
{
    /// <summary>Multiply-adds below which packing panels costs more than it saves.</summary>
    public const double SmallProblem = 32 * 1024;

    /// <summary>Multiply-adds below which waking a second thread costs more than it saves.</summary>
    public const double ParallelProblem = 1 << 20;

    private static readonly int Threads = Environment.ProcessorCount;

    public static void Run(in GemmSpec spec, float* a, float* b, float* c)
    {
        double itemWork = (double)spec.M * spec.N * spec.K;
        bool byBatch = Threads > 1 && spec.Batch > 1 && itemWork * spec.Batch >= ParallelProblem
                       && (spec.Batch % Threads == 0 || spec.Batch >= 4 * Threads || itemWork < ParallelProblem);
        var s = spec;
        if (byBatch)
        {
            CpuParallel.For(spec.Batch, 1, (begin, end) =>
            {
                for (long item = begin; item < end; item++) RunItem(Item(s, a, b, c, item), parallel: false);
            });
            return;
        }
        for (long item = 0; item < spec.Batch; item++) RunItem(Item(s, a, b, c, item), parallel: Threads > 1);
    }

    private static GemmProblem Item(in GemmSpec s, float* a, float* b, float* c, long item)
        => new(a + item * s.BatchStrideA, s.Lda, s.TransA, b + item * s.BatchStrideB, s.Ldb, s.TransB,
               c + item * s.BatchStrideC, s.Ldc, s.M, s.N, s.K, s.Alpha, s.Beta);

    internal static void RunItem(in GemmProblem p, bool parallel)
    {
        if (p.M == 0 || p.N == 0) return;
        if (p.K == 0) { ScaleC(p); return; }
        if (p.MultiplyAdds < SmallProblem) { GemmSmall.Run(p); return; }
        if (GemmFewRows.Applies(p)) { GemmFewRows.Run(p, parallel && p.MultiplyAdds >= ParallelProblem); return; }
        if (Vector512.IsHardwareAccelerated) RunBlocked<GemmKernel6x64>(p, parallel);
        else RunBlocked<GemmKernel6x16>(p, parallel);
    }

    private static void RunBlocked<TKernel>(GemmProblem p, bool parallel) where TKernel : struct, IGemmMicroKernel
    {
        if (!parallel || p.MultiplyAdds < ParallelProblem)
        {
            GemmBlocked<TKernel>.Run(p, 0, p.M, 0, p.N);
            return;
        }
        // Split whichever dimension wastes fewer padded rows/columns once cut into whole micro-tiles; on a tie, the columns:
        // each thread then packs only its own part of B (bands of rows would each pack all of it), and A is read in place.
        int threads = Threads;
        double byRows = BandEfficiency(p.M, TKernel.Rows, threads);
        double byColumns = BandEfficiency(p.N, TKernel.Columns, threads);
        bool splitRows = byRows > byColumns;
        int extent = splitRows ? p.M : p.N, unit = splitRows ? TKernel.Rows : TKernel.Columns;
        int tiles = (extent + unit - 1) / unit;
        bool split = CpuWorkers.TryFor(threads, t =>
        {
            int start = Math.Min(extent, (int)((long)tiles * t / threads) * unit);
            int end = Math.Min(extent, (int)((long)tiles * (t + 1) / threads) * unit);
            if (start >= end) return;
            if (splitRows) GemmBlocked<TKernel>.Run(p, start, end, 0, p.N);
            else GemmBlocked<TKernel>.Run(p, 0, p.M, start, end);
        });
        // Workers busy with another thread's job: one whole-problem pass beats the bands one after another (each band
        // would pack B again).
        if (!split) GemmBlocked<TKernel>.Run(p, 0, p.M, 0, p.N);
    }

    /// <summary>Useful share of the work when <paramref name="extent"/> is cut into whole tiles over the threads.</summary>
    private static double BandEfficiency(int extent, int unit, int threads)
    {
        int tiles = (extent + unit - 1) / unit;
        int perThread = (tiles + threads - 1) / threads;
        return (double)extent / ((long)perThread * unit * threads);
    }

    /// <summary>K = 0: the product is empty, so C = beta * C.</summary>
    private static void ScaleC(in GemmProblem p)
    {
        for (int i = 0; i < p.M; i++)
        {
            float* c = p.C + i * p.Ldc;
            for (int j = 0; j < p.N; j++) c[j] = p.Beta == 0 ? 0f : p.Beta * c[j];
        }
    }
}
