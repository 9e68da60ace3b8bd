using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Engine.Kernels.Cpu;

/// <summary>
/// The cpu kernels' own worker threads (one per core beside the caller's). A training step launches a few hundred
/// kernels back to back; with Parallel.For each launch set up tasks and, after any pause, woke a parked pool thread
/// (`perf` put the scheduler's task switches at ~6 % of a run). These workers spin for a short while after each job,
/// so the next launch finds them awake, then sleep; a spinning worker yields to any other runnable thread, and a job
/// wakes only as many workers as it has items beyond the caller's. The caller takes part in its own job.
/// <para>
/// One job at a time: a call made while another thread's job runs, or from inside a job (nested parallelism), runs
/// its items on the calling thread instead. Exceptions from the items are rethrown on the caller, the first one kept.
/// </para>
/// </summary>
internal static class CpuWorkers
{
    /// <summary>How long an idle worker spins before it sleeps: longer than the host work between two kernels of a step.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 20000;   // 50 µs

    private static readonly Lock SubmitLock = new();
    private static readonly Worker[] Workers = StartWorkers(Environment.ProcessorCount - 1);
    private static Job? _job;
    private static long _generation;

    [ThreadStatic] private static bool _inJob;

    /// <summary>Calls <paramref name="body"/>(i) once for every i in [0, <paramref name="count"/>), on the workers and the caller.</summary>
    public static void For(long count, Action<long> body)
    {
        if (!TryFor(count, body))
            for (long i = 0; i < count; i++) body(i);
    }

    /// <summary>
    /// Like <see cref="For"/> when the workers can take the job; false (nothing run) when they cannot: inside another
    /// job, while another thread's job runs, on a one-core machine, or for a single item. A caller whose items are parts
    /// of one computation (a GEMM's bands) can then run it whole instead of part by part.
    /// </summary>
    public static bool TryFor(long count, Action<long> body)
    {
        if (count <= 0) return true;
        if (count == 1 || Workers.Length == 0 || _inJob || !SubmitLock.TryEnter()) return false;
        var job = new Job(body, count);
        try
        {
            Volatile.Write(ref _job, job);
            Interlocked.Increment(ref _generation);
            for (int w = 0; w < Math.Min(Workers.Length, count - 1); w++) Workers[w].WakeIfAsleep();
            job.Work();
        }
        finally
        {
            // No item may still run once this returns: the items may use the caller's memory.
            job.Close();
            Volatile.Write(ref _job, null);
            SubmitLock.Exit();
        }
        job.ThrowIfFailed();
        return true;
    }

    private static Worker[] StartWorkers(int count)
    {
        var workers = new Worker[Math.Max(0, count)];
        for (int w = 0; w < workers.Length; w++)
        {
            workers[w] = new Worker();
            var thread = new Thread(workers[w].Loop) { IsBackground = true, Name = $"engine-cpu-{w + 1}" };
            thread.Start();
        }
        return workers;
    }

    private sealed class Job(Action<long> body, long count)
    {
        private long _next, _done;
        private ExceptionDispatchInfo? _error;

        /// <summary>Claims items until none is left.</summary>
        public void Work()
        {
            bool outer = _inJob;
            _inJob = true;
            try
            {
                for (long i = Interlocked.Increment(ref _next) - 1; i < count; i = Interlocked.Increment(ref _next) - 1)
                {
                    try { body(i); }
                    catch (Exception e) { Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null); }
                    // The locked increment also publishes the item's writes (non-temporal stores included) to the caller.
                    finally { Interlocked.Increment(ref _done); }
                }
            }
            finally
            {
                _inJob = outer;
            }
        }

        /// <summary>Lets no further item start, then waits for the ones already claimed.</summary>
        public void Close()
        {
            long claimed = Math.Min(count, Interlocked.Exchange(ref _next, long.MaxValue / 2));
            var spin = new SpinWait();
            while (Volatile.Read(ref _done) < claimed) spin.SpinOnce(sleep1Threshold: -1);
        }

        public void ThrowIfFailed() => _error?.Throw();
    }

    private sealed class Worker
    {
        private readonly SemaphoreSlim _wake = new(0);
        private int _asleep;

        /// <summary>Called after a new generation is published: a worker that went to sleep before seeing it is woken.</summary>
        public void WakeIfAsleep()
        {
            if (Interlocked.CompareExchange(ref _asleep, 0, 1) == 1) _wake.Release();
        }

        public void Loop()
        {
            long seen = Volatile.Read(ref _generation);
            while (true)
            {
                long idleSince = Stopwatch.GetTimestamp();
                while (Volatile.Read(ref _generation) == seen)
                {
                    if (Stopwatch.GetTimestamp() - idleSince < SpinTicks)
                    {
                        // Yield between short spins: another runnable thread on this core gets it.
                        Thread.SpinWait(32);
                        Thread.Yield();
                        continue;
                    }
                    // Announce the sleep, then look once more: a job published in between is either seen here or
                    // its publisher sees the flag and releases the semaphore.
                    Interlocked.Exchange(ref _asleep, 1);
                    if (Volatile.Read(ref _generation) == seen) _wake.Wait();
                    Interlocked.Exchange(ref _asleep, 0);
                    idleSince = Stopwatch.GetTimestamp();
                }
                seen = Volatile.Read(ref _generation);
                Volatile.Read(ref _job)?.Work();
            }
        }
    }
}
