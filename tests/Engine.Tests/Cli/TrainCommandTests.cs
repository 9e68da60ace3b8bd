using System.Text.Json;
using Engine.Cli;
using Engine.Models.Checkpoints;
using Engine.Models.Training;
using Xunit;

namespace Engine.Tests.Cli;

public sealed class TrainCommandTests
{
    [Fact]
    public void TinyRunWritesMetricsAndCheckpointsAndResumeContinuesIt()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        var run = CliRun.Of(TinyRun.Args(outDir, 20));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal("", run.Error);
        Assert.Contains("starting a new run", run.Out);
        Assert.Contains("step 20/20  loss ", run.Out);

        var records = ReadMetrics(outDir);
        Assert.Equal([5L, 10, 15, 20], records.Select(r => r.GetProperty("step").GetInt64()));
        foreach (var r in records)
        {
            foreach (var key in new[] { "train_loss", "lr", "grad_norm", "tokens_per_s" })
                Assert.True(r.GetProperty(key).GetDouble() is var v && double.IsFinite(v) && v >= 0, key);
            bool evalStep = r.GetProperty("step").GetInt64() % 10 == 0;
            Assert.Equal(evalStep, r.TryGetProperty("val_loss", out _));
        }
        var first = new CheckpointStore(outDir).LoadLatest()!;
        Assert.Equal("step-0000020", first.Name);
        Assert.Equal(20, first.Manifest.Step);
        Assert.True(File.Exists(Path.Combine(outDir, "step-0000010.safetensors")));
        // The curves beside the metrics: a train_loss line through the 4 logged steps, a val_loss line through 2.
        Assert.Contains($"curves: {Path.Combine(outDir, "loss.svg")}", run.Out);
        var curves = SvgAssert.Series(Path.Combine(outDir, "loss.svg"));
        Assert.Equal(["train_loss", "val_loss"], curves.Keys);
        Assert.Equal(4, curves["train_loss"].LinePoints);
        Assert.Equal(2, curves["val_loss"].LinePoints);

