using Engine.Kernels.Cpu;
using Engine.Models.Checkpoints;
using Engine.Models.Config;
using Engine.Models.Training;
using Engine.Tests.Models;
using Xunit;

namespace Engine.Tests.Training;

public class TrainerTests
{
    private static readonly CpuDevice Cpu = new();

    [Fact]
    public void TinyModelLearnsTheGeneratedCorpus()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var config = TinyRuns.Config(dir.Path, maxIters: 100) with { Lr = 3e-3f, EvalIters = 8 };
        using var trainer = new Trainer(config, device: Cpu);
        double before = trainer.EstimateValLoss();
        var reports = new List<TrainProgress>();
        var result = trainer.Run(new InlineProgress<TrainProgress>(reports.Add));
        Assert.Equal(100, result.Step);
        Assert.False(result.Cancelled);
        Assert.True(result.ValLoss < before - 0.8, $"val loss {before:F3} → {result.ValLoss:F3} after 100 steps");
        var last = Assert.Single(reports);   // log and eval intervals exceed the run: one report, at the end
        Assert.Equal(100, last.Step);
        Assert.Equal(result.ValLoss, last.ValLoss);
        Assert.True(last.TokensPerSecond > 0 && last.GradNorm > 0 && last.LearningRate > 0);
    }

    [Fact]
    public void ResumingContinuesBitExactly()
    {
        using var split = ModelTestFiles.CreateTempDirectory();
        using var whole = ModelTestFiles.CreateTempDirectory();
        using (var first = new Trainer(TinyRuns.Config(split.Path, maxIters: 20), device: Cpu))
            Assert.Equal("step-0000020", first.Run().Checkpoint);
        float[] resumedValues;
        Engine.Optim.OptimizerState resumedState;
        TrainResult resumedResult;
        using (var second = new Trainer(TinyRuns.Config(split.Path, maxIters: 40), resume: true, device: Cpu))
        {
            Assert.Equal("step-0000020", second.ResumedFrom);
            Assert.Equal(20, second.Step);
            resumedResult = second.Run();
            resumedValues = second.Model.Parameters.Store.ExportValues();
            resumedState = second.Optimizer.ExportState();
        }
        using var straight = new Trainer(TinyRuns.Config(whole.Path, maxIters: 40), device: Cpu);
        var straightResult = straight.Run();
        // The first run's closing evaluation (step 20, off the interval) must not shift the validation batches after it.
        Assert.Equal(straightResult.ValLoss, resumedResult.ValLoss);
        var values = straight.Model.Parameters.Store.ExportValues();
        var state = straight.Optimizer.ExportState();
        Assert.Equal(40, state.Step);
        Assert.Equal(state.Step, resumedState.Step);
        AssertBitEqual(values, resumedValues, "weights");
        for (int s = 0; s < state.Slots.Count; s++) AssertBitEqual(state.Slots[s].Values, resumedState.Slots[s].Values, state.Slots[s].Name);
    }

    [Fact]
    public void ResumingWithAnotherModelShapeNamesTheDifferingKeys()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        using (var trainer = new Trainer(TinyRuns.Config(dir.Path, maxIters: 2), device: Cpu)) trainer.Run();
        var changed = TinyRuns.Config(dir.Path, maxIters: 4) with { Width = 48, Layers = 3, Lr = 5e-4f };
        var e = Assert.Throws<CheckpointMismatchException>(() => new Trainer(changed, resume: true, device: Cpu));
        Assert.Equal(["layers", "width"], e.DifferingKeys);
        Assert.Contains("width: checkpoint 32, config 48", e.Message);
        Assert.Contains("layers: checkpoint 2, config 3", e.Message);
        Assert.Contains("step-0000002", e.Message);
        Assert.DoesNotContain("lr", e.DifferingKeys);
    }

    [Fact]
    public void ResumingWithAnotherTokenizerIsRefused()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        using (var trainer = new Trainer(TinyRuns.Config(dir.Path, maxIters: 1), device: Cpu)) trainer.Run();
        var bpe = TinyRuns.Config(dir.Path, maxIters: 2) with { Tokenizer = "bpe", BpeVocab = 300 };
        var e = Assert.Throws<CheckpointMismatchException>(() => new Trainer(bpe, resume: true, device: Cpu));
        Assert.Contains("tokenizer", e.DifferingKeys);
    }

    [Fact]
    public void InitFromStartsAFreshRunFromACheckpointsWeights()
    {
        using var source = ModelTestFiles.CreateTempDirectory();
        using var target = ModelTestFiles.CreateTempDirectory();
        float[] trained;
        using (var first = new Trainer(TinyRuns.Config(source.Path, maxIters: 10), device: Cpu))
        {
            first.Run();
            trained = first.Model.Parameters.Store.ExportValues();
        }
        // Another optimizer and learning rate: only the model keys must match.
        var config = TinyRuns.Config(target.Path, maxIters: 5) with { InitFrom = source.Path, Optim = "sgd", Lr = 1e-4f };
        using (var tuned = new Trainer(config, device: Cpu))
        {
            Assert.Equal(0, tuned.Step);
            Assert.Equal("step-0000010", tuned.InitializedFrom);
            Assert.Null(tuned.ResumedFrom);
            Assert.Equal(trained, tuned.Model.Parameters.Store.ExportValues());
            Assert.Equal(5, tuned.Run().Step);
        }
        // Resuming the fine-tuned run continues its own checkpoint, not the one it started from, and keeps its origin
        // (recorded as a full path) without being told again; another origin is refused.
        using (var resumed = new Trainer(config with { MaxIters = 6, InitFrom = null }, resume: true, device: Cpu))
        {
            Assert.Equal(5, resumed.Step);
            Assert.Equal("step-0000005", resumed.ResumedFrom);
            Assert.Null(resumed.InitializedFrom);
            Assert.Equal(Path.GetFullPath(source.Path), resumed.Config.InitFrom);
        }
        var elsewhere = Assert.Throws<CheckpointMismatchException>(
            () => new Trainer(config with { MaxIters = 7, InitFrom = target.Path }, resume: true, device: Cpu));
        Assert.Equal(["init_from"], elsewhere.DifferingKeys);
        using var third = ModelTestFiles.CreateTempDirectory();
        var other = TinyRuns.Config(third.Path, maxIters: 5) with { InitFrom = source.Path, Layers = 3 };
        var mismatch = Assert.Throws<CheckpointMismatchException>(() => new Trainer(other, device: Cpu));
        Assert.Equal(["layers"], mismatch.DifferingKeys);
        Assert.Contains("--init-from", mismatch.Message);
    }

    /// <summary>
    /// The perturbation of a fine-tuning run is ||θ − θ_0|| / ||θ_0|| with θ_0 the --init-from weights, also after a resume
    /// (which reloads them); when that checkpoint is gone by the resume, the run goes on without it and says so.
    /// </summary>
    [Fact]
    public void PerturbationIsMeasuredFromTheInitFromWeightsAcrossAResume()
    {
        using var source = ModelTestFiles.CreateTempDirectory();
        using var target = ModelTestFiles.CreateTempDirectory();
        float[] start;
        using (var first = new Trainer(TinyRuns.Config(source.Path, maxIters: 4), device: Cpu))
        {
            first.Run();
            start = first.Model.Parameters.Store.ExportValues();
        }
        var config = TinyRuns.Config(target.Path, maxIters: 3) with { InitFrom = source.Path, Lr = 3e-3f };
        using (var tuned = new Trainer(config, device: Cpu)) tuned.Run();
        using (var resumed = new Trainer(config with { MaxIters = 6, InitFrom = null }, resume: true, device: Cpu))
        {
            resumed.Run();
            var report = resumed.ReadStability(evaluation: true);
            var store = resumed.Model.Parameters.Store;
            var now = store.ExportValues();
            double moved = 0, size = 0;
            for (int i = 0; i < now.Length; i++)
            {
                moved += ((double)now[i] - start[i]) * ((double)now[i] - start[i]);
                size += (double)start[i] * start[i];
            }
            Assert.True(report.Perturbation > 0);
            Assert.Equal(Math.Sqrt(moved / size), report.Perturbation!.Value, 12);
            var wte = store["wte.weight"];
            double tensorMoved = 0, tensorSize = 0;
            for (long i = wte.Offset; i < wte.Offset + wte.Count; i++)
            {
                tensorMoved += ((double)now[i] - start[i]) * ((double)now[i] - start[i]);
                tensorSize += (double)start[i] * start[i];
            }
            Assert.Equal(Math.Sqrt(tensorMoved / tensorSize), report.PerturbationByTensor!["wte.weight"], 12);
        }
        foreach (var entry in Directory.GetFileSystemEntries(source.Path))
            if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
            else File.Delete(entry);
        using var orphan = new Trainer(config with { MaxIters = 7, InitFrom = null }, resume: true, device: Cpu);
        Assert.Contains(orphan.Warnings, w => w.Contains("perturbation is not logged") && w.Contains(Path.GetFullPath(source.Path)));
        orphan.Run();
        Assert.Null(orphan.ReadStability(evaluation: true).Perturbation);
    }

    /// <summary>
    /// The stability figures take every step, whether or not Run has a reporter (the device's ring holds only LogInterval
    /// steps, so each read step must empty it).
    /// </summary>
    [Fact]
    public void StabilityCountsEveryStepWithOrWithoutAReporter()
    {
        using var quiet = ModelTestFiles.CreateTempDirectory();
        using var watched = ModelTestFiles.CreateTempDirectory();
        TrainConfig Config(string path) => TinyRuns.Config(path, maxIters: 30) with { LogInterval = 2, CheckpointInterval = 7 };
        StabilityReport withoutReporter, withReporter;
        using (var trainer = new Trainer(Config(quiet.Path), device: Cpu))
        {
            trainer.Run();
            withoutReporter = trainer.ReadStability(evaluation: false);
        }
        var reports = new List<TrainProgress>();
        using (var trainer = new Trainer(Config(watched.Path), device: Cpu))
        {
            trainer.Run(new InlineProgress<TrainProgress>(reports.Add));
            withReporter = trainer.ReadStability(evaluation: false);
        }
        Assert.Equal(withReporter, withoutReporter);
        Assert.Equal(withReporter.GvRun, reports[^1].Stability!.GvRun);
        // Library use without Run: TrainStep alone empties the ring before it would drop a step.
        using var stepped = ModelTestFiles.CreateTempDirectory();
        using (var trainer = new Trainer(Config(stepped.Path), device: Cpu))
        {
            for (int t = 0; t < 30; t++) trainer.TrainStep(readLoss: false);
            Assert.Equal(withReporter, trainer.ReadStability(evaluation: false));
        }
        // GV over the whole run from the reported steps' norms would differ: the figure holds all 30 steps.
        Assert.True(double.IsFinite(withReporter.GvRun) && withReporter.DaRun is not null);
    }

    /// <summary>
    /// A run resumed with --update-alignment false logs no DA (not the checkpoint's, frozen); resumed once more with it on,
    /// DA counts from that resume only: its first step has no previous update, so a 3-step stretch gives 2 cosines.
    /// </summary>
    [Fact]
    public void ResumingWithoutTheAlignmentLogsNoDa()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        using (var first = new Trainer(TinyRuns.Config(dir.Path, maxIters: 6), device: Cpu))
        {
            first.Run();
            Assert.NotNull(first.ReadStability(evaluation: false).DaRun);
        }
        using var resumed = new Trainer(TinyRuns.Config(dir.Path, maxIters: 9) with { UpdateAlignment = false }, resume: true, device: Cpu);
        resumed.Run();
        var report = resumed.ReadStability(evaluation: false);
        Assert.Null(report.DaRun);
        Assert.Null(report.DaWindow);
        Assert.True(double.IsFinite(report.GvRun));
        resumed.Dispose();
        using var again = new Trainer(TinyRuns.Config(dir.Path, maxIters: 12), resume: true, device: Cpu);
        again.Run();
        Assert.NotNull(again.ReadStability(evaluation: false).DaRun);
        var saved = new CheckpointStore(dir.Path).LoadLatest()!;
        Assert.Equal(2, saved.Manifest.Extra["stability"]!["cosine_count"]!.GetValue<long>());
    }

    /// <summary>
    /// --init-from names a run folder; when its latest checkpoint moves on before the fine-tuning run resumes, the rebuilt
    /// θ_0 would be other weights: the run says so and logs no perturbation rather than a wrong one.
    /// </summary>
    [Fact]
    public void AnInitFromFolderThatMovedOnGivesNoPerturbation()
    {
        using var source = ModelTestFiles.CreateTempDirectory();
        using var target = ModelTestFiles.CreateTempDirectory();
        using (var first = new Trainer(TinyRuns.Config(source.Path, maxIters: 4), device: Cpu)) first.Run();
        var config = TinyRuns.Config(target.Path, maxIters: 3) with { InitFrom = source.Path };
        using (var tuned = new Trainer(config, device: Cpu)) tuned.Run();
        using (var more = new Trainer(TinyRuns.Config(source.Path, maxIters: 8), resume: true, device: Cpu)) more.Run();
        using var resumed = new Trainer(config with { MaxIters = 5, InitFrom = null }, resume: true, device: Cpu);
        Assert.Contains(resumed.Warnings, w => w.Contains("perturbation is not logged") && w.Contains("changed since it began"));
        resumed.Run();
        Assert.Null(resumed.ReadStability(evaluation: true).Perturbation);
    }

    /// <summary>Sets one weight to NaN: from the next forward pass on, everything is NaN.</summary>
    private static void Poison(Trainer trainer)
    {
        var store = trainer.Model.Parameters.Store;
        var values = store.ExportValues();
        values[0] = float.NaN;
        store.ImportValues(values);
    }

    [Fact]
    public void ADivergedRunStopsWithoutCheckpointingItsWeights()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        var config = TinyRuns.Config(dir.Path, maxIters: 40) with { LogInterval = 5, EvalInterval = 10, CheckpointInterval = 10 };
        var reports = new List<TrainProgress>();
        using var trainer = new Trainer(config, device: Cpu);
        var result = trainer.Run(new InlineProgress<TrainProgress>(p =>
        {
            reports.Add(p);
            if (p.Step == 15) Poison(trainer);
        }));
        Assert.True(result.Diverged);
        Assert.False(result.Cancelled);
        Assert.Equal(20, result.Step);                  // the first step that read its loss after the damage
        Assert.Equal("train loss NaN", result.Divergence);
        Assert.Equal([5L, 10, 15, 20], reports.Select(r => r.Step));
        Assert.True(double.IsNaN(reports[^1].TrainLoss));
        Assert.NotNull(reports[1].ValLoss);             // step 10 was evaluated ...
        Assert.Null(reports[^1].ValLoss);               // ... step 20 is an eval step too, but a diverged model is not evaluated
        Assert.Equal("step-0000010", trainer.LastCheckpoint);
        Assert.Equal(10, new CheckpointStore(dir.Path).LoadLatest()!.Manifest.Step);
        Assert.False(File.Exists(new CheckpointStore(dir.Path).WeightsPath("step-0000020")));
    }

    [Fact]
    public void CheckpointStepsReadTheLossSoAQuietRunCannotSaveNaN()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        // No log or eval step before 40: step 7 is read only because it writes a checkpoint.
        var config = TinyRuns.Config(dir.Path, maxIters: 40) with { LogInterval = 1000, EvalInterval = 1000, CheckpointInterval = 7 };
        using var trainer = new Trainer(config, device: Cpu);
        Poison(trainer);
        var result = trainer.Run();
        Assert.Equal(7, result.Step);
        Assert.Equal("train loss NaN", result.Divergence);
        Assert.Null(result.Checkpoint);
        Assert.Null(new CheckpointStore(dir.Path).LoadLatest());
    }

    [Fact]
    public void WeightsBrokenByAnUpdateAreNotSavedNorSavedOnCancel()
    {
        // The loss read at a step predates its update; the weights are checked before every save.
        using var first = ModelTestFiles.CreateTempDirectory();
        var config = TinyRuns.Config(first.Path, maxIters: 40) with { LogInterval = 5, CheckpointInterval = 10 };
        using (var trainer = new Trainer(config, device: Cpu))
        {
            var result = trainer.Run(new InlineProgress<TrainProgress>(p => { if (p.Step == 10) Poison(trainer); }));
            Assert.Equal(10, result.Step);
            Assert.StartsWith("weights", result.Divergence);
            Assert.Null(result.Checkpoint);
            Assert.Null(new CheckpointStore(first.Path).LoadLatest());
        }

        using var second = ModelTestFiles.CreateTempDirectory();
        using var cancel = new CancellationTokenSource();
        using (var trainer = new Trainer(config with { OutDir = second.Path }, device: Cpu))
        {
            var result = trainer.Run(new InlineProgress<TrainProgress>(p =>
            {
                if (p.Step != 5) return;
                Poison(trainer);
                cancel.Cancel();
            }), cancel.Token);
            Assert.True(result.Cancelled);
            Assert.StartsWith("weights", result.Divergence);
            Assert.Null(new CheckpointStore(second.Path).LoadLatest());
        }
    }

    [Fact]
    public void CancelledRunLeavesALoadableCheckpoint()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        using var cancel = new CancellationTokenSource();
        var config = TinyRuns.Config(dir.Path, maxIters: 1000) with { LogInterval = 1 };
        TrainResult result;
        using (var trainer = new Trainer(config, device: Cpu))
        {
            result = trainer.Run(new InlineProgress<TrainProgress>(p => { if (p.Step == 7) cancel.Cancel(); }), cancel.Token);
            Assert.True(result.Cancelled);
            Assert.Equal(7, result.Step);
            Assert.Equal("step-0000007", result.Checkpoint);
        }
        var checkpoint = new CheckpointStore(dir.Path).LoadLatest();
        Assert.NotNull(checkpoint);
        Assert.Equal(7, checkpoint.Manifest.Step);
        using var resumed = new Trainer(config with { MaxIters = 9 }, resume: true, device: Cpu);
        Assert.Equal(7, resumed.Step);
        Assert.Equal(9, resumed.Run().Step);
    }

    [Fact]
    public void CheckpointHoldsNamedModelAndOptimizerTensors()
    {
        using var dir = ModelTestFiles.CreateTempDirectory();
        using var trainer = new Trainer(TinyRuns.Config(dir.Path, maxIters: 3), device: Cpu);
        trainer.Run();
        var checkpoint = new CheckpointStore(dir.Path).Load("step-0000003");
        var weights = checkpoint.Weights;
        foreach (var p in trainer.Model.Parameters.Store.Parameters)
        {
            Assert.Equal(p.Read(), weights["model." + p.Name].ToSingles());
            Assert.True(weights.Contains("optim.m." + p.Name) && weights.Contains("optim.v." + p.Name), p.Name);
        }
        Assert.Equal([96, 32], weights["model.h.1.attn.c_attn.weight"].Shape);
        Assert.False(weights.Contains("model.lm_head.weight"));
        Assert.Equal("char", checkpoint.Manifest.Tokenizer.Kind);
        Assert.Equal(32, checkpoint.Manifest.Config["model"]!["width"]!.GetValue<int>());
        Assert.Contains(TrainingCheckpoint.TrainSamplerRng, checkpoint.Manifest.RngStates.Keys);
    }

    private static void AssertBitEqual(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}[{i}]: uninterrupted {expected[i]:R}, resumed {actual[i]:R}");
    }
}
