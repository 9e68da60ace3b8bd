using Xunit;

namespace Engine.Tests.Cli;

/// <summary>A damaged latest checkpoint is passed over for the last complete one, never silently; sample and eval say which they used.</summary>
public sealed class CheckpointFallbackTests
{
    private static string TrainWithADamagedLatest(TempDirectory dir)
    {
        var outDir = Path.Combine(dir.Path, "run");
        Assert.Equal(0, CliRun.Of(TinyRun.Args(outDir, 10, "--checkpoint-interval", "5")).ExitCode);
        var weights = Path.Combine(outDir, "step-0000010.safetensors");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);
        return outDir;
    }

    private static void AssertOneWarningNamingTheDamagedFile(CliRun run, string outDir)
    {
        var warning = Assert.Single(run.ErrorLines, l => l.StartsWith("engine: warning:", StringComparison.Ordinal));
        Assert.Contains(Path.Combine(outDir, "step-0000010.safetensors"), warning);
        Assert.Contains("does not match its sidecar", warning);
        Assert.Contains("Using checkpoint 'step-0000005' (step 5) instead.", warning);
    }

    [Fact]
    public void ResumeWarnsAndContinuesFromTheLastCompleteCheckpoint()
    {
        using var dir = new TempDirectory();
        var outDir = TrainWithADamagedLatest(dir);
        var resumed = CliRun.Of(TinyRun.Args(outDir, 10, "--resume"));
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        AssertOneWarningNamingTheDamagedFile(resumed, outDir);
        Assert.Contains("resuming from checkpoint 'step-0000005' at step 5", resumed.Out);
    }

    [Fact]
    public void SampleAndEvalWarnAndNameTheCheckpointTheyUsed()
    {
        using var dir = new TempDirectory();
        var outDir = TrainWithADamagedLatest(dir);
        var sample = CliRun.Of("sample", "--checkpoint", outDir, "--length", "5");
        Assert.True(sample.ExitCode == 0, sample.Error);
        AssertOneWarningNamingTheDamagedFile(sample, outDir);
        Assert.Contains($"engine: sampling from checkpoint {Path.Combine(outDir, "step-0000005")} (step 5)", sample.ErrorLines);

        var eval = CliRun.Of("eval", "--checkpoint", outDir);
        Assert.True(eval.ExitCode == 0, eval.Error);
        AssertOneWarningNamingTheDamagedFile(eval, outDir);
        Assert.Contains($"checkpoint {Path.Combine(outDir, "step-0000005")} (step 5)", eval.Out);
    }

    [Fact]
    public void FineTuningWarnsWhenItsCheckpointFallsBack()
    {
        using var dir = new TempDirectory();
        var pretrained = TrainWithADamagedLatest(dir);
        var tuned = CliRun.Of(TinyRun.Args(Path.Combine(dir.Path, "tuned"), 5, "--init-from", pretrained));
        Assert.True(tuned.ExitCode == 0, tuned.Error);
        AssertOneWarningNamingTheDamagedFile(tuned, pretrained);
        Assert.Contains("from the weights of 'step-0000005'", tuned.Out);
    }
}
