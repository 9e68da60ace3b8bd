using Engine.Kernels.Devices;
using Engine.Kernels.OpenCl;
using Engine.Kernels.Profiling;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using Xunit.Abstractions;

namespace Engine.Tests.OpenCl;

[Collection("OpenCl")]
public sealed class OpenClKernelTests(OpenClFixture fixture, ITestOutputHelper output)
{
    private const int Local = 64;

    [Fact]
    public void Axpy_MatchesScalarReference()
    {
        if (fixture.Require(output) is not { } device) return;
        var kernel = device.GetKernel(TestKernels.Source, TestKernels.SourceName, "axpy");
        var cases = from n in Gen.Choose(1, 700)
                    from yOff in Gen.Choose(0, 17)
                    from xOff in Gen.Choose(0, 17)
                    from a in Gen.Choose(-300, 300).Select(v => v / 100f)
                    from seed in Gen.Choose(0, int.MaxValue)
                    select (n, yOff, xOff, a, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (n, yOff, xOff, a, seed) = c;
            var random = new Random(seed);
            var x = Enumerable.Range(0, n + xOff).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
            var y = Enumerable.Range(0, n + yOff + 3).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
            using var xBuf = device.Allocate(x.Length);
            using var yBuf = device.Allocate(y.Length);
            device.Write<float>(xBuf, x);
            device.Write<float>(yBuf, y);

            device.Launch(kernel, [TestKernels.RoundUp(n, Local)], [Local],
                [KernelArg.Of(yBuf), KernelArg.Of((long)yOff), KernelArg.Of(xBuf), KernelArg.Of((long)xOff), KernelArg.Of(a), KernelArg.Of((long)n)]);

            var result = new float[y.Length];
            device.Read<float>(yBuf, result);
            for (var i = 0; i < y.Length; i++)
            {
                var inside = i >= yOff && i < yOff + n;
                var expected = inside ? (double)a * x[xOff + i - yOff] + y[i] : y[i];
                Assert.True(Math.Abs(result[i] - expected) <= 1e-6 * (1 + Math.Abs(expected)),
                    $"n={n} yOff={yOff} xOff={xOff} a={a}: y[{i}] = {result[i]}, expected {expected}");
            }
        }).Check(TestSeeds.Quick(25));
    }

    [Fact]
    public void Launch_WithoutLocalSize_LetsTheBackendChoose()
    {
        if (fixture.Require(output) is not { } device) return;
        var kernel = device.GetKernel(TestKernels.Source, TestKernels.SourceName, "axpy");
        const int n = 37;
        using var x = device.Allocate(n);
        using var y = device.Allocate(n);
        device.Write<float>(x, Enumerable.Range(0, n).Select(i => (float)i).ToArray());
        device.Launch(kernel, [n], [], [KernelArg.Of(y), KernelArg.Of(0L), KernelArg.Of(x), KernelArg.Of(0L), KernelArg.Of(2f), KernelArg.Of((long)n)]);
        var result = new float[n];
        device.Read<float>(y, result);
        Assert.Equal(Enumerable.Range(0, n).Select(i => 2f * i).ToArray(), result);
    }

    [Fact]
    public void BlockSum_WithLocalMemoryArgument_MatchesReference()
    {
        if (fixture.Require(output) is not { } device) return;
        var kernel = device.GetKernel(TestKernels.Source, TestKernels.SourceName, "block_sum");
        foreach (var n in new[] { 1, 63, 64, 65, 1000 })
        {
            var random = new Random(n);
            var x = Enumerable.Range(0, n + 5).Select(_ => (float)random.NextDouble()).ToArray();
            var groups = (int)(TestKernels.RoundUp(n, Local) / Local);
            using var xBuf = device.Allocate(x.Length);
            using var sums = device.Allocate(groups + 2);
            device.Write<float>(xBuf, x);
            device.Launch(kernel, [groups * (long)Local], [Local],
                [KernelArg.Of(xBuf), KernelArg.Of(5L), KernelArg.Of(sums), KernelArg.Of(2L), KernelArg.Local(Local * sizeof(float)), KernelArg.Of(n)]);
            var result = new float[groups];
            device.Read(new BufferSlice(sums, 2), result.AsSpan());
            for (var g = 0; g < groups; g++)
            {
                var expected = 0.0;
                for (var i = g * Local; i < Math.Min(n, (g + 1) * Local); i++) expected += x[5 + i];
                Assert.True(Math.Abs(result[g] - expected) <= 1e-5 * (1 + expected), $"n={n}: group {g} sum {result[g]}, expected {expected}");
            }
        }
    }

    [Fact]
    public void GetKernel_IsCachedInMemory()
    {
        if (fixture.Require(output) is not { } device) return;
        var first = device.GetKernel(TestKernels.Source, TestKernels.SourceName, "axpy");
        var builds = device.BuildsFromSource + device.BuildsFromBinary;
        Assert.Same(first, device.GetKernel(TestKernels.Source, TestKernels.SourceName, "axpy"));
        Assert.NotSame(first, device.GetKernel(TestKernels.Source, TestKernels.SourceName, "block_sum"));
        // Found by the text, not only by the string instance the launch path remembers.
        Assert.Same(first, device.GetKernel(new string(TestKernels.Source.AsSpan()), TestKernels.SourceName, "axpy"));
        Assert.Equal(builds, device.BuildsFromSource + device.BuildsFromBinary);
        // Options and the source's name are part of what a kernel is (the name is in its #line directive).
        var withOption = device.GetKernel(TestKernels.Source, TestKernels.SourceName, "axpy", "-DUNUSED_OPTION=1");
        Assert.NotSame(first, withOption);
        Assert.Same(withOption, device.GetKernel(TestKernels.Source, TestKernels.SourceName, "axpy", "-DUNUSED_OPTION=1"));
        Assert.NotSame(first, device.GetKernel(TestKernels.Source, "renamed_" + TestKernels.SourceName, "axpy"));
        Assert.Same(first, device.GetKernel(TestKernels.Source, TestKernels.SourceName, "axpy"));
    }

    [Fact]
    public void BrokenSource_ThrowsBuildException_PointingAtItsLine()
    {
        if (fixture.Require(output) is not { } device) return;
        var e = Assert.Throws<KernelBuildException>(() => device.GetKernel(TestKernels.Broken, "broken_kernel.cl", "broken"));
        output.WriteLine(e.Message);
        Assert.Equal("broken_kernel.cl", e.SourceName);
        Assert.Contains("broken_kernel.cl:3:", e.Message);
        Assert.Contains("undeclared_name", e.BuildLog);
        Assert.Contains("CL_BUILD_PROGRAM_FAILURE", e.Message);
    }

    [Fact]
    public void UnknownKernelName_ThrowsNamingTheCallAndError()
    {
        if (fixture.Require(output) is not { } device) return;
        var e = Assert.Throws<OpenClException>(() => device.GetKernel(TestKernels.Source, TestKernels.SourceName, "no_such_kernel"));
        Assert.Contains("clCreateKernel(no_such_kernel)", e.Message);
        Assert.Contains("CL_INVALID_KERNEL_NAME (-46)", e.Message);
    }

    [Fact]
    public void Launch_RejectsBadGeometryAndDisposedBuffers()
    {
        if (fixture.Require(output) is not { } device) return;
        var kernel = device.GetKernel(TestKernels.Source, TestKernels.SourceName, "axpy");
        using var x = device.Allocate(10);
        var y = device.Allocate(10);
        KernelArg[] args = [KernelArg.Of(y), KernelArg.Of(0L), KernelArg.Of(x), KernelArg.Of(0L), KernelArg.Of(1f), KernelArg.Of(10L)];
        var e = Assert.Throws<ArgumentException>(() => device.Launch(kernel, [100], [64], args));
        Assert.Contains("global size[0] = 100", e.Message);
        Assert.Throws<ArgumentException>(() => device.Launch(kernel, [64, 1], [64], args));
        y.Dispose();
        Assert.Throws<ObjectDisposedException>(() => device.Launch(kernel, [64], [64], args));
    }

    [Fact]
    public void Profiler_RecordsKernelDurations()
    {
        if (fixture.Require(output) is not { } device) return;
        var kernel = device.GetKernel(TestKernels.Source, TestKernels.SourceName, "axpy");
        using var x = device.Allocate(4096);
        using var y = device.Allocate(4096);
        KernelProfiler.Reset();
        KernelProfiler.Enable();
        try
        {
            for (var i = 0; i < 3; i++)
                device.Launch(kernel, [4096], [Local],
                    [KernelArg.Of(y), KernelArg.Of(0L), KernelArg.Of(x), KernelArg.Of(0L), KernelArg.Of(1f), KernelArg.Of(4096L)],
                    new KernelWork(Bytes: 3 * 4096 * 4, Flops: 2 * 4096));
            device.Synchronize();
        }
        finally
        {
            KernelProfiler.Disable();
        }

        var records = KernelProfiler.Records.Where(r => r.Kernel == "axpy" && r.Device == device.Id).ToArray();
        Assert.Equal(3, records.Length);
        Assert.All(records, r => Assert.True(r.DurationNs > 0, $"duration {r.DurationNs} ns"));
        var summary = Assert.Single(KernelProfiler.Summary(), s => s.Kernel == "axpy" && s.Device == device.Id);
        Assert.Equal(3, summary.Calls);
        Assert.Equal(records.Sum(r => r.DurationNs), summary.TotalNs);
        Assert.NotNull(summary.GigabytesPerSecond);
        output.WriteLine($"axpy: {summary.MeanNs:F0} ns mean, {summary.GigabytesPerSecond:F2} GB/s");
        KernelProfiler.Reset();
    }
}
