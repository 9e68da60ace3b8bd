using Engine.Tensors;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using static Engine.Tests.Tensors.HostReference;

namespace Engine.Tests.Tensors;

public class ElementwiseTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    private static readonly (string Name, Func<Tensor, Tensor, Tensor> Op, Func<double, double, double> Ref)[] Binary =
    [
        ("add", (a, b) => a + b, (x, y) => x + y),
        ("sub", (a, b) => a - b, (x, y) => x - y),
        ("mul", (a, b) => a * b, (x, y) => x * y),
        ("div", (a, b) => a / b, (x, y) => x / y),
        ("maximum", Tensor.Maximum, Math.Max),
        ("minimum", Tensor.Minimum, Math.Min),
    ];

    private static readonly (string Name, Func<Tensor, Tensor> Op, Func<double, double> Ref, Func<float, float> Domain)[] Unary =
    [
        ("neg", a => -a, x => -x, x => x),
        ("abs", a => a.Abs(), Math.Abs, x => x),
        ("exp", a => a.Exp(), Math.Exp, x => x),
        ("log", a => a.Log(), Math.Log, x => MathF.Abs(x) + 0.01f),
        ("sqrt", a => a.Sqrt(), Math.Sqrt, MathF.Abs),
        ("rsqrt", a => a.Rsqrt(), x => 1 / Math.Sqrt(x), x => MathF.Abs(x) + 0.01f),
        ("tanh", a => a.Tanh(), Math.Tanh, x => x * 3),
        ("relu", a => a.Relu(), x => Math.Max(0, x), x => x),
        ("gelu", a => a.Gelu(), x => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))), x => x * 3),
        ("pow3", a => a.Pow(3f), x => x * x * x, x => x),
        ("pow0.5", a => a.Pow(0.5f), Math.Sqrt, MathF.Abs),
        ("add-scalar", a => a + 1.5f, x => x + 1.5, x => x),
        ("scalar-sub", a => 2f - a, x => 2 - x, x => x),
        ("mul-scalar", a => a * -0.75f, x => x * -0.75, x => x),
        ("scalar-div", a => 3f / a, x => 3 / x, x => MathF.Abs(x) + 0.5f),
    ];

    /// <summary>Two broadcast-compatible shapes: b drops leading axes and sets some axes to 1.</summary>
    private static Gen<(int[] A, int[] B, int Seed)> BroadcastPair =>
        from rank in Gen.Choose(1, 4)
        from dims in Gen.ArrayOf(Gen.Choose(1, 9), rank)
        from drop in Gen.Choose(0, rank - 1)
        from ones in Gen.ArrayOf(Gen.Elements(false, true), rank)
        from swap in Gen.Elements(false, true)
        from seed in Gen.Choose(0, int.MaxValue)
        let b = dims.Skip(drop).Select((d, i) => ones[i] ? 1 : d).ToArray()
        select swap ? (b, dims, seed) : (dims, b, seed);

    [Theory, MemberData(nameof(Backends))]
    public void BinaryOpsBroadcastLikeNumPy(string backend)
    {
        var device = Support.Backends.Get(backend);
        Prop.ForAll(BroadcastPair.ToArbitrary(), c =>
        {
            var rng = new Random(c.Seed);
            var a = RandomFloats(rng, Count(c.A));
            var b = RandomFloats(rng, Count(c.B)).Select(v => MathF.Abs(v) < 0.1f ? v + 0.5f : v).ToArray();
            var outShape = Broadcast(c.A, c.B);
            using var ta = Tensor.FromArray(device, a, c.A);
            using var tb = Tensor.FromArray(device, b, c.B);
            foreach (var (name, op, reference) in Binary)
            {
                using var r = op(ta, tb);
                Assert.Equal(outShape, r.Shape.ToArray());
                AssertClose(Map(x => reference(x[0], x[1]), outShape, (a, c.A), (b, c.B)), r.ToArray(), 1e-6, 1e-6, $"{name} {backend}");
            }
        }).Check(TestSeeds.Quick(40));
    }

    [Theory, MemberData(nameof(Backends))]
    public void UnaryOpsMatchDoubleReference(string backend)
    {
        var device = Support.Backends.Get(backend);
        var sizes = Gen.OneOf(Gen.Choose(1, 40), Gen.Elements(15, 16, 17, 63, 64, 65, 255, 256, 257, 1023, 4099));
        Prop.ForAll(sizes.ToArbitrary(), Gen.Choose(0, int.MaxValue).ToArbitrary(), (n, seed) =>
        {
            var x = RandomFloats(new Random(seed), n, 3f);
            foreach (var (name, op, reference, domain) in Unary)
            {
                var input = x.Select(domain).ToArray();
                using var t = Tensor.FromArray(device, input, n);
                using var r = op(t);
                AssertClose(Map(v => reference(v[0]), [n], (input, [n])), r.ToArray(), 2e-6, 2e-6, $"{name} {backend} n={n}");
            }
        }).Check(TestSeeds.Quick(25));
    }

    [Theory, MemberData(nameof(Backends))]
    public void WhereBroadcastsAllThree(string backend)
    {
        var device = Support.Backends.Get(backend);
        using var cond = Tensor.FromArray(device, [1f, 0f, 2f], 3, 1);
        using var a = Tensor.FromArray(device, [10f, 20f, 30f, 40f], 4);
        using var b = Tensor.Full(device, -1f, 1, 4);
        using var r = Tensor.Where(cond, a, b);
        Assert.Equal(new[] { 3, 4 }, r.Shape.ToArray());
        Assert.Equal(new[] { 10f, 20f, 30f, 40f, -1f, -1f, -1f, -1f, 10f, 20f, 30f, 40f }, r.ToArray());
    }

    [Theory, MemberData(nameof(Backends))]
    public void OpsReadTransposedAndSlicedViews(string backend)
    {
        var device = Support.Backends.Get(backend);
        var x = RandomFloats(new Random(7), 5 * 7);
        using var t = Tensor.FromArray(device, x, 5, 7);
        using var tt = t.Transpose();           // [7, 5], strided
        using var s = tt.Slice(0, 2, 3);        // rows 2..4 of the transpose
        using var r = s * 2f;
        var expected = new double[3 * 5];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 5; j++)
                expected[i * 5 + j] = 2.0 * x[j * 7 + (i + 2)];
        AssertClose(expected, r.ToArray(), 1e-7, 0, backend);
    }

    [Fact]
    public void MismatchedShapesNameBothShapes()
    {
        var device = Support.Backends.Get("cpu");
        using var a = Tensor.Zeros(device, 2, 3);
        using var b = Tensor.Zeros(device, 4, 3);
        var e = Assert.Throws<ArgumentException>(() => a + b);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4, 3]", e.Message);
        Assert.Contains("Add", e.Message);
    }
}
