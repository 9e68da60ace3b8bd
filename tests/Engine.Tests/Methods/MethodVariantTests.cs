using Engine.Models.Config;
using Engine.Models.Training;
using Engine.Optim;
using Engine.Optim.Structured;
using Engine.Tensors;
using Engine.Tests.Ops;
using Engine.Tests.Structured;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Engine.Tests.Methods;

/// <summary>
/// The variants METHODS.md names besides each method's default: a method over SGD instead of AdamW, Muon's Moonlight
/// scale, SPEC-GF's W_ref at the start of fine-tuning and its exact/Chebyshev choice, and how `engine train` settings
/// select them.
/// </summary>
[Collection("Structured")]
public class MethodVariantTests
{
    public static TheoryData<string> Backends => Support.Backends.Names;

    private static readonly LearningRateSchedule Lr = LearningRateSchedule.Constant(0.01);

    [Fact]
    public void OverPutsTheMethodRightAfterTheBaseClip()
    {
        Assert.Equal("clip_global_norm > cgfm > scale_by_learning_rate",
                     Optimizers.Over(new CgfmTransform(), Optimizers.Sgd(Lr, clip: 1)).ToString());
        Assert.Equal("sgg > add_decayed_weights > momentum > scale_by_learning_rate",
                     Optimizers.Over(new SggTransform(), Optimizers.Sgd(Lr, momentum: 0.9, weightDecay: 0.1)).ToString());
        Assert.Equal(Optimizers.Spectral(Lr, clip: 1).ToString(),
                     Optimizers.Over(new SpectralTransform(), Optimizers.AdamW(Lr, clip: 1)).ToString());
        var twice = Assert.Throws<ArgumentException>(() => Optimizers.Over(new SggTransform(), Optimizers.Cgfm(Lr)));
        Assert.Contains("already has a structured link ('cgfm')", twice.Message);
    }

    [Theory]
    [InlineData("cgfm", "adamw", "clip_global_norm > cgfm > scale_by_adam > add_decayed_weights > scale_by_learning_rate")]
    [InlineData("cgfm", "sgd", "clip_global_norm > cgfm > add_decayed_weights > momentum > scale_by_learning_rate")]
    [InlineData("sgg", "sgd", "clip_global_norm > sgg > add_decayed_weights > momentum > scale_by_learning_rate")]
    [InlineData("spectral", "sgd", "clip_global_norm > spectral > add_decayed_weights > momentum > scale_by_learning_rate")]
    public void TrainingBuildsTheMethodOverTheChosenBase(string optim, string baseOptim, string chain)
    {
        var config = new TrainConfig { Optim = optim, BaseOptim = baseOptim };
        Assert.Empty(config.Validate());
        Assert.Equal(chain, Trainer.CreateChain(config).ToString());
    }

    [Fact]
    public void FaithfulCgfmIsPlainSgdAndNesterovReachesTheMomentum()
    {
        var faithful = new TrainConfig { Optim = "cgfm", BaseOptim = "sgd", Momentum = 0, WeightDecay = 0, GradClip = 0 };
        Assert.Equal("cgfm > scale_by_learning_rate", Trainer.CreateChain(faithful).ToString());
        var nesterov = Trainer.CreateChain(new TrainConfig { Optim = "sgd", Nesterov = true });
        Assert.True(nesterov.Transforms.OfType<Momentum>().Single().Nesterov);
        Assert.Contains("--optim sgg --base-optim sgd needs --momentum > 0",
                        new TrainConfig { Optim = "sgg", BaseOptim = "sgd", Momentum = 0 }.Validate().Single());
    }

