using Engine.Tensors;
using Xunit;

namespace Engine.Tests.Tensors;

public class CreationTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    [Theory, MemberData(nameof(Backends))]
    public void ConstantsAndRanges(string backend)
    {
        var device = Support.Backends.Get(backend);
        using var z = Tensor.Zeros(device, 3, 7);
        using var o = Tensor.Ones(device, 5);
        using var f = Tensor.Full(device, -2.5f, 2, 2);
        using var a = Tensor.Arange(device, 1f, 2.9f, 0.5f);
        Assert.All(z.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(o.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(f.ToArray(), v => Assert.Equal(-2.5f, v));
        Assert.Equal(new[] { 1f, 1.5f, 2f, 2.5f }, a.ToArray());
        using var r = Tensor.Arange(device, 1001);
        Assert.Equal(Enumerable.Range(0, 1001).Select(i => (float)i), r.ToArray());
    }

    [Theory, MemberData(nameof(Backends))]
    public void SeededRandomHasTheRightMomentsAndRepeats(string backend)
    {
        var device = Support.Backends.Get(backend);
        using var u = Tensor.Uniform(device, 42, -1f, 3f, 100_003);
        using var u2 = Tensor.Uniform(device, 42, -1f, 3f, 100_003);
        using var other = Tensor.Uniform(device, 43, -1f, 3f, 100_003);
        using var n = Tensor.Normal(device, 42, 0.5f, 2f, 100_003);
        var uv = u.ToArray();
        Assert.Equal(uv, u2.ToArray());
        Assert.NotEqual(uv, other.ToArray());
        Assert.All(uv, v => Assert.InRange(v, -1f, 3f));
        Assert.InRange(uv.Average(), 0.98, 1.02);
        var nv = n.ToArray();
        double mean = nv.Average(), std = Math.Sqrt(nv.Sum(v => (v - mean) * (v - mean)) / nv.Length);
        Assert.InRange(mean, 0.48, 0.52);
        Assert.InRange(std, 1.98, 2.02);
    }

    [Fact]
    public void RandomValuesAreTheSameOnEveryBackend()
    {
        var names = ((IEnumerable<object[]>)Support.Backends.Names).Select(row => (string)row[0]).ToArray();
        using var reference = Tensor.Uniform(Support.Backends.Get("cpu"), 7, 0f, 1f, 4097);
        using var refNormal = Tensor.Normal(Support.Backends.Get("cpu"), 7, 0f, 1f, 4097);
        foreach (var name in names)
        {
            using var u = Tensor.Uniform(Support.Backends.Get(name), 7, 0f, 1f, 4097);
            using var n = Tensor.Normal(Support.Backends.Get(name), 7, 0f, 1f, 4097);
            Assert.Equal(reference.ToArray(), u.ToArray());
            HostReference.AssertClose(refNormal.ToArray().Select(v => (double)v).ToArray(), n.ToArray(), 1e-5, 1e-6, name);
        }
    }

    [Theory, MemberData(nameof(Backends))]
    public void HostRoundTripAndCrossDeviceCopy(string backend)
    {
        var device = Support.Backends.Get(backend);
        var data = Enumerable.Range(0, 37).Select(i => i * 0.25f).ToArray();
        using var t = Tensor.FromArray(device, data, 37);
        using var c = t.To(Support.Backends.Get("cpu"));
        Assert.Equal(data, c.ToArray());
        var e = Assert.Throws<ArgumentException>(() => Tensor.FromArray(device, data, 6, 6));
        Assert.Contains("37 values", e.Message);
        Assert.Contains("[6, 6]", e.Message);
    }
}
