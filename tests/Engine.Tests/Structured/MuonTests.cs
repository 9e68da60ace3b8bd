using Engine.Kernels.Devices;
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
public class MuonTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    private static readonly Gen<(int Rows, int Cols)> Shape = from m in Gen.Choose(1, 24) from n in Gen.Choose(1, 24) select (m, n);
    private static readonly Gen<int> Seed = Gen.Choose(0, int.MaxValue);

    [Theory, MemberData(nameof(Backends))]
    public void NewtonSchulzOutputHasSingularValuesNearOne(string backend)
    {
        var device = Support.Backends.Get(backend);
        Prop.ForAll((from s in Shape from seed in Seed select (s, seed)).ToArbitrary(), c =>
        {
            var u = Conditioned(new Random(c.seed), c.s.Rows, c.s.Cols);
            using var scope = new TensorScope();
            var x = HostData.Download(Muon.Orthogonalize(HostData.Upload(device, u)).Contiguous());
            Assert.Equal((c.s.Rows, c.s.Cols), (x.RowCount, x.ColumnCount));
            var singular = x.Svd(computeVectors: false).S;
            Assert.True(singular.All(v => v >= 0.5 && v <= 1.5), $"{backend} {c}: singular values {string.Join(", ", singular.Select(v => v.ToString("F3")))}");
            return true;
        }).Check(TestSeeds.Quick(30));
    }

    [Fact]
    public void NewtonSchulzGivesTheSameResultOnEveryBackendAndMatchesDouble()
    {
        Prop.ForAll((from s in Shape from seed in Seed select (s, seed)).ToArbitrary(), c =>
        {
            var u = HostData.Matrix(new Random(c.seed), c.s.Rows, c.s.Cols);
            var expected = HostNewtonSchulz(u, 5);
            Matrix<double>? first = null;
            var names = ((IEnumerable<object[]>)Backends).Select(row => (string)row[0]).ToArray();
            foreach (var name in names)
            {
                using var scope = new TensorScope();
                var device = Support.Backends.Get(name);
                var x = HostData.Download(Muon.Orthogonalize(HostData.Upload(device, u)).Contiguous());
                HostData.Near(expected, x, 1e-4, $"{name} {c} vs double");
                if (first is null) first = x;
                else HostData.Near(first, x, 1e-4, $"{name} {c} vs {names[0]}");
            }
            return true;
        }).Check(TestSeeds.Quick(25));
    }

    /// <summary>
    /// A [count, m, n] batch is orthogonalized matrix by matrix: each matrix of the batch (scaled apart by up to 10⁴, so a
    /// norm taken over the whole batch would show) matches the double reference of that matrix alone.
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void ABatchIsOrthogonalizedMatrixByMatrix(string backend)
    {
        var device = Support.Backends.Get(backend);
        Prop.ForAll((from s in Shape from count in Gen.Choose(1, 4) from seed in Seed select (s, count, seed)).ToArbitrary(), c =>
        {
            var rng = new Random(c.seed);
            var (m, n) = c.s;
            var matrices = Enumerable.Range(0, c.count).Select(k => HostData.Matrix(rng, m, n) * Math.Pow(100, k)).ToArray();
            var flat = matrices.SelectMany(x => x.ToRowMajorArray()).ToArray();
            using var scope = new TensorScope();
            var batch = HostData.Upload(device, flat).Reshape(c.count, m, n);
            var result = Muon.Orthogonalize(batch).Contiguous().ToArray();
            for (int k = 0; k < c.count; k++)
            {
                var x = Matrix<double>.Build.DenseOfRowMajor(m, n, result.Skip(k * m * n).Take(m * n).Select(v => (double)v));
                HostData.Near(HostNewtonSchulz(matrices[k], 5), x, 1e-4, $"{backend} {c}: matrix {k}");
            }
            return true;
        }).Check(TestSeeds.Quick(20));
    }

    /// <summary>
    /// Gradients often have one dominant direction: one singular value 1, the rest 10⁻³ (and a spread 1 … 10⁻⁶), on wide
    /// shapes that take the Gram form, tall ones, and square ones, against the double reference at the usual 1e-4.
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void IllConditionedMatricesKeepTheirAccuracy(string backend)
    {
        var device = Support.Backends.Get(backend);
        foreach (var (m, n) in new[] { (30, 300), (40, 80), (64, 64), (300, 20) })
            foreach (var spread in new[] { false, true })
            {
                var rng = new Random(m * 1000 + n + (spread ? 1 : 0));
                var svd = HostData.Matrix(rng, m, n).Svd(computeVectors: true);
                int r = Math.Min(m, n);
                var s = Matrix<double>.Build.Dense(m, n);
                for (int i = 0; i < r; i++) s[i, i] = i == 0 ? 1 : spread ? Math.Pow(1e-6, (double)i / (r - 1)) : 1e-3;
                var u = svd.U * s * svd.VT;
                using var scope = new TensorScope();
                var x = HostData.Download(Muon.Orthogonalize(HostData.Upload(device, u)).Contiguous());
                HostData.Near(HostNewtonSchulz(u, 5), x, 1e-4, $"{backend} [{m}, {n}] {(spread ? "spread" : "one dominant")}");
            }
    }

    [Theory, MemberData(nameof(Backends))]
    public void StepsMatchTheReferenceMuon(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from s in Shape from nesterov in Gen.Elements(false, true) from wd in Gen.Elements(0.0, 0.1) from seed in Seed
                    select (s, nesterov, wd, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var options = new MuonOptions { Nesterov = c.nesterov, WeightDecay = c.wd };
            var (m, n) = c.s;
            var rng = new Random(c.seed);
            var w = HostData.Matrix(rng, m, n);
            var momentum = Matrix<double>.Build.Dense(m, n);
            using var scope = new TensorScope();
            using var muon = new Muon(device, m, n, options);
            var wt = HostData.Upload(device, w);
            const double lr = 0.02;
            for (int step = 0; step < 3; step++)
            {
                var g = HostData.Matrix(rng, m, n);
                muon.Step(wt, HostData.Upload(device, g), lr);
                momentum = options.Momentum * momentum + (1 - options.Momentum) * g;
                var update = c.nesterov ? (1 - options.Momentum) * g + options.Momentum * momentum : momentum;
                w = (1 - lr * c.wd) * w - lr * Math.Sqrt(Math.Max(1.0, (double)m / n)) * HostNewtonSchulz(update, 5);
                HostData.Near(momentum, HostData.Download(muon.Momentum), 1e-5, $"{backend} {c} step {step} momentum");
                HostData.Near(w, HostData.Download(wt), 1e-5, $"{backend} {c} step {step} weight");
            }
            return true;
        }).Check(TestSeeds.Quick(20));
    }

    [Fact]
    public void OptionsRejectBadValuesNamingTheParameter()
    {
        Assert.Contains("Momentum", Assert.Throws<ArgumentOutOfRangeException>(() => new MuonOptions { Momentum = 1 }).Message);
        Assert.Contains("NewtonSchulzSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new MuonOptions { NewtonSchulzSteps = 0 }).Message);
        Assert.Contains("WeightDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new MuonOptions { WeightDecay = -1 }).Message);
        var defaults = new MuonOptions();
        Assert.Equal((0.95, true, 5, 0.0), (defaults.Momentum, defaults.Nesterov, defaults.NewtonSchulzSteps, defaults.WeightDecay));
    }

    /// <summary>A random m×n matrix with singular values in [1, 10], so 5 Newton–Schulz steps reach the band.</summary>
    private static Matrix<double> Conditioned(Random rng, int m, int n)
    {
        var svd = HostData.Matrix(rng, m, n).Svd(computeVectors: true);
        int r = Math.Min(m, n);
        var s = Matrix<double>.Build.Dense(m, n);
        for (int i = 0; i < r; i++) s[i, i] = 1 + 9 * rng.NextDouble();
        return svd.U * s * svd.VT;
    }

    /// <summary>The reference zeropower_via_newtonschulz5 in double.</summary>
    private static Matrix<double> HostNewtonSchulz(Matrix<double> g, int steps)
    {
        bool tall = g.RowCount > g.ColumnCount;
        var x = tall ? g.Transpose() : g.Clone();
        x /= x.FrobeniusNorm() + 1e-7;
        for (int i = 0; i < steps; i++)
        {
            var a = x * x.Transpose();
            var b = -4.7750 * a + 2.0315 * (a * a);
            x = 3.4445 * x + b * x;
        }
        return tall ? x.Transpose() : x;
    }
}