    [Fact]
    public void TrainingSettingsReachTheMethodOptions()
    {
        var defaults = MethodOptions.Spectral(new TrainConfig());
        Assert.Equal(SpectralFilterMode.Auto, defaults.Mode);   // METHODS §3b: exact up to 512 rows, Chebyshev K = 8 above
        Assert.True(defaults.FiltersExactly(512) && !defaults.FiltersExactly(513));
        Assert.Equal(8, defaults.ChebyshevOrder);
        Assert.Equal(SpectralReference.Zero, defaults.Reference);
        Assert.Equal(SpectralReference.Start, MethodOptions.Spectral(new TrainConfig { InitFrom = "base" }).Reference);
        Assert.Equal(SpectralReference.Zero, MethodOptions.Spectral(new TrainConfig { InitFrom = "base", SpectralReference = "zero" }).Reference);
        Assert.Equal(SpectralReference.Start, MethodOptions.Spectral(new TrainConfig { SpectralReference = "start" }).Reference);
        var chosen = MethodOptions.Spectral(new TrainConfig { SpectralMode = "chebyshev", SpectralOrder = 5, SpectralExactRows = 64, SpectralEma = 0.8f });
        Assert.Equal((SpectralFilterMode.Chebyshev, 5, 64, 0.8), (chosen.Mode, chosen.ChebyshevOrder, chosen.ExactMaxRows, chosen.GradientEmaDecay));
        Assert.Equal(0.5, MethodOptions.Sgg(new TrainConfig { SggSourceWeight = 0.5f }).SourceWeight);
        Assert.Equal(MuonScale.MatchAdamW, MethodOptions.Muon(new TrainConfig { MuonScale = "adamw" }).Scale);
        Assert.Equal(MuonScale.Shape, MethodOptions.Muon(new TrainConfig()).Scale);
    }

    /// <summary>
    /// A checkpoint written before spectral_mode and spectral_reference existed resumes as it was trained: order 0 was the
    /// exact filter, any other order Chebyshev, and W_ref was 0 — not today's defaults (auto; the start with --init-from).
    /// </summary>
    [Theory]
    [InlineData(0, "exact", 8)]
    [InlineData(8, "chebyshev", 8)]
    [InlineData(5, "chebyshev", 5)]
    public void CheckpointsFromBeforeTheSpectralKeysKeepTheirFilter(int order, string mode, int resumedOrder)
    {
        var saved = System.Text.Json.JsonSerializer.SerializeToNode(
            new TrainConfig { Optim = "spectral", InitFrom = "/runs/base" }, TrainingCheckpoint.ConfigJson)!.AsObject();
        saved.Remove("spectral_mode");
        saved.Remove("spectral_reference");
        saved["spectral_order"] = order;
        var config = TrainingCheckpoint.TrainConfigFrom(saved);
        Assert.Equal((mode, resumedOrder, "zero"), (config.SpectralMode, config.SpectralOrder, config.SpectralReference));
        Assert.Empty(config.Validate());
        var current = System.Text.Json.JsonSerializer.SerializeToNode(new TrainConfig { Optim = "spectral" }, TrainingCheckpoint.ConfigJson)!.AsObject();
        Assert.Equal(("auto", "auto"), (TrainingCheckpoint.TrainConfigFrom(current).SpectralMode, TrainingCheckpoint.TrainConfigFrom(current).SpectralReference));
    }

    /// <summary>
    /// Moonlight's scale: the same step as the reference scale times 0.2·sqrt(max(m, n)) / sqrt(max(1, m/n)), matrix by
    /// matrix (wide, tall, single-row and row-blocked ones), in the fused step.
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void MuonMatchAdamWScaleIsMoonlights(string backend)
    {
        var device = Support.Backends.Get(backend);
        var steps = new Dictionary<MuonScale, float[]>();
        float[] start = [];
        foreach (var scale in new[] { MuonScale.Shape, MuonScale.MatchAdamW })
        {
            using var store = MethodStores.Create(device, seed: 5);
            start = store.ExportValues();
            using var optimizer = new Optimizer(store, Optimizers.Muon(Lr, new MuonOptions { Scale = scale }), Optimizers.AdamW(Lr));
            store.ImportGrads(MethodStores.Gradient(new Random(8), store, 2.0));
            optimizer.Step();
            steps[scale] = store.ExportValues();
            if (scale == MuonScale.MatchAdamW)
                foreach (var m in store.HiddenMatrices)
                {
                    double ratio = 0.2 * Math.Sqrt(Math.Max(m.Rows, m.Cols)) / Math.Sqrt(Math.Max(1.0, (double)m.Rows / m.Cols));
                    for (long i = m.Offset; i < m.Offset + m.Count; i++)
                    {
                        double expected = ratio * (start[i] - steps[MuonScale.Shape][i]);
                        Close.Check(expected, start[i] - steps[scale][i], expected, () => $"{backend} {m.Name}[{i - m.Offset}]", 1e-4, 1e-7);
                    }
                }
        }
    }

