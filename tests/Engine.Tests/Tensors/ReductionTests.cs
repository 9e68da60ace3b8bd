using Engine.Tensors;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using static Engine.Tests.Tensors.HostReference;

namespace Engine.Tests.Tensors;

public class ReductionTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    private static Gen<(int[] Shape, int Axis, bool Keep, int Seed)> Cases =>
        from rank in Gen.Choose(1, 4)
        from dims in Gen.ArrayOf(Gen.OneOf(Gen.Choose(1, 7), Gen.Elements(16, 17, 255, 257)), rank)
        from axis in Gen.Choose(-rank, rank - 1)
        from keep in Gen.Elements(false, true)
        from seed in Gen.Choose(0, int.MaxValue)
        where dims.Aggregate(1L, (a, d) => a * d) <= 20000
        select (dims, axis, keep, seed);

    [Theory, MemberData(nameof(Backends))]
    public void AxisReductionsMatchReference(string backend)
    {
        var device = Support.Backends.Get(backend);
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var x = RandomFloats(new Random(c.Seed), Count(c.Shape));
            int a = c.Axis < 0 ? c.Axis + c.Shape.Length : c.Axis;
            long outer = c.Shape.Take(a).Aggregate(1L, (p, d) => p * d);
            long inner = c.Shape.Skip(a + 1).Aggregate(1L, (p, d) => p * d);
            int len = c.Shape[a];
            double[] sum = new double[outer * inner], sq = new double[outer * inner], max = new double[outer * inner];
            int[] arg = new int[outer * inner];
            for (long o = 0; o < outer; o++)
                for (long i = 0; i < inner; i++)
                {
                    long r = o * inner + i;
                    max[r] = double.NegativeInfinity;
                    for (int k = 0; k < len; k++)
                    {
                        double v = x[(o * len + k) * inner + i];
                        sum[r] += v; sq[r] += v * v;
                        if (v > max[r]) { max[r] = v; arg[r] = k; }
                    }
                }
            var expectedShape = c.Keep ? c.Shape.Select((d, i) => i == a ? 1 : d).ToArray() : c.Shape.Where((_, i) => i != a).ToArray();
            using var t = Tensor.FromArray(device, x, c.Shape);
            using var s = t.Sum(c.Axis, c.Keep);
            using var m = t.Mean(c.Axis, c.Keep);
            using var mx = t.Max(c.Axis, c.Keep);
            using var ss = t.SumOfSquares(c.Axis, c.Keep);
            using var nrm = t.Norm(c.Axis, c.Keep);
            using var am = t.ArgMax(c.Axis, c.Keep);
            Assert.Equal(expectedShape, s.Shape.ToArray());
            Assert.Equal(expectedShape, am.Shape.ToArray());
            AssertClose(sum, s.ToArray(), 1e-5, 1e-5, "sum");
            AssertClose(sum.Select(v => v / len).ToArray(), m.ToArray(), 1e-5, 1e-6, "mean");
            AssertClose(max, mx.ToArray(), 0, 0, "max");
            AssertClose(sq, ss.ToArray(), 1e-5, 1e-5, "sumsq");
            AssertClose(sq.Select(Math.Sqrt).ToArray(), nrm.ToArray(), 1e-5, 1e-6, "norm");
            Assert.Equal(arg, am.ToIntArray());
        }).Check(TestSeeds.Quick(30));
    }

    /// <summary>A sum over an empty axis is zero: the kernel writes it (its output is not zero-filled beforehand).</summary>
    [Theory, MemberData(nameof(Backends))]
    public void SumOverAnEmptyAxisIsZero(string backend)
    {
        var device = Support.Backends.Get(backend);
        using var t = Tensor.Zeros(device, 3, 0, 2);
        using var s = t.Sum(1);
        Assert.Equal([3, 2], s.Shape.ToArray());
        Assert.All(s.ToArray(), v => Assert.Equal(0f, v));
    }

    [Theory, MemberData(nameof(Backends))]
    public void FullReductionsGiveRankZero(string backend)
    {
        var device = Support.Backends.Get(backend);
        var x = RandomFloats(new Random(3), 3 * 5 * 7);
        using var t = Tensor.FromArray(device, x, 3, 5, 7);
        using var s = t.Sum();
        using var n = t.Norm();
        using var am = t.ArgMax();
        Assert.Equal(0, s.Rank);
        AssertClose([x.Sum(v => (double)v)], [s.Item()], 1e-5, 1e-5, "sum");
        AssertClose([Math.Sqrt(x.Sum(v => (double)v * v))], [n.Item()], 1e-5, 1e-5, "norm");
        Assert.Equal(Array.IndexOf(x, x.Max()), am.ToIntArray()[0]);
    }

    [Fact]
    public void AxisOutOfRangeNamesAxisAndShape()
    {
        using var t = Tensor.Zeros(Support.Backends.Get("cpu"), 2, 3);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => t.Sum(2));
        Assert.Contains("axis 2", e.Message);
        Assert.Contains("[2, 3]", e.Message);
    }
}
