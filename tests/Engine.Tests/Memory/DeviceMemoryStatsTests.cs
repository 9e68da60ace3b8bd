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
/// ComputeDevice.MemoryStats counts every buffer of its device, on every backend: live and peak bytes (4 per element),
/// live buffers and allocations. Each test opens a device of its own, so other tests' buffers do not show.
/// </summary>
public sealed class DeviceMemoryStatsTests
{
    [Theory, MemberData(nameof(Backends.Names), MemberType = typeof(Backends))]
    public void LiveAndPeakBytesFollowEveryAllocationAndDispose(string backend)
    {
        using var device = Backends.OpenFresh(backend);
        Prop.ForAll(Gen.Choose(1, 8).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 5000), n)).ToArbitrary(), lengths =>
        {
            var start = device.MemoryStats;
            var buffers = lengths.Select(l => device.Allocate(l)).ToList();
            long all = lengths.Sum(l => 4L * l);
            var full = device.MemoryStats;
            Assert.Equal(start.LiveBytes + all, full.LiveBytes);
            Assert.Equal(start.LiveBuffers + lengths.Length, full.LiveBuffers);
            Assert.Equal(start.Allocations + lengths.Length, full.Allocations);
            Assert.True(full.PeakBytes >= full.LiveBytes, $"peak {full.PeakBytes} < live {full.LiveBytes}");

            int half = lengths.Length / 2;
            foreach (var b in buffers.Take(half)) { b.Dispose(); b.Dispose(); }   // a second Dispose counts nothing
            var partial = device.MemoryStats;
            Assert.Equal(full.LiveBytes - lengths.Take(half).Sum(l => 4L * l), partial.LiveBytes);
            Assert.Equal(full.LiveBuffers - half, partial.LiveBuffers);
            Assert.Equal(full.PeakBytes, partial.PeakBytes);
            Assert.Equal(full.Allocations, partial.Allocations);

            device.ResetPeakMemory();
            Assert.Equal(partial.LiveBytes, device.MemoryStats.PeakBytes);
            foreach (var b in buffers.Skip(half)) b.Dispose();
            Assert.Equal(start.LiveBytes, device.MemoryStats.LiveBytes);
            Assert.Equal(start.LiveBuffers, device.MemoryStats.LiveBuffers);
        }).Check(TestSeeds.Quick(20));
    }

    [Fact]
    public void TheCpuPoolReportsWhatItKeepsForReuse()
    {
        using var device = new CpuDevice();
        var buffer = device.Allocate(1000);
        Assert.Equal(0, device.MemoryStats.PooledBytes);
        buffer.Dispose();
        Assert.Equal(4000, device.MemoryStats.PooledBytes);
        using var again = device.Allocate(1000);   // the same size takes the kept block
        Assert.Equal(0, device.MemoryStats.PooledBytes);
    }

    /// <summary>After the first steps (optimizer state, pooled temporaries), a training step ends with what it began with.</summary>
    [Theory]
    [InlineData("cpu", "adamw")]
    [InlineData("cpu", "cgfm")]
    [InlineData("cpu", "spectral")]
    [InlineData("cpu", "muon")]
    [InlineData("opencl", "adamw")]
    public void ATrainingStepLeaksNoDeviceMemory(string backend, string optim)
    {
        if (!((IEnumerable<object[]>)Backends.Names).Any(row => (string)row[0] == backend)) return;   // absent outside CI
        using var dir = new TempDirectory();
        using var device = Backends.OpenFresh(backend);
        using var trainer = new Trainer(TinyRuns.Config(dir.Path, maxIters: 10) with { Optim = optim }, device: device);
        trainer.TrainStep();
        trainer.TrainStep();
        var before = device.MemoryStats;
        for (int i = 0; i < 3; i++) trainer.TrainStep();
        var after = device.MemoryStats;
        Assert.True(after.LiveBytes == before.LiveBytes && after.LiveBuffers == before.LiveBuffers,
            $"{backend}, {optim}: {before.LiveBuffers} buffers / {before.LiveBytes} bytes before three steps, " +
            $"{after.LiveBuffers} / {after.LiveBytes} after");
        Assert.True(after.Allocations > before.Allocations, "the steps allocated their temporaries on this device");
    }
}
