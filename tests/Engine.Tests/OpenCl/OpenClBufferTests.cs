using Engine.Kernels.Devices;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using Xunit.Abstractions;

namespace Engine.Tests.OpenCl;

[Collection("OpenCl")]
public sealed class OpenClBufferTests(OpenClFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public void Enumeration_ReportsTheDevice()
    {
        if (fixture.Require(output) is not { } device) return;
        output.WriteLine($"{device}: {device.PlatformName}, driver {device.DriverVersion}, {device.OpenClCVersion}, fp64={device.SupportsFp64}");
        Assert.Equal("opencl:0", device.Id);
        Assert.False(string.IsNullOrWhiteSpace(device.Name));
        Assert.False(string.IsNullOrWhiteSpace(device.DriverVersion));
        Assert.StartsWith("OpenCL C ", device.OpenClCVersion);
        Assert.True(device.MemoryBytes > 0);
        Assert.InRange(device.MaxWorkGroupSize, 1, 256);
        Assert.Equal(0, device.MaxWorkGroupSize & (device.MaxWorkGroupSize - 1));
    }

    [Fact]
    public void Allocate_IsZeroFilled()
    {
        if (fixture.Require(output) is not { } device) return;
        using var buffer = device.Allocate(1000);
        var host = new float[1000];
        Array.Fill(host, float.NaN);
        device.Read<float>(buffer, host);
        Assert.All(host, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void WriteThenRead_AtOffsets_RoundTrips()
    {
        if (fixture.Require(output) is not { } device) return;
        var cases = from length in Gen.Choose(1, 300)
                    from offset in Gen.Choose(0, length - 1)
                    from count in Gen.Choose(0, length - offset)
                    from seed in Gen.Choose(0, int.MaxValue)
                    select (length, offset, count, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (length, offset, count, seed) = c;
            var random = new Random(seed);
            var values = Enumerable.Range(0, count).Select(_ => (float)random.NextDouble() * 200 - 100).ToArray();
            using var buffer = device.Allocate(length);
            device.Write(new BufferSlice(buffer, offset), values.AsSpan());

            var whole = new float[length];
            device.Read<float>(buffer, whole);
            for (var i = 0; i < length; i++)
            {
                var expected = i >= offset && i < offset + count ? values[i - offset] : 0f;
                Assert.True(expected == whole[i], $"length {length}, offset {offset}, count {count}: element {i} is {whole[i]}, expected {expected}");
            }

            var part = new float[count];
            device.Read(new BufferSlice(buffer, offset), part.AsSpan());
            Assert.Equal(values, part);
        }).Check(TestSeeds.Quick(40));
    }

    [Fact]
    public void Int32_RoundTrips()
    {
        if (fixture.Require(output) is not { } device) return;
        using var buffer = device.Allocate(5);
        int[] values = [int.MinValue, -1, 0, 7, int.MaxValue];
        device.Write<int>(buffer, values);
        var back = new int[5];
        device.Read<int>(buffer, back);
        Assert.Equal(values, back);
    }

    [Fact]
    public void OutOfRange_Throws_NamingTheOffset()
    {
        if (fixture.Require(output) is not { } device) return;
        using var buffer = device.Allocate(10);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => device.Write(new BufferSlice(buffer, 8), new float[3].AsSpan()));
        Assert.Contains("offset 8", e.Message);
        Assert.Contains("length 10", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => device.Read(new BufferSlice(buffer, -1), new float[1].AsSpan()));
        Assert.Throws<ArgumentOutOfRangeException>(() => device.Read<float>(buffer, new float[11]));
        var partial = Assert.Throws<ArgumentException>(() => device.Write<byte>(buffer, new byte[3]));
        Assert.Contains("not a whole number of 4-byte elements", partial.Message);
    }

    [Fact]
    public void DisposedBuffer_Throws()
    {
        if (fixture.Require(output) is not { } device) return;
        var buffer = device.Allocate(4);
        buffer.Dispose();
        buffer.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => device.Write<float>(buffer, [1f]));
        Assert.Throws<ObjectDisposedException>(() => device.Read<float>(buffer, new float[1]));
    }

    [Fact]
    public void Scratch_IsReusedAndGrows()
    {
        if (fixture.Require(output) is not { } device) return;
        var first = device.Scratch("test-scratch", 100);
        Assert.Same(first, device.Scratch("test-scratch", 50));
        var grown = device.Scratch("test-scratch", 150);
        Assert.True(grown.Length >= 150);
        Assert.True(first.IsDisposed);
        Assert.NotSame(grown, device.Scratch("test-other", 10));
    }
}
