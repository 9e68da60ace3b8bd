using Engine.Tensors;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using static Engine.Tests.Tensors.HostReference;

namespace Engine.Tests.Tensors;

public class MatMulTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    private static double[] Reference(float[] a, float[] b, int batchA, int batchB, int m, int n, int k, bool ta, bool tb)
    {
        int batch = Math.Max(batchA, batchB);
        var c = new double[batch * m * n];
        for (int p = 0; p < batch; p++)
        {
            long oa = (batchA == 1 ? 0 : p) * (long)m * k, ob = (batchB == 1 ? 0 : p) * (long)k * n;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int q = 0; q < k; q++)
                        s += (double)a[oa + (ta ? q * m + i : i * k + q)] * b[ob + (tb ? j * k + q : q * n + j)];
                    c[(p * m + i) * n + j] = s;
                }
        }
        return c;
    }

    /// <summary>K = 0: the product of [m, 0] and [0, n] is an [m, n] of zeros, written by the GEMM (C is not zero-filled beforehand).</summary>
    [Theory, MemberData(nameof(Backends))]
    public void AnEmptyInnerDimensionGivesZeros(string backend)
    {
        var device = Support.Backends.Get(backend);
        using var a = Tensor.Zeros(device, 2, 4, 0);
        using var b = Tensor.Zeros(device, 0, 3);
        using var c = Tensor.MatMul(a, b);
        Assert.Equal([2, 4, 3], c.Shape.ToArray());
        Assert.All(c.ToArray(), v => Assert.Equal(0f, v));
    }

    [Theory, MemberData(nameof(Backends))]
    public void BatchedAndTransposedMatchReference(string backend)
    {
        var device = Support.Backends.Get(backend);
        var gen = from m in Gen.Choose(1, 40) from n in Gen.Choose(1, 40) from k in Gen.Choose(1, 40)
                  from batch in Gen.Elements(0, 1, 3) from shareB in Gen.Elements(false, true)
                  from ta in Gen.Elements(false, true) from tb in Gen.Elements(false, true)
                  from seed in Gen.Choose(0, int.MaxValue)
                  select (m, n, k, batch, shareB, ta, tb, seed);
        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            var rng = new Random(c.seed);
            int batchA = Math.Max(c.batch, 1), batchB = c.shareB ? 1 : batchA;
            var a = RandomFloats(rng, batchA * c.m * c.k);
            var b = RandomFloats(rng, batchB * c.k * c.n);
            int[] Shape(int batch, int r, int cl) => c.batch == 0 || (batch == 1 && c.shareB) ? [r, cl] : [batch, r, cl];
            using var ta = Tensor.FromArray(device, a, Shape(batchA, c.ta ? c.k : c.m, c.ta ? c.m : c.k));
            using var tb = Tensor.FromArray(device, b, Shape(batchB, c.tb ? c.n : c.k, c.tb ? c.k : c.n));
            using var r = Tensor.MatMul(ta, tb, c.ta, c.tb);
            var expected = Reference(a, b, batchA, batchB, c.m, c.n, c.k, c.ta, c.tb);
            AssertClose(expected, r.ToArray(), 1e-5, 1e-5 * c.k, $"{backend} {c}");
        }).Check(TestSeeds.Quick(40));
    }

    [Theory, MemberData(nameof(Backends))]
    public void TransposedViewsAreReadInPlace(string backend)
    {
        var device = Support.Backends.Get(backend);
        var rng = new Random(11);
        var a = RandomFloats(rng, 2 * 9 * 5);
        var b = RandomFloats(rng, 2 * 9 * 6);
        using var ta = Tensor.FromArray(device, a, 2, 9, 5);   // viewed as [2, 5, 9]
        using var tb = Tensor.FromArray(device, b, 2, 9, 6);
        using var aT = ta.Transpose(1, 2);
        using var r = Tensor.MatMul(aT, tb);                   // [2,5,9] x [2,9,6]
        AssertClose(Reference(a, b, 2, 2, 5, 6, 9, true, false), r.ToArray(), 1e-5, 1e-4, backend);
        using var sliced = tb.Slice(2, 1, 4);                 // [2, 9, 4] with row stride 6
        using var r2 = Tensor.MatMul(aT, sliced);
        var bs = new float[2 * 9 * 4];
        for (int p = 0; p < 2; p++) for (int i = 0; i < 9; i++) for (int j = 0; j < 4; j++) bs[(p * 9 + i) * 4 + j] = b[(p * 9 + i) * 6 + j + 1];
        AssertClose(Reference(a, bs, 2, 2, 5, 4, 9, true, false), r2.ToArray(), 1e-5, 1e-4, backend);
    }

    [Fact]
    public void InnerDimensionMismatchNamesShapes()
    {
        var device = Support.Backends.Get("cpu");
        using var a = Tensor.Zeros(device, 3, 4);
        using var b = Tensor.Zeros(device, 5, 6);
        var e = Assert.Throws<ArgumentException>(() => Tensor.MatMul(a, b));
        Assert.Contains("[3, 4]", e.Message);
        Assert.Contains("[5, 6]", e.Message);
        Assert.Contains("K=4", e.Message);
    }
}
