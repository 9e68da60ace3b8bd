using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;
using Engine.Kernels.Gpu;
using Engine.Kernels.Profiling;
using Engine.Tests.OpenCl;
using Engine.Tests.Ops;
using Xunit;
using Xunit.Abstractions;

namespace Engine.Tests.Fusion;

/// <summary>
/// A GPU's reduce phase launches <see cref="IKernelLauncher.ReductionGroups"/> work-groups: 64 on a small device, over a
/// thousand on a large GPU, where the finalize's work-items each fold several groups' partials. PoCL here has few compute
/// units, so a launcher that reports more groups than a work-group has work-items drives that path on it.
/// </summary>
[Collection("OpenCl")]
public sealed class ReductionGroupsTests(OpenClFixture fixture, ITestOutputHelper output)
{
    [Theory]
    [InlineData(1000)]   // 4 partials per finalize work-item, the last ones partly
    [InlineData(257)]    // one work-item folds two
    public void EveryGroupsPartialIsFolded(int groups)
    {
        if (fixture.Require(output) is not { } device) return;
        var program = FusedProgramTests.Statistics();
        var launcher = new ManyGroups(device, groups);
        foreach (var n in new long[] { 1, 1000, 300_001 })
        {
            var x = FusionKit.Random(11, n, 2f, 3f);
            var y = FusionKit.Random(12, n);
            using var xs = device.Upload(x);
            using var ys = device.Upload(y);
            using var reductions = device.Allocate(program.ReductionCount);
            program.ExecuteOnGpu(new FusedLaunch([n], [new StridedSlice(xs, 0, [n], [1]), new StridedSlice(ys, 0, [n], [1])], [],
                                                 [n], new BufferSlice(reductions, 0)), launcher);
            var reduced = device.ReadFloats(reductions);

            double sum = x.Sum(v => (double)v), mean = sum / n;
            double centred = x.Sum(v => (v - mean) * (v - mean)), max = x.Max(v => Math.Abs((double)v));
            double dot = x.Zip(y, (a, b) => (double)a * b).Sum();
            var byName = program.ReductionNames.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => reduced[p.i]);
            FusionKit.Near(sum, byName["sum"], 1e-5, 1e-6, $"sum, n {n}, {groups} groups");
            FusionKit.Near(centred, byName["centred"], 1e-4, 1e-6, $"centred, n {n}, {groups} groups");
            FusionKit.Near(max, byName["max"], 0, 0, $"max, n {n}, {groups} groups");
            FusionKit.Near(dot, byName["dot"], 1e-4, 1e-5, $"dot, n {n}, {groups} groups");
        }
    }

    /// <summary>The device itself, except for the number of reduction work-groups it reports.</summary>
    private sealed class ManyGroups(GpuDevice device, int groups) : IKernelLauncher
    {
        public KernelDialect Dialect => device.Dialect;
        public int MaxWorkGroupSize => device.MaxWorkGroupSize;
        public int ReductionGroups => groups;
        public Lock ScratchLock => device.ScratchLock;

        public CompiledKernel GetKernel(string source, string sourceName, string kernelName, string options = "") =>
            device.GetKernel(source, sourceName, kernelName, options);

        public void Launch(CompiledKernel kernel, ReadOnlySpan<long> globalSize, ReadOnlySpan<long> localSize, ReadOnlySpan<KernelArg> args) =>
            device.Launch(kernel, globalSize, localSize, args);

        public void Launch(CompiledKernel kernel, ReadOnlySpan<long> globalSize, ReadOnlySpan<long> localSize, ReadOnlySpan<KernelArg> args,
                           string profileName, KernelWork work) =>
            device.Launch(kernel, globalSize, localSize, args, profileName, work);

        public DeviceBuffer Scratch(string purpose, long length) => device.Scratch(purpose, length);
    }
}
