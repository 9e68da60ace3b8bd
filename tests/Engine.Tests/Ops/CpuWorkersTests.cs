using Engine.Kernels.Cpu;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Ops;

/// <summary>The cpu kernels' worker threads: every item once, errors back to the caller, nesting and concurrent callers.</summary>
public sealed class CpuWorkersTests
{
    [Fact]
    public void EveryItemRunsExactlyOnce()
    {
        Prop.ForAll(Gen.Choose(0, 5000).ToArbitrary(), count =>
        {
            var hits = new int[count];
            CpuWorkers.For(count, i => Interlocked.Increment(ref hits[i]));
            Assert.All(hits, h => Assert.Equal(1, h));
        }).Check(TestSeeds.Quick(40));
    }

    [Fact]
    public void AnItemsExceptionReachesTheCallerAndTheWorkersCarryOn()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            CpuWorkers.For(64, i => { if (i == 37) throw new InvalidOperationException("item 37"); }));
        Assert.Equal("item 37", error.Message);
        long sum = 0;
        CpuWorkers.For(1000, i => Interlocked.Add(ref sum, i));
        Assert.Equal(999L * 1000 / 2, sum);
    }

    [Fact]
    public void ANestedCallRunsItsItemsToo()
    {
        var hits = new int[16 * 50];
        CpuWorkers.For(16, outer => CpuWorkers.For(50, inner => Interlocked.Increment(ref hits[outer * 50 + inner])));
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void ConcurrentCallersAndSleepingWorkersAllFinish()
    {
        // Four threads submit at once (one gets the workers, the others run inline), with pauses long enough for the
        // workers to fall asleep between jobs.
        var totals = new long[4];
        Parallel.For(0, 4, t =>
        {
            for (int round = 0; round < 20; round++)
            {
                CpuWorkers.For(300, i => Interlocked.Add(ref totals[t], i));
                if (round % 5 == 0) Thread.Sleep(2);
            }
        });
        Assert.All(totals, total => Assert.Equal(20L * 299 * 300 / 2, total));
    }
}
