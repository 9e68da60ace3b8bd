using Engine.Kernels.Devices;
using Engine.Optim;
using Engine.Optim.Structured;
using Engine.Tensors;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using MathNet.Numerics.LinearAlgebra;
using Xunit;

namespace Engine.Tests.Structured;

// One collection: these classes run fused reductions on the shared OpenCL device, whose reduction scratch
// buffers are not safe under concurrent launches from several threads (see the structured branch report).
[Collection("Structured")]
public class SpectralTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    private static readonly Gen<(int Rows, int Cols)> Shape = from m in Gen.Choose(1, 24) from n in Gen.Choose(1, 11) select (m, n);
    private static readonly Gen<int> Seed = Gen.Choose(0, int.MaxValue);
    private static readonly Gen<LaplacianKind> Kind = Gen.Elements(LaplacianKind.Symmetric, LaplacianKind.Combinatorial);

    [Theory, MemberData(nameof(Backends))]
    public void WithoutFilterAndPenaltyTheGradientIsUnchanged(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from s in Shape from kind in Kind from source in Gen.Elements(GraphSource.Weights, GraphSource.GradientCosine)
                    from mode in Gen.Elements(SpectralFilterMode.Exact, SpectralFilterMode.Chebyshev) from seed in Seed
                    select (s, kind, source, mode, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var options = new SpectralOptions { Rho = 0, Penalty = 0, Laplacian = c.kind, Source = c.source, Mode = c.mode, GraphWarmupSteps = 1 };
            var rng = new Random(c.seed);
            using var scope = new TensorScope();
            using var filter = new SpectralGradientFilter(device, c.s.Rows, c.s.Cols, options);
            var w = HostData.Upload(device, HostData.Matrix(rng, c.s.Rows, c.s.Cols));
            for (int step = 0; step < 3; step++)
            {
                var g = HostData.Matrix(rng, c.s.Rows, c.s.Cols);
                var gt = HostData.Upload(device, g);
                filter.Step(w, gt);
                Assert.True(g.Equals(HostData.Download(gt)), $"{backend} {c} step {step}: the gradient changed");
            }
            Assert.True(filter.HasGraph);
            return true;
        }).Check(TestSeeds.Quick(20));
    }

    [Theory, MemberData(nameof(Backends))]
    public void FilterScalesEachEigenvectorByTheResponse(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from s in Shape from kind in Kind from mode in Gen.Elements(SpectralFilterMode.Exact, SpectralFilterMode.Chebyshev)
                    from response in Gen.Elements(SpectralResponse.HeatKernel, SpectralResponse.Resolvent)
                    from tau in Gen.Elements(0.25, 0.5, 1.0) from seed in Seed
                    select (s, kind, mode, response, tau, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            // Chebyshev on L_comb maps [0, λ_max] with λ_max up to ~2·degree, a wider interval than L_sym's [0, 2]:
            // it gets a higher order for the same accuracy.
            int order = c.kind == LaplacianKind.Symmetric ? 10 : 24;
            var options = new SpectralOptions
            {
                Laplacian = c.kind, Mode = c.mode, Response = c.response, Tau = c.tau, ChebyshevOrder = order,
                Neighbors = 4, Penalty = 0,
            };
            if (c.kind == LaplacianKind.Combinatorial && c.response == SpectralResponse.Resolvent && c.mode == SpectralFilterMode.Chebyshev)
                return true; // 1/(1+τλ) on a wide interval converges only geometrically; covered on L_sym, and on L_comb
                             // against its interpolation bound (ChebyshevResolventOnTheCombinatorialLaplacianMeetsItsInterpolationBound).
            using var scope = new TensorScope();
            using var filter = Built(device, c.s, options, c.seed);
            var evd = filter.Laplacian.Evd(Symmetricity.Symmetric);
            var vectors = evd.EigenVectors;
            var filtered = HostData.Download(filter.Filter(HostData.Upload(device, vectors)));
            for (int k = 0; k < c.s.Rows; k++)
            {
                double h = options.ResponseAt(evd.EigenValues[k].Real);
                HostData.Near(h * vectors.Column(k).ToColumnMatrix(), filtered.Column(k).ToColumnMatrix(),
                              c.mode == SpectralFilterMode.Exact ? 2e-5 : 1e-4, $"{backend} {c} eigenvector {k} (λ = {evd.EigenValues[k].Real})", 1e-5);
            }
            return true;
        }).Check(TestSeeds.Quick(30));
    }

    [Theory, MemberData(nameof(Backends))]
    public void ConstantVectorPassesTheCombinatorialFilterUnchanged(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from s in Shape from mode in Gen.Elements(SpectralFilterMode.Exact, SpectralFilterMode.Chebyshev)
                    from tau in Gen.Elements(0.25, 0.5, 2.0) from seed in Seed select (s, mode, tau, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var options = new SpectralOptions { Laplacian = LaplacianKind.Combinatorial, Mode = c.mode, Tau = c.tau, ChebyshevOrder = 30, Penalty = 0 };
            using var scope = new TensorScope();
            using var filter = Built(device, c.s, options, c.seed);
            var ones = Matrix<double>.Build.Dense(c.s.Rows, 3, 1.0);
            HostData.Near(ones, HostData.Download(filter.Filter(HostData.Upload(device, ones))), 2e-5, $"{backend} {c}");
            return true;
        }).Check(TestSeeds.Quick(20));
    }

    [Theory, MemberData(nameof(Backends))]
    public void ChebyshevAgreesWithTheExactFilterOnTheSymmetricLaplacian(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from s in Shape from tau in Gen.Elements(0.25, 0.5, 1.0) from rho in Gen.Elements(0.5, 1.0) from seed in Seed
                    select (s, tau, rho, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var options = new SpectralOptions { Mode = SpectralFilterMode.Chebyshev, ChebyshevOrder = 10, Tau = c.tau, Rho = c.rho, Penalty = 0 };
            using var scope = new TensorScope();
            using var filter = Built(device, c.s, options, c.seed);
            var x = HostData.Matrix(new Random(c.seed ^ 7), c.s.Rows, c.s.Cols);
            var exact = ExactFilter(filter.Laplacian, options) * x;
            // The polynomial itself, in double: the approximation error METHODS bounds by 1e-6 relative at K = 10, τ ≤ 1.
            HostData.Near(exact, HostChebyshev(filter.Laplacian, options, 2, x), 1e-6, $"{c} Chebyshev in double", 0);
            // The device recurrence in fp32 (10 GEMMs with L) meets the same bound.
            HostData.Near(exact, HostData.Download(filter.Filter(HostData.Upload(device, x))), 1e-6, $"{backend} {c} Chebyshev on the device");
            return true;
        }).Check(TestSeeds.Quick(30));
    }

    /// <summary>
    /// METHODS §3b: Chebyshev vs exact to 1e-6 relative at K = 10, "for L_comb, use τ·λmax in place of τ": τ is set from
    /// the λ_max the filter maps onto +1 (an upper bound of the spectrum, <see cref="GraphLaplacian.LambdaMax"/>) so that
    /// τ·λ_max ∈ {0.25, 0.5, 1} — and 2, where τ' = τ·λ_max/2 = 1 is the closed form's argument L_sym has at τ = 1. In
    /// double, then on the device in fp32. (With METHODS' 20 power iterations × 1.01, which fell short of the true λ_max on
    /// some graphs, the heat kernel still met 1e-6 here; the resolvent did not:
    /// <see cref="ChebyshevResolventOnTheCombinatorialLaplacianMeetsItsInterpolationBound"/>.)
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void ChebyshevAgreesWithTheExactFilterOnTheCombinatorialLaplacian(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from s in Shape from tauLambdaMax in Gen.Elements(0.25, 0.5, 1.0, 2.0) from rho in Gen.Elements(0.5, 1.0)
                    from seed in Seed select (s, tauLambdaMax, rho, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var probe = new SpectralOptions { Laplacian = LaplacianKind.Combinatorial, Mode = SpectralFilterMode.Chebyshev, ChebyshevOrder = 10, Penalty = 0 };
            double lambdaMax;
            using (var scope = new TensorScope())
            using (var built = Built(device, c.s, probe, c.seed)) lambdaMax = built.LambdaMax;
            var options = probe with { Tau = c.tauLambdaMax / lambdaMax, Rho = c.rho };
            using var outer = new TensorScope();
            using var filter = Built(device, c.s, options, c.seed);
            Assert.Equal(lambdaMax, filter.LambdaMax);
            var x = HostData.Matrix(new Random(c.seed ^ 7), c.s.Rows, c.s.Cols);
            var exact = ExactFilter(filter.Laplacian, options) * x;
            HostData.Near(exact, HostChebyshev(filter.Laplacian, options, lambdaMax, x), 1e-6, $"{c} Chebyshev in double (λ_max {lambdaMax})", 0);
            HostData.Near(exact, HostData.Download(filter.Filter(HostData.Upload(device, x))), 1e-6,
                          $"{backend} {c} Chebyshev on the device (λ_max {lambdaMax})");
            return true;
        }).Check(TestSeeds.Quick(30));
    }

    [Fact]
    public void HeatKernelCoefficientsMatchTheClosedFormTableAndTheQuadrature()
    {
        double[] table = [0.9315192, -0.4158208, 0.0998776, -0.0163106, 0.0020139, -0.0001997];
        var closed = ChebyshevCoefficients.HeatKernel(1, 2, 5);
        for (int k = 0; k < table.Length; k++) HostData.Near(table[k], closed[k], 0, $"c_{k} closed form", 1e-6);
        // Quadrature with N = K + 1 nodes aliases c_k with c_{2N-k}, so it matches the closed form once the
        // coefficients past K have decayed: K = 10 at τ = 1 on L_sym, a higher K for wider spectra.
        foreach (var (tau, lambdaMax, order) in new[] { (1.0, 2.0, 10), (0.5, 2.0, 10), (0.25, 7.3, 20), (2.0, 11.0, 40) })
        {
            var quadrature = ChebyshevCoefficients.Quadrature(l => Math.Exp(-tau * l), lambdaMax, order);
            var exact = ChebyshevCoefficients.HeatKernel(tau, lambdaMax, order);
            for (int k = 0; k <= order; k++)
                HostData.Near(exact[k], quadrature[k], 0, $"τ={tau} λmax={lambdaMax} K={order} c_{k}", 1e-7);
        }
    }

    [Theory, MemberData(nameof(Backends))]
    public void PenaltyAddsTwiceLambdaLaplacianTimesTheWeightChange(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from s in Shape from kind in Kind from rho in Gen.Elements(0.0, 0.7) from withReference in Gen.Elements(false, true)
                    from mode in Gen.Elements(SpectralFilterMode.Exact, SpectralFilterMode.Chebyshev) from seed in Seed
                    select (s, kind, rho, withReference, mode, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var options = new SpectralOptions { Laplacian = c.kind, Rho = c.rho, Penalty = 0.05, Mode = c.mode, ChebyshevOrder = 40, Tau = 0.2 };
            var rng = new Random(c.seed);
            var (m, n) = c.s;
            var w = HostData.Matrix(rng, m, n);
            var reference = c.withReference ? HostData.Matrix(rng, m, n) : Matrix<double>.Build.Dense(m, n);
            var g = HostData.Matrix(rng, m, n);
            using var scope = new TensorScope();
            using var filter = new SpectralGradientFilter(device, m, n, options, c.withReference ? HostData.Upload(device, reference) : null);
            var gt = HostData.Upload(device, g);
            filter.Step(HostData.Upload(device, w), gt);
            var laplacian = filter.Laplacian;
            var expected = ExactFilter(laplacian, options) * (g + 2 * options.Penalty * laplacian * (w - reference));
            HostData.Near(expected, HostData.Download(gt), 1e-4, $"{backend} {c}");
            return true;
        }).Check(TestSeeds.Quick(30));
    }

    [Fact]
    public void GraphsAreSymmetricKnnGraphsWithTheMedianBandwidth()
    {
        Prop.ForAll((from s in Shape from k in Gen.Choose(1, 12) from seed in Seed select (s, k, seed)).ToArbitrary(), c =>
        {
            var rows = HostData.Matrix(new Random(c.seed), c.s.Rows, c.s.Cols);
            int m = c.s.Rows, keff = Math.Min(c.k, m - 1);
            var gram = rows * rows.Transpose();
            var (gaussian, sigmaSq) = RowGraph.Gaussian(gram, c.k);
            var distances = new List<double>();
            for (int a = 0; a < m; a++)
            {
                var d = Enumerable.Range(0, m).Where(b => b != a).Select(b => (rows.Row(a) - rows.Row(b)).DotProduct(rows.Row(a) - rows.Row(b)))
                                  .OrderBy(x => x).Take(keff).ToArray();
                distances.AddRange(d);
            }
            distances.Sort();
            if (distances.Count > 0) HostData.Near(RowGraph.Median(distances), sigmaSq, 1e-9, $"{c} σ²");
            foreach (var graph in new[] { gaussian, RowGraph.Cosine(gram, c.k) })
            {
                Assert.True(graph.Equals(graph.Transpose()), $"{c}: not symmetric");
                for (int a = 0; a < m; a++)
                {
                    Assert.Equal(0, graph[a, a]);
                    Assert.True(graph.Row(a).All(x => x >= 0 && x <= 1 + 1e-12), $"{c}: weight outside [0, 1] in row {a}");
                }
            }
            for (int a = 0; a < m; a++)
                Assert.True(gaussian.Row(a).Count(x => x > 0) >= keff, $"{c}: row {a} has fewer than k neighbours");
            var sym = GraphLaplacian.Build(gaussian, LaplacianKind.Symmetric).Evd(Symmetricity.Symmetric).EigenValues.Select(z => z.Real);
            Assert.True(sym.All(l => l >= -1e-9 && l <= 2 + 1e-9), $"{c}: L_sym spectrum outside [0, 2]");
            var comb = GraphLaplacian.Build(gaussian, LaplacianKind.Combinatorial);
            Assert.True(comb.RowSums().All(x => Math.Abs(x) < 1e-9), $"{c}: L_comb rows do not sum to 0");
            // The filter's λ_max bounds the spectrum from above, at most 1.5 λ_max (on all kinds of graph:
            // LambdaMaxOfTheCombinatorialLaplacianLiesBetweenItsSpectrumAndTheDegreeBounds).
            double lambdaMax = comb.Evd(Symmetricity.Symmetric).EigenValues.Max(z => z.Real);
            double estimate = GraphLaplacian.LambdaMax(comb, LaplacianKind.Combinatorial);
            Assert.True(estimate >= lambdaMax * (1 - 1e-10) && estimate <= Math.Max(1.5 * lambdaMax, 1e-12), $"{c}: λ_max estimate {estimate} for {lambdaMax}");
            return true;
        }).Check(TestSeeds.Quick(40));
    }

    /// <summary>
    /// The λ_max the Chebyshev filter maps onto +1 must lie above every eigenvalue of L_comb (outside [−1, 1] the
    /// polynomial is no approximation of h) and below the degree bounds any graph obeys: Gershgorin's 2 d_max and
    /// Anderson–Morley's max over edges of d_a + d_b (the estimate's own cap, max_a d_a + Σ_b a_ab d_b / d_a, lies below
    /// both). Graphs of every kind the filter may meet: kNN Gaussian and cosine row graphs, weighted random graphs over
    /// orders of magnitude of weight (sparse ones disconnected, with isolated nodes), stars, paths (where power iteration
    /// converges slowly), a path beside a star and an isolated node; 1 to 150 nodes. The estimate is never looser than
    /// 1.5 λ_max (the Lanczos margin ‖f‖ is an off-diagonal entry of a compression of L, at most λ_max/2), and exact up to
    /// rounding on up to 20 nodes, where 20 Lanczos steps span the whole space.
    /// </summary>
    [Fact]
    public void LambdaMaxOfTheCombinatorialLaplacianLiesBetweenItsSpectrumAndTheDegreeBounds()
    {
        var cases = from family in Gen.Elements(Family.Knn, Family.Cosine, Family.Random, Family.Star, Family.Path, Family.PathStarIsolated)
                    from m in Gen.OneOf(Gen.Choose(1, 6), Gen.Choose(1, 150)) from seed in Seed select (family, m, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var adjacency = RandomGraph(c.family, c.m, c.seed);
            var laplacian = GraphLaplacian.Build(adjacency, LaplacianKind.Combinatorial);
            double truth = laplacian.Evd(Symmetricity.Symmetric).EigenValues.Max(z => z.Real);
            double estimate = GraphLaplacian.LambdaMax(laplacian, LaplacianKind.Combinatorial);
            var degree = adjacency.RowSums();
            double gershgorin = 2 * degree.Max(), andersonMorley = 0;
            for (int a = 0; a < c.m; a++)
                for (int b = 0; b < c.m; b++)
                    if (adjacency[a, b] > 0) andersonMorley = Math.Max(andersonMorley, degree[a] + degree[b]);
            string what = $"{c}: estimate {estimate:R}, λ_max {truth:R}, Gershgorin {gershgorin:R}, Anderson–Morley {andersonMorley:R}";
            Assert.True(estimate >= truth * (1 - 1e-10), $"{what}: below λ_max");
            Assert.True(estimate <= Math.Max(Math.Min(gershgorin, andersonMorley) * (1 + 1e-12), 1e-12), $"{what}: above a degree bound");
            Assert.True(estimate <= Math.Max(1.5 * truth, 1e-12), $"{what}: looser than 1.5 λ_max");
            if (c.m <= 20) HostData.Near(Math.Max(truth, 1e-12), estimate, 1e-9, $"{what}: not exact on {c.m} <= 20 nodes", 1e-12);
            return true;
        }).Check(TestSeeds.Quick(150));
    }

    /// <summary>
    /// The resolvent h(λ) = 1/(1 + τλ) by Chebyshev on L_comb, the case the λ_max estimate decides: where METHODS' 20
    /// power iterations × 1.01 fall short of λ_max (kNN Gaussian graphs on [11, 5] rows, k = 10: 5.85 for 5.94 with seed
    /// 2946, 5.15 for 6.13 with 8424, 5.38 for 6.34 with 478; [64, 4] rows: 9.19 for 10.15 with 132) the top eigenvalues
    /// lie outside [0, λ_max], where T_k grows like cosh(k·acosh x), and the error grows with the order instead of
    /// falling. Checked against the interpolation bound: on [0, λ_max], with x = 2λ/λ_max − 1, s = τλ_max/2 and
    /// a = 1 + 1/s, h = (1/s)/(a + x) = (2/(s√(a²−1))) Σ' (−ρ)^{−k} T_k(x), ρ = a + √(a²−1), and the interpolant in the
    /// K + 1 Chebyshev nodes (the quadrature's coefficients) errs by at most twice the tail Σ_{k>K} |c_k|. The spectral norm
    /// of F − U h(Λ) Uᵀ is the largest error over the eigenvalues: in double (the recurrence on the host) it must meet
    /// the bound, on the device in fp32 the bound plus rounding.
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void ChebyshevResolventOnTheCombinatorialLaplacianMeetsItsInterpolationBound(string backend)
    {
        var device = Support.Backends.Get(backend);
        foreach (var (shape, seed) in new[] { ((11, 5), 2946), ((11, 5), 8424), ((11, 5), 478), ((64, 4), 132) })
        {
            using (var scope = new TensorScope())
            using (var graph = Built(device, shape, new SpectralOptions { Laplacian = LaplacianKind.Combinatorial, Penalty = 0 }, seed))
            {
                var laplacian = graph.Laplacian;
                double truth = laplacian.Evd(Symmetricity.Symmetric).EigenValues.Max(z => z.Real);
                double literal = MethodsLambdaMax(laplacian);
                Assert.True(literal < truth, $"{shape} seed {seed}: 20 power iterations × 1.01 give {literal} for λ_max {truth}, not short");
            }
            foreach (double tauLambdaMax in new[] { 1.0, 4.0, 16.0 })
                foreach (int order in new[] { 8, 16, 32 })
                {
                    var probe = new SpectralOptions
                    {
                        Laplacian = LaplacianKind.Combinatorial, Mode = SpectralFilterMode.Chebyshev, Response = SpectralResponse.Resolvent,
                        ChebyshevOrder = order, Penalty = 0,
                    };
                    double lambdaMax;
                    using (var scope = new TensorScope())
                    using (var built = Built(device, shape, probe, seed)) lambdaMax = built.LambdaMax;
                    var options = probe with { Tau = tauLambdaMax / lambdaMax };
                    using var outer = new TensorScope();
                    using var filter = Built(device, shape, options, seed);
                    var laplacian = filter.Laplacian;
                    var exact = ExactFilter(laplacian, options);
                    double bound = ResolventInterpolationBound(options.Tau, lambdaMax, order);
                    var identity = Matrix<double>.Build.DenseIdentity(shape.Item1);
                    var coefficients = ChebyshevCoefficients.Quadrature(options.ResponseAt, lambdaMax, order);
                    string what = $"{shape} seed {seed} τ·λ_max {tauLambdaMax} K {order} (λ_max estimate {lambdaMax}, bound {bound:E2})";
                    double host = (HostChebyshev(laplacian, options, lambdaMax, identity, coefficients) - exact).L2Norm();
                    Assert.True(host <= bound + 1e-12, $"{what}: ||F − F_exact||₂ {host:E3} in double");
                    double onDevice = (HostData.Download(filter.Filter(HostData.Upload(device, identity))) - exact).L2Norm();
                    Assert.True(onDevice <= bound + 1e-6, $"{backend} {what}: ||F − F_exact||₂ {onDevice:E3} on the device");
                }
        }
    }

    [Theory, MemberData(nameof(Backends))]
    public void HighFrequencyFractionSeparatesTheSpectrum(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from m in Gen.Choose(3, 20) from n in Gen.Choose(1, 8) from seed in Seed select (m, n, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var rng = new Random(c.seed);
            var w = HostData.Matrix(rng, c.m, c.n);
            using var scope = new TensorScope();
            var wt = HostData.Upload(device, w);
            using var filter = new SpectralGradientFilter(device, c.m, c.n, new SpectralOptions { Neighbors = 3 }, wt);
            filter.Rebuild(wt);
            var evd = filter.Laplacian.Evd(Symmetricity.Symmetric);
            var values = evd.EigenValues.Select(z => z.Real).ToArray();
            var direction = HostData.Matrix(rng, 1, c.n);
            int lowest = Array.IndexOf(values, values.Min()), highest = Array.IndexOf(values, values.Max());
            if (values[highest] - values[lowest] < 1e-6) return true;
            Assert.Equal(0, filter.HighFrequencyEnergyFraction(wt));
            var low = w + evd.EigenVectors.Column(lowest).ToColumnMatrix() * direction;
            var high = w + evd.EigenVectors.Column(highest).ToColumnMatrix() * direction;
            Assert.True(filter.HighFrequencyEnergyFraction(HostData.Upload(device, low)) < 1e-4, $"{c}: low-frequency change counted as high");
            Assert.True(filter.HighFrequencyEnergyFraction(HostData.Upload(device, high)) > 1 - 1e-4, $"{c}: high-frequency change not counted");
            return true;
        }).Check(TestSeeds.Quick(20));
    }

    [Theory, MemberData(nameof(Backends))]
    public void HighFrequencyFractionFollowsTheGraphOfTheLastRebuild(string backend)
    {
        // The high-frequency eigenvectors stay on the device from one reading to the next: a rebuild must replace them.
        var device = Support.Backends.Get(backend);
        var rng = new Random(12);
        using var scope = new TensorScope();
        using var filter = new SpectralGradientFilter(device, 12, 5, new SpectralOptions { Neighbors = 3 });
        var change = HostData.Matrix(rng, 12, 5);
        var changeOnDevice = HostData.Upload(device, change);
        for (int graph = 0; graph < 2; graph++)
        {
            filter.Rebuild(HostData.Upload(device, HostData.Matrix(rng, 12, 5)));
            var evd = filter.Laplacian.Evd(Symmetricity.Symmetric);
            var values = evd.EigenValues.Select(z => z.Real).ToArray();
            double median = RowGraph.Median(values.Order().ToArray());
            double high = Enumerable.Range(0, values.Length).Where(k => values[k] > median)
                .Sum(k => (evd.EigenVectors.Column(k) * change).DotProduct(evd.EigenVectors.Column(k) * change));
            double expected = high / Math.Pow(change.FrobeniusNorm(), 2);
            Ops.Close.Check(expected, filter.HighFrequencyEnergyFraction(changeOnDevice), 1, () => $"{backend} graph {graph}", 1e-5, 1e-6);
        }
    }

    [Theory, MemberData(nameof(Backends))]
    public void CosineGraphWaitsForTheWarmupAndWeightGraphsRebuildOnSchedule(string backend)
    {
        var device = Support.Backends.Get(backend);
        var rng = new Random(5);
        using var scope = new TensorScope();
        var w = HostData.Upload(device, HostData.Matrix(rng, 6, 4));
        using var cosine = new SpectralGradientFilter(device, 6, 4, new SpectralOptions { Source = GraphSource.GradientCosine, GraphWarmupSteps = 2, Neighbors = 2 });
        var g = HostData.Matrix(rng, 6, 4);
        var gt = HostData.Upload(device, g);
        cosine.Step(w, gt);
        cosine.Step(w, gt);
        Assert.False(cosine.HasGraph);
        Assert.True(g.Equals(HostData.Download(gt)));
        cosine.Step(w, gt);
        Assert.True(cosine.HasGraph);
        // The EMA after three identical gradients is (1 - 0.9³) g, whose cosine graph is that of g.
        HostData.Near(GraphLaplacian.Build(RowGraph.Cosine(g * g.Transpose(), 2), LaplacianKind.Symmetric), cosine.Laplacian, 1e-5, "cosine Laplacian");

        using var weights = new SpectralGradientFilter(device, 6, 4, new SpectralOptions { RebuildPeriod = 2, Neighbors = 2 });
        weights.Step(w, gt);
        var first = weights.Laplacian;
        var w2 = HostData.Upload(device, HostData.Matrix(rng, 6, 4));
        weights.Step(w2, gt);
        Assert.Same(first, weights.Laplacian);
        weights.Step(w2, gt);
        Assert.NotSame(first, weights.Laplacian);
    }

    /// <summary>
    /// The link keeps a run of equal matrices as one batch (one product per step for all of them): each matrix must still be
    /// filtered with its own graph, penalty and EMA, as a filter of its own would, over steps that warm up, build and
    /// rebuild the graphs.
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void ALinkFiltersEachMatrixOfABatchWithItsOwnGraph(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from rows in Gen.Choose(2, 9) from cols in Gen.Choose(1, 6) from blocks in Gen.Choose(2, 4)
                    from source in Gen.Elements(GraphSource.Weights, GraphSource.GradientCosine)
                    from mode in Gen.Elements(SpectralFilterMode.Exact, SpectralFilterMode.Chebyshev) from seed in Seed
                    select (rows, cols, blocks, source, mode, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var options = new SpectralOptions
            {
                Source = c.source, Mode = c.mode, Neighbors = Math.Min(2, c.rows - 1), RebuildPeriod = 2, GraphWarmupSteps = 1,
                Penalty = 0.05, Rho = 0.8, Tau = 0.7,
            };
            var rng = new Random(c.seed);
            using var store = new ParameterStore(device);
            store.Register("run", [c.blocks * c.rows, c.cols], kind: ParameterKind.HiddenMatrix, matrixBlocks: c.blocks);
            store.Register("single", [c.rows + 1, c.cols], kind: ParameterKind.HiddenMatrix);
            store.Allocate();
            var matrices = store.HiddenMatrices;
            using var optimizer = new Optimizer(store, new TransformChain(new SpectralTransform(options), new ScaleByLearningRate(new ConstantSchedule(1))));
            var filters = matrices.Select(m => new SpectralGradientFilter(device, m.Rows, m.Cols, options)).ToArray();
            try
            {
                for (int step = 0; step < 4; step++)
                {
                    var weights = HostData.Normal(rng, (int)store.Count).Select(v => (float)v).ToArray();
                    var grads = HostData.Normal(rng, (int)store.Count).Select(v => (float)v).ToArray();
                    store.ImportValues(weights);
                    store.ImportGrads(grads);
                    optimizer.Step();
                    var after = store.ExportValues();
                    foreach (var (m, filter) in matrices.Zip(filters))
                    {
                        using var scope = new TensorScope();
                        Matrix<double> Block(float[] flat) => Matrix<double>.Build.Dense(m.Rows, m.Cols, (i, j) => flat[m.Offset + (long)i * m.Cols + j]);
                        var expected = HostData.Upload(device, Block(grads));
                        filter.Step(HostData.Upload(device, Block(weights)), expected);
                        // W ← W − 1·G̃: the link's filtered gradient is the weights' change.
                        HostData.Near(HostData.Download(expected), Block(weights) - Block(after), 1e-4, $"{backend} {c} step {step} {m.Name}");
                    }
                }
            }
            finally
            {
                foreach (var f in filters) f.Dispose();
            }
            return true;
        }).Check(TestSeeds.Quick(12));
    }

    /// <summary>
    /// A checkpoint that restores the graph of one matrix of a run and not the other (a partial or foreign one): the
    /// matrix with a graph is filtered as before, the other's gradient passes unchanged, as for a filter of its own; with
    /// W_ref = 0 and with W_ref = the first step's weights (the regularizer's ΔW on that path too).
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void AMatrixWithoutAGraphPassesItsGradientWhenItsRunMatesHaveOne(string backend)
    {
        foreach (var reference in new[] { SpectralReference.Zero, SpectralReference.Start })
            CheckPartialGraphs(Support.Backends.Get(backend), reference);
    }

    private static void CheckPartialGraphs(ComputeDevice device, SpectralReference reference)
    {
        var options = new SpectralOptions { Neighbors = 2, RebuildPeriod = 100, Penalty = 0.05, Rho = 0.8, Tau = 0.7, Reference = reference };
        var rng = new Random(11);
        var weights = HostData.Normal(rng, 48).Select(v => (float)v).ToArray();
        var first = HostData.Normal(rng, 48).Select(v => (float)v).ToArray();
        var grads = HostData.Normal(rng, 48).Select(v => (float)v).ToArray();
        ParameterStore Store()
        {
            var store = new ParameterStore(device);
            store.Register("run", [12, 4], kind: ParameterKind.HiddenMatrix, matrixBlocks: 2);
            store.Allocate();
            return store;
        }
        Optimizer Spectral(ParameterStore store) =>
            new(store, new TransformChain(new SpectralTransform(options), new ScaleByLearningRate(new ConstantSchedule(1))));
        float[] Step(ParameterStore store, Optimizer optimizer, float[] before)
        {
            store.ImportValues(before);
            store.ImportGrads(grads);
            optimizer.Step();
            var after = store.ExportValues();
            return before.Select((w, i) => w - after[i]).ToArray();
        }

        using var fullStore = Store();
        using var full = Spectral(fullStore);
        fullStore.ImportValues(weights);
        fullStore.ImportGrads(first);
        full.Step();   // step 0: both graphs built from these weights
        var state = full.ExportState();
        var next = fullStore.ExportValues();
        var withBoth = Step(fullStore, full, next);

        using var partialStore = Store();
        using var partial = Spectral(partialStore);
        partial.ImportState(state with { Extras = state.Extras.Where(e => !e.Name.EndsWith("graph_rows.run[1]")).ToArray() });
        var withOne = Step(partialStore, partial, next);

        for (int i = 0; i < 24; i++) Assert.Equal(withBoth[i], withOne[i], 1e-5f);
        for (int i = 24; i < 48; i++) Assert.Equal(grads[i], withOne[i], 1e-5f);
        Assert.Contains(Enumerable.Range(24, 24), i => Math.Abs(withBoth[i] - grads[i]) > 1e-3);
    }

    [Fact]
    public void ARebuildFromDivergedWeightsSaysSoAndKeepsTheLastGraph()
    {
        var device = Support.Backends.Get("cpu");
        var rng = new Random(5);
        using var scope = new TensorScope();
        using var filter = new SpectralGradientFilter(device, 8, 3, new SpectralOptions { Neighbors = 3 });
        var weights = HostData.Matrix(rng, 8, 3);
        filter.Rebuild(HostData.Upload(device, weights));
        var laplacian = filter.Laplacian;
        weights[5, 1] = double.NaN;
        var e = Assert.Throws<OptimizerDivergedException>(() => filter.Rebuild(HostData.Upload(device, weights)));
        Assert.Contains("SPEC-GF graph rebuild [8, 3]: the weights hold NaN or ∞ (row 5)", e.Message);
        Assert.Contains("diverged", e.Message);
        Assert.Same(laplacian, filter.Laplacian);
    }

    [Fact]
    public void OptionsRejectBadValuesNamingTheParameter()
    {
        Assert.Contains("Rho", Assert.Throws<ArgumentOutOfRangeException>(() => new SpectralOptions { Rho = 2 }).Message);
        Assert.Contains("Tau", Assert.Throws<ArgumentOutOfRangeException>(() => new SpectralOptions { Tau = 0 }).Message);
        Assert.Contains("Penalty", Assert.Throws<ArgumentOutOfRangeException>(() => new SpectralOptions { Penalty = -1e-3 }).Message);
        Assert.Contains("Neighbors", Assert.Throws<ArgumentOutOfRangeException>(() => new SpectralOptions { Neighbors = 0 }).Message);
        Assert.Contains("ChebyshevOrder", Assert.Throws<ArgumentOutOfRangeException>(() => new SpectralOptions { ChebyshevOrder = -1 }).Message);
        Assert.Contains("RebuildPeriod", Assert.Throws<ArgumentOutOfRangeException>(() => new SpectralOptions { RebuildPeriod = 0 }).Message);
        Assert.Contains("Laplacian", Assert.Throws<ArgumentOutOfRangeException>(() => new SpectralOptions { Laplacian = (LaplacianKind)9 }).Message);
        var defaults = new SpectralOptions();
        Assert.Equal((10, 200, 0.5, 1.0, 1e-3, 8), (defaults.Neighbors, defaults.RebuildPeriod, defaults.Tau, defaults.Rho, defaults.Penalty, defaults.ChebyshevOrder));
        Assert.True(defaults.FiltersExactly(512));
        Assert.False(defaults.FiltersExactly(513));
    }

    /// <summary>A filter whose graph is built from random weights of the given shape.</summary>
    private static SpectralGradientFilter Built(ComputeDevice device, (int Rows, int Cols) s, SpectralOptions options, int seed)
    {
        var filter = new SpectralGradientFilter(device, s.Rows, s.Cols, options);
        filter.Rebuild(HostData.Upload(device, HostData.Matrix(new Random(seed), s.Rows, s.Cols)));
        return filter;
    }

    private enum Family { Knn, Cosine, Random, Star, Path, PathStarIsolated }

    /// <summary>A symmetric non-negative adjacency matrix on <paramref name="m"/> nodes of the given family.</summary>
    private static Matrix<double> RandomGraph(Family family, int m, int seed)
    {
        var rng = new Random(seed);
        var a = Matrix<double>.Build.Dense(m, m);
        void Edge(int i, int j, double w) => a[i, j] = a[j, i] = w;
        double Weight() => rng.Next(2) == 0 ? 1 : 1 - rng.NextDouble();
        switch (family)
        {
            case Family.Knn or Family.Cosine:
                var rows = HostData.Matrix(rng, m, rng.Next(1, 13));
                int k = rng.Next(1, 13);
                var gram = rows * rows.Transpose();
                return family == Family.Knn ? RowGraph.Gaussian(gram, k).Adjacency : RowGraph.Cosine(gram, k);
            case Family.Random:
                double density = new[] { 0.02, 0.1, 0.5, 1 }[rng.Next(4)];
                var scale = HostData.Normal(rng, m * m, 2);
                for (int i = 0; i < m; i++)
                    for (int j = i + 1; j < m; j++)
                        if (rng.NextDouble() < density) Edge(i, j, Math.Exp(scale[i * m + j]));
                break;
            case Family.Star:
                for (int i = 1; i < m; i++) Edge(0, i, Weight());
                break;
            case Family.Path:
                bool unit = rng.Next(2) == 0;
                for (int i = 0; i + 1 < m; i++) Edge(i, i + 1, unit ? 1 : Weight());
                break;
            case Family.PathStarIsolated:
                int path = m / 2;
                for (int i = 0; i + 1 < path; i++) Edge(i, i + 1, Weight());
                for (int i = path + 1; i < m - 1; i++) Edge(path, i, 3 * Weight());   // node m − 1 stays isolated
                break;
        }
        return a;
    }

    /// <summary>METHODS §3b taken literally: the Rayleigh quotient after 20 power iterations from the filter's start, × 1.01.</summary>
    private static double MethodsLambdaMax(Matrix<double> laplacian)
    {
        var rng = new Random(0x5eed);
        var v = Vector<double>.Build.Dense(laplacian.RowCount, _ => rng.NextDouble() - 0.5);
        for (int i = 0; i < 20; i++) v = (laplacian * v).Normalize(2);
        return 1.01 * (v * (laplacian * v)) / (v * v);
    }

    /// <summary>2 Σ_{k>K} |c_k| for h(λ) = 1/(1 + τλ) on [0, λ_max]: the interpolant's largest error there.</summary>
    private static double ResolventInterpolationBound(double tau, double lambdaMax, int order)
    {
        double s = tau * lambdaMax / 2, a = 1 + 1 / s, root = Math.Sqrt(a * a - 1), rho = a + root;
        return 2 * (2 / (s * root)) * Math.Pow(rho, -(order + 1)) / (1 - 1 / rho);
    }

    /// <summary>(1 − ρ) I + ρ U h(Λ) Uᵀ in double.</summary>
    private static Matrix<double> ExactFilter(Matrix<double> laplacian, SpectralOptions options)
    {
        var evd = laplacian.Evd(Symmetricity.Symmetric);
        var h = evd.EigenValues.Select(z => options.ResponseAt(z.Real)).ToArray();
        var u = evd.EigenVectors;
        return options.Rho * u * Matrix<double>.Build.DenseOfDiagonalArray(h) * u.Transpose()
               + (1 - options.Rho) * Matrix<double>.Build.DenseIdentity(laplacian.RowCount);
    }

    /// <summary>The Chebyshev recurrence of METHODS §4.5 in double, with the closed-form heat-kernel coefficients.</summary>
    private static Matrix<double> HostChebyshev(Matrix<double> laplacian, SpectralOptions options, double lambdaMax, Matrix<double> x) =>
        HostChebyshev(laplacian, options, lambdaMax, x, ChebyshevCoefficients.HeatKernel(options.Tau, lambdaMax, options.ChebyshevOrder));

    /// <summary>The recurrence with the given coefficients c_0..c_K.</summary>
    private static Matrix<double> HostChebyshev(Matrix<double> laplacian, SpectralOptions options, double lambdaMax, Matrix<double> x, double[] c)
    {
        var shifted = 2 / lambdaMax * laplacian - Matrix<double>.Build.DenseIdentity(laplacian.RowCount);
        Matrix<double> previous = x, current = shifted * x, acc = c[0] / 2 * x + c[1] * current;
        for (int k = 2; k < c.Length; k++)
        {
            var next = 2 * shifted * current - previous;
            acc += c[k] * next;
            (previous, current) = (current, next);
        }
        return options.Rho * acc + (1 - options.Rho) * x;
    }
}
