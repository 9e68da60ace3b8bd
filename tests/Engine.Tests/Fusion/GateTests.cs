using Engine.Kernels.Fusion;
using Engine.Tests.OpenCl;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using Xunit.Abstractions;

namespace Engine.Tests.Fusion;

/// <summary>
/// Fx.Gate(k, x) = k·x, except 0 where k = 0 with x not evaluated. The term's inputs hold NaN and ∞ wherever the
/// coefficient is 0, so a kernel that evaluated the term there (or let 0·∞ through) gives NaN where the reference
/// gives a number. Coefficients come as a scalar, a one-element broadcast input (SGG binds its b so), a constant and a
/// per-element input; shapes have tails shorter than a SIMD vector and runs of zeros longer than one.
/// </summary>
[Collection("OpenCl")]
public sealed class GateTests(OpenClFixture fixture, ITestOutputHelper output)
{
    private enum Coefficient { Scalar, BroadcastInput, Constant, PerElement }

    private sealed record Case(Coefficient Kind, bool Zero, int Rows, int Cols, int Seed)
    {
        public long[] Shape => [Rows, Cols];
        public int Count => Rows * Cols;
    }

    private static Gen<Case> Cases() =>
        from kind in Gen.Elements(Enum.GetValues<Coefficient>())
        from zero in Gen.Elements(true, false)
        from rows in Gen.Choose(1, 6)
        from cols in Gen.Choose(1, 70)
        from seed in Gen.Choose(0, 10_000)
        select new Case(kind, zero, rows, cols, seed);

    /// <summary>The coefficient as an expression of <paramref name="f"/>, plus the inputs and scalars it needs.</summary>
    private static (Expr Value, List<HostInput> Inputs, List<float> Scalars) CoefficientOf(FusionBuilder f, Case c, string name)
    {
        float uniform = c.Zero ? 0f : 0.75f;
        return c.Kind switch
        {
            Coefficient.Scalar => (f.Scalar(name), [], [uniform]),
            Coefficient.BroadcastInput => (f.Input(name), [new HostInput([uniform], [1, 1])], []),
            Coefficient.Constant => (uniform, [], []),
            // zero in runs of 0..40 elements, nonzero between them (all zero when the case says so)
            _ => (f.Input(name), [new HostInput(PerElement(c), c.Shape)], []),
        };
    }

    private static float[] PerElement(Case c)
    {
        var r = new Random(c.Seed);
        var k = new float[c.Count];
        for (int e = 0; e < k.Length;)
        {
            int zeros = r.Next(0, 41), ones = r.Next(1, 20);
            for (int j = 0; j < zeros && e < k.Length; j++) k[e++] = 0f;
            for (int j = 0; j < ones && e < k.Length; j++) k[e++] = c.Zero ? 0f : 0.5f + r.NextSingle();
        }
        return k;
    }

    /// <summary>Random data, with NaN (even index) or +∞ (odd) wherever <paramref name="coefficient"/> is 0.</summary>
    private static float[] Poisoned(int seed, int count, Func<int, float> coefficient)
    {
        var data = FusionKit.Random(seed, count, -2f, 2f);
        for (int e = 0; e < count; e++)
            if (coefficient(e) == 0f) data[e] = e % 2 == 0 ? float.NaN : float.PositiveInfinity;
        return data;
    }

    private static Func<int, float> CoefficientAt(Case c, List<HostInput> inputs, List<float> scalars) => c.Kind switch
    {
        Coefficient.PerElement => e => inputs[0].Data[e],
        Coefficient.BroadcastInput => _ => inputs[0].Data[0],
        Coefficient.Scalar => _ => scalars[0],
        _ => _ => c.Zero ? 0f : 0.75f,
    };

    private void ForEveryBackend(Func<Case, (FusedProgram Program, HostInput[] Inputs, float[] Scalars)> build, int cases = 30)
    {
        var devices = FusionKit.Devices(fixture, output);
        var seenOnGpu = new HashSet<(Coefficient, bool)>();
        Prop.ForAll(Cases().ToArbitrary(), c =>
        {
            var (program, inputs, scalars) = build(c);
            // PoCL is slow to build and run: each kind of coefficient, zero and not, once there.
            bool gpu = seenOnGpu.Add((c.Kind, c.Zero));
            foreach (var device in devices.Where(d => d.Kind == Engine.Kernels.Devices.DeviceKind.Cpu || gpu))
                FusionKit.Check(device, program, c.Shape, inputs, scalars);
        }).Check(TestSeeds.Quick(cases));
    }

