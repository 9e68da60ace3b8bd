using Engine.Models.Config;
using Engine.Models.Training;
using Engine.Optim;
using Engine.Optim.Structured;
using Engine.Tests.Ops;
using Xunit;

namespace Engine.Tests.Methods;

/// <summary>
/// How the variants METHODS.md names besides each method's default are put together: a method over SGD instead of AdamW,
/// SPEC-GF after the base direction, Muon's Moonlight scale, and how `engine train` settings (and old checkpoints' missing
/// ones) select them.
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

    /// <summary>The first moment an optimizer gives (SGG form A's d) is its base link's: Adam's m, SGD's buffer, none for plain SGD.</summary>
    [Fact]
    public void FirstMomentIsTheBaseLinksMoment()
    {
        var device = Support.Backends.Get("cpu");
        foreach (var (chain, slot) in new (TransformChain, string?)[]
                 {
                     (Optimizers.AdamW(Lr, clip: 1), "scale_by_adam.m"), (Optimizers.Sgd(Lr, momentum: 0.9), "momentum.buffer"), (Optimizers.Sgd(Lr), null),
                 })
        {
            using var store = MethodStores.Create(device, seed: 2);
            using var optimizer = new Optimizer(store, chain);
            var rng = new Random(3);
            for (int step = 0; step < 2; step++)
            {
                store.ImportGrads(MethodStores.Gradient(rng, store, 1.0));
                optimizer.Step();
            }
            var moment = optimizer.FirstMoment?.ToArray();
            if (slot is null) Assert.Null(moment);
            else Assert.Equal(optimizer.ExportState().Slots.Single(s => s.Name.EndsWith(slot, StringComparison.Ordinal)).Values, moment);
            if (moment is not null) Assert.Contains(moment, x => x != 0);
        }
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
}
