using Engine.Models.Checkpoints;
using Engine.Models.Training;
using Xunit;

namespace Engine.Tests.Cli;

/// <summary>
/// --resume continues the checkpoint's settings: what the command line leaves out comes from the checkpoint, what it
/// gives must match, except the run length, learning-rate schedule, intervals, device and out-dir.
/// </summary>
public sealed class ResumeTests
{
    private static string Corpus(TempDirectory dir, string name, string line) =>
        dir.File(name, string.Concat(Enumerable.Repeat(line, 60)));

    [Fact]
    public void SettingsLeftOutComeFromTheCheckpoint()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        var data = Corpus(dir, "data.txt", "the quick brown fox jumps over the lazy dog. ");
        Assert.Equal(0, CliRun.Of(TinyRun.Args(outDir, 10, "--data", data, "--lr", "0.003", "--optim", "sgd", "--seed", "5")).ExitCode);

        var resumed = CliRun.Of("train", "--out-dir", outDir, "--resume", "--max-iters", "15");
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Contains("resuming from checkpoint 'step-0000010' at step 10: ", resumed.Out);
        Assert.Contains($"data: {data}", resumed.Out);
        var saved = TrainingCheckpoint.TrainConfigOf(new CheckpointStore(outDir).LoadLatest()!);
        Assert.Equal(15, saved.MaxIters);
        Assert.Equal((1, 32, 16, 4), (saved.Layers, saved.Width, saved.BlockSize, saved.BatchSize));
        Assert.Equal((0.003f, "sgd", 5UL, 2), (saved.Lr, saved.Optim, saved.Seed, saved.WarmupIters));
        Assert.Equal(Path.GetFullPath(data), Path.GetFullPath(saved.Data!));
    }

    [Fact]
    public void TheValidationFileIsTheCheckpointsUnlessAnotherIsGiven()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        var data = Corpus(dir, "data.txt", "the quick brown fox jumps over the lazy dog. ");
        var val = Corpus(dir, "val.txt", "a lazy dog sleeps over the quick brown fox. ");
        Assert.Equal(0, CliRun.Of(TinyRun.Args(outDir, 10, "--data", data, "--val-data", val)).ExitCode);
        var other = Corpus(dir, "other.txt", "the brown dog jumps over the quick lazy fox. ");
        CliRun.Of(TinyRun.Args(outDir, 20, "--resume", "--val-data", other))
            .SingleErrorLine("in val_data", $"val_data: checkpoint '{val}', --val-data '{other}'");
        var resumed = CliRun.Of(TinyRun.Args(outDir, 20, "--resume"));
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Contains($"validation: {val}", resumed.Out);
    }

    [Fact]
    public void GivenSettingsThatDifferAreEachNamedWithWhereTheyCameFrom()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        var data = Corpus(dir, "data.txt", "the quick brown fox jumps over the lazy dog. ");
        Assert.Equal(0, CliRun.Of(TinyRun.Args(outDir, 10, "--data", data)).ExitCode);
        var before = TinyRun.Fingerprint(outDir);

        var other = Corpus(dir, "other.txt", "a lazy dog sleeps over the quick brown fox. ");
        var yaml = dir.File("resume.yaml", "max_iters: 20\ngrad_clip: 0.5\n");
        var line = CliRun.Of(TinyRun.Args(outDir, 20, "--resume", "--data", other, "--seed", "7", "--config", yaml))
            .SingleErrorLine("--resume: the settings differ from checkpoint 'step-0000010' in grad_clip, data, seed",
                $"data: checkpoint '{data}', --data '{other}'", $"grad_clip: checkpoint 1, {yaml}:2 0.5", "seed: checkpoint 1337, --seed 7",
                "Only --max-iters, --lr,", "another --out-dir");
        Assert.DoesNotContain("max_iters:", line);
        // A --data left out is the checkpoint's; the same file by another spelling is the same file.
        Assert.Equal(1, CliRun.Of(TinyRun.Args(outDir, 20, "--resume", "--seed", "7")).ExitCode);
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, data);
        var same = CliRun.Of(TinyRun.Args(outDir, 20, "--resume", "--data", relative));
        Assert.True(same.ExitCode == 0, same.Error);
        Assert.NotEqual(before, TinyRun.Fingerprint(outDir));
    }

    [Fact]
    public void RunLengthScheduleIntervalsAndDeviceMayChange()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        Assert.Equal(0, CliRun.Of(TinyRun.Args(outDir, 10)).ExitCode);
        var resumed = CliRun.Of("train", "--out-dir", outDir, "--resume", "--max-iters", "16", "--lr", "0.0005", "--min-lr", "0.00001",
            "--warmup-iters", "0", "--lr-decay-iters", "50", "--eval-interval", "4", "--eval-iters", "1", "--log-interval", "2",
            "--checkpoint-interval", "4", "--device", "cpu");
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Contains("step 12/16", resumed.Out);
        var latest = new CheckpointStore(outDir).LoadLatest()!;
        var saved = TrainingCheckpoint.TrainConfigOf(latest);
        Assert.Equal((16, 0.0005f, 50, 4), (saved.MaxIters, saved.Lr, saved.LrDecayIters, saved.CheckpointInterval));
        Assert.True(File.Exists(Path.Combine(outDir, "step-0000012.json")));
    }

    [Fact]
    public void APresetIsRefusedOnResume()
    {
        using var dir = new TempDirectory();
        var outDir = Path.Combine(dir.Path, "run");
        Assert.Equal(0, CliRun.Of(TinyRun.Args(outDir, 5)).ExitCode);
        CliRun.Of(TinyRun.Args(outDir, 10, "--resume", "--preset", "tiny")).SingleErrorLine("--preset tiny with --resume", "drop --preset");
    }
}
