using Engine.Kernels.Cpu;
using Engine.Kernels.Devices;
using Engine.Models.Training;
using Engine.Tests.Cli;
using Engine.Tests.Support;
using Engine.Tests.Training;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Memory;

/// <summary>
/// ComputeDevice.GetMemoryInfo() counts every buffer of its device, on every backend: live and peak bytes (4 per element),
/// live buffers and allocations. Each test opens a device of its own, so other tests' buffers do not show.
/// </summary>
public sealed class DeviceMemoryInfoTests
{
    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void LiveAndPeakBytesFollowEveryAllocationAndDispose(string backend)
    {
        using var device = Backends.OpenFresh(backend);
        Prop.ForAll(Gen.Choose(1, 8).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 5000), n)).ToArbitrary(), lengths =>
        {
            var start = device.GetMemoryInfo();
            var buffers = lengths.Select(l => device.Allocate(l)).ToList();
            long all = lengths.Sum(l => 4L * l);
            var full = device.GetMemoryInfo();
            Assert.Equal(start.LiveBytes + all, full.LiveBytes);
            Assert.Equal(start.LiveBufferCount + lengths.Length, full.LiveBufferCount);
            Assert.Equal(start.AllocationCount + lengths.Length, full.AllocationCount);
            Assert.True(full.PeakBytes >= full.LiveBytes, $"peak {full.PeakBytes} < live {full.LiveBytes}");

            int half = lengths.Length / 2;
            foreach (var b in buffers.Take(half)) { b.Dispose(); b.Dispose(); }   // a second Dispose counts nothing
            var partial = device.GetMemoryInfo();
            Assert.Equal(full.LiveBytes - lengths.Take(half).Sum(l => 4L * l), partial.LiveBytes);
            Assert.Equal(full.LiveBufferCount - half, partial.LiveBufferCount);
            Assert.Equal(full.PeakBytes, partial.PeakBytes);
            Assert.Equal(full.AllocationCount, partial.AllocationCount);

            device.ResetPeakMemory();
            Assert.Equal(partial.LiveBytes, device.GetMemoryInfo().PeakBytes);
            foreach (var b in buffers.Skip(half)) b.Dispose();
            Assert.Equal(start.LiveBytes, device.GetMemoryInfo().LiveBytes);
            Assert.Equal(start.LiveBufferCount, device.GetMemoryInfo().LiveBufferCount);
        }).Check(TestSeeds.Quick(20));
    }

    /// <summary>
    /// Allocate zero-fills; AllocateUninitialized does not, and in the tests (PoisonedAllocations) hands out NaN, so an
    /// op that trusts a kernel to write its whole output is checked by every op test. Both are counted alike.
    /// </summary>
    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void UninitializedBuffersArePoisonedInTestsAndCountedLikeOthers(string backend)
    {
        Assert.True(ComputeDevice.PoisonUninitialized);
        using var device = Backends.OpenFresh(backend);
        foreach (var length in new[] { 1, 17, 4099 })
        {
            using var zeroed = device.Allocate(length);
            using var poisoned = device.AllocateUninitialized(length);
            var values = new float[length];
            device.Read<float>(new BufferSlice(zeroed, 0), values);
            Assert.All(values, v => Assert.Equal(0f, v));
            device.Read<float>(new BufferSlice(poisoned, 0), values);
            Assert.All(values, v => Assert.True(float.IsNaN(v), $"{backend}, {length}: {v}"));
            Assert.Equal(8L * length, device.GetMemoryInfo().LiveBytes);
        }
    }

    [Fact]
    public void AFailedAllocationLeavesNoTrace()
    {
        using var device = new CpuDevice();
        var before = device.GetMemoryInfo();
        Assert.Throws<OutOfMemoryException>(() => device.Allocate(1L << 50));
        Assert.Equal(before, device.GetMemoryInfo());
    }

    [Fact]
    public void TheCpuPoolReportsWhatItKeepsForReuse()
    {
        using var device = new CpuDevice();
        var buffer = device.Allocate(1000);
        Assert.Equal(0, device.GetMemoryInfo().PooledBytes);
        buffer.Dispose();
        Assert.Equal(4000, device.GetMemoryInfo().PooledBytes);
        using var again = device.Allocate(1000);   // the same size takes the kept block
        Assert.Equal(0, device.GetMemoryInfo().PooledBytes);
    }

    public static TheoryData<string, string> TrainingCases()
    {
        var cases = new TheoryData<string, string>();
        foreach (var row in (IEnumerable<object[]>)Backends.Names)
        {
            var backend = (string)row[0];
            var methods = backend == "cpu" ? new[] { "adamw", "sgd", "cgfm", "sgg", "spectral", "muon" } : ["adamw", "cgfm", "sgg"];
            foreach (var method in methods) cases.Add(backend, method);
        }
        return cases;
    }

    /// <summary>
    /// A run whose every periodic path comes round within a few steps (evaluation, checkpoint, the gradient norm and the
    /// method's scalars read at each log step, CGFM's basis refresh, SPEC-GF's gradient-graph rebuild after its warm-up,
    /// SGG's source gradient) reports the same live buffers at every log step after the first few: nothing is left behind.
    /// </summary>
    [Theory, MemberData(nameof(TrainingCases))]
    public void TrainingLeavesNoDeviceMemoryBehind(string backend, string optim)
    {
        using var dir = new TempDirectory();
        using var device = Backends.OpenFresh(backend);
        var config = TinyRuns.Config(dir.Path, maxIters: 16) with
        {
            Optim = optim, LogInterval = 1, EvalInterval = 3, EvalIters = 1, CheckpointInterval = 4,
            CgfmRefresh = 3, SggEvery = 2, SpectralGraph = "gradients", SpectralWarmup = 2, SpectralRebuild = 3,
        };
        var reports = new List<TrainProgress>();
        using var trainer = new Trainer(config, device: device);
        trainer.Run(new InlineProgress<TrainProgress>(reports.Add));
        // Steps 1-4 create the optimizer state, the first basis and graphs, the first checkpoint's host copies.
        var settled = reports.Where(r => r.Step > 4).Select(r => (r.Step, r.Memory!.Value.LiveBytes, r.Memory!.Value.LiveBufferCount)).ToList();
        Assert.True(settled.Count >= 10, $"{settled.Count} reports");
        Assert.True(settled.All(r => r.LiveBytes == settled[0].LiveBytes && r.LiveBufferCount == settled[0].LiveBufferCount),
            $"{backend}, {optim}: live buffers / bytes by step: " + string.Join(", ", settled.Select(r => $"{r.Step}: {r.LiveBufferCount} / {r.LiveBytes}")));
    }
}
