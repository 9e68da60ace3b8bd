using Engine.Kernels.Devices;
using Engine.Models.Config;
using Engine.Models.Training;
using Engine.Optim;
using Engine.Optim.Structured;
using Engine.Tests.Optim;
using Engine.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using MathNet.Numerics.LinearAlgebra;
using Xunit;
using static Engine.Tests.Methods.ChainReferenceKit;

namespace Engine.Tests.Methods;

/// <summary>
/// CGFM over AdamW as training builds it (Trainer.CreateChain for --optim cgfm), with s_t ≠ 1, against METHODS §1b
/// "practical" form written out in double: G_adj = λ_l G + (λ_g − λ_l) G_glob per hidden matrix (basis: the exact top-r
/// singular vectors of G on its smaller side, from an SVD, at step 0 and every T_p steps; r = max(1, round(min(m, n)/8))),
/// fed to AdamW as the gradient with lr_t = lr·s_t while the decay multiplier stays lr·wd:
/// p ← p(1 − lr·wd) − lr·s_t·m̂/(√v̂ + ε). Both step rules that make s_t ≠ 1: CGFM-R, s_t = 1 + ‖g_adj‖/‖g‖, and the
/// literal CGFM-L, s_t = 1 + ‖g_adj‖/‖g_0‖ (norms of the globally clipped gradient, as the chain sees it). A decayed
/// parameter that never gets a gradient isolates the decay: it must shrink by exactly Π(1 − lr_t·wd), not by lr_t·s_t·wd.
/// <para>
/// The gradients of the matrices have a planted low-rank part with a clear gap at rank r (σ_{r+1}/σ_r = 0.6 above a weak
/// noise floor), so the basis is well defined and the fp32 Gram behind the device basis moves it by ~1e-7; the rest of
/// the tolerance is that of the AdamW chain: m, v at 1e-5 relative (plus 1e-6 of the largest entry, for entries that
/// cancel), p as <see cref="ChainReferenceKit.AdamConditioning"/> derives with lr_t·s_t, s_t at 1e-5.
/// </para>
/// </summary>
[Collection("Structured")]
public class CgfmAdamWReferenceTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    private const double Lr = 0.05, MinLr = 0.005, B1 = 0.9, B2 = 0.95, Eps = 1e-8, Wd = 0.5, LambdaLocal = 0.25, LambdaGlobal = 1.5;
    private const int Warmup = 1, DecayIters = 5, Steps = 5, Period = 2;

    [Theory, MemberData(nameof(Backends))]
    public void AdamWFormMatchesTheDoubleReference(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from rule in Gen.Elements("r", "l")
                    from clip in Gen.Elements<double?>(null, 1.0)
                    from rows in Gen.Choose(1, 9)
                    from cols in Gen.Choose(1, 9)
                    from seed in Seed
                    select (rule, clip, extra: (rows, cols), seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var config = new TrainConfig
            {
                Optim = "cgfm", Lr = (float)Lr, MinLr = (float)MinLr, WarmupIters = Warmup, LrDecayIters = DecayIters,
                Beta1 = (float)B1, Beta2 = (float)B2, Eps = (float)Eps, WeightDecay = (float)Wd, GradClip = (float)(c.clip ?? 0),
                CgfmStep = c.rule, CgfmRefresh = Period, CgfmLambdaLocal = (float)LambdaLocal, CgfmLambdaGlobal = (float)LambdaGlobal,
            };
            using var store = Store(device, c.extra, c.seed);
            using var optimizer = new Optimizer(store, Trainer.CreateChain(config));
            Assert.Matches("^(clip_global_norm > )?cgfm > scale_by_adam > add_decayed_weights > scale_by_learning_rate$", optimizer.Chain.ToString());
            var reference = new Reference(store, c.rule == "l");
            var schedule = LearningRateSchedule.WarmupCosine(Lr, Warmup, DecayIters, MinLr);
            var frozen = store["frozen"];
            var frozenStart = ToDouble(frozen.Read());
            double decayed = 1;
            var rng = new Random(c.seed);
            for (int t = 1; t <= Steps; t++)
            {
                var g = PlantedGradient(rng, store, t % 2 == 1 ? 3.0 : 0.5);
                store.ImportGrads(g);
                optimizer.Step();
                double lr = OptimizerReference.NanoGptLr(schedule, t - 1);
                double s = reference.Step(g, lr, c.clip);
                decayed *= 1 - lr * Wd;
                string where = $"{backend} {c} step {t}";
                double multiplier = optimizer.ReadMethodMetrics()["cgfm.step_multiplier"];
                Ops.Close.Check(s, multiplier, s, () => $"{where} s_t", 1e-5, 0);
                Assert.True(s > 1.1, $"{where}: s_t = {s}, too close to 1 to show the lr scaling");
                var state = optimizer.ExportState();
                Elements(reference.M, Slot(state, "scale_by_adam.m"), 1e-5, 1e-6 * reference.M.Max(Math.Abs), $"{where} m");
                Elements(reference.V, Slot(state, "scale_by_adam.v"), 1e-5, 1e-6 * reference.V.Max(Math.Abs), $"{where} v");
                Elements(reference.P, store.ExportValues(), reference.Conditioning.Tolerance(reference.P), $"{where} p");
                // Decay alone: lr·wd per step whatever s_t is (scaled by s_t it would be off by ~lr·wd·(s_t − 1) ≈ 1e-2).
                Elements(frozenStart.Select(x => x * decayed).ToArray(), frozen.Read(), 1e-6, 0, $"{where} decay-only parameter");
            }
            return true;
        }).Check(TestSeeds.Quick(8));
    }

    /// <summary>
    /// METHODS §1b: λ_l = λ_g = 1 with s = 1 equals the baseline AdamW within fp rounding, for any layout, rank, refresh
    /// period and basis method, with and without clipping and decay (CGFM's phase S sums ‖g‖² for the clip in another
    /// order than phase R, so the clip coefficient may differ in its last bit).
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void UnitLambdasAndUnitStepAreAdamW(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from layout in Layout
                    from period in Gen.Choose(1, 3)
                    from rank in Gen.Elements<int?>(null, 1, 2, 3)
                    from basis in Gen.Elements(CgfmBasisMethod.Exact, CgfmBasisMethod.Randomized)
                    from clip in Gen.Elements<double?>(null, 1.0)
                    from wd in Gen.Elements(0.0, 0.1)
                    from seed in Seed
                    select (layout, period, rank, basis, clip, wd, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var options = new CgfmOptions
            {
                LambdaLocal = 1, LambdaGlobal = 1, StepRule = CgfmStepRule.Unit, ProjectionPeriod = c.period, Rank = c.rank, Basis = c.basis,
            };
            var lr = LearningRateSchedule.WarmupCosine(1e-2, 1, 4, 1e-3);
            using var cgfmStore = c.layout.Create(device, c.seed);
            using var adamStore = c.layout.Create(device, c.seed);
            using var cgfm = new Optimizer(cgfmStore, Optimizers.Cgfm(lr, options, 0.9, 0.95, 1e-8, c.wd, c.clip), trackGradNorm: true);
            using var adam = new Optimizer(adamStore, Optimizers.AdamW(lr, 0.9, 0.95, 1e-8, c.wd, c.clip), trackGradNorm: true);
            var rng = new Random(c.seed);
            for (int t = 0; t < 4; t++)
            {
                var g = Gradient(rng, (int)cgfmStore.Count, t % 2 == 0 ? 3.0 : 0.5);
                cgfmStore.ImportGrads(g);
                adamStore.ImportGrads(g);
                cgfm.Step();
                adam.Step();
                Assert.Equal(1.0, cgfm.ReadMethodMetrics()["cgfm.step_multiplier"]);
            }
            string where = $"{backend} {c}";
            Ops.Close.All(ToDouble(adamStore.ExportValues()), cgfmStore.ExportValues(), $"{where} p", 1e-6, 1e-7);
            var a = adam.ExportState();
            var b = cgfm.ExportState();
            foreach (var slot in new[] { "scale_by_adam.m", "scale_by_adam.v" })
            {
                // Relative to the slot's largest entry: an entry can cancel to ~0 while its terms keep their rounding.
                var expected = ToDouble(Slot(a, slot));
                Elements(expected, Slot(b, slot), 1e-5, 1e-6 * expected.Max(Math.Abs), $"{where} {slot}");
            }
            Ops.Close.Check(adam.ReadGradNorm(), cgfm.ReadGradNorm(), adam.ReadGradNorm(), () => $"{where} ||g||", 1e-6);
            return true;
        }).Check(TestSeeds.Quick(10));
    }

    /// <summary>
    /// Hidden wide [6, 20] (r = 1), tall [20, 12] (r = 2), a run of two [16, 10] (r = 1 each), a single row [1, 7], one
    /// random extra matrix; an embedding, a bias without decay, and "frozen", decayed, whose gradient stays 0.
    /// </summary>
    private static ParameterStore Store(ComputeDevice device, (int Rows, int Cols) extra, int seed)
    {
        var store = new ParameterStore(device);
        store.Register("emb", [5, 3]);
        store.Register("wide", [6, 20], kind: ParameterKind.HiddenMatrix);
        store.Register("tall", [20, 12], kind: ParameterKind.HiddenMatrix);
        store.Register("run", [32, 10], kind: ParameterKind.HiddenMatrix, matrixBlocks: 2);
        store.Register("row", [1, 7], kind: ParameterKind.HiddenMatrix);
        store.Register("extra", [extra.Rows, extra.Cols], kind: ParameterKind.HiddenMatrix);
        store.Register("bias", [4], decay: false);
        store.Register("frozen", [3, 4]);
        store.Allocate();
        store.ImportValues(TestModel.Normal(new Random(seed), (int)store.Count, 0.5f));
        return store;
    }

    /// <summary>
    /// Per hidden matrix, Σ_{i ≤ r} σ_i u_i v_iᵀ (orthonormal u, v; σ_i = 0.6^i) plus N(0, 0.01²) noise; other parameters
    /// N(0, 0.1²), "frozen" 0; then scaled to global norm <paramref name="norm"/> and rounded to fp32.
    /// </summary>
    private static float[] PlantedGradient(Random rng, ParameterStore store, double norm)
    {
        var g = TestModel.Normal(rng, (int)store.Count, 0.1f).Select(x => (double)x).ToArray();
        var frozen = store["frozen"];
        for (long i = 0; i < frozen.Count; i++) g[frozen.Offset + i] = 0;
        foreach (var m in store.HiddenMatrices)
        {
            int planted = Math.Min(Math.Min(m.Rows, m.Cols), RankOf(m.Rows, m.Cols) + 1);
            var u = Orthonormal(rng, m.Rows, planted);
            var v = Orthonormal(rng, m.Cols, planted);
            var sigma = Matrix<double>.Build.DenseOfDiagonalArray(Enumerable.Range(0, planted).Select(i => Math.Pow(0.6, i)).ToArray());
            var noise = Matrix<double>.Build.Dense(m.Rows, m.Cols, (_, _) => 0.01 * TestModel.Normal(rng, 1, 1f)[0]);
            SetBlock(g, m, u * sigma * v.Transpose() + noise);
        }
        double scale = norm / Norm(g);
        return g.Select(x => (float)(x * scale)).ToArray();
    }

    private static Matrix<double> Orthonormal(Random rng, int rows, int cols) =>
        Matrix<double>.Build.Dense(rows, cols, (_, _) => TestModel.Normal(rng, 1, 1f)[0]).QR().Q.SubMatrix(0, rows, 0, cols);

    /// <summary>METHODS §1b's default rank: max(1, round(min(m, n)/8)).</summary>
    private static int RankOf(int rows, int cols) => Math.Max(1, (int)Math.Round(Math.Min(rows, cols) / 8.0, MidpointRounding.AwayFromZero));

    /// <summary>CGFM-LR then AdamW with lr·s_t and decay lr·wd, in double.</summary>
    private sealed class Reference(ParameterStore store, bool literal)
    {
        private readonly IReadOnlyList<HiddenMatrix> _matrices = store.HiddenMatrices;
        private readonly bool[] _decay = DecayMask(store);
        private readonly Dictionary<string, Matrix<double>> _bases = [];
        private double _initialNorm;
        private long _t;

        public double[] P { get; } = ToDouble(store.ExportValues());
        public double[] M { get; } = new double[store.Count];
        public double[] V { get; } = new double[store.Count];
        public AdamConditioning Conditioning { get; } = new((int)store.Count);

        /// <summary>One step; returns s_t.</summary>
        public double Step(float[] grad, double lr, double? clip)
        {
            _t++;
            var g = ToDouble(grad);
            double k = ClipCoefficient(g, clip);
            for (int i = 0; i < g.Length; i++) g[i] *= k;
            bool refresh = (_t - 1) % Period == 0;
            var adjusted = (double[])g.Clone();
            foreach (var m in _matrices)
            {
                var block = Block(g, m);
                int r = RankOf(m.Rows, m.Cols);
                bool right = m.Rows >= m.Cols;
                if (refresh)
                {
                    var svd = block.Svd(computeVectors: true);
                    _bases[m.Name] = right ? svd.VT.SubMatrix(0, r, 0, m.Cols).Transpose() : svd.U.SubMatrix(0, m.Rows, 0, r);
                }
                var basis = _bases[m.Name];
                var global = right ? block * basis * basis.Transpose() : basis * (basis.Transpose() * block);
                SetBlock(adjusted, m, LambdaLocal * block + (LambdaGlobal - LambdaLocal) * global);
            }
            double norm = Norm(g), adjustedNorm = Norm(adjusted);
            if (_t == 1) _initialNorm = norm;
            double s = 1 + adjustedNorm / ((literal ? _initialNorm : norm) + 1e-12);
            AdamW(P, M, V, adjusted, _t, lr, B1, B2, Eps, Wd, _decay, multiplier: s, conditioning: Conditioning);
            return s;
        }
    }
}
