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
public class CgfmTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    private static readonly Gen<(int Rows, int Cols)> Shape =
        from m in Gen.Choose(1, 19) from n in Gen.Choose(1, 19) select (m, n);

    private static readonly Gen<(int Rows, int Cols)[]> Shapes =
        from k in Gen.Choose(1, 3) from s in Shape.ArrayOf(k) select s;

    private static readonly Gen<int> Seed = Gen.Choose(0, int.MaxValue);

    [Theory, MemberData(nameof(Backends))]
    public void UnitLambdasAndUnitStepLeaveTheGradientUnchanged(string backend)
    {
        var device = Support.Backends.Get(backend);
        var options = new CgfmOptions { LambdaLocal = 1, LambdaGlobal = 1, StepRule = CgfmStepRule.Unit };
        Prop.ForAll((from s in Shapes from seed in Seed select (s, seed)).ToArbitrary(), c =>
        {
            var rng = new Random(c.seed);
            var grads = c.s.Select(s => HostData.Matrix(rng, s.Rows, s.Cols)).ToArray();
            var adjusted = Run(device, grads, [], options, steps: 1).Adjusted;
            for (int i = 0; i < grads.Length; i++)
                Assert.True(grads[i].Equals(adjusted[i]), $"{backend} {c}: matrix {i} changed");
            return true;
        }).Check(TestSeeds.Quick(20));
        using var cgfm = Run(device, [HostData.Matrix(new Random(1), 5, 3)], [], options, steps: 1).Cgfm;
        Assert.Equal(1.0, cgfm.ReadStepMultiplier());
    }

    /// <summary>
    /// The refreshed basis spans the top-r singular subspace of a long matrix (the Gram matrix is a device GEMM summing
    /// 3,001 fp32 products per entry), exactly and by randomized subspace iteration (smaller side 24 > r + 4, so the
    /// iteration does not fall back to the exact solver): G = U·diag(σ)·Vᵀ with a planted, separated top 3, both
    /// orientations; the basis keeps the whole length of the true top-r vectors, ||Bᵀ U_r||²_F = r, within 1e-6.
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void RefreshFindsTheTopSingularSubspaceOfALongMatrix(string backend)
    {
        var device = Support.Backends.Get(backend);
        const int small = 24, large = 3001, rank = 3;
        var rng = new Random(17);
        var u = HostData.Matrix(rng, small, small).QR().Q;
        var v = HostData.Matrix(rng, large, small).QR().Q;   // large × small, orthonormal columns
        var sigma = Enumerable.Range(0, small).Select(i => i switch { 0 => 40.0, 1 => 20.0, 2 => 10.0, _ => 1.0 / (i - 2) }).ToArray();
        var core = u * Matrix<double>.Build.DenseOfDiagonalArray(sigma) * v.Transpose();   // small × large
        var top = u.SubMatrix(0, small, 0, rank);   // the true top-r singular vectors on the smaller side, either way
        foreach (var method in Enum.GetValues<CgfmBasisMethod>())
            foreach (bool wide in new[] { true, false })
            {
                var g = wide ? core : core.Transpose();
                using var scope = new TensorScope();
                using var projector = new CgfmProjector(device, g.RowCount, g.ColumnCount, rank, method);
                projector.Refresh(HostData.Upload(device, g), seed: 5);
                var basis = HostData.Download(projector.Basis);   // P (small × r) when wide, Qᵀ (r × small) when tall
                var b = wide ? basis : basis.Transpose();
                double kept = (b.Transpose() * top).FrobeniusNorm();
                HostData.Near(rank, kept * kept, 1e-6, $"{backend} {method} {(wide ? "wide" : "tall")}: ||Bᵀ U_r||²");
            }
    }

    /// <summary>
    /// The basis does not depend on the gradient's scale: the same matrix times 1e-24 (whose fp32 products would underflow)
    /// or 1e20 (whose Gram entries would overflow) gives the basis of the unscaled one; a NaN gradient is named, not a crash.
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void RefreshIsScaleFreeAndNamesANonFiniteGradient(string backend)
    {
        var device = Support.Backends.Get(backend);
        var g = HostData.Matrix(new Random(3), 6, 40);
        using var scope = new TensorScope();
        Matrix<double> BasisAt(double scale)
        {
            using var projector = new CgfmProjector(device, 6, 40, 2);
            projector.Refresh(HostData.Upload(device, g * scale));
            var b = HostData.Download(projector.Basis);
            return b * b.Transpose();   // the projector onto the subspace: independent of the vectors' signs
        }
        var reference = BasisAt(1);
        foreach (var scale in new[] { 1e-24, 1e20 })
            HostData.Near(reference, BasisAt(scale), 1e-5, $"{backend}: basis at scale {scale}", 1e-6);
        var bad = g.Clone();
        bad[2, 7] = double.NaN;
        using var nanProjector = new CgfmProjector(device, 6, 40, 2);
        var e = Assert.Throws<OptimizerDivergedException>(() => nanProjector.Refresh(HostData.Upload(device, bad)));
        Assert.Contains("[6, 40]", e.Message);
    }

    /// <summary>
    /// Randomized subspace iteration against the full decomposition on random Gram matrices with a gap after the top r
    /// (sizes up to 40, ranks up to 8): the same subspace within 1e-8, each vector the eigenvector of its rank (the
    /// Rayleigh–Ritz step), the same seed the same vectors bit for bit.
    /// </summary>
    [Fact]
    public void RandomizedTopEigenvectorsMatchTheExactSubspace()
    {
        var cases = from s in Gen.Choose(6, 40) from r in Gen.Choose(1, 8) from seed in Seed select (s, r: Math.Min(r, s - 1), seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var rng = new Random(c.seed);
            var basis = HostData.Matrix(rng, c.s, c.s).QR().Q;
            var values = Enumerable.Range(0, c.s).Select(i => i < c.r ? 100.0 * (c.r - i) : rng.NextDouble()).ToArray();
            var gram = basis * Matrix<double>.Build.DenseOfDiagonalArray(values) * basis.Transpose();
            var exact = TopEigenvectors.Exact(gram, c.r);
            var randomized = TopEigenvectors.Randomized(gram, c.r, (ulong)c.seed);
            double kept = (exact.Transpose() * randomized).FrobeniusNorm();
            HostData.Near(c.r, kept * kept, 1e-8, $"{c}: ||E_rᵀ R_r||²");
            // Not only the subspace: each vector is the eigenvector of its rank (the top eigenvalues are distinct), up to sign.
            for (int k = 0; k < c.r; k++)
                HostData.Near(1, Math.Abs(exact.Column(k) * randomized.Column(k)), 1e-8, $"{c}: |<e_{k}, r_{k}>|");
            Assert.True(randomized.Equals(TopEigenvectors.Randomized(gram, c.r, (ulong)c.seed)), $"{c}: the same seed gave other vectors");
            return true;
        }).Check(TestSeeds.Quick(30));
    }

    [Theory, MemberData(nameof(Backends))]
    public void GlobalAndLocalPartsAreOrthogonal(string backend)
    {
        var device = Support.Backends.Get(backend);
        Prop.ForAll((from s in Shape from r in Gen.Choose(1, 19) from seed in Seed select (s, r, seed)).ToArbitrary(), c =>
        {
            var (m, n) = c.s;
            int rank = Math.Min(c.r, Math.Min(m, n));
            var g = HostData.Matrix(new Random(c.seed), m, n);
            using var scope = new TensorScope();
            using var projector = new CgfmProjector(device, m, n, rank);
            var gt = HostData.Upload(device, g);
            projector.Refresh(gt);
            var glob = HostData.Download(projector.Project(gt));
            double inner = glob.PointwiseMultiply(g - glob).Enumerate().Sum();
            double ratio = Math.Abs(inner) / Math.Max(g.FrobeniusNorm() * g.FrobeniusNorm(), 1e-30);
            Assert.True(ratio < 1e-5, $"{backend} {c}: <G_glob, G_loc>/||G||² = {ratio:E3}");
            return true;
        }).Check(TestSeeds.Quick(30));
    }

    [Theory, MemberData(nameof(Backends))]
    public void FullRankWithoutLocalWeightScalesByLambdaGlobal(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from s in Shape from lg in Gen.Choose(0, 20) from seed in Seed select (s, lambdaGlobal: lg / 10.0, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (m, n) = c.s;
            var options = new CgfmOptions { Rank = Math.Min(m, n), LambdaLocal = 0, LambdaGlobal = c.lambdaGlobal };
            var g = HostData.Matrix(new Random(c.seed), m, n);
            var (cgfm, adjusted) = Run(device, [g], [], options, steps: 1);
            using (cgfm)
            {
                HostData.Near(c.lambdaGlobal * g, adjusted[0], 1e-5, $"{backend} {c} G_adj");
                HostData.Near(1 + c.lambdaGlobal, cgfm.ReadStepMultiplier(), 1e-5, $"{backend} {c} s_t");
            }
            return true;
        }).Check(TestSeeds.Quick(30));
    }

    [Theory, MemberData(nameof(Backends))]
    public void StepMultiplierStaysWithinTheLambdaBounds(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from shapes in Shapes
                    from pass in Gen.Choose(0, 2)
                    from ll in Gen.Choose(0, 20)
                    from lg in Gen.Choose(0, 20)
                    from seed in Seed
                    select (shapes, pass, ll: ll / 10.0, lg: lg / 10.0, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var options = new CgfmOptions { LambdaLocal = c.ll, LambdaGlobal = c.lg, ProjectionPeriod = 2 };
            double lo = 1 + Math.Min(Math.Min(c.ll, c.lg), c.pass > 0 ? 1 : double.MaxValue);
            double hi = 1 + Math.Max(Math.Max(c.ll, c.lg), c.pass > 0 ? 1 : 0);
            var rng = new Random(c.seed);
            using var scope = new TensorScope();
            using var cgfm = new Cgfm(device, c.shapes, c.pass, options);
            for (int step = 0; step < 3; step++)
            {
                var grads = c.shapes.Select(s => HostData.Upload(device, HostData.Matrix(rng, s.Rows, s.Cols))).ToArray();
                var pass = Enumerable.Range(0, c.pass).Select(_ => HostData.Upload(device, HostData.Normal(rng, 7))).ToArray();
                cgfm.Step(grads, pass);
                double s = cgfm.ReadStepMultiplier();
                Assert.True(s >= lo - 1e-5 && s <= hi + 1e-5, $"{backend} {c} step {step}: s_t = {s} outside [{lo}, {hi}]");
            }
            return true;
        }).Check(TestSeeds.Quick(20));
    }

    [Theory, MemberData(nameof(Backends))]
    public void StepMatchesTheDoubleReference(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from shapes in Shapes
                    from rule in Gen.Elements(CgfmStepRule.Relative, CgfmStepRule.Literal)
                    from seed in Seed
                    select (shapes, rule, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var options = new CgfmOptions { StepRule = c.rule, ProjectionPeriod = 2 };
            var rng = new Random(c.seed);
            using var scope = new TensorScope();
            using var cgfm = new Cgfm(device, c.shapes, 1, options);
            Matrix<double>[] bases = [];
            double initialNorm = 0;
            for (int step = 0; step < 3; step++)
            {
                var grads = c.shapes.Select(s => HostData.Matrix(rng, s.Rows, s.Cols, std: 1 + step)).ToArray();
                var pass = HostData.Normal(rng, 5);
                var gradTensors = grads.Select(g => HostData.Upload(device, g)).ToArray();
                cgfm.Step(gradTensors, [HostData.Upload(device, pass)]);

                if (step % 2 == 0) bases = grads.Select((g, i) => Basis(g, options.RankFor(g.RowCount, g.ColumnCount))).ToArray();
                double total = HostData.Dot(pass, pass), adj = total, glob = 0;
                for (int i = 0; i < grads.Length; i++)
                {
                    var g = grads[i];
                    var gGlob = g.RowCount >= g.ColumnCount ? g * bases[i] * bases[i].Transpose() : bases[i] * (bases[i].Transpose() * g);
                    var expected = options.LambdaLocal * g + (options.LambdaGlobal - options.LambdaLocal) * gGlob;
                    HostData.Near(expected, HostData.Download(gradTensors[i]), 2e-5, $"{backend} {c} step {step} G_adj[{i}]");
                    double gg = Math.Pow(g.FrobeniusNorm(), 2), globSq = Math.Pow(gGlob.FrobeniusNorm(), 2);
                    total += gg;
                    glob += globSq;
                    adj += Math.Pow(options.LambdaLocal, 2) * (gg - globSq) + Math.Pow(options.LambdaGlobal, 2) * globSq;
                }
                if (step == 0) initialNorm = Math.Sqrt(total);
                double denominator = c.rule == CgfmStepRule.Literal ? initialNorm : Math.Sqrt(total);
                HostData.Near(1 + Math.Sqrt(adj) / denominator, cgfm.ReadStepMultiplier(), 1e-5, $"{backend} {c} step {step} s_t");
                HostData.Near(Math.Sqrt(glob / total), cgfm.ReadGlobalFraction(), 1e-4, $"{backend} {c} step {step} ||g_glob||/||g||", 1e-5);
            }
            return true;
        }).Check(TestSeeds.Quick(15));
    }

    [Fact]
    public void OptionsRejectBadValuesNamingTheParameter()
    {
        Assert.Contains("LambdaLocal", Assert.Throws<ArgumentOutOfRangeException>(() => new CgfmOptions { LambdaLocal = -1 }).Message);
        Assert.Contains("LambdaGlobal", Assert.Throws<ArgumentOutOfRangeException>(() => new CgfmOptions { LambdaGlobal = double.NaN }).Message);
        Assert.Contains("Rank", Assert.Throws<ArgumentOutOfRangeException>(() => new CgfmOptions { Rank = 0 }).Message);
        Assert.Contains("ProjectionPeriod", Assert.Throws<ArgumentOutOfRangeException>(() => new CgfmOptions { ProjectionPeriod = 0 }).Message);
        Assert.Contains("StepRule", Assert.Throws<ArgumentOutOfRangeException>(() => new CgfmOptions { StepRule = (CgfmStepRule)7 }).Message);
    }

    [Fact]
    public void DefaultRankIsAnEighthOfTheSmallerSideRounded()
    {
        var options = new CgfmOptions();
        Assert.Equal(16, options.RankFor(128, 512));
        Assert.Equal(1, options.RankFor(3, 100));
        Assert.Equal(2, options.RankFor(12, 12));
        Assert.Equal(3, options.RankFor(20, 40));
        Assert.Equal(4, new CgfmOptions { Rank = 9 }.RankFor(4, 40));
    }

    /// <summary>Top-r singular vectors on the smaller side, in double.</summary>
    private static Matrix<double> Basis(Matrix<double> g, int rank)
    {
        var svd = g.Svd(computeVectors: true);
        return g.RowCount >= g.ColumnCount
            ? svd.VT.SubMatrix(0, rank, 0, g.ColumnCount).Transpose()
            : svd.U.SubMatrix(0, g.RowCount, 0, rank);
    }

    private static (Cgfm Cgfm, Matrix<double>[] Adjusted) Run(ComputeDevice device, Matrix<double>[] grads, double[][] pass,
                                                             CgfmOptions options, int steps)
    {
        var cgfm = new Cgfm(device, grads.Select(g => (g.RowCount, g.ColumnCount)).ToArray(), pass.Length, options);
        using var scope = new TensorScope();
        var tensors = grads.Select(g => HostData.Upload(device, g)).ToArray();
        for (int s = 0; s < steps; s++) cgfm.Step(tensors, pass.Select(p => HostData.Upload(device, p)).ToArray());
        return (cgfm, tensors.Select(HostData.Download).ToArray());
    }
}
