using Engine.Kernels.Devices;
using Engine.Kernels.Fusion;
using Engine.Tests.OpenCl;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using Xunit.Abstractions;

namespace Engine.Tests.Fusion;

/// <summary>
/// <see cref="Fx.Contract"/>: a rank-K product A·B (A: m×K, B: K×n, or B stored transposed as n×K) formed per element of
/// an [m, n] launch, inside a map and a reduction, against the double reference on every backend.
/// </summary>
[Collection("OpenCl")]
public sealed class ContractionTests(OpenClFixture fixture, ITestOutputHelper output)
{
    /// <summary>out = λ·g + Σ_k A[i,k] B[k,j]; also reduces Σ (A B)² — the shape of CGFM's fused update.</summary>
    internal static FusedProgram LowRankUpdate()
    {
        var f = new FusionBuilder("low_rank_update");
        var g = f.Input("g");
        var low = Fx.Contract(f.Input("a"), f.Input("b"));
        f.Reduction("low_sq", Fx.SumSquares(low));
        f.Output("out", f.Scalar("lambda") * g + low);
        return f.Build();
    }

    [Fact]
    public void LowRankProductMatchesReference()
    {
        var devices = FusionKit.Devices(fixture, output);
        var gen = from m in Gen.Choose(1, 23)
                  from n in Gen.Choose(1, 300)
                  from k in Gen.Choose(1, 30)
                  from transposed in Gen.Elements(false, true)
                  from seed in Gen.Choose(0, 10_000)
                  select (m, n, k, transposed, seed);
        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            foreach (var device in devices) Check(device, c.m, c.n, c.k, c.transposed, c.seed);
        }).Check(TestSeeds.Quick(25));
    }

    /// <summary>Rows longer than a CPU chunk are walked in column segments (the column factor stays in cache).</summary>
    [Fact]
    public void LongRowsAreCutIntoColumnSegments()
    {
        foreach (var device in FusionKit.Devices(fixture, output))
            Check(device, 3, 70_001, 5, transposed: false, seed: 7);
    }

    [Fact]
    public void ContractionOperandsMustBeInputsReadNowhereElse()
    {
        var f = new FusionBuilder("bad_contract");
        var a = f.Input("a");
        Assert.Throws<ArgumentException>(() => Fx.Contract(a * 2f, a));
        f.Output("out", Fx.Contract(a, f.Input("b")) + a);
        var e = Assert.Throws<ArgumentException>(() => f.Build());
        Assert.Contains("'a'", e.Message);
    }

    [Fact]
    public void AnInputFeedsOneOperandSlotOnly()
    {
        var one = new FusionBuilder("contract_shared");
        var a = one.Input("a");
        one.Output("out", Fx.Contract(a, a));
        Assert.Contains("'a'", Assert.Throws<ArgumentException>(() => one.Build()).Message);
        var two = new FusionBuilder("contract_shared_twice");
        var x = two.Input("x");
        two.Output("out", Fx.Contract(x, two.Input("y")) + Fx.Contract(x, two.Input("z")));
        Assert.Contains("'x'", Assert.Throws<ArgumentException>(() => two.Build()).Message);
    }

    /// <summary>
    /// Two contractions of different extents in one flat (rank-1) launch over several cpu chunks, with a reduction that
    /// reads one of them: out = Σ_k A[k, i]·s[k] + Σ_k C[k, i]·t[k] (A, C row-major K×n; s, t broadcast vectors).
    /// </summary>
    [Fact]
    public void TwoContractionsInAFlatLaunch()
    {
        var f = new FusionBuilder("two_contractions");
        var first = Fx.Contract(f.Input("a"), f.Input("s"));
        var second = Fx.Contract(f.Input("c"), f.Input("t"));
        f.Reduction("first_sq", Fx.SumSquares(first));
        f.Output("out", first + second);
        var program = f.Build();
        const int n = 70_001, k1 = 3, k2 = 7;
        var a = FusionKit.Random(1, (long)k1 * n);
        var c = FusionKit.Random(2, (long)k2 * n);
        var sv = FusionKit.Random(3, k1);
        var tv = FusionKit.Random(4, k2);
        double[] Terms(float[] rows, int k) =>
            Enumerable.Range(0, n).SelectMany(i => Enumerable.Range(0, k).Select(j => (double)rows[(long)j * n + i])).ToArray();
        double[] Repeat(float[] v) => Enumerable.Range(0, n).SelectMany(_ => v.Select(x => (double)x)).ToArray();
        var expected = program.EvaluateReference(n, [Terms(a, k1), Repeat(sv), Terms(c, k2), Repeat(tv)], [], [k1, k2]);
        foreach (var device in FusionKit.Devices(fixture, output))
        {
            using var ab = device.Allocate(a.Length);
            using var cb = device.Allocate(c.Length);
            using var sb = device.Allocate(k1);
            using var tb = device.Allocate(k2);
            using var ob = device.Allocate(n);
            using var rb = device.Allocate(1);
            device.Write<float>(new BufferSlice(ab, 0), a);
            device.Write<float>(new BufferSlice(cb, 0), c);
            device.Write<float>(new BufferSlice(sb, 0), sv);
            device.Write<float>(new BufferSlice(tb, 0), tv);
            long[] shape = [n];
            device.RunFused(program, new FusedLaunch(shape,
                [new StridedSlice(ab, 0, shape, [1]), new StridedSlice(sb, 0, shape, [0]),
                 new StridedSlice(cb, 0, shape, [1]), new StridedSlice(tb, 0, shape, [0])],
                [new BufferSlice(ob, 0)], [], new BufferSlice(rb, 0), [new Contraction(k1, n, 1), new Contraction(k2, n, 1)]));
            var actual = new float[n];
            device.Read<float>(new BufferSlice(ob, 0), actual);
            var reduced = new float[1];
            device.Read<float>(new BufferSlice(rb, 0), reduced);
            for (int i = 0; i < n; i++) FusionKit.Near(expected.Outputs[0][i], actual[i], 1e-5, 1e-5, $"{device.Id}: out[{i}]");
            FusionKit.Near(expected.Reductions[0], reduced[0], 1e-4, 1e-4, $"{device.Id}: Σ first²");
        }
    }

    [Fact]
    public void LaunchMustDescribeEveryContraction()
    {
        var program = LowRankUpdate();
        using var device = new Engine.Kernels.Cpu.CpuDevice();
        using var buffer = device.Allocate(16);
        var slice = new StridedSlice(buffer, 0, [2, 2], [2, 1]);
        var launch = new FusedLaunch([2, 2], [slice, slice, slice], [new BufferSlice(buffer, 0)], [1f]);
        var e = Assert.Throws<ArgumentException>(() => device.RunFused(program, launch));
        Assert.Contains("contractions", e.Message);
        var tooFar = launch with { Contractions = [new Contraction(20, 1, 1)] };
        Assert.Throws<ArgumentOutOfRangeException>(() => device.RunFused(program, tooFar));
        var overflowing = launch with { Contractions = [new Contraction((1L << 62) + 1, 4, 1)] };
        Assert.Contains("reaches past any buffer", Assert.Throws<ArgumentException>(() => device.RunFused(program, overflowing)).Message);
    }

    private static void Check(ComputeDevice device, int m, int n, int k, bool transposed, int seed)
    {
        var program = LowRankUpdate();
        var g = FusionKit.Random(seed, (long)m * n);
        var a = FusionKit.Random(seed + 1, (long)m * k);
        var b = FusionKit.Random(seed + 2, (long)k * n);   // B[k, j] at k·n + j, or at j·K + k when transposed
        float lambda = 0.5f;

        // The reference takes K terms per element: A[i, ·] and B[·, j] for element (i, j).
        var aTerms = new double[(long)m * n * k];
        var bTerms = new double[(long)m * n * k];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                for (int t = 0; t < k; t++)
                {
                    long at = ((long)i * n + j) * k + t;
                    aTerms[at] = a[i * k + t];
                    bTerms[at] = b[transposed ? (long)j * k + t : (long)t * n + j];
                }
        var expected = program.EvaluateReference((long)m * n, [g.Select(x => (double)x).ToArray(), aTerms, bTerms], [lambda], [k]);

        using var gBuffer = device.Allocate(g.Length);
        using var aBuffer = device.Allocate(a.Length + 1);
        using var bBuffer = device.Allocate(b.Length);
        using var outBuffer = device.Allocate(g.Length);
        using var reduced = device.Allocate(1);
        device.Write<float>(new BufferSlice(gBuffer, 0), g);
        device.Write<float>(new BufferSlice(aBuffer, 1), a);   // an offset that must be honoured
        device.Write<float>(new BufferSlice(bBuffer, 0), b);
        long[] shape = [m, n];
        var launch = new FusedLaunch(shape,
            [new StridedSlice(gBuffer, 0, shape, [n, 1]), new StridedSlice(aBuffer, 1, shape, [k, 0]),
             new StridedSlice(bBuffer, 0, shape, transposed ? [0, k] : [0, 1])],
            [new BufferSlice(outBuffer, 0)], [lambda], new BufferSlice(reduced, 0),
            [new Contraction(k, 1, transposed ? 1 : n)]);
        device.RunFused(program, launch);
        var actual = new float[g.Length];
        device.Read<float>(new BufferSlice(outBuffer, 0), actual);
        var sum = new float[1];
        device.Read<float>(new BufferSlice(reduced, 0), sum);

        string where = $"{device.Id}: [{m}, {n}] rank {k}{(transposed ? " (B transposed)" : "")}, seed {seed}";
        for (long e = 0; e < actual.Length; e++)
            FusionKit.Near(expected.Outputs[0][e], actual[e], 1e-5, 1e-5 * k, $"{where}: out[{e}]");
        FusionKit.Near(expected.Reductions[0], sum[0], 1e-4, 1e-5, $"{where}: Σ(AB)²");
    }
}