    /// <summary>
    /// W_ref = the weights at the first step: the optimizer's effective gradient (SGD with lr 1, so θ_before − θ_after) equals
    /// the standalone filter's with that reference, step after step, for batched runs and single matrices; at the first
    /// step ΔW = 0, so the regularizer adds nothing there. A checkpoint carries W_ref: an optimizer resumed from the first
    /// step's state takes the same second step.
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void SpectralReferenceIsTheWeightsOfTheFirstStep(string backend)
    {
        var device = Support.Backends.Get(backend);
        var options = new SpectralOptions { Reference = SpectralReference.Start, Penalty = 0.3, Tau = 0.7, Neighbors = 3, Mode = SpectralFilterMode.Exact };
        using var store = MethodStores.Create(device, seed: 3);
        TransformChain Chain() => new(new SpectralTransform(options), new ScaleByLearningRate(LearningRateSchedule.Constant(1)));
        using var optimizer = new Optimizer(store, Chain());
        var start = store.ExportValues();
        using var scope = new TensorScope();
        var filters = store.HiddenMatrices.ToDictionary(m => m.Name, m =>
            new SpectralGradientFilter(device, m.Rows, m.Cols, options with { Reference = SpectralReference.Zero }, Matrix(device, start, m)));
        var rng = new Random(4);
        OptimizerState? afterFirst = null;
        float[] weightsAfterFirst = [];
        for (int step = 0; step < 3; step++)
        {
            var before = store.ExportValues();
            var g = MethodStores.Gradient(rng, store, 1.5);
            store.ImportGrads(g);
            optimizer.Step();
            var after = store.ExportValues();
            foreach (var m in store.HiddenMatrices)
            {
                var grad = Matrix(device, g, m);
                filters[m.Name].Step(Matrix(device, before, m), grad);
                var expected = grad.ToArray();
                for (int i = 0; i < expected.Length; i++)
                    Close.Check(expected[i], before[m.Offset + i] - after[m.Offset + i], expected[i], () => $"{backend} step {step} {m.Name}[{i}]", 1e-4, 1e-5);
            }
            // The high-frequency fraction is the update's ΔW = W − W_ref, as the standalone filter with that reference measures it.
            double high = 0, total = 0;
            foreach (var m in store.HiddenMatrices)
            {
                var (h, t) = filters[m.Name].HighFrequencyEnergy(Matrix(device, after, m));
                (high, total) = (high + h, total + t);
            }
            Close.Check(high / total, optimizer.ReadMethodMetrics()["spectral.high_freq_fraction"], 1, () => $"{backend} step {step} hf fraction", 1e-5, 1e-7);
            if (step == 0)
            {
                afterFirst = optimizer.ExportState();
                weightsAfterFirst = after;
                Assert.Contains(afterFirst.Extras, s => s.Name.Contains("reference.", StringComparison.Ordinal));
            }
            if (step == 1)
            {
                using var resumedStore = MethodStores.Create(device, seed: 3);
                resumedStore.ImportValues(weightsAfterFirst);
                using var resumed = new Optimizer(resumedStore, Chain());
                resumed.ImportState(afterFirst!);
                resumedStore.ImportGrads(g);
                resumed.Step();
                Assert.Equal(after, resumedStore.ExportValues());
            }
        }
        foreach (var f in filters.Values) f.Dispose();
    }

    /// <summary>With W_ref = 0 (from scratch) the same first step does feel the regularizer, so the test above can tell them apart.</summary>
    [Fact]
    public void SpectralReferenceZeroPenalizesTheWeightsThemselves()
    {
        var device = Support.Backends.Get("cpu");
        float[] FirstStep(SpectralReference reference)
        {
            using var store = MethodStores.Create(device, seed: 3);
            var options = new SpectralOptions { Reference = reference, Penalty = 0.3, Rho = 0, Neighbors = 3 };
            using var optimizer = new Optimizer(store, new TransformChain(new SpectralTransform(options), new ScaleByLearningRate(Lr)));
            store.ImportGrads(MethodStores.Gradient(new Random(4), store, 1.5));
            optimizer.Step();
            return store.ExportValues();
        }
        float[] Plain()
        {
            using var store = MethodStores.Create(device, seed: 3);
            using var optimizer = new Optimizer(store, new TransformChain(new ScaleByLearningRate(Lr)));
            store.ImportGrads(MethodStores.Gradient(new Random(4), store, 1.5));
            optimizer.Step();
            return store.ExportValues();
        }
        Assert.Equal(Plain(), FirstStep(SpectralReference.Start));
        Assert.NotEqual(Plain(), FirstStep(SpectralReference.Zero));
    }

