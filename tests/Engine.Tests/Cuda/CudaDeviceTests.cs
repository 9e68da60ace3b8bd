using Engine.Kernels.Cuda;
using Engine.Kernels.Devices;
using Xunit;
using Xunit.Abstractions;

namespace Engine.Tests.Cuda;

/// <summary>
/// What only the CUDA backend does: NVRTC builds (errors named by file and line), the on-disk cubin cache, launch
/// limits. The ops themselves run on cuda through every backend test (Support/Backends) where a GPU is. Without one
/// these tests say why and pass, unless ENGINE_REQUIRE_CUDA=1.
/// </summary>
public sealed class CudaDeviceTests(ITestOutputHelper output) : IDisposable
{
    private const string Axpy = """
        KERNEL void axpy(GLOBAL float* y, LONG yOffset, GLOBAL const float* x, LONG xOffset, float a, LONG n)
        {
            LONG i = GLOBAL_ID(0);
            if (i < n) y[yOffset + i] = FMA(a, x[xOffset + i], y[yOffset + i]);
        }
        """;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"engine-cubin-cache-test-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private bool Available()
    {
        var reason = CudaPlatform.AbsenceReason;
        if (reason is null) return true;
        if (Environment.GetEnvironmentVariable("ENGINE_REQUIRE_CUDA") == "1") Assert.Fail($"CUDA is required here: {reason}");
        output.WriteLine($"skipped: {reason}");
        return false;
    }

    [Fact]
    public void SecondInstance_LoadsTheCubin_AndDamagedEntriesAreRebuilt()
    {
        if (!Available()) return;
        var info = CudaPlatform.Devices[0];
        using (var cold = new CudaDevice(info, _directory))
        {
            AssertAxpyWorks(cold);
            Assert.Equal((1, 0), (cold.BuildsFromSource, cold.BuildsFromBinary));
        }
        var file = Assert.Single(Directory.GetFiles(_directory));
        using (var warm = new CudaDevice(info, _directory))
        {
            AssertAxpyWorks(warm);
            Assert.Equal((0, 1), (warm.BuildsFromSource, warm.BuildsFromBinary));
        }
        // A well-formed entry whose payload the driver rejects as a module image is rebuilt and replaced.
        new KernelDiskCache(_directory).Write(Path.GetFileNameWithoutExtension(file), "not a cubin"u8);
        using (var rebuilt = new CudaDevice(info, _directory))
        {
            AssertAxpyWorks(rebuilt);
            Assert.Equal((1, 0), (rebuilt.BuildsFromSource, rebuilt.BuildsFromBinary));
        }
    }

    [Fact]
    public void BuildErrors_NameTheFileAndLine()
    {
        if (!Available()) return;
        var device = (CudaDevice)DeviceRegistry.Open("cuda");
        var e = Assert.Throws<KernelBuildException>(() =>
            device.GetKernel("KERNEL void broken(GLOBAL float* y)\n{\n    y[0] = undefined_name;\n}\n", "broken.cu", "broken"));
        output.WriteLine(e.Message);
        Assert.Equal("broken.cu", e.SourceName);
        Assert.Contains("broken.cu(3)", e.Message);
        Assert.Contains("undefined_name", e.Message);
    }

    [Fact]
    public void Launches_OutsideTheDeviceLimits_AreRefusedWithTheLimit()
    {
        if (!Available()) return;
        var device = (CudaDevice)DeviceRegistry.Open("cuda");
        var kernel = device.GetKernel(Axpy, "axpy.cu", "axpy");
        using var y = device.Allocate(4);
        KernelArg[] args = [KernelArg.Of(y), KernelArg.Of(0L), KernelArg.Of(y), KernelArg.Of(0L), KernelArg.Of(1f), KernelArg.Of(4L)];
        var tooWide = Assert.Throws<ArgumentException>(() => device.Launch(kernel, [4096], [4096], args));
        Assert.Contains($"exceeds the {device.Info.MaxThreadsPerBlock}", tooWide.Message);
        var local = Assert.Throws<NotSupportedException>(() =>
            device.Launch(kernel, [4], [4], [.. args[..5], KernelArg.Local(16)]));
        Assert.Contains("only OpenCL kernels take", local.Message);
    }

    /// <summary>y += 2x over 1,000 elements at offsets, checked against the host, with the block size left to the backend.</summary>
    private static void AssertAxpyWorks(CudaDevice device)
    {
        const int n = 1000;
        var x = Enumerable.Range(0, n).Select(i => MathF.Sin(i)).ToArray();
        var y = Enumerable.Range(0, n).Select(i => (float)i).ToArray();
        using var xs = device.Allocate(n + 3);
        using var ys = device.Allocate(n + 5);
        device.Write<float>(new BufferSlice(xs, 3), x);
        device.Write<float>(new BufferSlice(ys, 5), y);
        var kernel = device.GetKernel(Axpy, "axpy.cu", "axpy");
        device.Launch(kernel, [n], [], [KernelArg.Of(ys), KernelArg.Of(5L), KernelArg.Of(xs), KernelArg.Of(3L), KernelArg.Of(2f), KernelArg.Of((long)n)]);
        var result = new float[n];
        device.Read<float>(new BufferSlice(ys, 5), result);
        for (int i = 0; i < n; i++) Assert.Equal(MathF.FusedMultiplyAdd(2f, x[i], y[i]), result[i]);
    }
}
