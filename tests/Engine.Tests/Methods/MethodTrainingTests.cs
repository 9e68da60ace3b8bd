using Engine.Kernels.Cpu;
using Engine.Models.Config;
using Engine.Models.Training;
using Engine.Tests.Models;
using Engine.Tests.Training;
using Xunit;

namespace Engine.Tests.Methods;

public class MethodTrainingTests
{
    private static readonly CpuDevice Cpu = new();

    /// <summary>Each method trains the tiny model on the generated corpus: the validation loss falls, and its scalars are logged.</summary>
    [Theory]
    [InlineData("cgfm", "cgfm.step_multiplier")]
    [InlineData("sgg", "sgg.cos_g_gs")]
    [InlineData("spectral", "spectral.high_freq_fraction")]
    [InlineData("muon", null)]
    [InlineData("sgg", "sgg.cos_g_gs", "a")]
    public void EachMethodReducesTheLoss(string method, string? metric, string sggForm = "b")
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var config = TinyRuns.Config(dir.Path, maxIters: 40) with
        {
            Optim = method, Lr = 3e-3f, EvalIters = 4, SggEvery = sggForm == "a" ? 1 : 4, SpectralRebuild = 20, CgfmRefresh = 10, SggForm = sggForm,
        };
        using var trainer = new Trainer(config, device: Cpu);
        double before = trainer.EstimateValLoss();
        var reports = new List<TrainProgress>();
        var result = trainer.Run(new InlineProgress<TrainProgress>(reports.Add));
        Assert.True(result.ValLoss < before - 0.3, $"{method}: val loss {before:F3} → {result.ValLoss:F3} after 40 steps");
        if (metric is not null) Assert.True(double.IsFinite(reports[^1].MethodMetrics![metric]), $"{method}: {metric} not logged");
    }

    /// <summary>
    /// SGG form A in training: the base optimizer (AdamW) steps from the weights as they were before the Hessian products'
    /// shifted evaluations, with the form's gradient (left in the store's gradient buffer) — an AdamW optimizer given that
    /// gradient from the same state lands on the same weights, bit for bit — and the regularizers change the gradient.
    /// </summary>
    [Fact]
    public void SggFormAStepsTheBaseOptimizerWithItsGradientFromTheUnshiftedWeights()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var config = TinyRuns.Config(dir.Path, maxIters: 3) with { Optim = "sgg", SggForm = "a", SggAAlpha = 0.5f, SggABeta = 0.5f, SggAGamma = 0.5f };
        using var trainer = new Trainer(config, device: Cpu);
        Assert.Equal(Trainer.CreateChain(config with { Optim = "adamw" }).ToString(), trainer.Optimizer.Chain.ToString());
        var store = trainer.Model.Parameters.Store;
        for (int step = 0; step < 3; step++)
        {
            var before = store.ExportValues();
            var state = trainer.Optimizer.ExportState();
            trainer.TrainStep(readLoss: false);
            var gradient = store.ExportGrads();
            using var replayStore = new Engine.Optim.ParameterStore(Cpu);
            foreach (var p in store.Parameters) replayStore.Register(p.Name, p.Shape.ToArray(), p.Decay, p.Kind, Math.Max(1, p.MatrixBlocks));
            replayStore.Allocate();
            replayStore.ImportValues(before);
            using var replay = Trainer.CreateOptimizer(config with { Optim = "adamw" }, replayStore);
            replay.ImportState(state);
            replayStore.ImportGrads(gradient);
            replay.Step();
            Assert.Equal(store.ExportValues(), replayStore.ExportValues());
        }
        Assert.True(trainer.Optimizer.StepCount == 3);
        using var plainDir = ModelTestFiles.CreateTempDirectory();
        using var plain = new Trainer(config with { Optim = "adamw", OutDir = plainDir.Path }, device: Cpu);
        for (int step = 0; step < 3; step++) plain.TrainStep(readLoss: false);   // the same batches: only the gradient differs
        Assert.NotEqual(plain.Model.Parameters.Store.ExportValues(), store.ExportValues());
        // R_dir alone: d = Adam's m, zero at the first step (so that step is AdamW's), then it bends the gradient.
        using var directionDir = ModelTestFiles.CreateTempDirectory();
        using var direction = new Trainer(config with { SggABeta = 0, SggAGamma = 0, OutDir = directionDir.Path }, device: Cpu);
        using var plainAgainDir = ModelTestFiles.CreateTempDirectory();
        using var plainAgain = new Trainer(config with { Optim = "adamw", OutDir = plainAgainDir.Path }, device: Cpu);
        direction.TrainStep(readLoss: false);
        plainAgain.TrainStep(readLoss: false);
        Assert.Equal(plainAgain.Model.Parameters.Store.ExportValues(), direction.Model.Parameters.Store.ExportValues());
        direction.TrainStep(readLoss: false);
        plainAgain.TrainStep(readLoss: false);
        Assert.NotEqual(plainAgain.Model.Parameters.Store.ExportValues(), direction.Model.Parameters.Store.ExportValues());
    }

    /// <summary>
    /// SGG's support-set direction as training computes it: at steps 0, k, 2k, … the captured d is the mean gradient of the
    /// fixed support set (two batches here, so the mean over batches matters) at that step's weights, and between
    /// recomputations it is kept.
    /// </summary>
    [Fact]
    public void SupportDirectionIsTheSupportSetsMeanGradientEveryKSteps()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var config = TinyRuns.Config(dir.Path, maxIters: 5) with { Optim = "sgg", SggDirection = "support", SggEvery = 2, SggSupportBlocks = 9 };
        using var trainer = new Trainer(config, device: Cpu);
        var support = new SupportSet(trainer.Data.Dataset.Train, config.SggSupportBlocks, config.BlockSize, config.BatchSize);
        Assert.Equal(2, support.Batches);
        float[] Captured() => trainer.Optimizer.ExportState().Extras.Single(e => e.Name.EndsWith(".reference_direction", StringComparison.Ordinal)).Values;
        float[] MeanGradient()
        {
            var store = trainer.Model.Parameters.Store;
            var sum = new double[store.Count];
            var inputs = new int[config.BatchSize * config.BlockSize];
            var targets = new int[inputs.Length];
            for (int b = 0; b < support.Batches; b++)
            {
                support.Fill(b, inputs, targets);
                using var scope = new Engine.Tensors.TensorScope();
                store.ZeroGrads();
                using (var tape = new Engine.Autograd.GradientTape())
                    tape.Backward(trainer.Model.Loss(Engine.Tensors.Tensor.FromArray(Cpu, inputs, config.BatchSize, config.BlockSize),
                                                     Engine.Tensors.Tensor.FromArray(Cpu, targets, config.BatchSize, config.BlockSize)));
                var g = store.ExportGrads();
                for (int i = 0; i < g.Length; i++) sum[i] += g[i] / support.Batches;
            }
            return sum.Select(x => (float)x).ToArray();
        }
        float[] previous = [];
        for (int step = 0; step < 4; step++)
        {
            var expected = step % 2 == 0 ? MeanGradient() : previous;
            trainer.TrainStep(readLoss: false);
            var captured = Captured();
            double scale = expected.Max(x => Math.Abs((double)x));
            for (int i = 0; i < expected.Length; i++)
                Ops.Close.Check(expected[i], captured[i], scale, () => $"step {step} d[{i}]", 1e-5, 1e-7);
            previous = captured;
        }
    }

    /// <summary>Form A over SGD without momentum (allowed with --sgg-a-alpha 0): d = 0, and the step still runs.</summary>
    [Fact]
    public void SggFormAOverPlainSgdHasNoDirectionAndRuns()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var config = TinyRuns.Config(dir.Path, maxIters: 3) with
        {
            Optim = "sgg", SggForm = "a", BaseOptim = "sgd", Momentum = 0, SggAAlpha = 0, SggABeta = 0.5f, SggAGamma = 0.5f, Lr = 0.05f,
        };
        Assert.Empty(config.Validate());
        using var trainer = new Trainer(config, device: Cpu);
        Assert.Null(trainer.Optimizer.FirstMoment);
        var before = trainer.Model.Parameters.Store.ExportValues();
        var result = trainer.Run();
        Assert.Null(result.Divergence);
        Assert.NotEqual(before, trainer.Model.Parameters.Store.ExportValues());
    }

    [Theory]
    [InlineData("cgfm")]
    [InlineData("cgfm", "fp32", "randomized")]
    [InlineData("muon")]
    [InlineData("sgg")]
    [InlineData("sgg", "bf16")]
    [InlineData("spectral")]
    [InlineData("spectral", "fp32", "exact", "gradients")]
    [InlineData("spectral", "fp32", "exact", "weights", "update")]
    [InlineData("spectral", "fp32", "exact", "weights", "gradient", "start")]
    [InlineData("adamw", "fp32", "exact", "weights", "gradient", "auto", 1e-3f)]
    [InlineData("sgg", "fp32", "exact", "weights", "gradient", "auto", 0f, "support")]
    [InlineData("sgg", "fp32", "exact", "weights", "gradient", "auto", 0f, "momentum", "a")]
    public void ResumingContinuesBitExactly(string method, string sggSourcePrecision = "fp32", string cgfmBasis = "exact",
                                            string spectralGraph = "weights", string spectralPlacement = "gradient",
                                            string spectralReference = "auto", float l2ToInit = 0, string sggDirection = "momentum",
                                            string sggForm = "b")
    {
        // Refresh, rebuild and source recomputation periods that do not divide the resume step, so restored state is used.
        TrainConfig Config(string path, int iters) => TinyRuns.Config(path, iters) with
        {
            Optim = method, CgfmRefresh = 4, SggEvery = sggForm == "a" ? 1 : 4, SpectralRebuild = 4, CheckpointInterval = 6, EvalInterval = 4,
            SggSourcePrecision = sggSourcePrecision, CgfmBasis = cgfmBasis, SpectralGraph = spectralGraph, SpectralWarmup = 2,
            SpectralPlacement = spectralPlacement, SpectralReference = spectralReference, L2ToInit = l2ToInit,
            SggDirection = sggDirection, SggSupportBlocks = 5, SggForm = sggForm, SggACTau = 0.9f,   // form A's R_mag active at times
        };
        using var split = ModelTestFiles.CreateTempDirectory();
        using var whole = ModelTestFiles.CreateTempDirectory();
        using (var first = new Trainer(Config(split.Path, 6), device: Cpu)) first.Run();
        float[] resumed;
        Engine.Optim.OptimizerState resumedState;
        IReadOnlyDictionary<string, double> resumedMetrics;
        StabilityReport resumedStability;
        using (var second = new Trainer(Config(split.Path, 11), resume: true, device: Cpu))
        {
            Assert.Equal(6, second.Step);
            second.Run();
            resumed = second.Model.Parameters.Store.ExportValues();
            resumedState = second.Optimizer.ExportState();
            resumedMetrics = second.ReadMethodMetrics();
            resumedStability = second.ReadStability(evaluation: true);
        }
        using var straight = new Trainer(Config(whole.Path, 11), device: Cpu);
        straight.Run();
        Assert.Equal(straight.Model.Parameters.Store.ExportValues(), resumed);
        var state = straight.Optimizer.ExportState();
        for (int s = 0; s < state.Slots.Count; s++) Assert.Equal(state.Slots[s].Values, resumedState.Slots[s].Values);
        Assert.Equal(state.Extras.Select(e => e.Name), resumedState.Extras.Select(e => e.Name));
        for (int e = 0; e < state.Extras.Count; e++) Assert.Equal(state.Extras[e].Values, resumedState.Extras[e].Values);
        Assert.Equal(straight.ReadMethodMetrics(), resumedMetrics);   // the logged scalars (clip rates, EMAs) continue too
        AssertSameStability(straight.ReadStability(evaluation: true), resumedStability);
    }

    /// <summary>GV, DA, the val-loss EMA and the perturbation (θ_0 rebuilt on the resume) of a resumed run equal a straight run's.</summary>
    internal static void AssertSameStability(StabilityReport expected, StabilityReport actual)
    {
        Assert.True(double.IsFinite(expected.GvRun) && expected.DaRun is not null && expected.Perturbation is > 0 && expected.ValLossEma is not null,
                    $"the straight run measured {expected}");
        Assert.Equal(expected with { PerturbationByTensor = null }, actual with { PerturbationByTensor = null });
        Assert.Equal(expected.PerturbationByTensor, actual.PerturbationByTensor);
    }
}
