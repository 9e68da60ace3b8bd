using Engine.Kernels.Fusion;
using Engine.Tests.OpenCl;
using Xunit;
using Xunit.Abstractions;

namespace Engine.Tests.Fusion;

/// <summary>Multi-input, multi-output, scalar, reduction and broadcasting programs on every backend.</summary>
[Collection("OpenCl")]
public sealed class FusedProgramTests(OpenClFixture fixture, ITestOutputHelper output)
{
    private static readonly long[] Sizes = [1, 33, 257, 70_001];

    internal static FusedProgram AdamW()
    {
        var b = new FusionBuilder("adamw");
        var p = b.Input("p"); var g = b.Input("g"); var m = b.Input("m"); var v = b.Input("v");
        var lr = b.Scalar("lr"); var b1 = b.Scalar("b1"); var b2 = b.Scalar("b2"); var eps = b.Scalar("eps"); var wd = b.Scalar("wd");
        var m2 = Fx.Fma(b1, m, (1 - b1) * g);
        var v2 = Fx.Fma(b2, v, (1 - b2) * g * g);
        b.Output("p", p - lr * (m2 / (Fx.Sqrt(v2) + eps) + wd * p));
        b.Output("m", m2);
        b.Output("v", v2);
        return b.Build();
    }

    /// <summary>Clip by global norm: the map reads a reduction (two phases).</summary>
    internal static FusedProgram ClippedStep()
    {
        var b = new FusionBuilder("clipped_sgd");
        var p = b.Input("p"); var g = b.Input("g"); var lr = b.Scalar("lr");
        var norm = Fx.Sqrt(b.Reduction("norm2", Fx.SumSquares(g)));
        b.Output("p_new", p - lr * g * Fx.Min(1f, 1f / (norm + 1e-6f)));
        return b.Build();
    }

    /// <summary>Centred variance: the second reduction reads the first (two reduce levels), plus a max and a dot.</summary>
    internal static FusedProgram Statistics()
    {
        var b = new FusionBuilder("stats");
        var x = b.Input("x"); var y = b.Input("y"); var count = b.Scalar("count");
        var mean = b.Reduction("sum", Fx.Sum(x)) / count;
        b.Reduction("centred", Fx.SumSquares(x - mean));
        b.Reduction("max", Fx.MaxReduce(Fx.Abs(x)));
        b.Reduction("dot", Fx.Dot(x, y));
        return b.Build();
    }

    [Fact]
    public void AdamWStepMatchesReference()
    {
        var program = AdamW();
        foreach (var device in FusionKit.Devices(fixture, output))
            foreach (var n in Sizes)
            {
                var inputs = new[]
                {
                    new HostInput(FusionKit.Random(1, n), [n]), new HostInput(FusionKit.Random(2, n), [n]),
                    new HostInput(FusionKit.Random(3, n, -0.1f, 0.1f), [n]), new HostInput(FusionKit.Random(4, n, 0f, 0.01f), [n]),
                };
                FusionKit.Check(device, program, [n], inputs, [1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f]);
            }
    }

    [Fact]
    public void ReductionFeedsTheMapPhase()
    {
        var program = ClippedStep();
        Assert.Equal(1, program.ReductionLevels);
        foreach (var device in FusionKit.Devices(fixture, output))
            foreach (var n in Sizes)
                FusionKit.Check(device, program, [n],
                    [new HostInput(FusionKit.Random(5, n), [n]), new HostInput(FusionKit.Random(6, n, -0.01f, 0.01f), [n])], [0.1f]);
    }

    [Fact]
    public void PureReductionsInTwoLevels()
    {
        var program = Statistics();
        Assert.Equal(0, program.OutputCount);
        Assert.Equal(2, program.ReductionLevels);
        Assert.Equal(["sum", "centred", "max", "dot"], program.ReductionNames.OrderBy(s => s == "sum" ? 0 : s == "centred" ? 1 : s == "max" ? 2 : 3));
        foreach (var device in FusionKit.Devices(fixture, output))
            foreach (var n in Sizes)
                FusionKit.Check(device, program, [n],
                    [new HostInput(FusionKit.Random(7, n, 2f, 3f), [n]), new HostInput(FusionKit.Random(8, n), [n])], [n]);
    }

    /// <summary>
    /// The cpu sums 16 vectors in float before widening to double. A constant 0.1f summed over a million elements shows
    /// the difference: floats that kept accumulating over a 64K chunk drift by ~4e-5 (each add rounds at the
    /// accumulator's growing ulp, always the same way); 16-vector blocks stay within ~1e-7, as widening every vector did.
    /// </summary>
    [Fact]
    public void CpuSumsStayWithinFloatBlockPrecisionOverLongRows()
    {
        var f = new FusionBuilder("long_sum");
        f.Reduction("total", Fx.Sum(f.Input("x")));
        var program = f.Build();
        const int n = 1_000_003;
        var data = Enumerable.Repeat(0.1f, n).ToArray();
        var (_, reductions) = FusionKit.Run(Support.Backends.Get("cpu"), program, [n], [new HostInput(data, [n])], []);
        double exact = n * (double)0.1f;
        Assert.True(Math.Abs(reductions[0] - exact) <= 1e-6 * exact, $"sum {reductions[0]:R}, exact {exact:R}");
    }

