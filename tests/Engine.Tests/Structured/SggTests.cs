using Engine.Kernels.Devices;
using Engine.Optim.Structured;
using Engine.Tensors;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Structured;

// One collection: these classes run fused reductions on the shared OpenCL device, whose reduction scratch
// buffers are not safe under concurrent launches from several threads (see the structured branch report).
[Collection("Structured")]
public class SggTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    private static readonly Gen<int[]> Shape = Gen.OneOf(
        from n in Gen.Choose(1, 300) select new[] { n },
        from m in Gen.Choose(1, 17) from n in Gen.Choose(1, 23) select new[] { m, n });

    private static readonly Gen<int> Seed = Gen.Choose(0, int.MaxValue);

    [Theory, MemberData(nameof(Backends))]
    public void WithoutBlendConflictOrClipTheGradientPassesExactly(string backend)
    {
        var device = Support.Backends.Get(backend);
        var options = new SggOptions { Alpha = 0, ClipFactor = null };
        Prop.ForAll((from s in Shape from seed in Seed select (s, seed)).ToArbitrary(), c =>
        {
            var (g, s, d) = Vectors(c.s, c.seed, conflict: false);
            var (u, _) = Run(device, c.s, options, [(g, s, d)]);
            Assert.Equal(Array.ConvertAll(g, x => (float)x), u[0].Select(x => (float)x).ToArray());
            return true;
        }).Check(TestSeeds.Quick(25));
    }

    [Theory, MemberData(nameof(Backends))]
    public void ProjectionRemovesTheConflictWithTheSourceGradient(string backend)
    {
        var device = Support.Backends.Get(backend);
        var options = new SggOptions { Alpha = 0, ClipFactor = null };
        Prop.ForAll((from s in Shape from seed in Seed select (s, seed)).ToArbitrary(), c =>
        {
            var (g, s, d) = Vectors(c.s, c.seed, conflict: true);
            var (u, _) = Run(device, c.s, options, [(g, s, d)]);
            double inner = HostData.Dot(u[0], s), bound = -1e-6 * HostData.Norm(g) * HostData.Norm(s);
            Assert.True(inner >= bound, $"{backend} {c}: <g', g_s> = {inner:E3} < {bound:E3}");
            return true;
        }).Check(TestSeeds.Quick(25));
    }

    [Theory, MemberData(nameof(Backends))]
    public void DirectionBlendKeepsTheNorm(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from s in Shape from alpha in Gen.Choose(1, 10) from conflict in Gen.Elements(false, true) from seed in Seed
                    select (s, alpha: alpha / 10.0, conflict, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (g, s, d) = Vectors(c.s, c.seed, c.conflict);
            var (u, _) = Run(device, c.s, new SggOptions { Alpha = c.alpha, ClipFactor = null }, [(g, s, d)]);
            var projected = Reference.Project(g, s);
            HostData.Near(HostData.Norm(projected), HostData.Norm(u[0]), 1e-5, $"{backend} {c} ||g''|| vs ||g'||", CancellationError(g, s));
            return true;
        }).Check(TestSeeds.Quick(25));
    }

    [Theory, MemberData(nameof(Backends))]
    public void ClippedUpdateNeverExceedsTau(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from s in Shape from factor in Gen.Choose(5, 30) from seed in Seed select (s, factor: factor / 10.0, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var rng = new Random(c.seed);
            int n = c.s.Aggregate(1, (x, y) => x * y);
            using var scope = new TensorScope();
            using var sgg = new SggGuidance(device, new SggOptions { ClipFactor = c.factor });
            for (int step = 0; step < 5; step++)
            {
                // Growing gradients (x1, x4, x16, ...) so the clip engages against the EMA of past norms.
                var g = HostData.Normal(rng, n, Math.Pow(4, step));
                var u = Step(device, sgg, c.s, g, HostData.Normal(rng, n), HostData.Normal(rng, n));
                var metrics = sgg.ReadMetrics();
                double norm = HostData.Norm(u);
                Assert.True(norm <= metrics.Tau * (1 + 1e-5) + 1e-12, $"{backend} {c} step {step}: ||u|| = {norm} > τ = {metrics.Tau}");
            }
            Assert.True(sgg.ReadMetrics().ClipRate > 0, $"{backend} {c}: the clip never engaged");
            return true;
        }).Check(TestSeeds.Quick(15));
    }

    [Theory, MemberData(nameof(Backends))]
    public void StepsMatchTheDoubleReference(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from s in Shape
                    from alpha in Gen.Choose(0, 10)
                    from clip in Gen.Elements<double?>(null, 0.7, 2.0)
                    from seed in Seed
                    select (s, alpha: alpha / 10.0, clip, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var options = new SggOptions { Alpha = c.alpha, ClipFactor = c.clip };
            var rng = new Random(c.seed);
            int n = c.s.Aggregate(1, (x, y) => x * y);
            var reference = new Reference(options);
            using var scope = new TensorScope();
            using var sgg = new SggGuidance(device, options);
            var d = new double[n];
            for (int step = 0; step < 4; step++)
            {
                var g = HostData.Normal(rng, n, rng.NextDouble() * 3);
                var s = HostData.Normal(rng, n);
                var u = Step(device, sgg, c.s, g, s, d);
                var expected = reference.Step(g, s, d);
                var metrics = sgg.ReadMetrics();
                string where = $"{backend} {c} step {step}";
                double absolute = 1e-5 * HostData.Norm(expected) + 1e-6 + CancellationError(g, s);
                for (int i = 0; i < n; i++)
                    HostData.Near(expected[i], u[i], 1e-4, $"{where} u[{i}]", absolute);
                HostData.Near(HostData.Dot(g, s) / (HostData.Norm(g) * HostData.Norm(s) + 1e-12), metrics.CosineGradSource, 1e-4,
                              $"{where} cos(g, g_s)", 1e-5);
                HostData.Near(reference.Tau, metrics.Tau, 1e-5, $"{where} τ");
                HostData.Near(reference.ClipRate, metrics.ClipRate, 0, $"{where} clip rate");
                // d: a momentum-like running direction, zero on the first step (the blend must skip it).
                for (int i = 0; i < n; i++) d[i] = (float)(0.9 * d[i] + u[i]);
            }
            return true;
        }).Check(TestSeeds.Quick(20));
    }

    [Fact]
    public void OptionsRejectBadValuesNamingTheParameter()
    {
        Assert.Contains("Alpha", Assert.Throws<ArgumentOutOfRangeException>(() => new SggOptions { Alpha = 1.5 }).Message);
        Assert.Contains("ClipFactor", Assert.Throws<ArgumentOutOfRangeException>(() => new SggOptions { ClipFactor = 0 }).Message);
        Assert.Contains("NormEmaDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new SggOptions { NormEmaDecay = 1 }).Message);
        var device = Support.Backends.Get("cpu");
        using var scope = new TensorScope();
        using var sgg = new SggGuidance(device);
        var a = Tensor.Zeros(device, 3);
        var b = Tensor.Zeros(device, 4);
        Assert.Contains("source gradient", Assert.Throws<ArgumentException>(() => sgg.Step(a, b, a, a)).Message);
    }

    /// <summary>g, g_s, d with &lt;g, g_s&gt; of the requested sign (d random, non-zero).</summary>
    private static (double[] G, double[] S, double[] D) Vectors(int[] shape, int seed, bool conflict)
    {
        var rng = new Random(seed);
        int n = shape.Aggregate(1, (x, y) => x * y);
        var g = Round(HostData.Normal(rng, n));
        var s = Round(HostData.Normal(rng, n));
        var d = Round(HostData.Normal(rng, n));
        double inner = HostData.Dot(g, s);
        if ((inner < 0) != conflict && inner != 0) s = Array.ConvertAll(s, x => -x);
        if (conflict && HostData.Dot(g, s) == 0) s[0] -= Math.Sign(g[0]) + (g[0] == 0 ? 1 : 0);
        return (g, s, d);
    }

    private static double[] Round(double[] v) => Array.ConvertAll(v, x => (double)(float)x);

    private static (double[][] U, SggMetrics Metrics) Run(ComputeDevice device, int[] shape, SggOptions options,
                                                          (double[] G, double[] S, double[] D)[] steps)
    {
        using var scope = new TensorScope();
        using var sgg = new SggGuidance(device, options);
        var u = steps.Select(v => Step(device, sgg, shape, v.G, v.S, v.D)).ToArray();
        return (u, sgg.ReadMetrics());
    }

    private static double[] Step(ComputeDevice device, SggGuidance sgg, int[] shape, double[] g, double[] s, double[] d)
    {
        using var scope = new TensorScope();
        Tensor Up(double[] v) => Tensor.FromArray(device, Array.ConvertAll(v, x => (float)x), shape);
        var gt = Up(g);
        var output = Tensor.Zeros(device, shape);
        sgg.Step(gt, Up(s), Up(d), output);
        return HostData.Vector(output);
    }

    /// <summary>METHODS §2b steps 1-3 on explicit vectors, in double.</summary>
    /// <summary>
    /// The absolute error of ‖g′‖ as the kernel forms it: from the Gram entries in fp32 (METHODS §2b), ‖g′‖² = ‖g‖² −
    /// ⟨g, g_s⟩²/‖g_s‖² loses ~ε‖g‖² where the projection cancels most of g, so ‖g′‖ is off by ~ε‖g‖²/‖g′‖, at most
    /// √ε‖g‖ (g ∥ g_s, e.g. one element: g′ = 0 exactly, ‖g′‖ ≈ 3e-4‖g‖). Ten times that, on the inputs' scale.
    /// </summary>
    private static double CancellationError(double[] g, double[] s)
    {
        const double epsilon = 1.0 / (1 << 23);
        double norm = HostData.Norm(g), projected = HostData.Norm(Reference.Project(g, s));
        return 10 * epsilon * norm * norm / Math.Max(projected, Math.Sqrt(epsilon) * norm);
    }

    private sealed class Reference(SggOptions options)
    {
        private double _ema;
        private int _steps, _clipped;

        public double Tau { get; private set; }
        public double ClipRate => (double)_clipped / _steps;

        public static double[] Project(double[] g, double[] s)
        {
            double gs = HostData.Dot(g, s), ss = HostData.Dot(s, s);
            if (gs >= 0 || ss == 0) return (double[])g.Clone();
            return g.Select((x, i) => x - gs / ss * s[i]).ToArray();
        }

        public double[] Step(double[] g, double[] s, double[] d)
        {
            _steps++;
            var projected = Project(g, s);
            double alpha = options.Alpha, n1 = HostData.Norm(projected), nd = HostData.Norm(d);
            var guided = projected;
            if (alpha > 0 && nd > 0 && n1 > 0)
            {
                var w = projected.Select((x, i) => (1 - alpha) * x / n1 + alpha * d[i] / nd).ToArray();
                double nw = HostData.Norm(w);
                if (nw >= 1e-12) guided = w.Select(x => n1 * x / nw).ToArray();
            }
            double decay = options.NormEmaDecay;
            _ema = decay * _ema + (1 - decay) * HostData.Norm(g);
            Tau = options.ClipFactor is { } cTau ? cTau * _ema / (1 - Math.Pow(decay, _steps)) : double.PositiveInfinity;
            double norm = HostData.Norm(guided);
            if (norm <= Tau) return guided;
            _clipped++;
            return guided.Select(x => x * Tau / norm).ToArray();
        }
    }
}