        var resumed = CliRun.Of(TinyRun.Args(outDir, 30, "--resume"));
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Contains("resuming from checkpoint 'step-0000020' at step 20", resumed.Out);
        Assert.DoesNotContain("step 20/", resumed.Out);
        Assert.Equal([5L, 10, 15, 20, 25, 30], ReadMetrics(outDir).Select(r => r.GetProperty("step").GetInt64()));
        var latest = new CheckpointStore(outDir).LoadLatest()!;
        Assert.Equal(30, latest.Manifest.Step);
    }

    [Fact]
    public void InitFromFineTunesAndNamesWhatDoesNotFit()
    {
        using var dir = new TempDirectory();
        var pretrained = Path.Combine(dir.Path, "pretrained");
        Assert.Equal(0, CliRun.Of(TinyRun.Args(pretrained, 10)).ExitCode);
        var tuned = CliRun.Of(TinyRun.Args(Path.Combine(dir.Path, "tuned"), 5, "--init-from", pretrained, "--optim", "sgd"));
        Assert.True(tuned.ExitCode == 0, tuned.Error);
        Assert.Contains($"starting a new run from the weights of 'step-0000010' (--init-from {pretrained})", tuned.Out);

        CliRun.Of(TinyRun.Args(Path.Combine(dir.Path, "wide"), 5, "--init-from", pretrained, "--width", "64"))
            .SingleErrorLine($"--init-from '{pretrained}'", "width: checkpoint 32, config 64");
        var foreign = dir.File("foreign.txt", string.Concat(Enumerable.Repeat("Zebra ¿qué? 1234 ", 40)));
        CliRun.Of(TinyRun.Args(Path.Combine(dir.Path, "foreign"), 5, "--init-from", pretrained, "--data", foreign))
            .SingleErrorLine(foreign, "cannot be encoded with the tokenizer of checkpoint 'step-0000010'", "--tokenizer bpe");
        var missing = Path.Combine(dir.Path, "nowhere");
        CliRun.Of(TinyRun.Args(Path.Combine(dir.Path, "x"), 5, "--init-from", missing)).SingleErrorLine(missing, "not found");
    }

    [Fact]
    public void ADivergingRunEndsWithOneErrorLineAndNoCheckpoint()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        var run = CliRun.Of(TinyRun.Args(outDir, 20, "--lr", "1e6", "--grad-clip", "0"));
        run.SingleErrorLine("training diverged at step 5 (train loss NaN)", "no checkpoint was written", "lower --lr");
        Assert.Equal(1, run.ExitCode);
        Assert.Null(new CheckpointStore(outDir).LoadLatest());
        var last = ReadMetrics(outDir)[^1];
        Assert.Equal(5, last.GetProperty("step").GetInt64());
        Assert.Equal(JsonValueKind.Null, last.GetProperty("train_loss").ValueKind);
    }

    [Fact]
    public void ARunWhoseGraphRebuildMeetsBrokenWeightsEndsAsADivergedRun()
    {
        // The loss is read on log steps only; SPEC-GF's graph rebuild reads the weights back at every step (T_g = 1)
        // and finds them broken first, which must end the run as a divergence does, not as a crash.
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        var run = CliRun.Of(TinyRun.Args(outDir, 20, "--optim", "spectral", "--spectral-rebuild", "1", "--lr", "1e6", "--grad-clip", "0"));
        run.SingleErrorLine("training diverged at step", "SPEC-GF graph rebuild", "hold NaN or ∞", "lower --lr");
        Assert.Equal(1, run.ExitCode);
        Assert.Null(new CheckpointStore(outDir).LoadLatest());
    }

    [Fact]
    public void ACurvesFileThatCannotBeWrittenDoesNotFailTheRun()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        Directory.CreateDirectory(Path.Combine(outDir, "loss.svg"));   // a folder where the plot would go
        var run = CliRun.Of(TinyRun.Args(outDir, 5));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("done: step 5", run.Out);
        Assert.Contains($"curves: not written ({Path.Combine(outDir, "loss.svg")}", run.Out);
        Assert.NotNull(new CheckpointStore(outDir).LoadLatest());
    }

    [Fact]
    public void YamlConfigDrivesTheRunAndFlagsOverrideIt()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        var yaml = dir.File("run.yaml", "layers: 2\nwidth: 48\nweight_decay: 0.05\nlr: 0.003\noptim: sgd\n");
        var run = CliRun.Of(TinyRun.Args(outDir, 5, "--config", yaml, "--width", "24"));
        Assert.True(run.ExitCode == 0, run.Error);
        var saved = TrainingCheckpoint.TrainConfigOf(new CheckpointStore(outDir).LoadLatest()!);
        Assert.Equal(1, saved.Layers);      // the flag in TinyRun.Args beats YAML
        Assert.Equal(24, saved.Width);      // flag beats YAML
        Assert.Equal(0.05f, saved.WeightDecay); // YAML beats the preset
        Assert.Equal(0.003f, saved.Lr);
        Assert.Equal("sgd", saved.Optim);
    }

    [Fact]
    public void CtrlCStopsBetweenStepsWithExit130AndLeavesAResumableCheckpoint()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        using var interrupt = new CancellationTokenSource();
        var output = new CancellingWriter("step 15/", interrupt);
        var error = new StringWriter();
        int code = EngineProgram.Run(TinyRun.Args(outDir, 1000), output, error, interrupt.Token);

        Assert.Equal(ExitCodes.Interrupted, code);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("engine: interrupted at step 15;", line);
        Assert.Contains("--resume", line);
        var saved = new CheckpointStore(outDir).LoadLatest()!;
        Assert.Equal(15, saved.Manifest.Step);

        var resumed = CliRun.Of(TinyRun.Args(outDir, 20, "--resume"));
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Contains("at step 15", resumed.Out);
        Assert.Equal(20, new CheckpointStore(outDir).LoadLatest()!.Manifest.Step);
    }

    [Fact]
    public void FailedCommandsLeaveAnExistingCheckpointUntouched()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        Assert.Equal(0, CliRun.Of(TinyRun.Args(outDir, 10)).ExitCode);
        var before = TinyRun.Fingerprint(outDir);

        CliRun.Of(TinyRun.Args(outDir, 20)).SingleErrorLine($"--out-dir '{outDir}' already holds checkpoints", "--resume");
        CliRun.Of(TinyRun.Args(outDir, 20, "--resume", "--width", "64")).SingleErrorLine("step-0000010", "width");
        CliRun.Of(TinyRun.Args(outDir, 20, "--resume", "--tokenizer", "bpe")).SingleErrorLine("tokenizer");
        CliRun.Of(TinyRun.Args(outDir, 20, "--resume", "--device", "tpu")).SingleErrorLine("no device 'tpu'");
        CliRun.Of(TinyRun.Args(outDir, 20, "--resume", "--data", Path.Combine(dir.Path, "missing.txt"))).SingleErrorLine("missing.txt");
        Assert.Equal(before, TinyRun.Fingerprint(outDir));
    }

    [Fact]
    public void DamagedCheckpointIsRefusedByTrainEvalAndSample()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        Assert.Equal(0, CliRun.Of(TinyRun.Args(outDir, 10, "--checkpoint-interval", "100")).ExitCode);
        var weights = Path.Combine(outDir, "step-0000010.safetensors");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);

        CliRun.Of(TinyRun.Args(outDir, 20, "--resume")).SingleErrorLine("No complete checkpoint", "step-0000010");
        CliRun.Of("eval", "--checkpoint", outDir).SingleErrorLine("step-0000010");
        CliRun.Of("eval", "--checkpoint", Path.Combine(outDir, "step-0000010.json")).SingleErrorLine("does not match its sidecar");
        Assert.Equal(bytes.Length / 2, new FileInfo(weights).Length);
    }

    [Fact]
    public void ForeignOrMissingCheckpointsAreNamed()
    {
        using var dir = new TempDirectory();
        var foreign = dir.File("model.json", "{\"weights\": [1, 2, 3]}");
        CliRun.Of("eval", "--checkpoint", foreign).SingleErrorLine(foreign, "not an Engine checkpoint sidecar");
        var text = dir.File("notes.txt", "hello");
        CliRun.Of("eval", "--checkpoint", text).SingleErrorLine(text, "is not a checkpoint");
        CliRun.Of("eval", "--checkpoint", Path.Combine(dir.Path, "absent")).SingleErrorLine("absent", "not found");
        var empty = Path.Combine(dir.Path, "empty");
        Directory.CreateDirectory(empty);
        CliRun.Of("eval", "--checkpoint", empty).SingleErrorLine("no checkpoint in directory", empty);
        File.WriteAllText(Path.Combine(empty, "step-1.safetensors"), "not tensors");
        CliRun.Of("eval", "--checkpoint", Path.Combine(empty, "step-1.safetensors")).SingleErrorLine("sidecar", "missing");
    }

    [Fact]
    public void ResumeWithoutACheckpointIsRefused()
    {
        using var dir = new TempDirectory();
        CliRun.Of(TinyRun.Args(dir.Path, 10, "--resume")).SingleErrorLine("--resume: no checkpoint in --out-dir");
    }

    private static List<JsonElement> ReadMetrics(string outDir) =>
        File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
}