    [Fact]
    public void AGatedTermIsNotEvaluatedWhereItsCoefficientIsZero()
    {
        ForEveryBackend(c =>
        {
            var f = new FusionBuilder("gate_plain");
            var (k, inputs, scalars) = CoefficientOf(f, c, "k");
            var at = CoefficientAt(c, inputs, scalars);
            var x = f.Input("x");
            var y = f.Input("y");
            var z = f.Input("z");
            f.Output("out", x * 2f + Fx.Gate(k, y * z + Fx.Exp(Fx.Tanh(y))));
            inputs.AddRange([
                new HostInput(FusionKit.Random(c.Seed + 1, c.Count, -2f, 2f), c.Shape),
                new HostInput(Poisoned(c.Seed + 2, c.Count, at), c.Shape),
                new HostInput(Poisoned(c.Seed + 3, c.Count, at), c.Shape),
            ]);
            return (f.Build(), inputs.ToArray(), scalars.ToArray());
        });
    }

    [Fact]
    public void AGatedTermInAReductionIsNotEvaluatedWhereItsCoefficientIsZero()
    {
        ForEveryBackend(c =>
        {
            var f = new FusionBuilder("gate_reduced");
            var (k, inputs, scalars) = CoefficientOf(f, c, "k");
            var at = CoefficientAt(c, inputs, scalars);
            var x = f.Input("x");
            var y = f.Input("y");
            var total = f.Reduction("total", Fx.Sum(x + Fx.Gate(k, y * y)));
            f.Output("out", x - total * 0.01f);
            inputs.AddRange([
                new HostInput(FusionKit.Random(c.Seed + 1, c.Count, -2f, 2f), c.Shape),
                new HostInput(Poisoned(c.Seed + 2, c.Count, at), c.Shape),
            ]);
            return (f.Build(), inputs.ToArray(), scalars.ToArray());
        });
    }

    [Fact]
    public void AValueTheTermSharesWithTheRestIsStillComputed()
    {
        // t = y·y is read by the gate's term and by the second output; only z is the term's alone (poisoned).
        ForEveryBackend(c =>
        {
            var f = new FusionBuilder("gate_shared");
            var (k, inputs, scalars) = CoefficientOf(f, c, "k");
            var at = CoefficientAt(c, inputs, scalars);
            var y = f.Input("y");
            var z = f.Input("z");
            var t = y * y;
            f.Output("gated", Fx.Gate(k, t + z) + 1f);
            f.Output("shared", t * 3f);
            inputs.AddRange([
                new HostInput(FusionKit.Random(c.Seed + 1, c.Count, -2f, 2f), c.Shape),
                new HostInput(Poisoned(c.Seed + 2, c.Count, at), c.Shape),
            ]);
            return (f.Build(), inputs.ToArray(), scalars.ToArray());
        });
    }

    [Fact]
    public void TwoGatesSharingATermAndNestedGatesGiveTheReferenceValues()
    {
        // y·y is in both gates' terms (computed outside either); the nested gate sits inside the outer one's term.
        ForEveryBackend(c =>
        {
            var f = new FusionBuilder("gate_two_nested");
            var (k, inputs, scalars) = CoefficientOf(f, c, "k");
            var at = CoefficientAt(c, inputs, scalars);
            var h = f.Scalar("h");
            var y = f.Input("y");
            var z = f.Input("z");
            var w = f.Input("w");
            var shared = y * y;
            f.Output("two", Fx.Gate(k, shared + z) + Fx.Gate(h, shared - 1f));
            f.Output("nested", Fx.Gate(k, Fx.Gate(h, w) + z * 0.5f));
            scalars.Add(c.Seed % 2 == 0 ? 0f : -1.5f);
            inputs.AddRange([
                new HostInput(FusionKit.Random(c.Seed + 1, c.Count, -2f, 2f), c.Shape),
                new HostInput(Poisoned(c.Seed + 2, c.Count, at), c.Shape),
                new HostInput(Poisoned(c.Seed + 3, c.Count, at), c.Shape),
            ]);
            return (f.Build(), inputs.ToArray(), scalars.ToArray());
        });
    }

    /// <summary>Gates in a reduce phase and a map phase, one nested, one per element (for the generated-source checks).</summary>
    public static FusedProgram Sample()
    {
        var f = new FusionBuilder("gate_sample");
        var k = f.Input("k");
        var x = f.Input("x");
        var y = f.Input("y");
        var s = f.Scalar("s");
        var total = f.Reduction("total", Fx.Sum(Fx.Gate(s, x * y)));
        f.Output("out", Fx.Gate(k, Fx.Gate(s, y) + x) - total);
        return f.Build();
    }

    [Fact]
    public void AGateKeepsNaNFromANaNCoefficient()
    {
        var f = new FusionBuilder("gate_nan");
        f.Output("out", Fx.Gate(f.Scalar("k"), f.Input("y")));
        var program = f.Build();
        var y = new HostInput(FusionKit.Random(5, 37), [37]);   // two SIMD steps and a tail
        foreach (var device in FusionKit.Devices(fixture, output))
        {
            var (outputs, _) = FusionKit.Run(device, program, [37], [y], [float.NaN]);
            Assert.All(outputs[0], v => Assert.True(float.IsNaN(v), $"{device.Id}: {v}"));
        }
    }
}
