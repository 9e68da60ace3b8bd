using Engine.Optim.Structured;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Structured;

/// <summary>
/// SGG form A against its definition: on quadratic target and source losses (Hessians A, A_s; finite-difference
/// Hessian products exact up to rounding) the double reference's gradient equals the central-difference gradient of the
/// regularized loss L_tgt + α (1 − cos(g, d)) + β ½ max(0, ||g||/τ − 1)² + γ (1 − cos(g, g_s)) with g = ∇L_tgt(θ),
/// g_s = ∇L_src(θ) (d and τ fixed) — so the signs and factors of METHODS' three gradient terms are checked, not restated;
/// then the device form, which training runs, against that reference.
/// </summary>
public class SggFormATests
{
    [Fact]
    public void GradientIsTheRegularizedLossGradient()
    {
        var cases = from n in Gen.Choose(2, 12)
                    from cTau in Gen.Elements(0.5, 1.5)
                    from weights in Gen.Elements((0.1, 0.1, 0.1), (0.7, 0.0, 0.0), (0.0, 0.9, 0.0), (0.0, 0.0, 0.8), (0.3, 0.5, 0.4))
                    from seed in Gen.Choose(0, int.MaxValue)
                    select (n, cTau, weights, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var rng = new Random(c.seed);
            var (a, b) = Quadratic(rng, c.n);
            var (aS, bS) = Quadratic(rng, c.n);
            var theta = HostData.Normal(rng, c.n);
            var d = HostData.Normal(rng, c.n);
            var options = new SggFormAOptions { Alpha = c.weights.Item1, Beta = c.weights.Item2, Gamma = c.weights.Item3, ClipFactor = c.cTau };
            var form = new SggFormAReference(options);
            var g = Gradient(a, b, theta);
            var gs = Gradient(aS, bS, theta);
            var shifts = new List<double>();
            double[] Shifted(double[,] m, double[] v, double[] t)
            {
                shifts.Add(HostData.Norm(t.Select((x, i) => x - theta[i]).ToArray()));
                return Gradient(m, v, t);
            }
            var result = form.Gradient(theta, g, gs, d, t => Shifted(a, b, t), t => Shifted(aS, bS, t));
            // METHODS: the finite difference steps ε = 1e-3 ||θ|| along v̂ (exact on these quadratics at any ε, so checked here).
            Assert.All(shifts, s => Assert.Equal(1e-3 * HostData.Norm(theta), s, 1e-9));
            double tau = form.Tau;
            double Loss(double[] t)
            {
                var gt = Gradient(a, b, t);
                var st = Gradient(aS, bS, t);
                double quadratic = 0;
                for (int i = 0; i < c.n; i++)
                {
                    for (int j = 0; j < c.n; j++) quadratic += 0.5 * t[i] * a[i, j] * t[j];
                    quadratic -= b[i] * t[i];
                }
                double excess = Math.Max(0, HostData.Norm(gt) / tau - 1);
                return quadratic + options.Alpha * (1 - Cos(gt, d)) + options.Beta * 0.5 * excess * excess + options.Gamma * (1 - Cos(gt, st));
            }
            for (int i = 0; i < c.n; i++)
            {
                const double h = 1e-5;
                var plus = (double[])theta.Clone();
                var minus = (double[])theta.Clone();
                plus[i] += h;
                minus[i] -= h;
                double numeric = (Loss(plus) - Loss(minus)) / (2 * h);
                HostData.Near(numeric, result[i], 1e-5, $"{c} ∂L/∂θ[{i}]", 1e-6 * HostData.Norm(result));
            }
            return true;
        }).Check(TestSeeds.Quick(40));
    }

    [Fact]
    public void WithoutRegularizersTheGradientPassesAndTheStateIsCounted()
    {
        var rng = new Random(3);
        var (a, b) = Quadratic(rng, 5);
        var theta = Array.ConvertAll(HostData.Normal(rng, 5), x => (float)x);
        using var store = new Engine.Optim.ParameterStore(Support.Backends.Get("cpu"));
        store.Register("w", [5]);
        store.Allocate();
        store.ImportValues(theta);
        var g = Array.ConvertAll(Gradient(a, b, Array.ConvertAll(theta, x => (double)x)), x => (float)x);
        using var form = new SggFormA(new SggFormAOptions { Alpha = 0, Beta = 0, Gamma = 0 });
        using var d = Engine.Tensors.Tensor.FromArray(store.Device, Array.ConvertAll(HostData.Normal(rng, 5), x => (float)x), 5);
        int calls = 0;
        form.Gradient(store, d, isTarget =>
        {
            calls++;
            store.ImportGrads(isTarget ? g : Array.ConvertAll(HostData.Normal(rng, 5), x => (float)x));
        });
        Assert.Equal(2, calls);   // g and g_s only: no Hessian product is needed
        Assert.Equal(g, store.ExportGrads());
        Assert.Equal(1, form.Steps);
        double gNorm = HostData.Norm(Array.ConvertAll(g, x => (double)x));
        Assert.Equal(0.02 * gNorm, form.NormEma, 1e-6);
        Assert.Equal(1.5 * gNorm, form.Tau, 1e-5);   // bias-corrected: the first step's τ is c_τ ||g||
    }

    public static TheoryData<string> Backends => Support.Backends.Names;

    /// <summary>
    /// The device form (what training runs) equals the double reference on the same quadratics, within the rounding of
    /// fp32 finite differences, over two steps (so the EMA carries), and restores the store's weights bit for bit.
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void DeviceFormEqualsTheDoubleReference(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from n in Gen.Choose(1, 40)
                    from weights in Gen.Elements((0.1, 0.1, 0.1), (0.7, 0.0, 0.0), (0.0, 0.9, 0.0), (0.0, 0.0, 0.8), (0.3, 0.5, 0.4))
                    from cTau in Gen.Elements(0.5, 1.5)
                    from noDirection in Gen.Elements(false, false, true)   // d = null: a base optimizer without a first moment
                    from noSource in Gen.Elements(false, false, true)      // g_s = 0
                    from seed in Gen.Choose(0, int.MaxValue)
                    select (n, weights, cTau, noDirection, noSource, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var rng = new Random(c.seed);
            var (a, b) = Quadratic(rng, c.n);
            var (aS, bS) = Quadratic(rng, c.n);
            if (c.noSource) (aS, bS) = (new double[c.n, c.n], new double[c.n]);
            var options = new SggFormAOptions { Alpha = c.weights.Item1, Beta = c.weights.Item2, Gamma = c.weights.Item3, ClipFactor = c.cTau };
            var reference = new SggFormAReference(options);
            using var form = new SggFormA(options);
            using var store = new Engine.Optim.ParameterStore(device);
            store.Register("w", [c.n]);
            store.Allocate();
            for (int step = 0; step < 2; step++)
            {
                var thetaF = Array.ConvertAll(HostData.Normal(rng, c.n), x => (float)x);
                var dF = c.noDirection ? new float[c.n] : Array.ConvertAll(HostData.Normal(rng, c.n), x => (float)x);
                var theta = Array.ConvertAll(thetaF, x => (double)x);
                var d = Array.ConvertAll(dF, x => (double)x);
                // The reference sees the gradients the device sees: computed in double, stored in fp32.
                double[] Rounded(double[] x) => Array.ConvertAll(x, v => (double)(float)v);
                var expected = reference.Gradient(theta, Rounded(Gradient(a, b, theta)), Rounded(Gradient(aS, bS, theta)), d,
                                                  t => Rounded(Gradient(a, b, t)), t => Rounded(Gradient(aS, bS, t)));
                store.ImportValues(thetaF);
                using var direction = c.noDirection ? null : Engine.Tensors.Tensor.FromArray(device, dF, c.n);
                form.Gradient(store, direction, isTarget =>
                {
                    var at = Array.ConvertAll(store.ExportValues(), x => (double)x);
                    store.ImportGrads(Array.ConvertAll(isTarget ? Gradient(a, b, at) : Gradient(aS, bS, at), x => (float)x));
                });
                Assert.Equal(thetaF, store.ExportValues());
                var actual = store.ExportGrads();
                double scale = HostData.Norm(expected);
                for (int i = 0; i < c.n; i++)
                    HostData.Near(expected[i], actual[i], 1e-3, $"{backend} {c} step {step} [{i}]", 2e-4 * scale);
                HostData.Near(reference.Tau, form.Tau, 1e-5, $"{c} τ (the device keeps it in fp32)");
                HostData.Near(reference.CosineGradSource, form.CosineGradSource, 1e-5, $"{c} cos(g, g_s)", 1e-6);
                Assert.Equal(reference.MagnitudeSteps, form.MagnitudeSteps);
            }
            return true;
        }).Check(TestSeeds.Quick(30));
    }

    private static (double[,] A, double[] B) Quadratic(Random rng, int n)
    {
        var m = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                m[i, j] = rng.NextDouble() - 0.5;
        var a = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                for (int k = 0; k < n; k++) a[i, j] += m[i, k] * m[j, k];
                if (i == j) a[i, j] += 0.5;
            }
        return (a, HostData.Normal(rng, n));
    }

    private static double[] Gradient(double[,] a, double[] b, double[] theta)
    {
        int n = theta.Length;
        var g = new double[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) g[i] += a[i, j] * theta[j];
            g[i] -= b[i];
        }
        return g;
    }

    private static double Cos(double[] x, double[] y) => HostData.Dot(x, y) / (HostData.Norm(x) * HostData.Norm(y));
}