    /// <summary>
    /// The SIMD tanh (a rational fit on [−9, 9], clamped outside) against double over a dense sweep of [−12, 12], tiny and
    /// subnormal inputs, ±0, ±∞ and NaN: within 4e-7 relative everywhere (its fit's worst is 3e-7), never beyond ±1, odd,
    /// signed zeros kept.
    /// The sweep is long enough that the vector loop, not the scalar tail, computes nearly all of it.
    /// </summary>
    [Fact]
    public void TanhIsAccurateAcrossItsRange()
    {
        var f = new FusionBuilder("tanh_sweep");
        f.Output("y", Fx.Tanh(f.Input("x")));
        var program = f.Build();
        var x = Enumerable.Range(0, 240_001).Select(i => -12f + i * 1e-4f)
            .Concat([0f, -0f, 1e-30f, -1e-30f, 1e-40f, float.Epsilon, 3e-4f, 9f, 9.5f, 20f, float.MaxValue, -float.MaxValue,
                     float.PositiveInfinity, float.NegativeInfinity, float.NaN])
            .ToArray();
        foreach (var device in FusionKit.Devices(fixture, output))
        {
            var (outputs, _) = FusionKit.Run(device, program, [x.Length], [new HostInput(x, [x.Length])], []);
            var y = outputs[0];
            for (int i = 0; i < x.Length; i++)
            {
                double expected = Math.Tanh(x[i]);
                string where = $"{device.Id}: tanh({x[i]:R}) = {y[i]:R}, expected {expected:R}";
                if (double.IsNaN(expected)) Assert.True(float.IsNaN(y[i]), where);
                else if (expected == 0) Assert.True(y[i] == 0 && float.IsNegative(y[i]) == float.IsNegative(x[i]), where);
                else Assert.True(Math.Abs(y[i] - expected) <= 4e-7 * Math.Abs(expected) + 1e-45 && Math.Abs(y[i]) <= 1f, where);
            }
        }
    }

    [Fact]
    public void EmptyIndexSpaceGivesZeroSumAndMinusInfinityMax()
    {
        var program = Statistics();
        foreach (var device in FusionKit.Devices(fixture, output))
        {
            var (_, reductions) = FusionKit.Run(device, program, [0], [new HostInput([0f], [1]), new HostInput([0f], [1])], [1f]);
            var max = reductions[program.ReductionNames.ToList().IndexOf("max")];
            Assert.True(float.IsNegativeInfinity(max), $"{device.Id}: max over nothing = {max}");
            Assert.Equal(0f, reductions[program.ReductionNames.ToList().IndexOf("dot")]);
        }
    }

    public static TheoryData<long[], long[], long[]> BroadcastCases => new()
    {
        { new long[] { 37, 19 }, new long[] { 37, 19 }, new long[] { 1, 1 } },     // scalar broadcast
        { new long[] { 37, 19 }, new long[] { 37, 19 }, new long[] { 1, 19 } },    // row broadcast
        { new long[] { 37, 19 }, new long[] { 37, 1 }, new long[] { 37, 19 } },    // column broadcast
        { new long[] { 5, 1, 300 }, new long[] { 1, 1, 300 }, new long[] { 5, 1, 1 } },
        { new long[] { 3, 4, 5, 6 }, new long[] { 3, 1, 5, 1 }, new long[] { 1, 4, 1, 6 } },
        { new long[] { 700, 130 }, new long[] { 700, 130 }, new long[] { 700, 1 } }, // several cpu chunks of rows
    };

    [Theory, MemberData(nameof(BroadcastCases))]
    public void BroadcastOperandsMatchReference(long[] shape, long[] aShape, long[] bShape)
    {
        var b = new FusionBuilder("bcast");
        var x = b.Input("a"); var y = b.Input("b"); var s = b.Scalar("s");
        b.Output("out", Fx.Fma(x, y, s) + Fx.Tanh(y));
        b.Output("mx", Fx.Max(x, y));
        b.Reduction("total", Fx.Sum(x * y));
        var program = b.Build();
        foreach (var device in FusionKit.Devices(fixture, output))
            FusionKit.Check(device, program, shape,
                [new HostInput(FusionKit.Random(9, FusionKit.Count(aShape)), aShape),
                 new HostInput(FusionKit.Random(10, FusionKit.Count(bShape)), bShape)], [0.5f]);
    }

    [Fact]
    public void TransposedInputUsesTheGatherPath()
    {
        var program = ElementwiseOps.Add;
        foreach (var device in FusionKit.Devices(fixture, output))
        {
            const int rows = 23, cols = 41;
            var a = FusionKit.Random(11, rows * cols);
            var t = FusionKit.Random(12, rows * cols);
            using var ab = device.Allocate(a.Length);
            using var tb = device.Allocate(t.Length);
            using var ob = device.Allocate(a.Length);
            device.Write<float>(ab, a);
            device.Write<float>(tb, t);
            long[] shape = [rows, cols];
            device.RunFused(program, new FusedLaunch(shape,
                [new(ab, 0, shape, [cols, 1]), new(tb, 0, shape, [1, rows])], [ob], []));
            var got = new float[a.Length];
            device.Read<float>(ob, got);
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                    FusionKit.Near(a[r * cols + c] + (double)t[c * rows + r], got[r * cols + c], 1e-6, 1e-7, $"{device.Id}: [{r},{c}]");
        }
    }

    [Fact]
    public void InPlaceUpdateReadsBeforeItWrites()
    {
        foreach (var device in FusionKit.Devices(fixture, output))
        {
            const int n = 1001;
            var p = FusionKit.Random(13, n);
            using var pb = device.Allocate(n);
            device.Write<float>(pb, p);
            device.RunFused(ElementwiseOps.Scale, new FusedLaunch([n], [new(pb, 0, [n], [1])], [pb], [3f]));
            var got = new float[n];
            device.Read<float>(pb, got);
            for (int i = 0; i < n; i++) FusionKit.Near(3.0 * p[i], got[i], 1e-6, 0, $"{device.Id}: p[{i}]");
        }
    }
}
