using Engine.Kernels.Devices;
using Engine.Kernels.OpenCl;
using Xunit;
using Xunit.Abstractions;

namespace Engine.Tests.OpenCl;

/// <summary>Program binaries survive in the on-disk cache; damaged entries are detected and rebuilt.</summary>
[Collection("OpenCl")]
public sealed class KernelDiskCacheTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"engine-kernel-cache-test-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void SecondInstance_LoadsTheBinary_AndDamagedEntriesAreRebuilt()
    {
        if (!OpenClFixture.Available(output)) return;
        var info = OpenClPlatforms.Devices[0];

        using (var cold = new OpenClDevice(info, _directory))
        {
            AssertAxpyWorks(cold);
            Assert.Equal((1, 0), (cold.BuildsFromSource, cold.BuildsFromBinary));
        }
        var file = Assert.Single(Directory.GetFiles(_directory));
        Assert.EndsWith(".bin", file);
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));

        AssertLoadsFromBinary(info);

        // A flipped byte fails the checksum; a truncated file has no complete payload.
        var bytes = File.ReadAllBytes(file);
        bytes[^1] ^= 0x5A;
        File.WriteAllBytes(file, bytes);
        AssertRebuildsFromSource(info);
        AssertLoadsFromBinary(info);

        File.WriteAllBytes(file, File.ReadAllBytes(file)[..20]);
        AssertRebuildsFromSource(info);

        // A well-formed entry whose payload the driver rejects as a program binary.
        var key = Path.GetFileNameWithoutExtension(file);
        new KernelDiskCache(_directory).Write(key, "not a program binary"u8);
        AssertRebuildsFromSource(info);
        AssertLoadsFromBinary(info);
    }

    private void AssertLoadsFromBinary(OpenClDeviceInfo info)
    {
        using var device = new OpenClDevice(info, _directory);
        AssertAxpyWorks(device);
        Assert.Equal((0, 1), (device.BuildsFromSource, device.BuildsFromBinary));
    }

    private void AssertRebuildsFromSource(OpenClDeviceInfo info)
    {
        using var device = new OpenClDevice(info, _directory);
        AssertAxpyWorks(device);
        Assert.Equal((1, 0), (device.BuildsFromSource, device.BuildsFromBinary));
    }

    private static void AssertAxpyWorks(OpenClDevice device)
    {
        var kernel = device.GetKernel(TestKernels.Source, TestKernels.SourceName, "axpy");
        using var x = device.Allocate(3);
        using var y = device.Allocate(3);
        device.Write<float>(x, [1f, 2f, 3f]);
        device.Write<float>(y, [10f, 20f, 30f]);
        device.Launch(kernel, [64], [64], [KernelArg.Of(y), KernelArg.Of(0L), KernelArg.Of(x), KernelArg.Of(0L), KernelArg.Of(2f), KernelArg.Of(3L)]);
        var result = new float[3];
        device.Read<float>(y, result);
        Assert.Equal([12f, 24f, 36f], result);
    }
}