    /// <summary>
    /// SGG's joint source training (METHODS §2b step 1, γ_s > 0): u = g' + γ_s g_s', with g' = g − (⟨g, g_s⟩/||g_s||²) g_s and
    /// g_s' = g_s − (⟨g, g_s⟩/||g||²) g in a conflict, g and g_s unchanged otherwise (blend and clip off); u still does not
    /// oppose g_s.
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void SggSourceWeightAddsTheProjectedSourceGradient(string backend)
    {
        var device = Support.Backends.Get(backend);
        var cases = from n in Gen.Choose(1, 200)
                    from gamma in Gen.Elements(0.25, 1.0, 3.0)
                    from conflict in Gen.Elements(false, true)
                    from seed in Gen.Choose(0, int.MaxValue)
                    select (n, gamma, conflict, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var rng = new Random(c.seed);
            var g = Array.ConvertAll(HostData.Normal(rng, c.n), x => (double)(float)x);
            var s = Array.ConvertAll(HostData.Normal(rng, c.n), x => (double)(float)x);
            double gs = HostData.Dot(g, s);
            if ((gs < 0) != c.conflict) { s = Array.ConvertAll(s, x => -x); gs = -gs; }
            if (c.conflict && !(gs < 0)) return true;   // ⟨g, g_s⟩ = 0 exactly: no conflict to test
            double gg = HostData.Dot(g, g), ss = HostData.Dot(s, s);
            var expected = g.Select((x, i) => c.conflict
                ? x - gs / ss * s[i] + c.gamma * (s[i] - gs / gg * x)
                : x + c.gamma * s[i]).ToArray();
            using var scope = new TensorScope();
            using var sgg = new SggGuidance(device, new SggOptions { Alpha = 0, ClipFactor = null, SourceWeight = c.gamma });
            Tensor Up(double[] v) => Tensor.FromArray(device, Array.ConvertAll(v, x => (float)x), [c.n]);
            var output = Tensor.Zeros(device, c.n);
            sgg.Step(Up(g), Up(s), Tensor.Zeros(device, c.n), output);
            var u = HostData.Vector(output);
            double scale = HostData.Norm(expected);
            for (int i = 0; i < c.n; i++)
                Close.Check(expected[i], u[i], scale, () => $"{backend} {c} u[{i}]", 1e-5, 1e-6);
            Assert.True(HostData.Dot(u, s) >= -1e-5 * HostData.Norm(u) * HostData.Norm(s), $"{backend} {c}: <u, g_s> < 0");
            return true;
        }).Check(Support.TestSeeds.Quick(25));
    }

    /// <summary>
    /// The L2-to-init control (with SGD's L2 decay after it): p₁ = p₀ − (g₀ + wd p₀) (no pull at the first step),
    /// p_{t+1} = p_t − (g_t + 2λ (p_t − p₀) + wd p_t), fused and transform by transform; an optimizer resumed from the first step's state takes the same second step (the state carries p₀).
    /// Hidden-only, the other parameters take plain steps (the launch is split at the hidden range).
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void L2ToInitPullsTowardTheFirstStepsWeights(string backend)
    {
        var device = Support.Backends.Get(backend);
        foreach (bool hiddenOnly in new[] { false, true })
            foreach (bool fused in new[] { true, false })
                CheckL2ToInit(device, hiddenOnly, fused);
    }

    private static void CheckL2ToInit(Engine.Kernels.Devices.ComputeDevice device, bool hiddenOnly, bool fused)
    {
        string backend = $"{device.Id} hiddenOnly={hiddenOnly}";
        const double lambda0 = 0.3;
        const double wd0 = 0.1;   // L2 decay on the decayed segment: the split launches keep each segment's decay flag
        TransformChain Chain() => new(new AddL2ToInit(lambda0, hiddenOnly), new AddDecayedWeights(wd0), new ScaleByLearningRate(LearningRateSchedule.Constant(1)));
        using var store = SegmentStore(device);
        using var optimizer = new Optimizer(store, Chain());
        var p0 = store.ExportValues();
        var rng = new Random(7);
        var g0 = MethodStores.Gradient(rng, store, 1.0);
        var g1 = MethodStores.Gradient(rng, store, 1.0);
        var g2 = MethodStores.Gradient(rng, store, 1.0);
        store.ImportGrads(g0);
        if (fused) optimizer.Step(); else optimizer.StepTransformByTransform();
        var p1 = store.ExportValues();
        var state = optimizer.ExportState();
        store.ImportGrads(g1);
        if (fused) optimizer.Step(); else optimizer.StepTransformByTransform();
        var p2 = store.ExportValues();
        store.ImportGrads(g2);
        if (fused) optimizer.Step(); else optimizer.StepTransformByTransform();
        var p3 = store.ExportValues();   // still pulled toward p₀, not toward the previous step's weights
        for (int i = 0; i < p0.Length; i++)
        {
            double lambda = hiddenOnly && (i < store.HiddenStart || i >= store.HiddenEnd) ? 0 : lambda0;
            double wd = i < store.DecayedCount ? wd0 : 0;
            double e1 = (double)p0[i] - (g0[i] + wd * p0[i]);
            Close.Check(e1, p1[i], e1, () => $"{backend} fused={fused} p1[{i}]", 1e-6, 1e-6);
            double e2 = (double)p1[i] - (g1[i] + 2 * lambda * ((double)p1[i] - p0[i]) + wd * p1[i]);
            Close.Check(e2, p2[i], e2, () => $"{backend} fused={fused} p2[{i}]", 1e-6, 1e-6);
            double e3 = (double)p2[i] - (g2[i] + 2 * lambda * ((double)p2[i] - p0[i]) + wd * p2[i]);
            Close.Check(e3, p3[i], e3, () => $"{backend} fused={fused} p3[{i}]", 1e-6, 1e-6);
        }
        using var resumedStore = SegmentStore(device);
        resumedStore.ImportValues(p1);
        using var resumed = new Optimizer(resumedStore, Chain());
        resumed.ImportState(state);
        resumedStore.ImportGrads(g1);
        if (fused) resumed.Step(); else resumed.StepTransformByTransform();
        Assert.Equal(p2, resumedStore.ExportValues());
    }

    /// <summary>A parameter of each of the store's four segments: decayed and not, hidden matrix and not.</summary>
    private static ParameterStore SegmentStore(Engine.Kernels.Devices.ComputeDevice device)
    {
        var store = new ParameterStore(device);
        store.Register("emb", [7, 5]);
        store.Register("w", [6, 4], kind: ParameterKind.HiddenMatrix);
        store.Register("w_nodecay", [5, 3], kind: ParameterKind.HiddenMatrix, decay: false);
        store.Register("bias", [4], decay: false);
        store.Allocate();
        store.ImportValues(Engine.Tests.Optim.TestModel.Normal(new Random(6), (int)store.Count, 0.5f));
        Assert.True(store.HiddenStart > 0 && store.HiddenStart < store.DecayedCount && store.DecayedCount < store.HiddenEnd && store.HiddenEnd < store.Count);
        return store;
    }

    [Fact]
    public void TrainingAppliesL2ToInitToTheHiddenMatricesOnly()
    {
        using var store = MethodStores.Create(Support.Backends.Get("cpu"), seed: 1);
        using var optimizer = Trainer.CreateOptimizer(new TrainConfig { L2ToInit = 1e-3f }, store);
        Assert.Equal("clip_global_norm > add_l2_to_init > scale_by_adam > add_decayed_weights > scale_by_learning_rate", optimizer.Chain.ToString());
        Assert.Null(optimizer.OthersChain);
        Assert.True(((AddL2ToInit)optimizer.Chain.Transforms[1]).HiddenOnly);
        Assert.Equal(3, optimizer.ExportState().Slots.Count);   // m, v and p₀: one chain, not a second group's copies
        Assert.Contains("--l2-to-init is the control for --optim adamw or sgd", new TrainConfig { Optim = "spectral", L2ToInit = 1e-3f }.Validate().Single());
    }

    [Fact]
    public void OnUpdatePutsTheFilterAfterTheBaseDirection()
    {
        Assert.Equal("clip_global_norm > scale_by_adam > spectral > add_decayed_weights > scale_by_learning_rate",
                     Optimizers.OnUpdate(new SpectralTransform(), Optimizers.AdamW(Lr, clip: 1)).ToString());
        Assert.Equal("add_decayed_weights > momentum > spectral > scale_by_learning_rate",
                     Optimizers.OnUpdate(new SpectralTransform(), Optimizers.Sgd(Lr, momentum: 0.9, weightDecay: 0.1)).ToString());
        Assert.Equal("spectral > scale_by_learning_rate", Optimizers.OnUpdate(new SpectralTransform(), Optimizers.Sgd(Lr)).ToString());
        Assert.Contains("works on the gradient only", Assert.Throws<ArgumentException>(() => Optimizers.OnUpdate(new CgfmTransform(), Optimizers.AdamW(Lr))).Message);
        Assert.Contains("must be the first link", Assert.Throws<ArgumentException>(
            () => new TransformChain(new ScaleByAdam(), new SggTransform(), new ScaleByLearningRate(Lr))).Message);
        Assert.Contains("a chain holds one structured link", Assert.Throws<ArgumentException>(
            () => new TransformChain(new CgfmTransform(), new ScaleByAdam(), new SpectralTransform(), new ScaleByLearningRate(Lr))).Message);
        Assert.Equal("clip_global_norm > scale_by_adam > spectral > add_decayed_weights > scale_by_learning_rate",
                     Trainer.CreateChain(new TrainConfig { Optim = "spectral", SpectralPlacement = "update" }).ToString());
    }

    /// <summary>
    /// SPEC-GF on the update (METHODS §3b's variant): with lr 1 and no decay, the step of [clip, adam, spectral, lr] is AdamW's
    /// step with every hidden matrix's rows filtered by F = (1 − ρ) I + ρ h(L) of its weight graph (the standalone filter),
    /// the other parameters' untouched — over two steps, fused (two passes and phase S between them through the update
    /// buffer) and transform by transform.
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void SpectralOnTheUpdateFiltersAdamsDirection(string backend)
    {
        var device = Support.Backends.Get(backend);
        var options = new SpectralOptions { Penalty = 0, Rho = 0.8, Tau = 0.9, Neighbors = 3 };
        var one = LearningRateSchedule.Constant(1);
        foreach (bool fused in new[] { true, false })
        {
            using var filtered = MethodStores.Create(device, seed: 9);
            using var plain = MethodStores.Create(device, seed: 9);
            using var onUpdate = new Optimizer(filtered, Optimizers.OnUpdate(new SpectralTransform(options), Optimizers.AdamW(one, weightDecay: 0, clip: 0.5)));
            using var adamw = new Optimizer(plain, Optimizers.AdamW(one, weightDecay: 0, clip: 0.5));
            Assert.Equal(2, onUpdate.Chain.LateLinks.Count + 1);
            using var scope = new TensorScope();
            var start = filtered.ExportValues();
            var filters = filtered.HiddenMatrices.ToDictionary(m => m.Name, m => new SpectralGradientFilter(device, m.Rows, m.Cols, options));
            foreach (var m in filtered.HiddenMatrices) filters[m.Name].Rebuild(Matrix(device, start, m));   // the graph of step 0's weights
            var rng = new Random(10);
            for (int step = 0; step < 2; step++)
            {
                var g = MethodStores.Gradient(rng, filtered, 2.0);
                var before = filtered.ExportValues();
                plain.ImportValues(before);
                filtered.ImportGrads(g);
                plain.ImportGrads(g);
                if (fused) { onUpdate.Step(); adamw.Step(); } else { onUpdate.StepTransformByTransform(); adamw.StepTransformByTransform(); }
                var direction = before.Zip(plain.ExportValues(), (b, a) => (double)a - b).ToArray();
                var expected = (double[])direction.Clone();
                foreach (var m in filtered.HiddenMatrices)
                {
                    var rows = filters[m.Name].Filter(Matrix(device, direction.Select(x => (float)x).ToArray(), m)).ToArray();
                    for (int i = 0; i < rows.Length; i++) expected[m.Offset + i] = rows[i];
                }
                var after = filtered.ExportValues();
                double scale = direction.Max(Math.Abs);
                for (int i = 0; i < expected.Length; i++)
                    Close.Check(expected[i], after[i] - (double)before[i], scale, () => $"{backend} fused={fused} step {step} [{i}]", 1e-5, 1e-6);
            }
            foreach (var f in filters.Values) f.Dispose();
        }
    }

    /// <summary>
    /// SGG's support-set direction: with d captured (not the momentum), the chain over plain SGD (lr 1, so the step is −u)
    /// takes the step the standalone guidance gives for that d — the blend toward it, norm kept, with a conflict
    /// projection and the adaptive clip — step after step, fused and transform by transform; before any capture d = 0 and
    /// the blend is skipped.
    /// </summary>
    [Theory, MemberData(nameof(Backends))]
    public void SggWithACapturedDirectionBlendsTowardIt(string backend)
    {
        var device = Support.Backends.Get(backend);
        var options = new SggOptions { Alpha = 0.4, ClipFactor = 1.5, ReferenceDirection = SggReferenceDirection.Captured };
        foreach (bool fused in new[] { true, false })
        {
            using var store = MethodStores.Create(device, seed: 12);
            using var optimizer = new Optimizer(store, Optimizers.Over(new SggTransform(options), Optimizers.Sgd(LearningRateSchedule.Constant(1))));
            Assert.True(optimizer.UsesReferenceDirection);
            using var guidance = new SggGuidance(device, options);
            int n = (int)store.Count;
            var rng = new Random(13);
            float[] d = new float[n];
            for (int step = 0; step < 4; step++)
            {
                var source = MethodStores.Gradient(rng, store, 1.0);
                store.ImportGrads(source);
                optimizer.CaptureSourceGradient();
                if (step > 0)
                {
                    d = MethodStores.Gradient(rng, store, 0.7);
                    store.ImportGrads(d);
                    optimizer.CaptureReferenceDirection();
                }
                var g = MethodStores.Gradient(rng, store, step == 2 ? 6.0 : 1.0);
                store.ImportGrads(g);
                var before = store.ExportValues();
                if (fused) optimizer.Step(); else optimizer.StepTransformByTransform();
                var after = store.ExportValues();
                using var scope = new TensorScope();
                var u = Tensor.Zeros(device, n);
                guidance.Step(Tensor.FromArray(device, g, [n]), Tensor.FromArray(device, source, [n]), Tensor.FromArray(device, d, [n]), u);
                var expected = u.ToArray();
                double scale = expected.Max(x => Math.Abs((double)x));
                for (int i = 0; i < n; i++)
                    Close.Check(expected[i], (double)before[i] - after[i], scale, () => $"{backend} fused={fused} step {step} [{i}]", 1e-5, 1e-6);
            }
        }
    }

    [Fact]
    public void SupportSetSpreadsWholeBatchesOverTheTrainSplit()
    {
        var tokens = Enumerable.Range(0, 100).ToArray();
        var support = new SupportSet(tokens, blocks: 5, blockSize: 4, batchSize: 3);
        Assert.Equal(2, support.Batches);   // 5 blocks rounded up to 6
        var inputs = new int[12];
        var targets = new int[12];
        var starts = new List<int>();
        for (int b = 0; b < support.Batches; b++)
        {
            support.Fill(b, inputs, targets);
            for (int k = 0; k < 3; k++)
            {
                starts.Add(inputs[k * 4]);
                Assert.Equal(Enumerable.Range(inputs[k * 4], 4), inputs.Skip(k * 4).Take(4));
                Assert.Equal(Enumerable.Range(inputs[k * 4] + 1, 4), targets.Skip(k * 4).Take(4));
            }
        }
        Assert.Equal([0, 19, 38, 57, 76, 95], starts);   // evenly spread, the last block's target the split's last token
    }

    private static Tensor Matrix(Engine.Kernels.Devices.ComputeDevice device, float[] flat, HiddenMatrix m) =>
        Tensor.FromArray(device, flat.AsSpan((int)m.Offset, (int)m.Count).ToArray(), [m.Rows, m.Cols]);
}
